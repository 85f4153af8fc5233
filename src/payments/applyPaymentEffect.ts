import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { migrateState } from '../engine/state.js';
import type { Effect, Locale } from '../engine/types.js';
import { logRef } from '../logger.js';
import {
  bookings,
  contacts,
  scheduleTimer,
  type ConversationRow,
  type Db,
  type PaymentRow,
} from '../store/index.js';
import { asLocale, queueChatMessage, queueChatRequest } from './chatMessage.js';
import type { PaymentDeps } from './deps.js';
import { formatAmount, formatWhen } from './format.js';
import {
  countPaymentsSince,
  findOverlappingBookings,
  getBooking,
  getInvoice,
  getPayment,
  insertPayment,
  lockCalendar,
  updateBooking,
} from './paymentsRepo.js';
import { requestRefund } from './refunds.js';
import { paymentConversationId, storePaymentEvents } from './storePaymentEvents.js';

export type PaymentEffect = Extract<
  Effect,
  { type: 'RequestPayment' | 'RequestRefund' | 'HoldSlot' | 'CancelBooking' }
>;

export const isPaymentEffect = (effect: Effect): effect is PaymentEffect =>
  effect.type === 'RequestPayment' ||
  effect.type === 'RequestRefund' ||
  effect.type === 'HoldSlot' ||
  effect.type === 'CancelBooking';

/** Our payment id for a RequestPayment effect: a replayed turn derives the same one. */
/**
 * Our payment id for a RequestPayment effect: stable on replay, and within the characters and
 * length WhatsApp accepts for an order's `reference_id`, which carries it.
 */
export const paymentIdFor = (effectId: string) =>
  `pay_${effectId.replace(/[^A-Za-z0-9_.-]/g, '.')}`.slice(0, 35);

/** A link token: 144 random bits, URL-safe. */
export const newPaymentToken = () => randomBytes(18).toString('base64url');

/** The customer's language: their contact record, then the conversation, then the business's. */
export async function customerLocale(
  tx: Db,
  conversation: ConversationRow,
  fallback: Locale,
): Promise<Locale> {
  const [contact] = await tx
    .select({ locale: contacts.locale })
    .from(contacts)
    .where(eq(contacts.waId, conversation.waId));
  return asLocale(contact?.locale ?? migrateState(conversation.state)?.locale, fallback);
}

/**
 * Applies a turn's payment effects inside the turn's transaction: creates payments and their
 * links, refund requests, slot holds and cancellations. Effects run in order; a deposit whose
 * slot could not be held is not requested.
 */
export async function applyPaymentEffects(
  tx: Db,
  conversation: ConversationRow,
  effects: Effect[],
  deps: PaymentDeps,
  now: Date,
): Promise<void> {
  const refusedBookings = new Set<string>();
  for (const effect of effects) {
    if (!isPaymentEffect(effect)) continue;
    switch (effect.type) {
      case 'HoldSlot':
        if (!(await holdSlot(tx, conversation, effect, deps, now))) refusedBookings.add(effect.bookingId);
        break;
      case 'RequestPayment':
        if (effect.purpose === 'deposit' && effect.subjectId && refusedBookings.has(effect.subjectId)) break;
        await requestPayment(tx, conversation, effect, deps, now);
        break;
      case 'RequestRefund':
        await requestRefund(tx, conversation, effect, deps, now);
        break;
      case 'CancelBooking':
        await cancelBooking(tx, conversation, effect.bookingId, deps, now);
        break;
    }
  }
}

type RequestPaymentEffect = Extract<Effect, { type: 'RequestPayment' }>;

/**
 * Creates the payment and queues its link, after the limits. The payment and the message are
 * written in the caller's transaction, so there is never a link without a payment or the reverse.
 */
