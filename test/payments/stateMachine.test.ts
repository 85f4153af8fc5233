import { PAYMENT_STATUSES, type PaymentStatus } from '../../src/engine/types.js';
import type { PaymentEvent } from '../../src/payments/port.js';
import { transition } from '../../src/payments/stateMachine.js';

const base = {
  paymentId: 'p1',
  providerEventId: 'e1',
  providerRef: null,
  amount: 1000,
  currency: 'EUR',
  at: new Date(0),
};
const events: Record<string, PaymentEvent> = {
  pending: { type: 'PaymentPending', ...base },
  succeeded: { type: 'PaymentSucceeded', ...base },
  failed: { type: 'PaymentFailed', reason: 'card_declined', ...base },
  expired: { type: 'PaymentExpired', ...base },
  refund400: { type: 'PaymentRefunded', refundRef: 'r1', refundedAmount: 400, ...base },
  refund1000: { type: 'PaymentRefunded', refundRef: 'r2', refundedAmount: 1000, ...base },
  notSupported: { type: 'NotSupported', providerEventId: 'x', description: 'charge.updated' },
};

// Expected next status for every (status, event); null = no change. refundedAmount 400 for partially_refunded.
const table: Record<PaymentStatus, Record<keyof typeof events, PaymentStatus | null>> = {
  created: {
    pending: 'pending',
    succeeded: 'succeeded',
    failed: 'failed',
    expired: 'expired',
    refund400: 'partially_refunded',
    refund1000: 'refunded',
    notSupported: null,
  },
  pending: {
    pending: null,
    succeeded: 'succeeded',
    failed: 'failed',
    expired: 'expired',
    refund400: 'partially_refunded',
    refund1000: 'refunded',
    notSupported: null,
  },
  succeeded: {
    pending: null,
    succeeded: null,
    failed: null,
    expired: null,
    refund400: 'partially_refunded',
    refund1000: 'refunded',
    notSupported: null,
  },
  failed: {
    pending: null,
    succeeded: 'succeeded',
    failed: null,
    expired: null,
    refund400: 'partially_refunded',
    refund1000: 'refunded',
    notSupported: null,
  },
  expired: {
    pending: null,
    succeeded: 'succeeded',
    failed: null,
    expired: null,
    refund400: 'partially_refunded',
    refund1000: 'refunded',
    notSupported: null,
  },
  partially_refunded: {
    pending: null,
    succeeded: null,
    failed: null,
    expired: null,
    refund400: null,
    refund1000: 'refunded',
    notSupported: null,
  },
  refunded: {
    pending: null,
    succeeded: null,
    failed: null,
    expired: null,
    refund400: null,
    refund1000: null,
    notSupported: null,
  },
};

describe('payment state machine', () => {
  test('the table covers every status', () => {
    expect(Object.keys(table).sort()).toEqual([...PAYMENT_STATUSES].sort());
  });

  const cases = PAYMENT_STATUSES.flatMap((status) =>
    Object.keys(events).map((name) => [status, name, table[status][name]] as const),
  );
  test.each(cases)('%s + %s → %s', (status, name, expected) => {
    const refundedAmount = status === 'partially_refunded' ? 400 : status === 'refunded' ? 1000 : 0;
    const result = transition({ status, amount: 1000, refundedAmount }, events[name] as PaymentEvent);
    if (expected === null) expect(result.changed).toBe(false);
    else expect(result).toMatchObject({ changed: true, from: status, to: expected });
  });

  test('a larger partial refund is a new change; a smaller or equal one is an old event', () => {
    const state = { status: 'partially_refunded' as const, amount: 1000, refundedAmount: 400 };
    expect(
      transition(state, { ...(events.refund400 as PaymentEvent), refundedAmount: 700 } as PaymentEvent),
    ).toEqual({
      changed: true,
      from: 'partially_refunded',
      to: 'partially_refunded',
      refundedAmount: 700,
    });
    expect(
      transition(state, { ...(events.refund400 as PaymentEvent), refundedAmount: 300 } as PaymentEvent)
        .changed,
    ).toBe(false);
  });

  test('a refund report above the amount is capped at the amount', () => {
    const result = transition({ status: 'succeeded', amount: 1000, refundedAmount: 0 }, {
      ...(events.refund400 as PaymentEvent),
      refundedAmount: 5000,
    } as PaymentEvent);
    expect(result).toEqual({ changed: true, from: 'succeeded', to: 'refunded', refundedAmount: 1000 });
  });

  test('any order of the same events ends in the same state, and never moves backwards', () => {
    const sequence = [
      events.pending,
      events.succeeded,
      events.refund400,
      events.refund1000,
      events.failed,
      events.expired,
    ] as PaymentEvent[];
    const permutations = (list: PaymentEvent[]): PaymentEvent[][] =>
      list.length <= 1
        ? [list]
        : list.flatMap((e, i) =>
            permutations([...list.slice(0, i), ...list.slice(i + 1)]).map((rest) => [e, ...rest]),
          );
    const rank = ['created', 'pending', 'failed', 'succeeded', 'partially_refunded', 'refunded'];
    for (const order of permutations(sequence)) {
      let state = { status: 'created' as PaymentStatus, amount: 1000, refundedAmount: 0 };
      for (const event of order) {
        const result = transition(state, event);
        if (!result.changed) continue;
        expect(result.refundedAmount).toBeGreaterThanOrEqual(state.refundedAmount);
        state = { ...state, status: result.to, refundedAmount: result.refundedAmount };
      }
      // Success and both refunds were seen: whatever the order, the money story ends refunded.
      expect(rank).toContain(state.status);
      expect(state.status).toBe('refunded');
    }
  });
});
