import express, { Router } from 'express';
import type { Clock } from '../engine/types.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { PaymentEvent } from '../payments/port.js';
import { parseStripeWebhook } from '../payments/stripe/parseStripeWebhook.js';
import { HttpError } from './errors.js';

/**
 * Durably records the payment events of one Stripe delivery and resolves only once they are
 * committed. The payment layer's implementation writes one `inbound_events` row per event
 * (source `stripe`, kind `payment`, external_id `stripe:evt:<eventId>`, conversation_id
 * `payment:<paymentId>`), so a redelivered event id is dropped by the unique key.
 *
 * `events` holds exactly one event per delivery. It may be `NotSupported` (an event type we do not
 * use, or an object without our payment id); it has no `paymentId`: store it without a
 * conversation so operators can see it, or drop it.
 *
 * @returns how many events were new (0 for a repeat delivery), or nothing.
 * @throws anything: the route answers 500 and Stripe delivers again later.
 */
export type StoreStripeEvents = (events: PaymentEvent[], eventId: string) => Promise<number | void>;

export interface StripeWebhookRouterOptions {
  /** `STRIPE_WEBHOOK_SECRET`, the endpoint's signing secret (`whsec_…`). */
  webhookSecret: string;
  store: StoreStripeEvents;
  /** Largest body accepted (413 above it); Stripe events are a few kilobytes. Default 1 MiB. */
  maxBodyBytes?: number;
  clock?: Clock;
  logger?: Logger;
  metrics?: Metrics;
  /** Called after a delivery is stored, to wake the event worker. */
  onStored?: () => void;
}

const SYSTEM_CLOCK: Clock = { now: () => new Date() };

/**
 * `POST /` for Stripe webhooks (mount it at `/webhooks/stripe`). Reads the raw bytes on this
 * route only, checks `Stripe-Signature` (401 and nothing stored when it is missing or wrong),
 * refuses a signed body that is not JSON (400), stores the translated events through `store` and
 * answers 200 only after that resolves. A repeated event id is stored once and acknowledged.
 *
 * @example
 * app.use('/webhooks/stripe', createStripeWebhookRouter({ webhookSecret, store }));
 */
export function createStripeWebhookRouter(options: StripeWebhookRouterOptions): Router {
  const router = Router();
  const clock = options.clock ?? SYSTEM_CLOCK;
  router.post(
    '/',
    // Stripe signs the exact bytes it sent: read them whatever the content type says.
    express.raw({ type: () => true, limit: options.maxBodyBytes ?? 1024 * 1024 }),
    async (req, res) => {
      const started = process.hrtime.bigint();
      let status = 200;
      try {
        const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
        const parsed = parseStripeWebhook(
          body,
          req.get('stripe-signature'),
          options.webhookSecret,
          clock.now(),
        );
        const stored = await options.store(parsed.events, parsed.eventId);
        options.onStored?.();
        const duplicate = stored === 0;
        options.logger?.info(
          { stripeEvent: parsed.eventId, type: parsed.type, duplicate, events: parsed.events.length },
          'stripe webhook stored',
        );
        res.json({ ok: true, eventId: parsed.eventId, duplicate });
      } catch (error) {
        status = error instanceof HttpError ? error.status : 500;
        throw error;
      } finally {
        options.metrics?.webhookSeconds.observe(
          { source: 'stripe', status: String(status) },
          Number(process.hrtime.bigint() - started) / 1e9,
        );
      }
    },
  );
  return router;
}
