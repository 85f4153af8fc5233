import { PaymentProviderError } from '../../src/payments/errors.js';
import type { CreatePaymentInput } from '../../src/payments/port.js';
import {
  buildCheckoutParams,
  createStripeProvider,
  type StripeProvider,
} from '../../src/payments/stripe/createStripeProvider.js';
import { startStripeStub, type StripeStub } from '../helpers/stripeStub.js';

const MINUTE = 60_000;

const input = (overrides: Partial<CreatePaymentInput> = {}): CreatePaymentInput => ({
  paymentId: 'pay_0001',
  reference: 'BKG-7Q2',
  amount: 2000,
  currency: 'EUR',
  description: 'Deposit for Colour, Sat 14 March 10:00',
  items: [{ name: 'Deposit: Colour', quantity: 1, amount: 2000 }],
  locale: 'it',
  customerWaId: '393331234567',
  expiresAt: new Date(Date.now() + 2 * 60 * MINUTE),
  returnUrl: '/pay/tok_abc',
  ...overrides,
});

describe('Stripe provider against the local stub', () => {
  let stub: StripeStub;
  let stripe: StripeProvider;
  beforeEach(async () => {
    stub = await startStripeStub();
    stripe = createStripeProvider({
      secretKey: 'sk_test_provider',
      apiUrl: stub.url,
      timeoutMs: 2000,
      publicBaseUrl: 'https://wa.example.com',
    });
  });
  afterEach(() => stub.close());

  test('creates a Checkout Session carrying our payment id, items, locale, expiry and return URLs', async () => {
    const created = await stripe.createPayment(
      input({
        amount: 9500,
        items: [
          { name: 'Engraved bracelet', quantity: 1, amount: 4500 },
          { name: 'Gift card', quantity: 1, amount: 5000 },
        ],
      }),
    );
    const session = stub.sessions.get(created.providerRef);
    expect(session).toBeDefined();
    expect(created.checkoutUrl).toBe(session?.url);
    expect(session).toMatchObject({
      mode: 'payment',
      client_reference_id: 'pay_0001',
      metadata: { payment_id: 'pay_0001', reference: 'BKG-7Q2' },
      payment_intent_data: { metadata: { payment_id: 'pay_0001', reference: 'BKG-7Q2' } },
      locale: 'it',
      amount_total: 9500,
      currency: 'eur',
      success_url: 'https://wa.example.com/pay/tok_abc?checkout=success&session_id={CHECKOUT_SESSION_ID}',
      cancel_url: 'https://wa.example.com/pay/tok_abc?checkout=cancel',
    });
    expect(session?.line_items).toEqual([
      { quantity: 1, currency: 'eur', unit_amount: 4500, name: 'Engraved bracelet' },
      { quantity: 1, currency: 'eur', unit_amount: 5000, name: 'Gift card' },
    ]);
    expect(stub.requests[0]?.idempotencyKey).toBe(`checkout:pay_0001:${session?.expires_at}`);
    expect(created.expiresAt?.getTime()).toBe((session?.expires_at ?? 0) * 1000);
  });

  test('creating the same payment twice returns the same session (idempotency key from the payment id)', async () => {
    // The same request twice: its expiry must not move between the two calls.
    const request = input();
    const first = await stripe.createPayment(request);
    const second = await stripe.createPayment(request);
    expect(second.providerRef).toBe(first.providerRef);
    expect(stub.sessions.size).toBe(1);
  });

  test('a clamped expiry still dedupes retries within the same minute; a later retry gets a fresh session', async () => {
    const minute = Math.floor(Date.now() / MINUTE) * MINUTE;
    let now = minute + 5_000;
    const clocked = createStripeProvider({
      secretKey: 'sk_test_provider',
      apiUrl: stub.url,
      timeoutMs: 2000,
      publicBaseUrl: 'https://wa.example.com',
      clock: { now: () => new Date(now) },
    });
    const hold = input({ expiresAt: new Date(minute + 15 * MINUTE) });
    const first = await clocked.createPayment(hold);
    now += 20_000;
    const retry = await clocked.createPayment(hold);
    expect(retry.providerRef).toBe(first.providerRef);
    expect(first.expiresAt?.getTime()).toBe(minute + 33 * MINUTE);
    now += MINUTE;
    const later = await clocked.createPayment(hold);
    expect(later.providerRef).not.toBe(first.providerRef);
    expect(
      stub.requests.filter((r) => r.method === 'POST').every((r) => r.params.expires_at !== undefined),
    ).toBe(true);
  });

  test('expiry is clamped into Stripe’s 30 minutes to 24 hours', () => {
    const now = new Date('2026-03-01T10:00:00Z');
    const short = buildCheckoutParams(
      input({ expiresAt: new Date(now.getTime() + 10 * MINUTE) }),
      'https://x.test',
      now,
    );
    const long = buildCheckoutParams(
      input({ expiresAt: new Date(now.getTime() + 72 * 60 * MINUTE) }),
      'https://x.test',
      now,
    );
    const exact = buildCheckoutParams(
      input({ expiresAt: new Date(now.getTime() + 3 * 60 * MINUTE) }),
      'https://x.test',
      now,
    );
    expect((short.expires_at as number) * 1000 - now.getTime()).toBe(32 * MINUTE);
    expect((long.expires_at as number) * 1000 - now.getTime()).toBe(24 * 60 * MINUTE - 2 * MINUTE);
    expect((exact.expires_at as number) * 1000 - now.getTime()).toBe(3 * 60 * MINUTE);
  });

  test('a locale Stripe has no page for falls back to auto; no items means one line for the amount', () => {
    const params = buildCheckoutParams(input({ locale: 'xx', items: [] }), 'https://x.test', new Date());
    expect(params.locale).toBe('auto');
    expect(params.line_items).toEqual([
      {
        quantity: 1,
        price_data: {
          currency: 'eur',
          unit_amount: 2000,
          product_data: { name: 'Deposit for Colour, Sat 14 March 10:00' },
        },
      },
    ]);
  });

  test('items that do not add up to the amount are refused before anything reaches Stripe', async () => {
    await expect(
      stripe.createPayment(input({ amount: 2500, items: [{ name: 'Haircut', quantity: 2, amount: 1000 }] })),
    ).rejects.toMatchObject({
      code: 'invalid_request',
      retriable: false,
      message: 'Payment pay_0001: items add up to 2000 but the amount to charge is 2500 (minor units)',
    });
    await expect(stripe.createPayment(input({ amount: 12.5 }))).rejects.toMatchObject({
      code: 'invalid_request',
    });
    expect(stub.requests).toHaveLength(0);
  });

  test('lookup maps open, paid, expired and async-failed sessions', async () => {
    const open = await stripe.createPayment(input({ paymentId: 'pay_open' }));
    const paid = await stripe.createPayment(input({ paymentId: 'pay_paid' }));
    const expired = await stripe.createPayment(input({ paymentId: 'pay_expired' }));
    const failed = await stripe.createPayment(input({ paymentId: 'pay_failed' }));
    const processing = await stripe.createPayment(input({ paymentId: 'pay_processing' }));
    stub.completeSession(paid.providerRef);
    stub.expireSession(expired.providerRef);
    stub.completeSession(failed.providerRef, 'unpaid');
    stub.failAsyncPayment(failed.providerRef, 'Insufficient funds in the account.');
    stub.completeSession(processing.providerRef, 'unpaid');

    const look = async (paymentId: string, providerRef: string) =>
      (await stripe.lookup({ paymentId, providerRef })).map((e) => ({
        type: e.type,
        ...('reason' in e ? { reason: e.reason } : {}),
        ...('paymentId' in e ? { paymentId: e.paymentId, amount: e.amount, currency: e.currency } : {}),
      }));
    expect(await look('pay_open', open.providerRef)).toEqual([
      { type: 'PaymentPending', paymentId: 'pay_open', amount: 2000, currency: 'EUR' },
    ]);
    expect(await look('pay_paid', paid.providerRef)).toEqual([
      { type: 'PaymentSucceeded', paymentId: 'pay_paid', amount: 2000, currency: 'EUR' },
    ]);
    expect(await look('pay_expired', expired.providerRef)).toEqual([
      { type: 'PaymentExpired', paymentId: 'pay_expired', amount: 2000, currency: 'EUR' },
    ]);
    expect(await look('pay_failed', failed.providerRef)).toEqual([
      {
        type: 'PaymentFailed',
        reason: 'Insufficient funds in the account.',
        paymentId: 'pay_failed',
        amount: 2000,
        currency: 'EUR',
      },
    ]);
    expect(await look('pay_processing', processing.providerRef)).toEqual([
      { type: 'PaymentPending', paymentId: 'pay_processing', amount: 2000, currency: 'EUR' },
    ]);
    expect(await stripe.lookup({ paymentId: 'pay_none', providerRef: null })).toEqual([]);
    const lookupRequest = stub.requests.find((r) => r.method === 'GET');
    expect(lookupRequest?.params.expand).toEqual([
      'payment_intent',
      'payment_intent.latest_charge',
      'payment_intent.latest_charge.refunds',
    ]);
  });

  test('refunds go to the session’s PaymentIntent with the given idempotency key; a retry refunds once', async () => {
    const created = await stripe.createPayment(input());
    const intent = stub.completeSession(created.providerRef);
    const refundInput = {
      paymentId: 'pay_0001',
      providerRef: created.providerRef,
      amount: 500,
      currency: 'EUR',
      idempotencyKey: 'refund:rf_1',
      refundedTotal: 500,
    };
    const first = await stripe.refund(refundInput);
    const retry = await stripe.refund(refundInput);
    expect(first).toEqual({ refundRef: expect.stringMatching(/^re_/), status: 'succeeded' });
    expect(retry).toEqual(first);
    expect(stub.refunds.size).toBe(1);
    expect(stub.refunds.get(first.refundRef)).toMatchObject({
      payment_intent: intent.id,
      amount: 500,
      metadata: { payment_id: 'pay_0001', refunded_total: '500' },
    });
    expect(stub.requests.filter((r) => r.path === '/v1/refunds').map((r) => r.idempotencyKey)).toEqual([
      'refund:rf_1',
      'refund:rf_1',
    ]);

    await stripe.refund({ ...refundInput, amount: 700, idempotencyKey: 'refund:rf_2', refundedTotal: 1200 });
    const events = await stripe.lookup({ paymentId: 'pay_0001', providerRef: created.providerRef });
    expect(events.map((e) => e.type)).toEqual(['PaymentSucceeded', 'PaymentRefunded']);
    expect(events[1]).toMatchObject({ refundedAmount: 1200, paymentId: 'pay_0001' });
  });

  test('refunding more than is left, an unpaid session or in another currency is refused and not retriable', async () => {
    const created = await stripe.createPayment(input());
    const refundInput = {
      paymentId: 'pay_0001',
      providerRef: created.providerRef,
      amount: 2000,
      currency: 'EUR',
      idempotencyKey: 'refund:x',
    };
    await expect(stripe.refund(refundInput)).rejects.toMatchObject({
      code: 'rejected',
      message: expect.stringContaining('Nothing to refund for payment pay_0001'),
    });
    stub.completeSession(created.providerRef);
    await expect(stripe.refund({ ...refundInput, currency: 'USD' })).rejects.toMatchObject({
      code: 'invalid_request',
    });
    const tooMuch = stripe.refund({ ...refundInput, amount: 2001 });
    await expect(tooMuch).rejects.toBeInstanceOf(PaymentProviderError);
    await expect(tooMuch).rejects.toMatchObject({
      code: 'rejected',
      retriable: false,
      httpStatus: 400,
      providerCode: 'amount_too_large',
      message: expect.stringContaining(
        'Stripe refused to refund 2001 on payment pay_0001 (HTTP 400, amount_too_large)',
      ),
    });
  });

  test('a 500 is retried by stripe-node with the same idempotency key, and one session is created', async () => {
    stub.failNext(1, 500);
    const created = await stripe.createPayment(input());
    expect(stub.sessions.size).toBe(1);
    const posts = stub.requests.filter((r) => r.method === 'POST');
    expect(posts).toHaveLength(2);
    const key = `checkout:pay_0001:${stub.sessions.get(created.providerRef)?.expires_at}`;
    expect(posts.map((r) => r.idempotencyKey)).toEqual([key, key]);
    expect(created.providerRef).toMatch(/^cs_test_/);
  });

  test('500s that outlast the retries surface as retriable "unavailable"', async () => {
    stub.failNext(3, 503, { message: 'Stripe is having trouble' });
    await expect(stripe.createPayment(input())).rejects.toMatchObject({
      code: 'unavailable',
      retriable: true,
      httpStatus: 503,
    });
    expect(stub.requests).toHaveLength(3);
  });

  test('429 is retriable, a refused key is not and names STRIPE_SECRET_KEY', async () => {
    stub.failNext(1, 429, { type: 'rate_limit_error', message: 'Too many requests' });
    await expect(stripe.createPayment(input())).rejects.toMatchObject({
      code: 'rate_limited',
      retriable: true,
    });
    const wrongKey = createStripeProvider({
      secretKey: 'sk_live_wrong',
      apiUrl: stub.url,
      timeoutMs: 2000,
      publicBaseUrl: 'https://wa.example.com',
    });
    await expect(wrongKey.createPayment(input())).rejects.toMatchObject({
      code: 'authentication',
      retriable: false,
      message: expect.stringContaining('Stripe refused STRIPE_SECRET_KEY'),
    });
  });

  test('a Stripe that does not answer in time fails with a retriable timeout', async () => {
    const impatient = createStripeProvider({
      secretKey: 'sk_test_provider',
      apiUrl: stub.url,
      timeoutMs: 150,
      maxNetworkRetries: 0,
      publicBaseUrl: 'https://wa.example.com',
    });
    stub.delayNext(1, 2000);
    const started = Date.now();
    await expect(impatient.createPayment(input())).rejects.toMatchObject({
      code: 'timeout',
      retriable: true,
      message: expect.stringContaining('Stripe did not answer within 150 ms'),
    });
    expect(Date.now() - started).toBeLessThan(1500);
  });

  test('nothing listening is a retriable network error', async () => {
    await stub.close();
    const offline = createStripeProvider({
      secretKey: 'sk_test_provider',
      apiUrl: stub.url,
      timeoutMs: 500,
      maxNetworkRetries: 0,
      publicBaseUrl: 'https://wa.example.com',
    });
    await expect(offline.createPayment(input())).rejects.toMatchObject({ code: 'network', retriable: true });
    stub = await startStripeStub();
  });

  test('expireCheckout closes an open session, is quiet on an expired one and refuses a paid one', async () => {
    const open = await stripe.createPayment(input({ paymentId: 'pay_a' }));
    await stripe.expireCheckout(open.providerRef);
    expect(stub.sessions.get(open.providerRef)?.status).toBe('expired');
    await expect(stripe.expireCheckout(open.providerRef)).resolves.toBeUndefined();
    const paid = await stripe.createPayment(input({ paymentId: 'pay_b' }));
    stub.completeSession(paid.providerRef);
    await expect(stripe.expireCheckout(paid.providerRef)).rejects.toMatchObject({ code: 'rejected' });
  });

  test('STRIPE_API_URL with a path is refused with a message saying what is expected', () => {
    expect(() =>
      createStripeProvider({
        secretKey: 'sk_test_x',
        apiUrl: 'http://127.0.0.1:1234/stripe',
        timeoutMs: 1000,
        publicBaseUrl: 'https://x.test',
      }),
    ).toThrow('must be an http(s) origin');
  });
});
