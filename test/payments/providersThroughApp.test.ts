import { readFile } from 'node:fs/promises';
import { eq } from 'drizzle-orm';
import request from 'supertest';
import { inboundEvents, payments, refunds, type PaymentRow } from '../../src/store/index.js';
import { storeKinds, type TestStore } from '../helpers/stores.js';
import { chargeObject, startStripeStub, type StripeStub } from '../helpers/stripeStub.js';
import { API_TOKEN, APP_SECRET, createTestApp, type TestApp } from '../helpers/testApp.js';
import { applyTurn, bodyOf, customerWrites, paymentEffect, resetPayments, sent } from './paymentHelpers.js';

/**
 * The real provider adapters, chosen by configuration the way production chooses them, working
 * through the whole app: HTTP routes, the durable inbox, the event worker and the outbox.
 */
const [, openPglite] = storeKinds[0]!;

const storedPaymentEvents = (store: TestStore) =>
  store.db.select().from(inboundEvents).where(eq(inboundEvents.kind, 'payment'));

describe('Stripe through the composed app', () => {
  let store: TestStore;
  let stub: StripeStub;
  let app: TestApp;
  beforeAll(async () => {
    store = await openPglite();
  });
  afterAll(() => store.close());
  beforeEach(async () => {
    await resetPayments(store);
    // Stripe's clock is the app's, so Checkout expiries and webhook signatures agree with it.
    stub = await startStripeStub({ now: () => app.clock.now().getTime() });
    app = await createTestApp(store, {
      PAYMENTS_PROVIDER: 'stripe',
      STRIPE_SECRET_KEY: 'sk_test_through_app',
      STRIPE_WEBHOOK_SECRET: stub.webhookSecret,
      STRIPE_API_URL: stub.url,
      STRIPE_TIMEOUT_MS: '2000',
      PUBLIC_BASE_URL: 'https://shop.example.com',
      REFUND_MAX_WITHOUT_APPROVAL: '100000',
    });
  });
  afterEach(async () => {
    await app.close();
    await stub.close();
  });

  const api = (method: 'get' | 'post', path: string) =>
    request(app.http)[method](`/api${path}`).set('authorization', `Bearer ${API_TOKEN}`);
  const webhook = (event: { body: string; signature: string }) =>
    request(app.http)
      .post('/webhooks/stripe')
      .set('content-type', 'application/json')
      .set('stripe-signature', event.signature)
      .send(event.body);
  const sessionObject = (id: string) => {
    const { line_items: _l, payment_intent_data: _d, ...session } = stub.sessions.get(id)!;
    return session;
  };
  const created = () =>
    stub.requests.filter((r) => r.method === 'POST' && r.path === '/v1/checkout/sessions');

  /** A payment asked for in the conversation, and the customer opening its link. */
  async function requestedAndOpened(): Promise<{ payment: PaymentRow; sessionId: string }> {
    await customerWrites(app);
    await applyTurn(app, [paymentEffect()]);
    await app.settle();
    const [payment] = await store.db.select().from(payments);
    expect(bodyOf(sent(app)[0]!)).toMatch(/€45\.00/);
    app.graph.sent.length = 0;
    const first = await request(app.http).get(`/pay/${payment!.token}`);
    expect([302, 303]).toContain(first.status);
    const [sessionId] = [...stub.sessions.keys()];
    expect(first.headers.location).toBe(stub.sessions.get(sessionId!)!.url);
    return { payment: payment!, sessionId: sessionId! };
  }

  test('link → Checkout Session → signed webhook → one receipt; replays, bad signatures and refunds', async () => {
    const { payment, sessionId } = await requestedAndOpened();
    // Opening the link again reuses the session: Stripe is asked once.
    const again = await request(app.http).get(`/pay/${payment.token}`);
    expect(again.headers.location).toBe(stub.sessions.get(sessionId)!.url);
    expect(created()).toHaveLength(1);
    expect(created()[0]!.idempotencyKey).toBeTruthy();
    expect(stub.sessions.get(sessionId)).toMatchObject({
      client_reference_id: payment.id,
      metadata: { payment_id: payment.id },
      amount_total: 4500,
      currency: 'eur',
      payment_intent_data: { metadata: { payment_id: payment.id } },
    });
    expect(stub.sessions.get(sessionId)!.success_url).toContain(
      `https://shop.example.com/pay/${payment.token}`,
    );

    // A delivery signed with another secret is refused and stores nothing.
    stub.completeSession(sessionId);
    const forged = stub.signedEvent('checkout.session.completed', sessionObject(sessionId), {
      secret: 'whsec_someone_else_0123456789',
    });
    const before = (await storedPaymentEvents(store)).length;
    const refused = await webhook(forged);
    expect(refused.status).toBe(401);
    expect(refused.body.error.message).toMatch(/signature/i);
    expect(await storedPaymentEvents(store)).toHaveLength(before);

    const completed = stub.signedEvent('checkout.session.completed', sessionObject(sessionId));
    const response = await webhook(completed);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ ok: true, eventId: completed.id, duplicate: false });
    await app.settle();
    expect((await store.db.select().from(payments))[0]).toMatchObject({ status: 'succeeded' });
    expect(sent(app).map(bodyOf)).toEqual([expect.stringMatching(/Payment received: €45\.00/)]);

    // Stripe delivers again: acknowledged, nothing new in the chat.
    const replay = await webhook(completed);
    expect(replay.status).toBe(200);
    expect(replay.body.duplicate).toBe(true);
    await app.settle();
    expect(sent(app)).toHaveLength(1);
    expect(await storedPaymentEvents(store)).toHaveLength(before + 1);

    // Staff refund through the API: it reaches Stripe's Refunds API once, with an idempotency key.
    app.graph.sent.length = 0;
    const issued = await api('post', `/payments/${payment.id}/refunds`)
      .set('idempotency-key', 'staff-refund-1')
      .send({ amount: 4500, reason: 'out of stock', staff: 'giulia' });
    expect(issued.status).toBe(201);
    await app.payments.runJobs({ force: true });
    await app.settle();
    const refundCalls = stub.requests.filter((r) => r.method === 'POST' && r.path === '/v1/refunds');
    expect(refundCalls).toHaveLength(1);
    expect(refundCalls[0]!.idempotencyKey).toBeTruthy();
    expect(refundCalls[0]!.params).toMatchObject({ amount: '4500' });
    const [stripeRefund] = [...stub.refunds.values()];
    expect(stripeRefund).toMatchObject({
      amount: 4500,
      payment_intent: stub.sessions.get(sessionId)!.payment_intent,
    });

    // Stripe's charge.refunded confirms it; the customer hears about the refund once.
    const refunded = stub.signedEvent(
      'charge.refunded',
      chargeObject(stub, stub.sessions.get(sessionId)!.payment_intent!),
    );
    expect((await webhook(refunded)).status).toBe(200);
    await app.settle();
    await app.payments.runJobs({ force: true });
    await app.settle();
    expect((await store.db.select().from(payments))[0]).toMatchObject({
      status: 'refunded',
      refundedAmount: 4500,
    });
    expect((await store.db.select().from(refunds))[0]).toMatchObject({
      status: 'refunded',
      providerRef: stripeRefund!.id,
    });
    const refundMessages = sent(app)
      .map(bodyOf)
      .filter((body) => /Refund of €45\.00/.test(body));
    expect(refundMessages).toHaveLength(1);
    expect(stub.requests.filter((r) => r.method === 'POST' && r.path === '/v1/refunds')).toHaveLength(1);
  });

  test('a lost webhook is recovered by reconciliation, which asks Stripe for the session', async () => {
    const { payment, sessionId } = await requestedAndOpened();
    stub.completeSession(sessionId);
    // No webhook arrives. Once the payment has waited long enough, the payment jobs look it up.
    await app.payments.runJobs({ force: true });
    expect(stub.requests.filter((r) => r.method === 'GET')).toHaveLength(0);
    app.clock.advance(31 * 60_000);
    await app.payments.runJobs({ force: true });
    await app.settle();
    expect(
      stub.requests.some((r) => r.method === 'GET' && r.path === `/v1/checkout/sessions/${sessionId}`),
    ).toBe(true);
    expect((await store.db.select().from(payments))[0]).toMatchObject({
      id: payment.id,
      status: 'succeeded',
    });
    expect(sent(app).map(bodyOf)).toEqual([expect.stringMatching(/Payment received: €45\.00/)]);
    // The late webhook, when it finally comes, changes nothing.
    const late = stub.signedEvent('checkout.session.completed', sessionObject(sessionId));
    expect((await webhook(late)).status).toBe(200);
    await app.payments.runJobs({ force: true });
    await app.settle();
    expect(sent(app)).toHaveLength(1);
  });
  test('Stripe unreachable on the first visit: a 503 page, and the next visit opens the one session', async () => {
    await customerWrites(app);
    await applyTurn(app, [paymentEffect()]);
    await app.settle();
    const [payment] = await store.db.select().from(payments);
    stub.failNext(3, 500);
    const down = await request(app.http).get(`/pay/${payment!.token}`);
    expect(down.status).toBe(503);
    expect(stub.sessions.size).toBe(0);
    const keys = new Set(created().map((r) => r.idempotencyKey));
    expect(keys.size).toBe(1);
    const up = await request(app.http).get(`/pay/${payment!.token}`);
    expect(up.status).toBe(303);
    expect(stub.sessions.size).toBe(1);
    expect(up.headers.location).toBe([...stub.sessions.values()][0]!.url);
  });

  test('an event type the payment layer does not use is acknowledged, stored nowhere, and not called a repeat', async () => {
    const unused = stub.signedEvent('customer.created', { id: 'cus_test_1', object: 'customer' });
    const response = await webhook(unused);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ ok: true, eventId: unused.id, duplicate: false });
    expect(await storedPaymentEvents(store)).toHaveLength(0);
  });
});

