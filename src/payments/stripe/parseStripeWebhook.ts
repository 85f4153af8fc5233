import Stripe from 'stripe';
import { BadSignature, InvalidPayload } from '../../server/errors.js';
import type { PaymentEvent } from '../port.js';

/** One verified Stripe delivery, translated. */
export interface ParsedStripeWebhook {
  /** Stripe's event id (`evt_…`); Stripe redelivers with the same id, so it is the dedupe key. */
  eventId: string;
  /** Stripe's event type, for logs. */
  type: string;
  events: PaymentEvent[];
}

// Only the static helpers are used; they need no API key.
const webhooks = Stripe.webhooks;

/**
 * Verifies `Stripe-Signature` on the exact raw bytes and translates the event into payment events.
 *
 * Handles `checkout.session.completed` (paid → succeeded; unpaid → pending, for methods that
 * settle later), `checkout.session.async_payment_succeeded` / `_failed`, `checkout.session.expired`,
 * `charge.refunded` and `refund.updated`; every other type becomes `NotSupported`. Charges and
 * refunds find our payment through `metadata.payment_id`, which the Stripe provider puts on the
 * PaymentIntent (charges inherit it) and on every refund it creates.
 *
 * `now` is the time the timestamp in the signature is checked against (Stripe's default
 * tolerance, five minutes), so replayed old deliveries are refused.
 *
 * @throws {BadSignature} (401) when the header is missing or does not match `webhookSecret`.
 * @throws {InvalidPayload} (400) when the signed body is not a Stripe event.
 * @example
 * const { eventId, events } = parseStripeWebhook(req.body, req.get('stripe-signature'), secret, new Date());
 */
export function parseStripeWebhook(
  rawBody: Buffer,
  signatureHeader: string | undefined,
  webhookSecret: string,
  now: Date,
): ParsedStripeWebhook {
  if (!signatureHeader) {
    throw new BadSignature(
      'Missing Stripe-Signature header: point only Stripe (Dashboard → Developers → Webhooks) at this URL',
    );
  }
  let event: Stripe.Event;
  try {
    event = webhooks.constructEvent(
      rawBody,
      signatureHeader,
      webhookSecret,
      undefined,
      undefined,
      // stripe-node takes the receive time in milliseconds.
      now.getTime(),
    );
  } catch (error) {
    if (error instanceof Stripe.errors.StripeSignatureVerificationError) {
      throw new BadSignature(
        `Stripe-Signature does not match: ${error.message.split('\n')[0]} ` +
          '(check that STRIPE_WEBHOOK_SECRET is the signing secret of this endpoint, and the server clock)',
      );
    }
    throw new InvalidPayload(
      `Signed body is not a Stripe event: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  if (!isRecord(event) || typeof event.id !== 'string' || typeof event.type !== 'string') {
    throw new InvalidPayload('Signed body is not a Stripe event (no "id" or "type")');
  }
  return { eventId: event.id, type: event.type, events: translateEvent(event) };
}

function translateEvent(event: Stripe.Event): PaymentEvent[] {
  const at = new Date(event.created * 1000);
  const notSupported = (description: string): PaymentEvent[] => [
    { type: 'NotSupported', providerEventId: event.id, description },
  ];
  switch (event.type) {
    case 'checkout.session.completed':
    case 'checkout.session.async_payment_succeeded':
    case 'checkout.session.async_payment_failed':
    case 'checkout.session.expired': {
      const session = event.data.object;
      const paymentId = session.metadata?.payment_id ?? session.client_reference_id;
      if (!paymentId) {
        return notSupported(`${event.type} for Checkout Session ${session.id}, which carries no payment_id`);
      }
      const base = {
        paymentId,
        providerEventId: event.id,
        providerRef: session.id,
        amount: session.amount_total ?? null,
        currency: session.currency ? session.currency.toUpperCase() : null,
        at,
      };
      if (event.type === 'checkout.session.expired') return [{ type: 'PaymentExpired', ...base }];
      if (event.type === 'checkout.session.async_payment_failed') {
        return [{ type: 'PaymentFailed', reason: 'The payment was declined after checkout', ...base }];
      }
      if (event.type === 'checkout.session.async_payment_succeeded')
        return [{ type: 'PaymentSucceeded', ...base }];
      return session.payment_status === 'unpaid'
        ? [{ type: 'PaymentPending', ...base }]
        : [{ type: 'PaymentSucceeded', ...base }];
    }
    case 'charge.refunded': {
      const charge = event.data.object;
      const paymentId = charge.metadata?.payment_id;
      if (!paymentId)
        return notSupported(`charge.refunded for charge ${charge.id}, which carries no payment_id`);
      const refunds = charge.refunds?.data ?? [];
      const latest = [...refunds].sort((a, b) => b.created - a.created)[0];
      return [
        {
          type: 'PaymentRefunded',
          paymentId,
          providerEventId: event.id,
          providerRef: null,
          refundRef: latest?.id ?? charge.id,
          refundedAmount: charge.amount_refunded,
          amount: charge.amount,
          currency: charge.currency.toUpperCase(),
          at,
        },
      ];
    }
    case 'refund.updated': {
      const refund = event.data.object;
      const paymentId = refund.metadata?.payment_id;
      if (!paymentId)
        return notSupported(`refund.updated for refund ${refund.id}, which carries no payment_id`);
      const total = Number(refund.metadata?.refunded_total);
      if (refund.status !== 'succeeded') {
        return notSupported(
          `Refund ${refund.id} of payment ${paymentId} is ${refund.status}` +
            (refund.failure_reason ? ` (${refund.failure_reason})` : ''),
        );
      }
      if (!Number.isInteger(total) || total < refund.amount) {
        // A refund knows only its own amount; without the running total it cannot say where the payment stands.
        return notSupported(
          `Refund ${refund.id} of payment ${paymentId} succeeded but carries no refunded_total; charge.refunded or a lookup reports the total`,
        );
      }
      return [
        {
          type: 'PaymentRefunded',
          paymentId,
          providerEventId: event.id,
          providerRef: null,
          refundRef: refund.id,
          refundedAmount: total,
          amount: null,
          currency: refund.currency.toUpperCase(),
          at,
        },
      ];
    }
    default:
      return notSupported(`Stripe event type ${event.type} is not used by this product`);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
