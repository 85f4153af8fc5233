import { findReference } from '../references.js';
import type { PaymentFacts } from '../types.js';
import { wantsSomethingElse } from './read.js';
import { defineTask, numberParam, type Task, type TaskInput } from './task.js';

const PROVIDES = ['payments', 'reference', 'description', 'amount', 'refundAmount', 'windowDays', 'paidAt'];
const REFUNDABLE = new Set<PaymentFacts['status']>(['succeeded', 'partially_refunded']);
const DAY = 24 * 60 * 60 * 1000;

const referenceIn = (input: TaskInput) =>
  input.understanding?.slots.reference ?? (input.text ? findReference(input.text) : null);

/** The payment behind a reference: a payment's own reference, or a booking's deposit. */
function paymentFor(input: TaskInput, reference: string): PaymentFacts | undefined {
  const direct = input.facts.payments.filter((p) => p.reference === reference);
  const paid = direct.find((p) => REFUNDABLE.has(p.status) || p.status === 'refunded');
  if (paid ?? direct[0]) return paid ?? direct[0];
  const booking = input.facts.bookings.find((b) => b.reference === reference);
  return booking?.depositPaymentId
    ? input.facts.payments.find((p) => p.id === booking.depositPaymentId)
    : undefined;
}

function shown(input: TaskInput, payment: PaymentFacts) {
  return {
    refundPaymentId: payment.id,
    reference: payment.reference,
    description: payment.description,
    amount: payment.amount,
    refundAmount: payment.amount - payment.refundedAmount,
    paidAt: payment.paidAt,
    windowDays: numberParam(input, 'windowDays', 14),
  };
}

/** Finds what to refund: the reference the customer gave, or their recent paid payments. */
const find = defineTask({
  outcomes: ['found', 'choose', 'not_found', 'nothing'],
  provides: PROVIDES,
  run(input) {
    const reference = referenceIn(input);
    if (reference) {
      const payment = paymentFor(input, reference);
      return payment
        ? { outcome: 'found', vars: shown(input, payment) }
        : { outcome: 'not_found', vars: { reference } };
    }
    const since = input.now.getTime() - numberParam(input, 'windowDays', 14) * DAY;
    const recent = input.facts.payments
      .filter((p) => REFUNDABLE.has(p.status) && p.paidAt && Date.parse(p.paidAt) >= since)
      .sort((a, b) => Date.parse(b.paidAt as string) - Date.parse(a.paidAt as string))
      .slice(0, 10);
    if (recent.length === 0) return { outcome: 'nothing' };
    if (recent.length === 1) return { outcome: 'found', vars: shown(input, recent[0] as PaymentFacts) };
    return {
      outcome: 'choose',
      vars: {
        payments: recent.map((p) => ({
          id: p.reference,
          title: p.reference,
          description: input.render('refund.payment_row', { amount: p.amount, description: p.description }),
        })),
      },
    };
  },
});

const pick = defineTask({
  outcomes: ['found', 'not_found', 'none'],
  provides: PROVIDES,
  run(input) {
    const reference = input.picked ?? referenceIn(input);
    if (!reference || (!input.picked && wantsSomethingElse(input.understanding))) return { outcome: 'none' };
    const payment = paymentFor(input, reference);
    return payment
      ? { outcome: 'found', vars: shown(input, payment) }
      : { outcome: 'not_found', vars: { reference } };
  },
});

/**
 * The refund policy: a payment that went through, within `windowDays` of being paid, for what has
 * not been refunded yet. A deposit follows the booking's cancellation policy instead.
 */
const policy = defineTask({
  outcomes: ['ok', 'not_paid', 'already', 'outside', 'deposit'],
  provides: PROVIDES,
  run(input) {
    const payment = input.facts.payments.find((p) => p.id === input.vars.refundPaymentId);
    if (!payment) return { outcome: 'not_paid' };
    const vars = shown(input, payment);
    if (payment.status === 'refunded') return { outcome: 'already', vars };
    if (!REFUNDABLE.has(payment.status)) return { outcome: 'not_paid', vars };
    if (payment.purpose === 'deposit') return { outcome: 'deposit', vars };
    const paidAt = Date.parse(payment.paidAt ?? payment.createdAt);
    if (input.now.getTime() - paidAt > vars.windowDays * DAY) return { outcome: 'outside', vars };
    return { outcome: 'ok', vars };
  },
});

/** The explicit yes: the payment layer refunds (or queues it for staff approval above its limit). */
const request = defineTask({
  outcomes: ['requested', 'not_paid'],
  provides: PROVIDES,
  run(input) {
    const payment = input.facts.payments.find((p) => p.id === input.vars.refundPaymentId);
    if (!payment || !REFUNDABLE.has(payment.status)) return { outcome: 'not_paid' };
    const vars = shown(input, payment);
    return {
      outcome: 'requested',
      vars,
      effects: [
        {
          type: 'RequestRefund',
          paymentId: payment.id,
          amount: vars.refundAmount,
          reason: 'customer_request',
        },
      ],
    };
  },
});

/** A refund landed (fully or partly). */
const update = defineTask({
  outcomes: ['refunded', 'other'],
  provides: PROVIDES,
  run(input) {
    if (input.event.type !== 'PaymentUpdated' || input.event.payment.refundedAmount <= 0)
      return { outcome: 'other' };
    const p = input.event.payment;
    return {
      outcome: 'refunded',
      vars: {
        reference: p.reference,
        description: p.description,
        amount: p.amount,
        refundAmount: p.refundedAmount,
      },
    };
  },
});

export const REFUND_TASKS: Record<string, Task> = {
  'refund.find': find,
  'refund.pick': pick,
  'refund.policy': policy,
  'refund.request': request,
  'refund.update': update,
};
