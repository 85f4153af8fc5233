import type Stripe from 'stripe';
import type { Clock } from '../../engine/types.js';
import { PaymentProviderError } from '../errors.js';
import type {
  CreatePaymentInput,
  CreatedPayment,
  PaymentEvent,
  PaymentProvider,
  RefundInput,
  RefundResult,
} from '../port.js';
import { mapStripeError } from './mapStripeError.js';
import { createStripeClient } from './stripeClient.js';

export interface StripeProviderOptions {
  secretKey: string;
  /** `STRIPE_API_URL`: another Stripe-compatible origin (tests point it at a local stub). */
  apiUrl?: string | undefined;
  timeoutMs: number;
  /** Retries stripe-node makes on no answer, 409 and 5xx, with one idempotency key; default 2. */
  maxNetworkRetries?: number;
  /** Resolves relative `returnUrl`s, e.g. `https://wa.example.com`. */
  publicBaseUrl: string;
  /** Clamps `expires_at` into Stripe's window; defaults to the system clock. */
  clock?: Clock;
}

/** The Stripe provider, plus closing a checkout early when our own deadline passes first. */
export interface StripeProvider extends PaymentProvider {
  readonly name: 'stripe';
  /**
   * Expires an open Checkout Session so it can no longer be paid (e.g. a deposit hold ran out).
   * Answers quietly when the session is already expired; a paid session stays paid and this throws.
   * @throws PaymentProviderError
   */
  expireCheckout(providerRef: string): Promise<void>;
}

/** Stripe refuses `expires_at` less than 30 minutes or more than 24 hours after creation. */
export const CHECKOUT_MIN_LIFETIME_MS = 30 * 60_000;
export const CHECKOUT_MAX_LIFETIME_MS = 24 * 60 * 60_000;
/** Slack for the request's transit and clock skew, so a clamped value is never refused. */
const LIFETIME_MARGIN_MS = 2 * 60_000;

/** Checkout locales for our template locales; anything else lets Stripe pick from the browser. */
const CHECKOUT_LOCALES: Record<string, Stripe.Checkout.SessionCreateParams.Locale> = {
  it: 'it',
  en: 'en',
  fr: 'fr',
  es: 'es',
  pt: 'pt',
  de: 'de',
};

/** Stripe caps a Checkout Session at 100 line items. */
const LINE_ITEMS_MAX = 100;

const SYSTEM_CLOCK: Clock = { now: () => new Date() };

/**
 * Stripe Checkout as a {@link PaymentProvider}: one Checkout Session per payment, our payment id in
 * `metadata.payment_id`, `client_reference_id` and the PaymentIntent's metadata (so charge and
 * refund events carry it), refunds through the Refunds API on the session's PaymentIntent.
 *
 * Every call has `timeoutMs`; stripe-node retries network errors, 409 and 5xx itself with an
 * idempotency key, and creating the session uses a key derived from the payment id, so a retry of
 * the whole call (after a crash) returns the same session instead of a second one.
 *
 * @example
 * const stripe = createStripeProvider({ secretKey: 'sk_test_…', timeoutMs: 10_000, publicBaseUrl: 'https://wa.example.com' });
 * const { providerRef, checkoutUrl } = await stripe.createPayment(input); // cs_test_…, https://checkout.stripe.com/…
 */
