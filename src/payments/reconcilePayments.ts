import type { Db } from '../store/index.js';
import type { PaymentDeps } from './deps.js';
import { findPaymentsToReconcile, updatePayment } from './paymentsRepo.js';
import { PROVIDER_DEADLINE_MS, withDeadline } from './paymentMetrics.js';
import { storePaymentEvents } from './storePaymentEvents.js';

/**
 * Asks the provider about every payment that has waited longer than the configured time without
 * news, and stores what it says like a webhook, so a lost webhook never leaves a customer
 * unanswered. A provider that cannot be reached is asked again next round.
 * @returns how many payments were looked up.
 */
export async function reconcilePayments(db: Db, deps: PaymentDeps, now: Date, limit = 50): Promise<number> {
  const due = await findPaymentsToReconcile(
    db,
    new Date(now.getTime() - deps.config.reconcileAfterMs),
    limit,
  );
  let found = 0;
  for (const payment of due) {
    if (payment.provider !== deps.provider.name) continue;
    try {
      const events = await withDeadline('lookup', PROVIDER_DEADLINE_MS, () =>
        deps.provider.lookup({ paymentId: payment.id, providerRef: payment.providerRef }),
      );
      found += await storePaymentEvents(db, deps.provider.name, events, now);
    } catch (error) {
      deps.metrics.providerErrors.inc({ operation: 'lookup' });
      deps.logger.warn({ err: error, payment: payment.id }, 'payment lookup failed; will retry next round');
    }
    await updatePayment(db, payment.id, { lastCheckedAt: now });
  }
  deps.metrics.reconciled.inc(found);
  if (found > 0) deps.logger.info({ found }, 'reconciliation found payment events no webhook delivered');
  return due.length;
}