export async function requestPayment(
  tx: Db,
  conversation: ConversationRow,
  effect: RequestPaymentEffect,
  deps: PaymentDeps,
  now: Date,
): Promise<PaymentRow | null> {
  const id = paymentIdFor(effect.id);
  const existing = await getPayment(tx, id);
  if (existing) return existing;
  const locale = await customerLocale(tx, conversation, deps.business.defaultLocale);
  const { limits } = deps.business;
  const base = { conversationId: conversation.id, recipient: conversation.waId, locale };
  const amount = formatAmount(effect.amount, effect.currency, locale);

  if (!Number.isInteger(effect.amount) || effect.amount <= 0)
    throw new Error(`RequestPayment ${effect.id}: amount must be a positive whole number of minor units`);
  if (effect.amount > limits.maxPaymentAmount) {
    await queueChatMessage(
      tx,
      deps,
      {
        ...base,
        id: `${effect.id}:limit`,
        text: [
          {
            key: 'payments.limit.amount',
            vars: { amount, limit: formatAmount(limits.maxPaymentAmount, effect.currency, locale) },
          },
        ],
        template: { name: 'payment_closed', params: [amount, effect.reference] },
      },
      now,
    );
    deps.logger.info({ conversation: logRef(conversation.id) }, 'payment refused: above the amount limit');
    return null;
  }
  const today = await countPaymentsSince(tx, conversation.waId, new Date(now.getTime() - 86_400_000));
  if (today >= limits.maxPaymentsPerCustomerPerDay) {
    await queueChatMessage(
      tx,
      deps,
      {
        ...base,
        id: `${effect.id}:limit`,
        text: [{ key: 'payments.limit.daily', vars: { count: String(limits.maxPaymentsPerCustomerPerDay) } }],
        template: { name: 'payment_closed', params: [amount, effect.reference] },
      },
      now,
    );
    deps.logger.info({ conversation: logRef(conversation.id) }, 'payment refused: daily limit reached');
    return null;
  }

  if (effect.purpose === 'invoice' && effect.subjectId) {
    // An invoice is paid once, for its own amount, whatever the conversation believed.
    const invoice = await getInvoice(tx, effect.subjectId);
    if (
      invoice &&
      (invoice.status !== 'open' || invoice.amount !== effect.amount || invoice.currency !== effect.currency)
    ) {
      await queueChatMessage(
        tx,
        deps,
        {
          ...base,
          id: `${effect.id}:invoice`,
          text: [{ key: 'payments.invoice_closed', vars: { reference: invoice.reference } }],
          template: { name: 'payment_closed', params: [amount, effect.reference] },
        },
        now,
      );
      deps.logger.warn(
        { conversation: logRef(conversation.id) },
        'payment refused: the invoice is not open at that amount',
      );
      return null;
    }
  }
  let expiresAt = new Date(now.getTime() + deps.config.linkTtlMs);
  if (effect.purpose === 'deposit' && effect.subjectId) {
    const booking = await getBooking(tx, effect.subjectId);
    if (booking?.holdExpiresAt && booking.holdExpiresAt < expiresAt) expiresAt = booking.holdExpiresAt;
    if (booking) await updateBooking(tx, booking.id, { depositPaymentId: id });
  }
  const payment = await createPaymentRecord(
    tx,
    {
      id,
      reference: effect.reference,
      conversationId: conversation.id,
      waId: conversation.waId,
      purpose: effect.purpose,
      subjectId: effect.subjectId,
      amount: effect.amount,
      currency: effect.currency,
      description: effect.description,
      items: effect.items,
      locale,
      retryOf: null,
      expiresAt,
    },
    deps,
    now,
  );
  const native = deps.buildChatRequest?.(payment, `${effect.id}:link`) ?? null;
  if (native) await queueChatRequest(tx, payment, native, now);
  else
    await queueChatMessage(
      tx,
      deps,
      linkMessage(payment, deps, `${effect.id}:link`, 'payments.link.body'),
      now,
    );
  return payment;
}

/** Inserts a payment with a fresh token and schedules its expiry. */
export async function createPaymentRecord(
  tx: Db,
  input: Omit<
    PaymentRow,
    | 'status'
    | 'provider'
    | 'providerRef'
    | 'checkoutUrl'
    | 'token'
    | 'refundedAmount'
    | 'paidAt'
    | 'lastCheckedAt'
    | 'createdAt'
    | 'updatedAt'
  >,
  deps: PaymentDeps,
  now: Date,
): Promise<PaymentRow> {
  const token = newPaymentToken();
  await insertPayment(tx, {
    ...input,
    status: 'created',
    provider: deps.provider.name,
    token,
    createdAt: now,
    updatedAt: now,
  });
  // The expiry is a timer of the payment's own queue, so it runs in order with the provider's events.
  await scheduleTimer(tx, {
    id: `${input.id}:expiry`,
    conversationId: paymentConversationId(input.id),
    name: 'payment_expiry',
    fireAt: input.expiresAt,
    payload: { paymentId: input.id },
  });
  return (await getPayment(tx, input.id)) as PaymentRow;
}

