import type { Clock } from '../../engine/types.js';
import type { CreatedPayment, PaymentEvent, PaymentProvider, RefundResult } from '../port.js';

/** What the sandbox customer chose on the pay page. */
export type SandboxOutcome = 'succeeded' | 'failed' | 'expired';

export interface SandboxProvider extends PaymentProvider {
  readonly name: 'sandbox';
  /**
   * Records the customer's choice, as a bank would, and returns the event it reports. A payment
   * is decided once: a second choice returns the first one's event.
   */
  decide(
    payment: { paymentId: string; amount: number; currency: string },
    outcome: SandboxOutcome,
  ): PaymentEvent;
}

const EVENT_TYPES = {
  succeeded: 'PaymentSucceeded',
  failed: 'PaymentFailed',
  expired: 'PaymentExpired',
} as const;

/**
 * The payment provider of sandbox mode: the `/pay/<token>` page is its checkout, and it remembers
 * each payment's outcome in memory so `lookup` answers like a real provider's API would (which is
 * what reconciliation needs when an event was lost). Refunds always succeed.
 */
export function createSandboxProvider(clock: Clock): SandboxProvider {
  const ledger = new Map<string, PaymentEvent>();
  const refunds = new Map<string, RefundResult>();
  return {
    name: 'sandbox',
    async createPayment(input): Promise<CreatedPayment> {
      return { providerRef: `sbx_${input.paymentId}`, checkoutUrl: null };
    },
    async refund(input): Promise<RefundResult> {
      const known = refunds.get(input.idempotencyKey);
      if (known) return known;
      const result: RefundResult = { refundRef: `sbx_re_${input.idempotencyKey}`, status: 'succeeded' };
      refunds.set(input.idempotencyKey, result);
      return result;
    },
    async lookup(payment) {
      const known = ledger.get(payment.paymentId);
      return known ? [known] : [];
    },
    decide(payment, outcome) {
      const known = ledger.get(payment.paymentId);
      if (known) return known;
      const base = {
        paymentId: payment.paymentId,
        providerEventId: `${payment.paymentId}:${outcome}`,
        providerRef: `sbx_${payment.paymentId}`,
        amount: payment.amount,
        currency: payment.currency,
        at: clock.now(),
      };
      const event: PaymentEvent =
        outcome === 'failed'
          ? { type: 'PaymentFailed', reason: 'declined on the sandbox page', ...base }
          : { type: EVENT_TYPES[outcome], ...base };
      ledger.set(payment.paymentId, event);
      return event;
    },
  };
}
