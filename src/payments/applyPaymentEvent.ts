import { and, eq, inArray } from 'drizzle-orm';
import type { PaymentStatus } from '../engine/types.js';
import { logRef } from '../logger.js';
import {
  cancelTimer,
  insertInboundEvents,
  invoiceOrders,
  refunds,
  type Db,
  type PaymentRow,
} from '../store/index.js';
import { createPaymentRecord, linkMessage } from './applyPaymentEffect.js';
import { queueChatMessage, queueChatRequest, type ChatMessage } from './chatMessage.js';
import type { PaymentDeps } from './deps.js';
import { formatAmount, formatWhen } from './format.js';
import {
  findOverlappingBookings,
  getBooking,
  getPayment,
  lockCalendar,
  lockPayment,
  recordTransition,
  toPaymentFacts,
  updateBooking,
  updatePayment,
} from './paymentsRepo.js';
import type { PaymentEvent } from './port.js';
import { REMINDER_PAYMENT_PREFIX } from './sendReminders.js';
import { paymentConversationId } from './storePaymentEvents.js';
import { transition } from './stateMachine.js';

/** Thrown when a provider reports money that does not match the payment; the event is retried, then dead-lettered for staff. */
export class PaymentMismatch extends Error {}

/**
 * Applies one provider statement to its payment, inside the caller's transaction. A real change
 * is recorded with `sourceEventId`, updates what hangs on the payment (booking, invoice, refunds),
 * queues exactly one chat message and tells the conversation's flow (PaymentUpdated). Repeated,
 * stale and out-of-order events change nothing.
 *
 * @returns the new status, or null when nothing changed.
 * @throws {PaymentMismatch} when a success reports another amount or currency than requested.
 */
export async function applyPaymentEvent(
  tx: Db,
  event: PaymentEvent,
  sourceEventId: string,
  deps: PaymentDeps,
  now: Date,
): Promise<PaymentStatus | null> {
  if (event.type === 'NotSupported') return null;
  const payment = await lockPayment(tx, event.paymentId);
  if (!payment) {
    deps.logger.warn({ sourceEventId }, 'payment event for an unknown payment; ignored');
    return null;
  }
  if (event.type === 'PaymentSucceeded') {
    if (
      (event.amount !== null && event.amount !== payment.amount) ||
      (event.currency !== null && event.currency.toUpperCase() !== payment.currency)
    )
      throw new PaymentMismatch(
        `Payment ${payment.id}: provider reports ${event.amount} ${event.currency}, we asked for ${payment.amount} ${payment.currency}`,
      );
  }
  const result = transition(payment, event);
  if (!result.changed) return null;
  if (!(await recordTransition(tx, { paymentId: payment.id, ...result, sourceEventId, at: now })))
    return null;

  const paidAt = payment.paidAt ?? (result.to === 'succeeded' || result.refundedAmount > 0 ? event.at : null);
  await updatePayment(tx, payment.id, {
    status: result.to,
    refundedAmount: result.refundedAmount,
    paidAt,
    ...(event.providerRef && !payment.providerRef ? { providerRef: event.providerRef } : {}),
  });
  const updated: PaymentRow = {
    ...payment,
    status: result.to,
    refundedAmount: result.refundedAmount,
    paidAt,
  };
  if (result.to !== 'pending') await cancelTimer(tx, paymentConversationId(payment.id), 'payment_expiry');

  const message = await consequences(tx, updated, payment, event, sourceEventId, deps, now);
  if (message) await queueChatMessage(tx, deps, message, now);

  await insertInboundEvents(
    tx,
    [
      {
        source: 'system',
        kind: 'payment_update',
        externalId: `payment_update:${sourceEventId}`,
        conversationId: payment.conversationId,
        payload: toPaymentFacts(updated, deps.publicBaseUrl),
      },
    ],
    now,
  );
  deps.metrics.transitions.inc({ to: result.to, provider: payment.provider });
  deps.logger.info(
    { payment: payment.id, from: result.from, to: result.to, conversation: logRef(payment.conversationId) },
    'payment status changed',
  );
  return result.to;
}

