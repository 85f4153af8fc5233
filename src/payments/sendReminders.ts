import { and, eq, gt, inArray, isNull, sql } from 'drizzle-orm';
import {
  contacts,
  invoiceOrders,
  loadOrCreateConversation,
  paymentReminders,
  payments,
  type Db,
  type InvoiceOrderRow,
  type PaymentRow,
} from '../store/index.js';
import { asLocale, queueChatMessage } from './chatMessage.js';
import { createPaymentRecord } from './applyPaymentEffect.js';
import type { PaymentDeps } from './deps.js';
import { daysBetween, formatAmount, formatDate, formatWhen, localParts } from './format.js';

/**
 * Id prefix of the links reminders create for invoices. They close quietly when they expire:
 * the reminder schedule, not the expiry, decides when the customer hears about the invoice again.
 */
export const REMINDER_PAYMENT_PREFIX = 'pay_invoice_';

/** Keys of the invoice reminder texts by offset sign. */
const reminderKey = (offset: number) =>
  offset < 0
    ? 'payments.reminder.before'
    : offset === 0
      ? 'payments.reminder.due'
      : 'payments.reminder.after';

/** Inside the business's send hours (local time)? */
export function insideSendHours(now: Date, deps: PaymentDeps): boolean {
  const { time } = localParts(now, deps.business.timezone);
  return time >= deps.config.reminderHours.from && time < deps.config.reminderHours.to;
}

/**
 * Reminds customers of unpaid invoices on the configured days around the due date, and of
 * payment links left unpaid for half their life. Only inside the business's send hours, never
 * for what is paid, never to an opted-out contact; each reminder goes once (recorded with it,
 * in the same transaction). Outside the 24-hour window they go as templates.
 * @returns how many reminders were queued.
 */
export async function sendReminders(
  db: Db,
  deps: PaymentDeps,
  phoneNumberId: string,
  now: Date,
): Promise<number> {
  if (!insideSendHours(now, deps)) return 0;
  const today = localParts(now, deps.business.timezone).date;
  let sent = 0;

  const optedOut = async (waIds: string[]) =>
    new Set(
      waIds.length
        ? (
            await db
              .select({ waId: contacts.waId })
              .from(contacts)
              .where(and(inArray(contacts.waId, waIds), eq(contacts.optedOut, true)))
          ).map((c) => c.waId)
        : [],
    );

  const open = await db.select().from(invoiceOrders).where(eq(invoiceOrders.status, 'open')).limit(1_000);
  const dueInvoices = open.filter((invoice) =>
    deps.config.reminderDays.includes(daysBetween(invoice.dueDate, today)),
  );
  const invoiceOptOuts = await optedOut(dueInvoices.map((i) => i.waId));
  for (const invoice of dueInvoices) {
    if (invoiceOptOuts.has(invoice.waId)) continue;
    const offset = daysBetween(invoice.dueDate, today);
    if (
      await db.transaction((tx) =>
        remindInvoice(tx as unknown as Db, invoice, offset, deps, phoneNumberId, now),
      )
    )
      sent++;
  }

  const unpaid = await db
    .select()
    .from(payments)
    .where(
      and(
        inArray(payments.status, ['created', 'pending']),
        gt(payments.expiresAt, new Date(now.getTime() + 2 * 3_600_000)),
        sql`${payments.purpose} <> 'invoice'`,
        isNull(payments.retryOf),
        sql`${payments.createdAt} + (${payments.expiresAt} - ${payments.createdAt}) / 2 <= ${now.toISOString()}::timestamptz`,
      ),
    )
    .limit(1_000);
  const linkOptOuts = await optedOut(unpaid.map((p) => p.waId));
  for (const payment of unpaid) {
    if (linkOptOuts.has(payment.waId)) continue;
    if (await db.transaction((tx) => remindLink(tx as unknown as Db, payment, deps, now))) sent++;
  }
  if (sent > 0) deps.logger.info({ sent }, 'payment reminders queued');
  return sent;
}