export function createStripeProvider(options: StripeProviderOptions): StripeProvider {
  const stripe = createStripeClient({
    secretKey: options.secretKey,
    apiUrl: options.apiUrl,
    timeoutMs: options.timeoutMs,
    maxNetworkRetries: options.maxNetworkRetries ?? 2,
  });
  const clock = options.clock ?? SYSTEM_CLOCK;
  const call = async <T>(operation: string, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      throw mapStripeError(error, operation, options.timeoutMs);
    }
  };

  return {
    name: 'stripe',

    async createPayment(input: CreatePaymentInput): Promise<CreatedPayment> {
      const params = buildCheckoutParams(input, options.publicBaseUrl, clock.now());
      // Stripe refuses a key reused with other parameters. A clamped expiry depends on the time of
      // the call, so it is part of the key: a retry in the same minute gets the same session, a
      // later one a fresh session (the first was never shown to anyone, and expires by itself).
      const idempotencyKey = `checkout:${input.paymentId}:${params.expires_at}`;
      const session = await call(`create the Checkout Session for payment ${input.paymentId}`, () =>
        stripe.checkout.sessions.create(params, { idempotencyKey }),
      );
      if (!session.url) {
        throw new PaymentProviderError(
          'stripe',
          'rejected',
          `Stripe created Checkout Session ${session.id} for payment ${input.paymentId} without a hosted URL`,
        );
      }
      return {
        providerRef: session.id,
        checkoutUrl: session.url,
        expiresAt: new Date(session.expires_at * 1000),
      };
    },

    async refund(input: RefundInput): Promise<RefundResult> {
      if (!Number.isInteger(input.amount) || input.amount <= 0) {
        throw new PaymentProviderError(
          'stripe',
          'invalid_request',
          `Refund amount for payment ${input.paymentId} must be a positive whole number of minor units, got ${input.amount}`,
        );
      }
      const session = await call(`read Checkout Session ${input.providerRef} to refund it`, () =>
        stripe.checkout.sessions.retrieve(input.providerRef),
      );
      const paymentIntentId = idOf(session.payment_intent);
      if (paymentIntentId === null || session.payment_status !== 'paid') {
        throw new PaymentProviderError(
          'stripe',
          'rejected',
          `Nothing to refund for payment ${input.paymentId}: Checkout Session ${session.id} is ${session.status}/${session.payment_status}`,
        );
      }
      if (session.currency !== null && session.currency.toLowerCase() !== input.currency.toLowerCase()) {
        throw new PaymentProviderError(
          'stripe',
          'invalid_request',
          `Refund for payment ${input.paymentId} is in ${input.currency} but it was paid in ${session.currency.toUpperCase()}`,
        );
      }
      const refund = await call(`refund ${input.amount} on payment ${input.paymentId}`, () =>
        stripe.refunds.create(
          {
            payment_intent: paymentIntentId,
            amount: input.amount,
            metadata: {
              payment_id: input.paymentId,
              ...(input.refundedTotal === undefined ? {} : { refunded_total: String(input.refundedTotal) }),
            },
          },
          { idempotencyKey: input.idempotencyKey },
        ),
      );
      return { refundRef: refund.id, status: refundStatus(refund.status) };
    },

    async lookup(payment): Promise<PaymentEvent[]> {
      if (payment.providerRef === null) return [];
      const ref = payment.providerRef;
      const session = await call(`read Checkout Session ${ref} for payment ${payment.paymentId}`, () =>
        stripe.checkout.sessions.retrieve(ref, {
          expand: ['payment_intent', 'payment_intent.latest_charge', 'payment_intent.latest_charge.refunds'],
        }),
      );
      return eventsFromSession(session, payment.paymentId);
    },

    async expireCheckout(providerRef: string): Promise<void> {
      const session = await call(`read Checkout Session ${providerRef}`, () =>
        stripe.checkout.sessions.retrieve(providerRef),
      );
      if (session.status === 'expired') return;
      if (session.status === 'complete') {
        throw new PaymentProviderError(
          'stripe',
          'rejected',
          `Checkout Session ${providerRef} is already complete (${session.payment_status}); it cannot be expired`,
        );
      }
      await call(`expire Checkout Session ${providerRef}`, () =>
        stripe.checkout.sessions.expire(providerRef),
      );
    },
  };
}

/**
 * The Checkout Session request for a payment.
 *
 * `expires_at` is `input.expiresAt` clamped into Stripe's window (30 minutes to 24 hours from
 * now, with a two-minute margin each side, rounded to whole minutes so calls within the same
 * minute agree): a shorter deadline of ours is enforced by {@link StripeProvider.expireCheckout},
 * a longer one needs a fresh session later.
 *
 * @throws {PaymentProviderError} (`invalid_request`) when the amounts are not whole positive minor
 *   units, the items do not add up to the amount, or there are more than 100 of them.
 */
