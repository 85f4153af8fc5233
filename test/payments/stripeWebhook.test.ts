import request from 'supertest';
import { createLogger } from '../../src/logger.js';
import { createMetrics } from '../../src/metrics.js';
import type { PaymentEvent } from '../../src/payments/port.js';
import { createStripeProvider } from '../../src/payments/stripe/createStripeProvider.js';
import { parseStripeWebhook } from '../../src/payments/stripe/parseStripeWebhook.js';
import { createHttpApp } from '../../src/server/createHttpApp.js';
import type { StoreStripeEvents } from '../../src/server/stripeWebhookRouter.js';
import { inboundEvents, insertInboundEvents, type Store } from '../../src/store/index.js';
import { resetStore, storeKinds, type TestStore } from '../helpers/stores.js';
import { chargeObject, startStripeStub, type StripeStub } from '../helpers/stripeStub.js';

/**
 * The contract the payment layer implements: one inbound_events row per event, kind `payment`,
 * external id `stripe:evt:<event id>`, conversation `payment:<payment id>`.
 */
const storeInInbox =
  (store: Store): StoreStripeEvents =>
  async (events, eventId) =>
    insertInboundEvents(
      store.db,
      events.map((event) => ({
        source: 'stripe' as const,
        kind: 'payment',
        externalId: `stripe:evt:${eventId}`,
        conversationId: event.type === 'NotSupported' ? null : `payment:${event.paymentId}`,
        payload: { provider: 'stripe', event },
      })),
      new Date(),
    );

const sessionObject = (stub: StripeStub, id: string) => {
  const {
    line_items: _l,
    payment_intent_data: _d,
    ...session
  } = stub.sessions.get(id) as NonNullable<ReturnType<StripeStub['sessions']['get']>>;
  return session;
};

const summary = (events: PaymentEvent[]) =>
  events.map((event) =>
    event.type === 'NotSupported'
      ? { type: event.type, description: event.description }
      : {
          type: event.type,
          paymentId: event.paymentId,
          ...(event.type === 'PaymentFailed' ? { reason: event.reason } : {}),
          ...(event.type === 'PaymentRefunded'
            ? { refundedAmount: event.refundedAmount, refundRef: event.refundRef }
            : {}),
        },
  );

