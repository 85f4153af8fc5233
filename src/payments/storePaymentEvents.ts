import type { DistributiveOmit } from '../engine/types.js';
import { insertInboundEvents, type Db } from '../store/index.js';
import type { PaymentEvent, PaymentProvider } from './port.js';

/** The queue of a payment's own events (provider webhooks, expiry, staff decisions). */
export const paymentConversationId = (paymentId: string) => `payment:${paymentId}`;

/** What a stored `payment` inbound event carries. */
export interface StoredPaymentEvent {
  provider: PaymentProvider['name'];
  event: DistributiveOmit<Exclude<PaymentEvent, { type: 'NotSupported' }>, 'at'> & { at: string };
}

const SOURCES = { stripe: 'stripe', whatsapp: 'whatsapp', sandbox: 'system' } as const;

/**
 * Stores provider statements in the durable inbox, deduplicated by provider event id, each in the
 * queue of its payment (`payment:<paymentId>`) so the events of one payment apply in order. The
 * Stripe webhook, the sandbox pay page, reconciliation and refunds all come in here; answer the
 * provider only after this resolved. `NotSupported` events are not stored.
 *
 * @returns how many were new.
 * @example await storePaymentEvents(db, 'stripe', provider.parseWebhook(raw, signature), clock.now());
 */
export async function storePaymentEvents(
  db: Db,
  provider: PaymentProvider['name'],
  events: PaymentEvent[],
  now: Date,
): Promise<number> {
  const rows = events.flatMap((event) =>
    event.type === 'NotSupported'
      ? []
      : [
          {
            source: SOURCES[provider],
            kind: 'payment',
            externalId: `${provider}:evt:${event.providerEventId}`,
            conversationId: paymentConversationId(event.paymentId),
            payload: {
              provider,
              event: { ...event, at: event.at.toISOString() },
            } satisfies StoredPaymentEvent,
          },
        ],
  );
  return insertInboundEvents(db, rows, now);
}

/** The event a stored payload holds, with its date back. */
export function revivePaymentEvent(payload: unknown): PaymentEvent {
  const { event } = payload as StoredPaymentEvent;
  return { ...event, at: new Date(event.at) } as PaymentEvent;
}
