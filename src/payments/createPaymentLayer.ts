import type { Router } from 'express';
import type { Business } from '../business/loadBusiness.js';
import type { Config } from '../config.js';
import type { TextCatalog } from '../engine/texts.js';
import type { Clock } from '../engine/types.js';
import { startLoop, type Loop } from '../jobs/loop.js';
import type { Logger } from '../logger.js';
import type { Registry } from 'prom-client';
import { createPaymentMetrics } from './paymentMetrics.js';
import type { Db } from '../store/index.js';
import { createPaymentsApi } from './createPaymentsApi.js';
import { createPayRouter } from './createPayRouter.js';
import type { ChatPaymentRequestBuilder, PaymentDeps, PaymentStatusParser } from './deps.js';
import { seedDemoInvoices } from './invoices.js';
import type { PaymentProvider } from './port.js';
import { releaseLapsedHolds } from './paymentsRepo.js';
import { reconcilePayments } from './reconcilePayments.js';
import { processRefunds } from './refunds.js';
import { createSandboxProvider } from './sandbox/createSandboxProvider.js';
import { sendReminders } from './sendReminders.js';

/** The customer the sandbox phone page starts with; the demo invoices are addressed to them. */
export const SANDBOX_FIRST_CUSTOMER = '393331234567';

export interface PaymentLayerOptions {
  config: Readonly<Config>;
  business: Business;
  texts: TextCatalog;
  db: Db;
  clock: Clock;
  logger: Logger;
  /** The registry the payment metrics join. */
  registry: Registry;
  /** The provider for PAYMENTS_PROVIDER=stripe|whatsapp; sandbox mode builds its own. */
  provider?: PaymentProvider;
  /** Parser for WhatsApp payment_status webhooks (the WhatsApp-native adapter). */
  parsePaymentStatus?: PaymentStatusParser;
  /** Builds WhatsApp-native pay requests (order_details) instead of links. */
  buildChatRequest?: ChatPaymentRequestBuilder;
  /** Told when payment events were stored, so the worker starts at once. */
  onEventStored(): void;
  /** Told inside the transaction when a payment succeeds. */
  onSucceeded?: PaymentDeps['onSucceeded'];
}

export interface PaymentLayer {
  deps: PaymentDeps;
  provider: PaymentProvider;
  /** `/pay` for customers, mounted without the API token. */
  payRouter: Router;
  /** Mounted under `/api`, behind the API token. */
  apiRouter: Router;
  /** One round of the periodic work: refunds due at the provider, reconciliation, reminders. */
  runJobs(options?: { force?: boolean }): Promise<number>;
  /** Seeds the demo business's invoices (sandbox mode). */
  seedDemo(): Promise<void>;
  startLoop(): Loop;
}

/**
 * Picks the configured provider. Stripe and WhatsApp-native providers are passed in by the
 * composition root; sandbox mode (no provider configured) builds the sandbox provider.
 * @throws {Error} when the configuration names a provider that was not given.
 */
export function selectPaymentProvider(
  config: Readonly<Config>,
  clock: Clock,
  given?: PaymentProvider,
): PaymentProvider {
  if (given) {
    if (given.name !== config.payments.provider)
      throw new Error(
        `PAYMENTS_PROVIDER is ${config.payments.provider} but the ${given.name} provider was given`,
      );
    return given;
  }
  if (config.payments.provider === 'sandbox') return createSandboxProvider(clock);
  throw new Error(
    `PAYMENTS_PROVIDER=${config.payments.provider}: no ${config.payments.provider} provider is available in this build`,
  );
}

/** The payment layer: its dependencies for the worker, its HTTP routers and its periodic jobs. */
export function createPaymentLayer(options: PaymentLayerOptions): PaymentLayer {
  const { config, db, clock, logger } = options;
  const provider = selectPaymentProvider(config, clock, options.provider);
  const deps: PaymentDeps = {
    config: config.payments,
    publicBaseUrl: config.server.publicBaseUrl,
    business: options.business,
    texts: options.texts,
    provider,
    parsePaymentStatus: options.parsePaymentStatus ?? null,
    buildChatRequest: options.buildChatRequest ?? null,
    onSucceeded: options.onSucceeded ?? null,
    logger,
    metrics: createPaymentMetrics(options.registry),
  };
  let lastSlowRound = 0;
  const runJobs = async ({ force = false } = {}) => {
    const now = clock.now();
    let work = await processRefunds(db, deps, now);
    if (force || now.getTime() - lastSlowRound >= config.payments.reconcileIntervalMs) {
      lastSlowRound = now.getTime();
      work += await reconcilePayments(db, deps, now);
      await releaseLapsedHolds(db, now);
      work += await sendReminders(db, deps, config.whatsapp.phoneNumberId, now);
    }
    if (work > 0) options.onEventStored();
    return work;
  };
  return {
    deps,
    provider,
    payRouter: createPayRouter({ db, clock, deps, onEventStored: options.onEventStored }),
    apiRouter: createPaymentsApi(db, clock, deps, options.onEventStored),
    runJobs,
    seedDemo: () => seedDemoInvoices(db, options.business, SANDBOX_FIRST_CUSTOMER, clock.now()),
    startLoop: () =>
      startLoop(
        async () => (await runJobs()) > 0,
        1_000,
        (error) => logger.error({ err: error }, 'payment jobs round failed'),
      ),
  };
}