/** The message carrying a payment link. */
export function linkMessage(payment: PaymentRow, deps: PaymentDeps, id: string, key: string) {
  const locale = payment.locale;
  const amount = formatAmount(payment.amount, payment.currency, locale);
  const when = formatWhen(payment.expiresAt, locale, deps.business.timezone);
  return {
    id,
    conversationId: payment.conversationId,
    recipient: payment.waId,
    locale,
    text: [
      {
        key,
        vars: { amount, reference: payment.reference, description: payment.description, when },
      },
    ],
    link: { url: `${deps.publicBaseUrl}/pay/${payment.token}`, token: payment.token },
    template: { name: 'payment_link', params: [payment.reference, amount, when] },
  };
}

type HoldSlotEffect = Extract<Effect, { type: 'HoldSlot' }>;

/** Holds a slot until its deposit is paid; refuses one that overlaps a held or confirmed booking. */
async function holdSlot(
  tx: Db,
  conversation: ConversationRow,
  effect: HoldSlotEffect,
  deps: PaymentDeps,
  now: Date,
): Promise<boolean> {
  const existing = await getBooking(tx, effect.bookingId);
  if (existing) return existing.status === 'held' || existing.status === 'confirmed';
  const start = new Date(effect.start);
  const end = new Date(effect.end);
  if (!(start < end)) throw new Error(`HoldSlot ${effect.id}: start must be before end`);
  await lockCalendar(tx);
  const overlapping = await findOverlappingBookings(tx, start, end, now);
  if (overlapping.length > 0) {
    const locale = await customerLocale(tx, conversation, deps.business.defaultLocale);
    await queueChatMessage(
      tx,
      deps,
      {
        id: `${effect.id}:taken`,
        conversationId: conversation.id,
        recipient: conversation.waId,
        locale,
        text: [
          {
            key: 'payments.booking.taken',
            vars: { when: formatWhen(start, locale, deps.business.timezone) },
          },
        ],
        // A hold is asked for in answer to the customer, so this is inside the window in practice.
        template: {
          name: 'payment_closed',
          params: [formatAmount(effect.deposit, deps.business.currency, locale), effect.reference],
        },
      },
      now,
    );
    return false;
  }
  await tx.insert(bookings).values({
    id: effect.bookingId,
    reference: effect.reference,
    waId: conversation.waId,
    conversationId: conversation.id,
    serviceId: effect.serviceId,
    start,
    end,
    status: effect.deposit > 0 ? 'held' : 'confirmed',
    holdExpiresAt: effect.deposit > 0 ? new Date(now.getTime() + deps.config.holdTtlMs) : null,
    price: effect.price,
    deposit: effect.deposit,
    balance: effect.price,
    createdAt: now,
    updatedAt: now,
  });
  return true;
}

/** Cancels the customer's own held or confirmed booking; the slot becomes free. */
async function cancelBooking(
  tx: Db,
  conversation: ConversationRow,
  bookingId: string,
  deps: PaymentDeps,
  now: Date,
) {
  const booking = await getBooking(tx, bookingId);
  if (!booking || booking.waId !== conversation.waId) {
    deps.logger.warn(
      { conversation: logRef(conversation.id) },
      'CancelBooking for a booking of someone else',
    );
    return;
  }
  if (booking.status !== 'held' && booking.status !== 'confirmed') return;
  await updateBooking(tx, bookingId, { status: 'cancelled' });
  // An unpaid deposit link must not stay payable for a booking that no longer exists.
  const depositId = booking.depositPaymentId;
  const depositPayment = depositId ? await getPayment(tx, depositId) : null;
  if (depositPayment && (depositPayment.status === 'created' || depositPayment.status === 'pending')) {
    await storePaymentEvents(
      tx,
      depositPayment.provider,
      [
        {
          type: 'PaymentExpired',
          paymentId: depositPayment.id,
          providerEventId: `cancelled:${bookingId}`,
          providerRef: null,
          amount: null,
          currency: null,
          at: now,
        },
      ],
      now,
    );
  }
}
