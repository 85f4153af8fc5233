import { randomBytes } from 'node:crypto';
import { and, desc, eq, gte, inArray, or } from 'drizzle-orm';
import { z } from 'zod';
import type { PaymentFacts } from '../engine/types.js';
import { countPaymentsSince, getInvoice, toPaymentFacts } from '../payments/paymentsRepo.js';
import { Conflict, InvalidPayload } from '../server/errors.js';
import { bookings, invoiceOrders, payments, type ConversationRow, type Db } from '../store/index.js';

/** What the inbox needs to know of the payment layer to offer staff a payment link. */
export interface PaymentLinkOptions {
  currency: string;
  maxPaymentAmount: number;
  maxPaymentsPerCustomerPerDay: number;
  publicBaseUrl: string;
}

/** A payment as the inbox shows it: its facts and the conversation it belongs to. */
export type PaymentCardView = PaymentFacts & { conversationId: string; expiresAt: string };

const amountBody = z.strictObject({
  amount: z
    .number({ message: 'expected the amount in minor units (cents)' })
    .int({ message: 'expected the amount in whole cents' })
    .positive({ message: 'expected an amount greater than 0' }),
  description: z.string().trim().min(1, { message: 'say what the payment is for' }).max(200),
});
const invoiceBody = z.strictObject({ invoice: z.string().trim().min(1).max(60) });

/** Either an amount and what it is for, or one of the customer's invoices by reference. */
export const paymentLinkBody = {
  parse(raw: unknown): z.infer<typeof amountBody> | z.infer<typeof invoiceBody> {
    return raw && typeof raw === 'object' && 'invoice' in raw
      ? invoiceBody.parse(raw)
      : amountBody.parse(raw);
  },
};
export type PaymentLinkBody = ReturnType<typeof paymentLinkBody.parse>;

/** A short human reference for a link staff send, like the ones the flows give. */
const newReference = () => `PAY-${randomBytes(4).toString('hex').toUpperCase()}`;

/**
 * Checks a staff payment link against the payment layer's limits before it is queued, so staff
 * see the refusal instead of the customer getting a "cannot request" message.
 * @throws {InvalidPayload | Conflict} with the reason.
 */
export async function preparePaymentLink(
  db: Db,
  conversation: ConversationRow,
  body: PaymentLinkBody,
  options: PaymentLinkOptions,
  now: Date,
) {
  let request: {
    purpose: 'link' | 'invoice';
    subjectId: string | null;
    reference: string;
    amount: number;
    currency: string;
    description: string;
  };
  if ('invoice' in body) {
    const invoice = await getInvoice(db, body.invoice.toUpperCase());
    if (!invoice || invoice.waId !== conversation.waId)
      throw new InvalidPayload(`invoice: this customer has no invoice ${body.invoice}`);
    if (invoice.status !== 'open')
      throw new Conflict('invoice_not_open', `Invoice ${invoice.reference} is ${invoice.status}`);
    request = {
      purpose: 'invoice',
      subjectId: invoice.reference,
      reference: invoice.reference,
      amount: invoice.amount,
      currency: invoice.currency,
      description: invoice.description,
    };
  } else {
    request = {
      purpose: 'link',
      subjectId: null,
      reference: newReference(),
      amount: body.amount,
      currency: options.currency,
      description: body.description,
    };
  }
  if (request.amount > options.maxPaymentAmount)
    throw new Conflict(
      'above_limit',
      `Payment links are limited to ${(options.maxPaymentAmount / 100).toFixed(2)} ${request.currency}`,
    );
  const today = await countPaymentsSince(db, conversation.waId, new Date(now.getTime() - 86_400_000));
  if (today >= options.maxPaymentsPerCustomerPerDay)
    throw new Conflict(
      'daily_limit',
      `This customer already has ${today} payment requests in the last 24 hours, the most allowed`,
    );
  return request;
}

const view = (row: typeof payments.$inferSelect, publicBaseUrl: string): PaymentCardView => ({
  ...toPaymentFacts(row, publicBaseUrl),
  conversationId: row.conversationId,
  expiresAt: row.expiresAt.toISOString(),
});

/** The payments with these ids and the fresh links that replaced them. */
export async function paymentCards(db: Db, ids: string[], publicBaseUrl: string): Promise<PaymentCardView[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .select()
    .from(payments)
    .where(or(inArray(payments.id, ids), inArray(payments.retryOf, ids)));
  return rows.map((row) => view(row, publicBaseUrl));
}

/** The contact panel's "payments" section: last payments, open invoices and coming bookings. */
export function paymentSections(publicBaseUrl: string, now: () => Date) {
  return async (db: Db, conversation: ConversationRow): Promise<Record<string, unknown>> => {
    const [paymentRows, invoiceRows, bookingRows] = await Promise.all([
      db
        .select()
        .from(payments)
        .where(eq(payments.waId, conversation.waId))
        .orderBy(desc(payments.createdAt))
        .limit(20),
      db
        .select()
        .from(invoiceOrders)
        .where(eq(invoiceOrders.waId, conversation.waId))
        .orderBy(desc(invoiceOrders.dueDate))
        .limit(10),
      db
        .select()
        .from(bookings)
        .where(and(eq(bookings.waId, conversation.waId), gte(bookings.end, now())))
        .orderBy(bookings.start)
        .limit(5),
    ]);
    return {
      payments: {
        payments: paymentRows.map((row) => view(row, publicBaseUrl)),
        invoices: invoiceRows.map((row) => ({
          reference: row.reference,
          amount: row.amount,
          currency: row.currency,
          dueDate: row.dueDate,
          description: row.description,
          status: row.status,
        })),
        bookings: bookingRows.map((row) => ({
          reference: row.reference,
          serviceId: row.serviceId,
          start: row.start.toISOString(),
          status: row.status,
          deposit: row.deposit,
          balance: row.balance,
        })),
      },
    };
  };
}