export function buildCheckoutParams(
  input: CreatePaymentInput,
  publicBaseUrl: string,
  now: Date,
): Stripe.Checkout.SessionCreateParams {
  const invalid = (message: string) =>
    new PaymentProviderError('stripe', 'invalid_request', `Payment ${input.paymentId}: ${message}`);
  if (!Number.isInteger(input.amount) || input.amount <= 0) {
    throw invalid(`amount must be a positive whole number of minor units, got ${input.amount}`);
  }
  if (!/^[A-Za-z]{3}$/.test(input.currency)) throw invalid(`"${input.currency}" is not an ISO 4217 currency`);
  const currency = input.currency.toLowerCase();
  const items =
    input.items.length > 0
      ? input.items
      : [{ name: input.description || input.reference, quantity: 1, amount: input.amount }];
  if (items.length > LINE_ITEMS_MAX) {
    throw invalid(`${items.length} items; Stripe Checkout takes at most ${LINE_ITEMS_MAX}`);
  }
  let total = 0;
  for (const item of items) {
    if (!Number.isInteger(item.quantity) || item.quantity <= 0) {
      throw invalid(`item "${item.name}" has quantity ${item.quantity}; expected a positive whole number`);
    }
    if (!Number.isInteger(item.amount) || item.amount < 0) {
      throw invalid(`item "${item.name}" has unit amount ${item.amount}; expected whole minor units`);
    }
    total += item.amount * item.quantity;
  }
  if (total !== input.amount) {
    throw invalid(`items add up to ${total} but the amount to charge is ${input.amount} (minor units)`);
  }

  const returnUrl = new URL(input.returnUrl, `${publicBaseUrl.replace(/\/+$/, '')}/`).toString();
  const earliest =
    Math.ceil((now.getTime() + CHECKOUT_MIN_LIFETIME_MS + LIFETIME_MARGIN_MS) / 60_000) * 60_000;
  const latest =
    Math.floor((now.getTime() + CHECKOUT_MAX_LIFETIME_MS - LIFETIME_MARGIN_MS) / 60_000) * 60_000;
  const expiresAtMs = Math.min(Math.max(input.expiresAt.getTime(), earliest), latest);
  const metadata = { payment_id: input.paymentId, reference: input.reference };
  return {
    mode: 'payment',
    client_reference_id: input.paymentId,
    metadata,
    payment_intent_data: {
      metadata,
      ...(input.description ? { description: input.description.slice(0, 1000) } : {}),
    },
    line_items: items.map((item) => ({
      quantity: item.quantity,
      price_data: { currency, unit_amount: item.amount, product_data: { name: item.name } },
    })),
    expires_at: Math.floor(expiresAtMs / 1000),
    locale: CHECKOUT_LOCALES[input.locale] ?? 'auto',
    // `{CHECKOUT_SESSION_ID}` must reach Stripe unencoded: it is a placeholder Stripe fills in.
    success_url: `${withParam(returnUrl, 'checkout=success')}&session_id={CHECKOUT_SESSION_ID}`,
    cancel_url: withParam(returnUrl, 'checkout=cancel'),
  };
}

/**
 * What a Checkout Session says about a payment now (the reconciliation view). Event ids are built
 * from the status, so the same answer twice dedupes to one event.
 */
export function eventsFromSession(session: Stripe.Checkout.Session, paymentId: string): PaymentEvent[] {
  const base = {
    paymentId,
    providerRef: session.id,
    amount: session.amount_total ?? null,
    currency: session.currency ? session.currency.toUpperCase() : null,
  };
  const intent = typeof session.payment_intent === 'object' ? session.payment_intent : null;
  const charge = intent !== null && typeof intent.latest_charge === 'object' ? intent.latest_charge : null;
  // The best time Stripe gives for each state: the charge for an outcome, the deadline for an expiry.
  const at = new Date((charge?.created ?? session.created) * 1000);
  const events: PaymentEvent[] = [];
  const lookupId = (what: string) => `stripe:lookup:${session.id}:${what}`;

  if (session.status === 'expired') {
    events.push({
      type: 'PaymentExpired',
      providerEventId: lookupId('expired'),
      at: new Date(session.expires_at * 1000),
      ...base,
    });
  } else if (session.status === 'open') {
    events.push({ type: 'PaymentPending', providerEventId: lookupId('open'), at, ...base });
  } else if (session.payment_status === 'paid' || session.payment_status === 'no_payment_required') {
    events.push({ type: 'PaymentSucceeded', providerEventId: lookupId('paid'), at, ...base });
  } else if (intent !== null && (intent.status === 'canceled' || intent.last_payment_error)) {
    const reason = intent.last_payment_error?.message ?? intent.cancellation_reason ?? intent.status;
    events.push({ type: 'PaymentFailed', reason, providerEventId: lookupId('failed'), at, ...base });
  } else {
    // Complete but unpaid: a delayed method (SEPA debit, bank transfer) is still settling.
    events.push({ type: 'PaymentPending', providerEventId: lookupId('processing'), at, ...base });
  }

  if (charge) {
    const refunds = charge.refunds?.data ?? [];
    const succeeded = refunds.filter((refund) => refund.status === 'succeeded');
    const refundedAmount =
      refunds.length > 0 ? succeeded.reduce((sum, refund) => sum + refund.amount, 0) : charge.amount_refunded;
    if (refundedAmount > 0) {
      const latest = [...succeeded].sort((a, b) => b.created - a.created)[0];
      events.push({
        type: 'PaymentRefunded',
        refundRef: latest?.id ?? charge.id,
        refundedAmount,
        providerEventId: lookupId(`refunded:${refundedAmount}`),
        at: latest ? new Date(latest.created * 1000) : at,
        ...base,
      });
    }
  }
  return events;
}

function refundStatus(status: string | null): RefundResult['status'] {
  if (status === 'succeeded') return 'succeeded';
  if (status === 'failed' || status === 'canceled') return 'failed';
  return 'pending';
}

function idOf(value: string | { id: string } | null): string | null {
  if (value === null) return null;
  return typeof value === 'string' ? value : value.id;
}

function withParam(url: string, param: string): string {
  const hashAt = url.indexOf('#');
  const base = hashAt === -1 ? url : url.slice(0, hashAt);
  return `${base}${base.includes('?') ? '&' : '?'}${param}`;
}