describe('Stripe webhooks', () => {
  let stub: StripeStub;
  let sessionId: string;
  beforeEach(async () => {
    stub = await startStripeStub();
    const provider = createStripeProvider({
      secretKey: 'sk_test_webhooks',
      apiUrl: stub.url,
      timeoutMs: 2000,
      publicBaseUrl: 'https://wa.example.com',
    });
    const created = await provider.createPayment({
      paymentId: 'pay_w1',
      reference: 'ORD-1001',
      amount: 6000,
      currency: 'EUR',
      description: 'Leather wallet (brown)',
      items: [{ name: 'Leather wallet (brown)', quantity: 1, amount: 6000 }],
      locale: 'en',
      customerWaId: '393331234567',
      expiresAt: new Date(Date.now() + 3_600_000),
      returnUrl: '/pay/tok',
    });
    sessionId = created.providerRef;
  });
  afterEach(() => stub.close());

  const parse = (type: string, object: unknown) => {
    const { body, signature, id } = stub.signedEvent(type, object);
    const parsed = parseStripeWebhook(Buffer.from(body), signature, stub.webhookSecret, new Date());
    expect(parsed.eventId).toBe(id);
    for (const event of parsed.events) expect(event.providerEventId).toBe(id);
    return summary(parsed.events);
  };

  test('checkout.session.completed: paid → succeeded, unpaid (delayed method) → pending', () => {
    stub.completeSession(sessionId, 'unpaid');
    expect(parse('checkout.session.completed', sessionObject(stub, sessionId))).toEqual([
      { type: 'PaymentPending', paymentId: 'pay_w1' },
    ]);
    stub.succeedAsyncPayment(sessionId);
    expect(parse('checkout.session.completed', sessionObject(stub, sessionId))).toEqual([
      { type: 'PaymentSucceeded', paymentId: 'pay_w1' },
    ]);
  });

  test('async_payment_succeeded / _failed and expired', () => {
    stub.completeSession(sessionId, 'unpaid');
    expect(parse('checkout.session.async_payment_succeeded', sessionObject(stub, sessionId))).toEqual([
      { type: 'PaymentSucceeded', paymentId: 'pay_w1' },
    ]);
    expect(parse('checkout.session.async_payment_failed', sessionObject(stub, sessionId))).toEqual([
      { type: 'PaymentFailed', paymentId: 'pay_w1', reason: 'The payment was declined after checkout' },
    ]);
    expect(
      parse('checkout.session.expired', { ...sessionObject(stub, sessionId), status: 'expired' }),
    ).toEqual([{ type: 'PaymentExpired', paymentId: 'pay_w1' }]);
  });

  test('events carry provider ref, amount in minor units and upper-case currency', () => {
    stub.completeSession(sessionId);
    const { body, signature } = stub.signedEvent(
      'checkout.session.completed',
      sessionObject(stub, sessionId),
      {
        created: 1_772_000_000,
      },
    );
    const [event] = parseStripeWebhook(Buffer.from(body), signature, stub.webhookSecret, new Date()).events;
    expect(event).toMatchObject({
      providerRef: sessionId,
      amount: 6000,
      currency: 'EUR',
      at: new Date(1_772_000_000_000),
    });
  });

  test('charge.refunded finds the payment through the PaymentIntent metadata and reports the total', async () => {
    const intent = stub.completeSession(sessionId);
    const provider = createStripeProvider({
      secretKey: 'sk_test_webhooks',
      apiUrl: stub.url,
      timeoutMs: 2000,
      publicBaseUrl: 'https://wa.example.com',
    });
    const base = { paymentId: 'pay_w1', providerRef: sessionId, currency: 'EUR' };
    await provider.refund({ ...base, amount: 1000, idempotencyKey: 'r1', refundedTotal: 1000 });
    const second = await provider.refund({
      ...base,
      amount: 1500,
      idempotencyKey: 'r2',
      refundedTotal: 2500,
    });
    expect(parse('charge.refunded', chargeObject(stub, intent.id))).toEqual([
      { type: 'PaymentRefunded', paymentId: 'pay_w1', refundedAmount: 2500, refundRef: second.refundRef },
    ]);
    const refund = stub.refunds.get(second.refundRef);
    expect(parse('refund.updated', refund)).toEqual([
      { type: 'PaymentRefunded', paymentId: 'pay_w1', refundedAmount: 2500, refundRef: second.refundRef },
    ]);
    expect(
      parse('refund.updated', { ...refund, status: 'failed', failure_reason: 'expired_or_canceled_card' }),
    ).toEqual([
      {
        type: 'NotSupported',
        description: `Refund ${second.refundRef} of payment pay_w1 is failed (expired_or_canceled_card)`,
      },
    ]);
    const { refunded_total: _t, ...noTotal } = refund?.metadata ?? {};
    expect(parse('refund.updated', { ...refund, metadata: noTotal })[0]?.type).toBe('NotSupported');
  });

  test('events this product did not create, and other event types, become NotSupported', () => {
    const foreign = { ...sessionObject(stub, sessionId), metadata: {}, client_reference_id: null };
    expect(parse('checkout.session.completed', foreign)).toEqual([
      {
        type: 'NotSupported',
        description: `checkout.session.completed for Checkout Session ${sessionId}, which carries no payment_id`,
      },
    ]);
    expect(parse('customer.created', { id: 'cus_1', object: 'customer' })).toEqual([
      { type: 'NotSupported', description: 'Stripe event type customer.created is not used by this product' },
    ]);
  });

  test('signatures: missing, wrong secret, tampered body, stale timestamp are refused', () => {
    const { body, signature } = stub.signedEvent('checkout.session.expired', sessionObject(stub, sessionId));
    const attempt =
      (raw: string, header: string | undefined, now = new Date()) =>
      () =>
        parseStripeWebhook(Buffer.from(raw), header, stub.webhookSecret, now);
    expect(attempt(body, undefined)).toThrow('Missing Stripe-Signature header');
    const wrong = stub.signedEvent('checkout.session.expired', {}, { secret: 'whsec_other' });
    expect(attempt(wrong.body, wrong.signature)).toThrow('STRIPE_WEBHOOK_SECRET');
    expect(attempt(body.replace('pay_w1', 'pay_w2'), signature)).toThrow('Stripe-Signature does not match');
    expect(attempt(body, signature, new Date(Date.now() + 10 * 60_000))).toThrow(
      'Stripe-Signature does not match',
    );
    expect(attempt(body, 'garbage')).toThrow(expect.objectContaining({ status: 401 }) as unknown as Error);
  });
});

