import { Counter, type Registry } from 'prom-client';

/** The payment layer's Prometheus metrics, on the product's registry. */
export function createPaymentMetrics(registry: Registry) {
  return {
    transitions: new Counter({
      name: 'wca_payment_transitions_total',
      help: 'Real payment status changes, by new status and provider',
      labelNames: ['to', 'provider'] as const,
      registers: [registry],
    }),
    reconciled: new Counter({
      name: 'wca_payment_reconciled_events_total',
      help: 'Payment events found by reconciliation that no webhook had delivered',
      registers: [registry],
    }),
    providerErrors: new Counter({
      name: 'wca_payment_provider_errors_total',
      help: 'Failed calls to the payment provider, by operation (createPayment, refund, lookup)',
      labelNames: ['operation'] as const,
      registers: [registry],
    }),
  };
}
export type PaymentMetrics = ReturnType<typeof createPaymentMetrics>;

/** Thrown when a provider call did not answer in time; the caller's retry policy applies. */
export class ProviderTimeout extends Error {}

/**
 * A provider call with a deadline, so a hung provider never holds a page or a job round.
 * @throws {ProviderTimeout} after `ms`.
 */
export async function withDeadline<T>(operation: string, ms: number, call: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      call(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new ProviderTimeout(`${operation} did not answer within ${ms} ms`)),
          ms,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Deadline for one provider call; adapters have their own shorter timeouts and retries inside it. */
export const PROVIDER_DEADLINE_MS = 30_000;
