import type { PaymentStatus } from '../engine/types.js';
import type { PaymentEvent } from './port.js';

/** How far along a payment is. A transition only ever goes up this order. */
const RANK: Record<PaymentStatus, number> = {
  created: 0,
  pending: 1,
  failed: 2,
  expired: 2,
  succeeded: 3,
  partially_refunded: 4,
  refunded: 5,
};

/** What a payment looks like to the state machine. */
export interface PaymentState {
  status: PaymentStatus;
  amount: number;
  refundedAmount: number;
}

export type Transition =
  | { changed: false; reason: string }
  | { changed: true; from: PaymentStatus; to: PaymentStatus; refundedAmount: number };

/**
 * The payment state machine: created → pending → succeeded | failed | expired;
 * succeeded → partially_refunded → refunded. Pure. Repeated, stale and out-of-order events are
 * no-ops (`changed: false`), so a payment never moves backwards and each real change happens once.
 *
 * Money that a provider reports as captured always wins: a success arriving after the payment
 * was marked failed or expired is recorded (the customer paid; the business must see it), and a
 * refund arriving before the success it follows proves the capture, so it applies at once.
 *
 * @example transition({ status: 'pending', amount: 1000, refundedAmount: 0 }, { type: 'PaymentSucceeded', … })
 * // → { changed: true, from: 'pending', to: 'succeeded', refundedAmount: 0 }
 */
export function transition(state: PaymentState, event: PaymentEvent): Transition {
  const from = state.status;
  const move = (to: PaymentStatus, refundedAmount = state.refundedAmount): Transition =>
    RANK[to] > RANK[from] || (to === 'partially_refunded' && refundedAmount > state.refundedAmount)
      ? { changed: true, from, to, refundedAmount }
      : { changed: false, reason: `already ${from}` };

  switch (event.type) {
    case 'NotSupported':
      return { changed: false, reason: 'not a payment status' };
    case 'PaymentPending':
      return from === 'created' ? move('pending') : { changed: false, reason: `already ${from}` };
    case 'PaymentFailed':
    case 'PaymentExpired':
      if (from !== 'created' && from !== 'pending') return { changed: false, reason: `already ${from}` };
      return move(event.type === 'PaymentFailed' ? 'failed' : 'expired');
    case 'PaymentSucceeded':
      return move('succeeded');
    case 'PaymentRefunded': {
      const total = Math.min(event.refundedAmount, state.amount);
      // A report of less than we already know is an older event arriving late.
      if (total <= state.refundedAmount || total <= 0) return { changed: false, reason: 'no new refund' };
      return move(total >= state.amount ? 'refunded' : 'partially_refunded', total);
    }
  }
}
