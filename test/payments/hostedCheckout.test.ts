import { jest } from '@jest/globals';
import request from 'supertest';
import type {
  CreatePaymentInput,
  PaymentEvent,
  PaymentProvider,
  RefundInput,
  RefundResult,
} from '../../src/payments/index.js';
import { storePaymentEvents } from '../../src/payments/index.js';
import { payments, refunds } from '../../src/store/index.js';
import { storeKinds, type TestStore } from '../helpers/stores.js';
import type { TestApp } from '../helpers/testApp.js';
import {
  applyTurn,
  bodyOf,
  createPaymentsTestApp,
  customerWrites,
  paymentEffect,
  resetPayments,
  sent,
} from './paymentHelpers.js';

const STRIPE_ENV = {
  PAYMENTS_PROVIDER: 'stripe',
  STRIPE_SECRET_KEY: 'sk_test_0123456789',
  STRIPE_WEBHOOK_SECRET: 'whsec_0123456789',
  PUBLIC_BASE_URL: 'https://shop.example.com',
};

/** A provider with a hosted checkout, as the Stripe adapter is; each method's behaviour is set per test. */
function hostedProvider() {
  const provider = {
    name: 'stripe' as const,
    createPayment: jest.fn(async (input: CreatePaymentInput) => ({
      providerRef: `cs_${input.paymentId}`,
      checkoutUrl: `https://checkout.example.com/c/cs_${input.paymentId}`,
    })),
    refund: jest.fn(async (input: RefundInput): Promise<RefundResult> => ({
      refundRef: `re_${input.idempotencyKey}`,
      status: 'succeeded' as const,
    })),
    lookup: jest.fn(
      async (_payment: { paymentId: string; providerRef: string | null }): Promise<PaymentEvent[]> => [],
    ),
  };
  return provider satisfies PaymentProvider;
}