describe('WhatsApp-native payments through the composed app', () => {
  let store: TestStore;
  let app: TestApp;
  beforeAll(async () => {
    store = await openPglite();
  });
  afterAll(() => store.close());
  beforeEach(async () => {
    await resetPayments(store);
    app = await createTestApp(store, {
      PAYMENTS_PROVIDER: 'whatsapp',
      WHATSAPP_ACCESS_TOKEN: 'live-token',
      WHATSAPP_PHONE_NUMBER_ID: '106540352242922',
      WHATSAPP_APP_SECRET: APP_SECRET,
      API_TOKEN,
      WHATSAPP_PAYMENT_CONFIGURATION: 'bella-upi',
      WHATSAPP_PAYMENT_COUNTRY: 'IN',
    });
  });
  afterEach(() => app.close());

  test('the pay request is an order_details message for our payment; its payment_status pays it once', async () => {
    await customerWrites(app);
    await applyTurn(app, [
      paymentEffect({
        amount: 21000,
        currency: 'INR',
        items: [{ name: 'Silver anklet', quantity: 2, amount: 10500 }],
        description: 'Silver anklet',
      }),
    ]);
    await app.settle();
    const [payment] = await store.db.select().from(payments);
    expect(app.graph.sent).toHaveLength(1);
    const message = app.graph.sent[0] as unknown as {
      type: string;
      to: string;
      interactive: {
        type: string;
        action: {
          name: string;
          parameters: {
            reference_id: string;
            currency: string;
            payment_configuration: string;
            total_amount: { value: number; offset: number };
            order: { items: { amount: { value: number; offset: number }; quantity: number }[] };
          };
        };
      };
    };
    expect(message).toMatchObject({ type: 'interactive', to: '16505551234' });
    expect(message.interactive.type).toBe('order_details');
    expect(message.interactive.action.name).toBe('review_and_pay');
    expect(message.interactive.action.parameters).toMatchObject({
      reference_id: payment!.id,
      currency: 'INR',
      payment_configuration: 'bella-upi',
      total_amount: { value: 21000, offset: 100 },
    });
    expect(message.interactive.action.parameters.order.items[0]).toMatchObject({
      amount: { value: 10500, offset: 100 },
      quantity: 2,
    });
    app.graph.sent.length = 0;

    const fixture = JSON.parse(await readFile('test/fixtures/whatsapp/payment-status-in-pg.json', 'utf8'));
    const status = fixture.entry[0].changes[0].value.statuses[0];
    Object.assign(status, { recipient_id: '16505551234', status: 'captured', timestamp: '1750000100' });
    Object.assign(status.payment, { reference_id: payment!.id });
    Object.assign(status.payment.transaction, {
      status: 'success',
      created_timestamp: 1750000090,
      updated_timestamp: 1750000100,
    });
    delete status.payment.refunds;
    delete status.payment.transaction.error;
    fixture.entry[0].changes[0].value.metadata.phone_number_id = '106540352242922';
    // Signed by app.post; Meta may deliver the same status more than once.
    for (let i = 0; i < 2; i++) await app.post(fixture);
    await app.settle();
    expect((await store.db.select().from(payments))[0]).toMatchObject({ status: 'succeeded' });
    expect(sent(app).map(bodyOf)).toEqual([expect.stringMatching(/Payment received: ₹210\.00/)]);
    expect((await storedPaymentEvents(store)).map((e) => [e.source, e.conversationId])).toEqual([
      ['whatsapp', `payment:${payment!.id}`],
    ]);
  });
});