/** What a change means for what hangs on the payment, and the message the customer gets. */
async function consequences(
  tx: Db,
  payment: PaymentRow,
  before: PaymentRow,
  event: PaymentEvent,
  sourceEventId: string,
  deps: PaymentDeps,
  now: Date,
): Promise<ChatMessage | null> {
  const locale = payment.locale;
  const tz = deps.business.timezone;
  const amount = formatAmount(payment.amount, payment.currency, locale);
  const base = {
    id: `pmsg:${sourceEventId}`,
    conversationId: payment.conversationId,
    recipient: payment.waId,
    locale,
  };
  const vars = { amount, reference: payment.reference, description: payment.description };
  const booking =
    payment.purpose === 'deposit' && payment.subjectId ? await getBooking(tx, payment.subjectId) : null;

  switch (payment.status) {
    case 'pending':
      return null;
    case 'succeeded': {
      await deps.onSucceeded?.(tx, payment);
      let next = `payments.paid.next.${payment.purpose}`;
      let nextVars: Record<string, string> = { ...vars };
      if (booking) {
        const confirmed = await confirmBooking(tx, payment, booking.id, deps, now);
        if (confirmed) {
          nextVars = {
            ...vars,
            when: formatWhen(confirmed.start, locale, tz),
            balance: formatAmount(confirmed.balance, payment.currency, locale),
          };
        } else next = 'payments.paid.next.link';
      }
      if (payment.purpose === 'invoice' && payment.subjectId) {
        await tx
          .update(invoiceOrders)
          .set({ status: 'paid', paymentId: payment.id, paidAt: payment.paidAt, updatedAt: now })
          .where(and(eq(invoiceOrders.reference, payment.subjectId), eq(invoiceOrders.status, 'open')));
      }
      const nextText = { key: next, vars: nextVars };
      return {
        ...base,
        text: [{ key: 'payments.paid.body', vars }, nextText],
        template: {
          name: 'payment_receipt',
          params: [amount, payment.reference, renderNext(deps, locale, nextText)],
        },
      };
    }
    case 'failed':
    case 'expired': {
      const failed = payment.status === 'failed';
      // The customer cancelled: the flow already said so, and the link simply closed.
      if (booking?.status === 'cancelled') return null;
      if (!failed && payment.id.startsWith(REMINDER_PAYMENT_PREFIX)) return null;
      if (booking && booking.status === 'held') {
        if (!failed || !booking.holdExpiresAt || booking.holdExpiresAt <= now) {
          await updateBooking(tx, booking.id, { status: 'released' });
          const when = formatWhen(booking.start, locale, tz);
          return {
            ...base,
            text: [{ key: 'payments.expired.deposit', vars: { ...vars, when } }],
            template: { name: 'payment_closed', params: [amount, payment.reference] },
          };
        }
      }
      const fresh = await freshLink(tx, payment, booking?.holdExpiresAt ?? null, deps, now);
      const kind = failed ? 'failed' : 'expired';
      if (!fresh)
        return {
          ...base,
          text: [{ key: `payments.${kind}.final`, vars }],
          template: { name: 'payment_closed', params: [amount, payment.reference] },
        };
      // A native pay request is itself the fresh offer.
      const native = deps.buildChatRequest?.(fresh, base.id) ?? null;
      if (native) {
        await queueChatRequest(tx, fresh, native, now);
        return null;
      }
      const link = linkMessage(fresh, deps, base.id, `payments.${kind}.retry`);
      return {
        ...link,
        text: [
          { key: `payments.${kind}.retry`, vars: { ...vars, when: formatWhen(fresh.expiresAt, locale, tz) } },
        ],
        template: {
          name: 'payment_retry',
          params: [amount, payment.reference, formatWhen(fresh.expiresAt, locale, tz)],
        },
      };
    }
    case 'partially_refunded':
    case 'refunded': {
      const refunded = payment.refundedAmount - before.refundedAmount;
      if (event.type === 'PaymentRefunded') await settleRefunds(tx, payment, event.refundRef, now);
      const refundedText = formatAmount(refunded, payment.currency, locale);
      const text = { key: 'payments.refunded.body', vars: { ...vars, amount: refundedText } };
      return {
        ...base,
        text: [text],
        template: {
          name: 'payment_refund_update',
          params: [refundedText, payment.reference, renderNext(deps, locale, text)],
        },
      };
    }
    default:
      return null;
  }
}