describe.each(storeKinds)('a provider with a hosted checkout on %s', (_kind, open) => {
  let store: TestStore;
  let app: TestApp;
  let provider: ReturnType<typeof hostedProvider>;
  beforeAll(async () => {
    store = await open();
  });
  afterAll(() => store.close());
  beforeEach(async () => {
    await resetPayments(store);
    provider = hostedProvider();
    app = await createPaymentsTestApp(store, STRIPE_ENV, { provider });
  });
  afterEach(() => app.close());

  async function linkPayment(amount = 4500) {
    await customerWrites(app);
    await applyTurn(app, [paymentEffect({ amount })]);
    await app.settle();
    app.graph.sent.length = 0;
    const [payment] = await store.db.select().from(payments);
    return payment!;
  }

  test('the link creates the checkout once, on the first visit, and redirects to it', async () => {
    const payment = await linkPayment();
    expect(provider.createPayment).not.toHaveBeenCalled();
    const first = await request(app.http).get(`/pay/${payment.token}`);
    expect(first.status).toBe(303);
    expect(first.headers.location).toBe(`https://checkout.example.com/c/cs_${payment.id}`);
    expect(provider.createPayment).toHaveBeenCalledWith({
      paymentId: payment.id,
      reference: payment.reference,
      amount: 4500,
      currency: 'EUR',
      description: 'Engraved bracelet (M)',
      items: [{ name: 'Engraved bracelet (M)', quantity: 1, amount: 4500 }],
      locale: 'en',
      customerWaId: '16505551234',
      expiresAt: payment.expiresAt,
      returnUrl: `https://shop.example.com/pay/${payment.token}`,
    });
    const second = await request(app.http).get(`/pay/${payment.token}`);
    expect(second.headers.location).toBe(first.headers.location);
    expect(provider.createPayment).toHaveBeenCalledTimes(1);
    await app.settle();
    expect((await store.db.select().from(payments))[0]).toMatchObject({
      status: 'pending',
      providerRef: `cs_${payment.id}`,
    });
    // Opening the checkout is not news for the customer.
    expect(sent(app)).toEqual([]);
  });

  test('a provider that cannot be reached gives a clear page, and the next visit tries again', async () => {
    const payment = await linkPayment();
    provider.createPayment.mockRejectedValueOnce(new Error('connect ETIMEDOUT'));
    const failed = await request(app.http).get(`/pay/${payment.token}`);
    expect(failed.status).toBe(503);
    expect(failed.text).toContain('not available right now');
    const retried = await request(app.http).get(`/pay/${payment.token}`);
    expect(retried.status).toBe(303);
  });

  test('reconciliation asks again after a failed lookup, and applies what the provider says', async () => {
    const payment = await linkPayment(2000);
    await request(app.http).get(`/pay/${payment.token}`);
    await app.settle();
    provider.lookup.mockRejectedValueOnce(new Error('503 from the provider'));
    app.clock.advance(11 * 60_000);
    await app.payments.runJobs({ force: true });
    expect(provider.lookup).toHaveBeenCalledWith({ paymentId: payment.id, providerRef: `cs_${payment.id}` });
    provider.lookup.mockResolvedValueOnce([
      {
        type: 'PaymentSucceeded',
        paymentId: payment.id,
        providerEventId: 'evt_1',
        providerRef: `cs_${payment.id}`,
        amount: 2000,
        currency: 'eur',
        at: app.clock.now(),
      },
    ]);
    app.clock.advance(11 * 60_000);
    await app.payments.runJobs({ force: true });
    await app.settle();
    expect(provider.lookup).toHaveBeenCalledTimes(2);
    expect((await store.db.select().from(payments))[0]?.status).toBe('succeeded');
    expect(sent(app).map(bodyOf)).toEqual([expect.stringMatching(/Payment received: €20\.00/)]);
    // The webhook of the same event arriving later changes nothing.
    await storePaymentEvents(
      store.db,
      'stripe',
      [
        {
          type: 'PaymentSucceeded',
          paymentId: payment.id,
          providerEventId: 'evt_1',
          providerRef: null,
          amount: 2000,
          currency: 'eur',
          at: app.clock.now(),
        },
      ],
      app.clock.now(),
    );
    await app.settle();
    expect(sent(app)).toHaveLength(1);
  });

  test('a refund the provider refuses is retried later with the same idempotency key', async () => {
    const payment = await linkPayment(3000);
    await storePaymentEvents(
      store.db,
      'stripe',
      [
        {
          type: 'PaymentSucceeded',
          paymentId: payment.id,
          providerEventId: 'evt_paid',
          providerRef: 'pi_1',
          amount: 3000,
          currency: 'EUR',
          at: app.clock.now(),
        },
      ],
      app.clock.now(),
    );
    await app.settle();
    await applyTurn(app, [
      { type: 'RequestRefund', id: 'evt-rf:0', paymentId: payment.id, amount: 3000, reason: 'broken' },
    ]);
    provider.refund.mockRejectedValueOnce(new Error('rate limited'));
    await app.payments.runJobs();
    const [waiting] = await store.db.select().from(refunds);
    expect(waiting).toMatchObject({ status: 'approved', attempts: 1, lastError: 'rate limited' });
    app.clock.advance(5 * 60_000);
    await app.payments.runJobs();
    await app.settle();
    expect(provider.refund.mock.calls.map(([input]) => input.idempotencyKey)).toEqual([
      'refund_evt-rf:0',
      'refund_evt-rf:0',
    ]);
    expect(provider.refund.mock.calls[1]?.[0]).toMatchObject({
      providerRef: 'pi_1',
      amount: 3000,
      currency: 'EUR',
    });
    expect((await store.db.select().from(refunds))[0]).toMatchObject({
      status: 'refunded',
      providerRef: 're_refund_evt-rf:0',
    });
    expect((await store.db.select().from(payments))[0]).toMatchObject({
      status: 'refunded',
      refundedAmount: 3000,
    });
  });

  test('a refund the provider takes as pending completes with its webhook', async () => {
    const payment = await linkPayment(3000);
    await storePaymentEvents(
      store.db,
      'stripe',
      [
        {
          type: 'PaymentSucceeded',
          paymentId: payment.id,
          providerEventId: 'evt_paid',
          providerRef: 'pi_1',
          amount: 3000,
          currency: 'EUR',
          at: app.clock.now(),
        },
      ],
      app.clock.now(),
    );
    await app.settle();
    app.graph.sent.length = 0;
    await applyTurn(app, [
      { type: 'RequestRefund', id: 'evt-rf:0', paymentId: payment.id, amount: 1000, reason: 'late' },
    ]);
    provider.refund.mockResolvedValueOnce({ refundRef: 're_pending', status: 'pending' });
    await app.payments.runJobs();
    await app.settle();
    expect((await store.db.select().from(refunds))[0]).toMatchObject({
      status: 'processing',
      providerRef: 're_pending',
    });
    expect((await store.db.select().from(payments))[0]?.status).toBe('succeeded');
    await storePaymentEvents(
      store.db,
      'stripe',
      [
        {
          type: 'PaymentRefunded',
          paymentId: payment.id,
          providerEventId: 'evt_refund',
          providerRef: 'pi_1',
          refundRef: 're_pending',
          refundedAmount: 1000,
          amount: 1000,
          currency: 'EUR',
          at: app.clock.now(),
        },
      ],
      app.clock.now(),
    );
    await app.settle();
    expect((await store.db.select().from(refunds))[0]).toMatchObject({ status: 'refunded' });
    expect(provider.refund).toHaveBeenCalledTimes(1);
    expect(sent(app).map(bodyOf)).toEqual([
      expect.stringMatching(/approved and on its way/),
      expect.stringMatching(/Refund of €10\.00/),
    ]);
  });
});