async function claimReminder(tx: Db, id: string, subject: string, now: Date): Promise<boolean> {
  const rows = await tx
    .insert(paymentReminders)
    .values({ id, subject, sentAt: now })
    .onConflictDoNothing()
    .returning({ id: paymentReminders.id });
  return rows.length === 1;
}

async function remindInvoice(
  tx: Db,
  invoice: InvoiceOrderRow,
  offset: number,
  deps: PaymentDeps,
  phoneNumberId: string,
  now: Date,
): Promise<boolean> {
  const [current] = await tx
    .select()
    .from(invoiceOrders)
    .where(eq(invoiceOrders.reference, invoice.reference))
    .for('update');
  if (current?.status !== 'open') return false;
  if (!(await claimReminder(tx, `invoice:${invoice.reference}:${offset}`, invoice.reference, now)))
    return false;
  const conversation = await loadOrCreateConversation(
    tx,
    `${phoneNumberId}:${invoice.waId}`,
    phoneNumberId,
    invoice.waId,
  );
  const [contact] = await tx
    .select({ locale: contacts.locale })
    .from(contacts)
    .where(eq(contacts.waId, invoice.waId));
  const locale = asLocale(contact?.locale, deps.business.defaultLocale);
  // Reuse a link still open for this invoice; otherwise a new one.
  const [openPayment] = await tx
    .select()
    .from(payments)
    .where(
      and(
        eq(payments.purpose, 'invoice'),
        eq(payments.subjectId, invoice.reference),
        inArray(payments.status, ['created', 'pending']),
        gt(payments.expiresAt, new Date(now.getTime() + 3_600_000)),
      ),
    )
    .limit(1);
  const payment =
    openPayment ??
    (await createPaymentRecord(
      tx,
      {
        id: `${REMINDER_PAYMENT_PREFIX}${invoice.reference}_${today(now, deps)}`,
        reference: invoice.reference,
        conversationId: conversation.id,
        waId: invoice.waId,
        purpose: 'invoice',
        subjectId: invoice.reference,
        amount: invoice.amount,
        currency: invoice.currency,
        description: invoice.description,
        items: [{ name: invoice.description, quantity: 1, amount: invoice.amount }],
        locale,
        retryOf: null,
        expiresAt: new Date(now.getTime() + deps.config.linkTtlMs),
      },
      deps,
      now,
    ));
  const amount = formatAmount(invoice.amount, invoice.currency, locale);
  const due = formatDate(invoice.dueDate, locale);
  await queueChatMessage(
    tx,
    deps,
    {
      id: `reminder:invoice:${invoice.reference}:${offset}`,
      conversationId: conversation.id,
      recipient: invoice.waId,
      locale,
      text: [{ key: reminderKey(offset), vars: { reference: invoice.reference, amount, due } }],
      link: { url: `${deps.publicBaseUrl}/pay/${payment.token}`, token: payment.token },
      template: { name: 'payment_reminder', params: [invoice.reference, amount, due] },
    },
    now,
  );
  return true;
}

const today = (now: Date, deps: PaymentDeps) => localParts(now, deps.business.timezone).date;

async function remindLink(tx: Db, payment: PaymentRow, deps: PaymentDeps, now: Date): Promise<boolean> {
  const [current] = await tx.select().from(payments).where(eq(payments.id, payment.id)).for('update');
  if (current?.status !== 'created' && current?.status !== 'pending') return false;
  if (!(await claimReminder(tx, `link:${payment.id}`, payment.id, now))) return false;
  const locale = payment.locale;
  const amount = formatAmount(payment.amount, payment.currency, locale);
  const when = formatWhen(payment.expiresAt, locale, deps.business.timezone);
  await queueChatMessage(
    tx,
    deps,
    {
      id: `reminder:link:${payment.id}`,
      conversationId: payment.conversationId,
      recipient: payment.waId,
      locale,
      text: [{ key: 'payments.reminder.link', vars: { reference: payment.reference, amount, when } }],
      link: { url: `${deps.publicBaseUrl}/pay/${payment.token}`, token: payment.token },
      template: { name: 'payment_reminder', params: [payment.reference, amount, when] },
    },
    now,
  );
  return true;
}
