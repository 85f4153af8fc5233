import { eq } from 'drizzle-orm';
import request from 'supertest';
import { paymentIdFor } from '../../src/payments/applyPaymentEffect.js';
import type { PaymentEvent } from '../../src/payments/index.js';
import { storePaymentEvents, type SandboxProvider } from '../../src/payments/index.js';
import { inboundEvents, paymentTransitions, payments, type PaymentRow } from '../../src/store/index.js';
import { storeKinds, type TestStore } from '../helpers/stores.js';
import { API_TOKEN, createTestApp, type TestApp } from '../helpers/testApp.js';
import {
  applyTurn,
  bodyOf,
  CONVERSATION,
  customerWrites,
  linkOf,
  paymentEffect,
  resetPayments,
  sent,
} from './paymentHelpers.js';

const BASE = 'https://shop.example.com';

describe.each(storeKinds)('payments on %s', (_kind, open) => {
  let store: TestStore;
  let app: TestApp;
  beforeAll(async () => {
    store = await open();
  });
  afterAll(() => store.close());
  beforeEach(async () => {
    await resetPayments(store);
    app = await createTestApp(store, { PUBLIC_BASE_URL: BASE });
  });
  afterEach(() => app.close());

  const onlyPayment = async (): Promise<PaymentRow> => {
    const rows = await store.db.select().from(payments);
    expect(rows).toHaveLength(1);
    return rows[0] as PaymentRow;
  };
  const event = (
    payment: PaymentRow,
    type: PaymentEvent['type'],
    id: string,
    extra: Record<string, unknown> = {},
  ): PaymentEvent =>
    ({
      type,
      paymentId: payment.id,
      providerEventId: id,
      providerRef: 'sbx_ref',
      amount: payment.amount,
      currency: payment.currency,
      reason: null,
      at: app.clock.now(),
      ...extra,
    }) as PaymentEvent;

  test('a payment request sends one link in the customer language, and a replayed turn sends nothing more', async () => {
    await customerWrites(app, 'hello');
    const effect = paymentEffect({ amount: 8990, description: 'Colour', reference: 'ORD-77' });
    await applyTurn(app, [effect]);
    await applyTurn(app, [effect]);
    await app.settle();
    const payment = await onlyPayment();
    expect(payment.id).toBe(paymentIdFor(effect.id));
    expect(payment).toMatchObject({
      status: 'created',
      amount: 8990,
      currency: 'EUR',
      locale: 'en',
      provider: 'sandbox',
    });
    // 18 random bytes: 144 bits.
    expect(payment.token).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(sent(app)).toHaveLength(1);
    const [link] = sent(app);
    expect(link?.type).toBe('interactive');
    expect(bodyOf(link!)).toContain('€89.90');
    expect(bodyOf(link!)).toContain('ORD-77');
    expect(bodyOf(link!)).toContain('Colour');
    expect(linkOf(link!)).toBe(`${BASE}/pay/${payment.token}`);
  });

  test('an Italian customer reads the amount the Italian way', async () => {
    await customerWrites(app, 'ciao, vorrei pagare');
    await applyTurn(app, [paymentEffect({ amount: 12000 })]);
    await app.settle();
    expect(bodyOf(sent(app)[0]!)).toMatch(/120,00\s€/);
    expect(bodyOf(sent(app)[0]!)).toContain('Importo');
  });

  test('limits: above the maximum amount, or past the daily count, the customer is told why and no payment exists', async () => {
    await customerWrites(app);
    await applyTurn(app, [paymentEffect({ amount: 100_001 })]);
    await app.settle();
    expect(await store.db.select().from(payments)).toHaveLength(0);
    expect(bodyOf(sent(app)[0]!)).toMatch(/maximum per payment is €1,000\.00/);
    app.graph.sent.length = 0;
    for (let i = 0; i < 6; i++) await applyTurn(app, [paymentEffect({ amount: 1000 })]);
    await app.settle();
    expect(await store.db.select().from(payments)).toHaveLength(5);
    expect(bodyOf(sent(app).at(-1)!)).toMatch(/today's limit of 5 payments/);
    // A day later the customer may pay again.
    app.clock.advance(24 * 3_600_000 + 1);
    await customerWrites(app);
    await applyTurn(app, [paymentEffect({ amount: 1000 })]);
    // The day's links expired meanwhile and were renewed; renewals do not count as new payments.
    const requested = (await store.db.select().from(payments)).filter((p) => p.retryOf === null);
    expect(requested).toHaveLength(6);
  });

  test('provider events replayed 3 times out of order give exactly one message per real change', async () => {
    await customerWrites(app);
    await applyTurn(app, [paymentEffect({ amount: 1000 })]);
    await app.settle();
    app.graph.sent.length = 0;
    const payment = await onlyPayment();
    const pending = event(payment, 'PaymentPending', 'evt_pending');
    const paid = event(payment, 'PaymentSucceeded', 'evt_paid');
    const partial = event(payment, 'PaymentRefunded', 'evt_refund_1', {
      refundRef: 're_1',
      refundedAmount: 400,
    });
    const full = event(payment, 'PaymentRefunded', 'evt_refund_2', {
      refundRef: 're_2',
      refundedAmount: 1000,
    });
    // The same statements again under other ids, as a provider re-sending with new event ids would.
    const late = [
      event(payment, 'PaymentPending', 'evt_pending_late'),
      event(payment, 'PaymentSucceeded', 'evt_paid_again'),
      event(payment, 'PaymentRefunded', 'evt_refund_1_again', { refundRef: 're_1', refundedAmount: 400 }),
    ];
    const rounds = [
      [paid, pending, partial, late[0]!],
      [full, paid, late[1]!, pending],
      [partial, late[2]!, full, paid],
    ];
    for (const round of rounds) {
      await storePaymentEvents(store.db, 'sandbox', round, app.clock.now());
      await app.settle();
    }
    const texts = sent(app).map(bodyOf);
    expect(texts).toHaveLength(3);
    expect(texts[0]).toMatch(/Payment received: €10\.00 for ORD-/);
    expect(texts[0]).toContain("We're preparing your order");
    expect(texts[1]).toMatch(/Refund of €4\.00/);
    expect(texts[2]).toMatch(/Refund of €6\.00/);
    const transitions = await store.db
      .select()
      .from(paymentTransitions)
      .where(eq(paymentTransitions.paymentId, payment.id))
      .orderBy(paymentTransitions.id);
    expect(transitions.map((t) => `${t.from}→${t.to}`)).toEqual([
      'created→succeeded',
      'succeeded→partially_refunded',
      'partially_refunded→refunded',
    ]);
    expect(transitions.map((t) => t.sourceEventId)).toEqual([
      'sandbox:evt:evt_paid',
      'sandbox:evt:evt_refund_1',
      'sandbox:evt:evt_refund_2',
    ]);
    expect(await onlyPayment()).toMatchObject({ status: 'refunded', refundedAmount: 1000 });
    const metrics = await app.metrics.registry.metrics();
    expect(metrics).toContain('wca_payment_transitions_total{to="succeeded",provider="sandbox"} 1');
    expect(metrics).toContain('wca_payment_transitions_total{to="refunded",provider="sandbox"} 1');
    // The flow heard each change once, and said nothing of its own.
    const updates = await store.db
      .select()
      .from(inboundEvents)
      .where(eq(inboundEvents.kind, 'payment_update'))
      .orderBy(inboundEvents.id);
    expect(updates.map((u) => [(u.payload as { status: string }).status, u.status])).toEqual([
      ['succeeded', 'done'],
      ['partially_refunded', 'done'],
      ['refunded', 'done'],
    ]);
  });

  test('a success reporting another amount is not taken as paid', async () => {
    await customerWrites(app);
    await applyTurn(app, [paymentEffect({ amount: 1000 })]);
    await app.settle();
    const payment = await onlyPayment();
    await storePaymentEvents(
      store.db,
      'sandbox',
      [event(payment, 'PaymentSucceeded', 'evt_x', { amount: 10 })],
      app.clock.now(),
    );
    await app.settle();
    expect((await onlyPayment()).status).toBe('created');
    const [stored] = await store.db.select().from(inboundEvents).where(eq(inboundEvents.kind, 'payment'));
    expect(stored?.lastError).toMatch(/provider reports 10 EUR, we asked for 1000 EUR/);
  });

  test('a failed payment gets a fresh link; the old link shows a clear page', async () => {
    await customerWrites(app);
    await applyTurn(app, [paymentEffect({ amount: 2500 })]);
    await app.settle();
    const first = await onlyPayment();
    app.graph.sent.length = 0;
    await storePaymentEvents(
      store.db,
      'sandbox',
      [event(first, 'PaymentFailed', 'evt_fail', { reason: 'card_declined' })],
      app.clock.now(),
    );
    await app.settle();
    const all = await store.db.select().from(payments).orderBy(payments.id);
    expect(all.map((p) => [p.id, p.status])).toEqual([
      [first.id, 'failed'],
      [`${first.id}.r1`, 'created'],
    ]);
    const fresh = all[1] as PaymentRow;
    expect(fresh.token).not.toBe(first.token);
    expect(sent(app)).toHaveLength(1);
    expect(bodyOf(sent(app)[0]!)).toMatch(/did not go through\. You can try again/);
    expect(linkOf(sent(app)[0]!)).toBe(`${BASE}/pay/${fresh.token}`);
    const old = await request(app.http).get(`/pay/${first.token}`);
    expect(old.status).toBe(410);
    expect(old.text).toContain('did not go through');
  });

  test('an unpaid link expires by itself and the customer is offered a new one, up to the configured number', async () => {
    await customerWrites(app);
    await applyTurn(app, [paymentEffect({ amount: 2500 })]);
    await app.settle();
    app.graph.sent.length = 0;
    for (let i = 0; i < 4; i++) {
      app.clock.advance(24 * 3_600_000 + 1_000);
      await customerWrites(app, 'ok').catch(() => undefined);
      app.graph.sent.length = 0;
      await app.settle();
    }
    const all = await store.db.select().from(payments).orderBy(payments.createdAt);
    expect(all.map((p) => p.status)).toEqual(['expired', 'expired', 'expired', 'expired']);
    expect(all.map((p) => p.retryOf)).toEqual([null, all[0]!.id, all[0]!.id, all[0]!.id]);
  });

  test('outside the 24-hour window the status goes out as a utility template', async () => {
    await customerWrites(app);
    await applyTurn(app, [paymentEffect({ amount: 1000 })]);
    await app.settle();
    app.graph.sent.length = 0;
    const payment = await onlyPayment();
    app.clock.advance(25 * 3_600_000);
    await storePaymentEvents(
      store.db,
      'sandbox',
      [event(payment, 'PaymentSucceeded', 'evt_paid')],
      app.clock.now(),
    );
    await app.settle();
    expect(sent(app)).toHaveLength(1);
    expect(sent(app)[0]).toMatchObject({
      type: 'template',
      template: { name: 'payment_receipt', language: { code: 'en' } },
    });
    expect(bodyOf(sent(app)[0]!)).toContain('€10.00');
  });

  test('the sandbox pay page: pay, see the receipt in the chat, and clear pages afterwards', async () => {
    await customerWrites(app);
    await applyTurn(app, [
      paymentEffect({ amount: 4500, description: 'Engraved bracelet (M)', reference: 'ORD-9' }),
    ]);
    await app.settle();
    const payment = await onlyPayment();
    app.graph.sent.length = 0;

    expect((await request(app.http).get('/pay/not-a-real-token-at-all-xx')).status).toBe(404);
    expect((await request(app.http).get('/pay/%3Cscript%3E')).status).toBe(404);
    const page = await request(app.http).get(`/pay/${payment.token}`);
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toContain("default-src 'none'");
    expect(page.text).toContain('Engraved bracelet (M)');
    expect(page.text).toContain('ORD-9');
    expect(page.text).toContain('€45.00');
    for (const label of ['Pay', 'Decline', 'Let it expire'])
      expect(page.text).toContain(`>${label}</button>`);
    await app.settle();
    expect((await onlyPayment()).status).toBe('pending');

    const paid = await request(app.http).post(`/pay/${payment.token}/pay`);
    expect(paid.status).toBe(303);
    expect(paid.headers.location).toBe(`/pay/${payment.token}/done`);
    expect((await request(app.http).get(paid.headers.location as string)).text).toContain(
      'confirming your payment',
    );
    await app.settle();
    expect((await onlyPayment()).status).toBe('succeeded');
    expect(sent(app).map(bodyOf)).toEqual([expect.stringMatching(/Payment received: €45\.00 for ORD-9/)]);

    const after = await request(app.http).get(`/pay/${payment.token}`);
    expect(after.status).toBe(200);
    expect(after.text).toContain('This payment has been received');
    // A second click changes nothing.
    await request(app.http).post(`/pay/${payment.token}/decline`);
    await app.settle();
    expect((await onlyPayment()).status).toBe('succeeded');
    expect(sent(app)).toHaveLength(1);

    const svg = await request(app.http).get(`/pay/${payment.token}/qr.svg`);
    expect(svg.headers['content-type']).toMatch(/image\/svg\+xml/);
    expect(String(svg.body ?? svg.text)).toBeTruthy();
    const png = await request(app.http).get(`/pay/${payment.token}/qr.png`);
    expect(png.headers['content-type']).toBe('image/png');
    expect((png.body as Buffer).subarray(1, 4).toString()).toBe('PNG');
    expect((await request(app.http).get('/pay/unknown-token-unknown-token/qr.png')).status).toBe(404);
  });

  test('a lost webhook is recovered by reconciliation', async () => {
    await customerWrites(app);
    await applyTurn(app, [paymentEffect({ amount: 1500 })]);
    await app.settle();
    app.graph.sent.length = 0;
    const payment = await onlyPayment();
    // The provider took the money, but its webhook never arrived.
    (app.payments.provider as SandboxProvider).decide(
      { paymentId: payment.id, amount: 1500, currency: 'EUR' },
      'succeeded',
    );
    await app.payments.runJobs({ force: true });
    await app.settle();
    expect(sent(app)).toHaveLength(0);
    app.clock.advance(11 * 60_000);
    await app.payments.runJobs({ force: true });
    await app.settle();
    expect((await onlyPayment()).status).toBe('succeeded');
    expect(sent(app).map(bodyOf)).toEqual([expect.stringMatching(/Payment received: €15\.00/)]);
    // Looking again finds nothing new.
    app.clock.advance(11 * 60_000);
    await app.payments.runJobs({ force: true });
    await app.settle();
    expect(sent(app)).toHaveLength(1);
  });

  test('a staff payment link through the API, with auth and validation', async () => {
    await customerWrites(app);
    const api = (path: string) =>
      request(app.http).post(`/api${path}`).set('authorization', `Bearer ${API_TOKEN}`);
    expect((await request(app.http).get('/api/payments')).status).toBe(401);
    const bad = await api('/payments').send({ conversationId: CONVERSATION, amount: -5 });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/amount/);
    const body = {
      conversationId: CONVERSATION,
      reference: 'ord-5',
      amount: 3000,
      currency: 'EUR',
      description: 'Balance',
    };
    expect((await api('/payments').set('idempotency-key', 'k1').send(body)).status).toBe(202);
    expect((await api('/payments').set('idempotency-key', 'k1').send(body)).body).toMatchObject({
      duplicate: true,
    });
    await app.settle();
    expect(sent(app)).toHaveLength(1);
    const list = await request(app.http)
      .get('/api/payments?status=created')
      .set('authorization', `Bearer ${API_TOKEN}`);
    expect(list.body.payments).toHaveLength(1);
    expect(list.body.payments[0]).toMatchObject({ reference: 'ORD-5', amount: 3000, purpose: 'link' });
    const wrong = await request(app.http)
      .get('/api/payments?status=paid')
      .set('authorization', `Bearer ${API_TOKEN}`);
    expect(wrong.status).toBe(400);
  });

  test('while staff have the conversation the receipt still arrives, and the bot stays quiet', async () => {
    await customerWrites(app);
    await applyTurn(app, [paymentEffect({ amount: 1000 })]);
    await app.staff(CONVERSATION, { action: 'takeover', reason: 'staff_takeover' });
    await app.settle();
    app.graph.sent.length = 0;
    const payment = await onlyPayment();
    await storePaymentEvents(
      store.db,
      'sandbox',
      [event(payment, 'PaymentSucceeded', 'evt_paid')],
      app.clock.now(),
    );
    await app.settle();
    expect(sent(app).map(bodyOf)).toEqual([expect.stringMatching(/Payment received: €10\.00/)]);
    const [update] = await store.db
      .select()
      .from(inboundEvents)
      .where(eq(inboundEvents.kind, 'payment_update'));
    expect(update?.status).toBe('done');
  });
});