const renderNext = (deps: PaymentDeps, locale: string, text: { key: string; vars: Record<string, string> }) =>
  (deps.texts[locale as keyof typeof deps.texts]?.[text.key] ?? '').replace(
    /\{(\w+)\}/g,
    (_, name: string) => text.vars[name] ?? '',
  );

/** Confirms the booking a deposit was for; a lapsed hold is confirmed only if its slot is still free. */
async function confirmBooking(tx: Db, payment: PaymentRow, bookingId: string, deps: PaymentDeps, now: Date) {
  const booking = await getBooking(tx, bookingId);
  if (!booking) return null;
  if (booking.status === 'confirmed') return booking;
  await lockCalendar(tx);
  const clash =
    booking.status === 'cancelled'
      ? []
      : await findOverlappingBookings(tx, booking.start, booking.end, now, booking.id);
  if (booking.status === 'cancelled' || clash.length > 0) {
    // Paid for a cancelled booking, or after the hold lapsed and someone else took the slot:
    // staff decide (refund or another time).
    await tx
      .insert(refunds)
      .values({
        id: `refund_${payment.id}_slot`,
        paymentId: payment.id,
        amount: payment.amount,
        status: 'requested',
        reason:
          booking.status === 'cancelled'
            ? 'deposit paid for a cancelled booking'
            : 'deposit paid after the hold lapsed; the slot was taken',
        requestedBy: 'system',
        idempotencyKey: `refund_${payment.id}_slot`,
        createdAt: now,
        updatedAt: now,
      })
      .onConflictDoNothing();
    deps.logger.warn({ payment: payment.id }, 'deposit paid for a slot taken meanwhile; refund awaits staff');
    return null;
  }
  const balance = Math.max(0, booking.price - payment.amount);
  await updateBooking(tx, booking.id, { status: 'confirmed', balance, holdExpiresAt: null });
  return { ...booking, status: 'confirmed' as const, balance };
}

/** A new payment for the same request after a failure or expiry, up to the configured number. */
async function freshLink(
  tx: Db,
  payment: PaymentRow,
  holdExpiresAt: Date | null,
  deps: PaymentDeps,
  now: Date,
): Promise<PaymentRow | null> {
  const root = payment.retryOf ?? payment.id;
  const attempt = payment.retryOf ? Number(/\.r(\d+)$/.exec(payment.id)?.[1] ?? 0) + 1 : 1;
  if (attempt > deps.config.maxFreshLinks) return null;
  let expiresAt = new Date(now.getTime() + deps.config.linkTtlMs);
  if (holdExpiresAt) {
    if (holdExpiresAt.getTime() - now.getTime() < 60_000) return null;
    if (holdExpiresAt < expiresAt) expiresAt = holdExpiresAt;
  }
  const id = `${root}.r${attempt}`;
  const existing = await getPayment(tx, id);
  if (existing) return existing;
  const fresh = await createPaymentRecord(
    tx,
    {
      id,
      reference: payment.reference,
      conversationId: payment.conversationId,
      waId: payment.waId,
      purpose: payment.purpose,
      subjectId: payment.subjectId,
      amount: payment.amount,
      currency: payment.currency,
      description: payment.description,
      items: payment.items,
      locale: payment.locale,
      retryOf: root,
      expiresAt,
    },
    deps,
    now,
  );
  if (payment.purpose === 'deposit' && payment.subjectId)
    await updateBooking(tx, payment.subjectId, { depositPaymentId: fresh.id });
  return fresh;
}

/** Marks the refunds a provider reports as done. */
async function settleRefunds(tx: Db, payment: PaymentRow, refundRef: string, now: Date) {
  await tx
    .update(refunds)
    .set({ status: 'refunded', updatedAt: now })
    .where(
      and(
        eq(refunds.paymentId, payment.id),
        eq(refunds.providerRef, refundRef),
        inArray(refunds.status, ['approved', 'processing']),
      ),
    );
}