describe.each(storeKinds)('POST /webhooks/stripe on %s', (_kind, open) => {
  let store: TestStore;
  let stub: StripeStub;
  beforeAll(async () => {
    store = await open();
  });
  afterAll(() => store.close());
  beforeEach(async () => {
    await resetStore(store);
    stub = await startStripeStub();
  });
  afterEach(() => stub.close());

  const httpApp = (storeEvents: StoreStripeEvents | null, woken = { count: 0 }) =>
    createHttpApp({
      store,
      clock: { now: () => new Date() },
      logger: createLogger('silent'),
      metrics: createMetrics(),
      apiToken: 'test-api-token-0123456789abcdef',
      verifyToken: undefined,
      webhookMaxBodyBytes: 4096,
      receiveWhatsApp: () => Promise.reject(new Error('not used')),
      onEventStored: () => void woken.count++,
      ...(storeEvents ? { stripeWebhook: { webhookSecret: stub.webhookSecret, store: storeEvents } } : {}),
    });
  const post = (app: ReturnType<typeof httpApp>, body: string, signature: string | null) => {
    const req = request(app).post('/webhooks/stripe').set('content-type', 'application/json');
    return (signature === null ? req : req.set('stripe-signature', signature)).send(body);
  };
  const stored = () => store.db.select().from(inboundEvents).orderBy(inboundEvents.id);
  const expiredSession = {
    id: 'cs_test_x',
    object: 'checkout.session',
    status: 'expired',
    payment_status: 'unpaid',
    amount_total: 1000,
    currency: 'eur',
    metadata: { payment_id: 'pay_r1' },
    client_reference_id: 'pay_r1',
  };

  test('a signed event is stored as a payment event before the 200; a repeat is acknowledged and stored once', async () => {
    const woken = { count: 0 };
    const app = httpApp(storeInInbox(store), woken);
    const event = stub.signedEvent('checkout.session.expired', expiredSession);
    const first = await post(app, event.body, event.signature);
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ ok: true, eventId: event.id, duplicate: false });
    const again = await post(app, event.body, event.signature);
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ ok: true, eventId: event.id, duplicate: true });
    const rows = await stored();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      source: 'stripe',
      kind: 'payment',
      externalId: `stripe:evt:${event.id}`,
      conversationId: 'payment:pay_r1',
      status: 'pending',
      payload: {
        provider: 'stripe',
        event: { type: 'PaymentExpired', paymentId: 'pay_r1', providerRef: 'cs_test_x' },
      },
    });
    expect(woken.count).toBe(2);
  });

  test('a missing or wrong signature is a 401 with a clear message and nothing is stored', async () => {
    const app = httpApp(storeInInbox(store));
    const event = stub.signedEvent('checkout.session.expired', expiredSession);
    const missing = await post(app, event.body, null);
    expect(missing.status).toBe(401);
    expect(missing.body.error).toEqual({
      code: 'bad_signature',
      message: expect.stringContaining('Missing Stripe-Signature header'),
    });
    const forged = stub.signedEvent('checkout.session.expired', expiredSession, { secret: 'whsec_attacker' });
    const wrong = await post(app, forged.body, forged.signature);
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.message).toContain('STRIPE_WEBHOOK_SECRET');
    expect(await stored()).toHaveLength(0);
  });

  test('a correctly signed body that is not JSON is a 400; an oversized body a 413', async () => {
    const app = httpApp(storeInInbox(store));
    const body = 'this is not json';
    const { default: Stripe } = await import('stripe');
    const signature = Stripe.webhooks.generateTestHeaderString({ payload: body, secret: stub.webhookSecret });
    const response = await post(app, body, signature);
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('invalid_payload');
    const big = await post(app, JSON.stringify({ pad: 'x'.repeat(5000) }), 't=1,v1=00');
    expect(big.status).toBe(413);
    expect(await stored()).toHaveLength(0);
  });

  test('when storing fails the answer is a 500, so Stripe delivers again', async () => {
    const app = httpApp(() => Promise.reject(new Error('database is down')));
    const event = stub.signedEvent('checkout.session.expired', expiredSession);
    const response = await post(app, event.body, event.signature);
    expect(response.status).toBe(500);
  });

  test('the route exists only when Stripe is configured', async () => {
    const app = httpApp(null);
    const event = stub.signedEvent('checkout.session.expired', expiredSession);
    expect((await post(app, event.body, event.signature)).status).toBe(404);
  });
});
