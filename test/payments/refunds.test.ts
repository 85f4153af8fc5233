import { eq } from 'drizzle-orm';
import request from 'supertest';
import { paymentIdFor } from '../../src/payments/applyPaymentEffect.js';
import { storePaymentEvents } from '../../src/payments/index.js';
import { payments, refunds, type PaymentRow } from '../../src/store/index.js';
import { storeKinds, type TestStore } from '../helpers/stores.js';
import { API_TOKEN, createTestApp, type TestApp } from '../helpers/testApp.js';
import { applyTurn, bodyOf, customerWrites, paymentEffect, resetPayments, sent } from './paymentHelpers.js';

describe.each(storeKinds)('refunds on %s', (_kind, open) => {
  let store: TestStore;
  let app: TestApp;
  beforeAll(async () => {
    store = await open();
  });
  afterAll(() => store.close());
  beforeEach(async () => {
    await resetPayments(store);
    app = await createTestApp(store, { REFUND_MAX_WITHOUT_APPROVAL: '5000', REFUND_WINDOW_DAYS: '14' });
  });
  afterEach(() => app.close());

  const api = (method: 'get' | 'post', path: string) =>
    request(app.http)[method](`/api${path}`).set('authorization', `Bearer ${API_TOKEN}`);

  /** A paid payment of `amount`, with the chat cleared. */
  async function paid(amount: number, purpose: 'order' | 'deposit' = 'order'): Promise<PaymentRow> {
    await customerWrites(app);
    const effect = paymentEffect({ amount, purpose });
    await applyTurn(app, [effect]);
    const [payment] = await store.db
      .select()
      .from(payments)
      .where(eq(payments.id, paymentIdFor(effect.id)));
    await storePaymentEvents(
      store.db,
      'sandbox',
      [
        {
          type: 'PaymentSucceeded',
          paymentId: payment!.id,
          providerEventId: `paid-${payment!.id}`,
          providerRef: 'sbx',
          amount,
          currency: 'EUR',
          at: app.clock.now(),
        },
      ],
      app.clock.now(),
    );
    await app.settle();
    app.graph.sent.length = 0;
    return payment!;
  }
  const refund = (paymentId: string, amount: number, id = 'evt-r1:0') =>
    applyTurn(app, [{ type: 'RequestRefund', id, paymentId, amount, reason: 'changed my mind' }]);

  test('a refund above the limit waits for staff approval, then goes through the provider and is confirmed in the chat', async () => {
    const payment = await paid(8000);
    await refund(payment.id, 8000);
    await app.payments.runJobs({ force: true });
    await app.settle();
    const [waiting] = await store.db.select().from(refunds);
    expect(waiting).toMatchObject({ status: 'requested', amount: 8000, requestedBy: 'customer' });
    expect(sent(app).map(bodyOf)).toEqual([expect.stringMatching(/passed to our team for approval/)]);
    expect((await store.db.select().from(payments))[0]?.status).toBe('succeeded');

    const listed = await api('get', '/refunds?status=requested');
    expect(listed.body.refunds.map((r: { id: string }) => r.id)).toEqual([waiting!.id]);
    expect((await api('post', '/refunds/nope/approve').send({})).status).toBe(404);
    const approved = await api('post', `/refunds/${waiting!.id}/approve`).send({
      staff: 'giulia',
      note: 'ok',
    });
    expect(approved.status).toBe(200);
    expect(approved.body.refund).toMatchObject({ status: 'approved', decidedBy: 'giulia' });
    // Deciding twice is refused with the reason.
    const again = await api('post', `/refunds/${waiting!.id}/reject`).send({});
    expect(again.status).toBe(409);
    expect(again.body.error.message).toMatch(/already approved/);

    await app.payments.runJobs();
    await app.settle();
    expect((await store.db.select().from(refunds))[0]).toMatchObject({
      status: 'refunded',
      providerRef: `sbx_re_${waiting!.id}`,
    });
    expect((await store.db.select().from(payments))[0]).toMatchObject({
      status: 'refunded',
      refundedAmount: 8000,
    });
    expect(sent(app).map(bodyOf).slice(1)).toEqual([
      expect.stringMatching(/approved and on its way/),
      expect.stringMatching(/Refund of €80\.00 for ORD-\d+ done/),
    ]);
    // The provider is asked once, even if the jobs run again.
    await app.payments.runJobs({ force: true });
    await app.settle();
    expect(sent(app)).toHaveLength(3);
  });

  test('a small refund goes straight through; a partial one leaves the rest refundable', async () => {
    const payment = await paid(4500);
    await refund(payment.id, 2000);
    await app.payments.runJobs();
    await app.settle();
    expect((await store.db.select().from(payments))[0]).toMatchObject({
      status: 'partially_refunded',
      refundedAmount: 2000,
    });
    expect(sent(app).map(bodyOf)).toEqual([
      expect.stringMatching(/approved and on its way/),
      expect.stringMatching(/Refund of €20\.00/),
    ]);
    // Asking for more than is left refunds what is left.
    await refund(payment.id, 9999, 'evt-r2:0');
    await app.payments.runJobs();
    await app.settle();
    expect((await store.db.select().from(payments))[0]).toMatchObject({
      status: 'refunded',
      refundedAmount: 4500,
    });
    await refund(payment.id, 100, 'evt-r3:0');
    await app.settle();
    expect(bodyOf(sent(app).at(-1)!)).toMatch(/nothing left to refund/);
  });

  test('the policy: deposits are not refundable, and refunds end after the window', async () => {
    const deposit = await paid(1000, 'deposit');
    await refund(deposit.id, 1000);
    await app.settle();
    expect(bodyOf(sent(app)[0]!)).toMatch(/deposits are not refundable/);
    app.graph.sent.length = 0;
    const order = await paid(1000);
    app.clock.advance(15 * 86_400_000);
    await customerWrites(app);
    await refund(order.id, 1000, 'evt-r9:0');
    await app.settle();
    expect(bodyOf(sent(app)[0]!)).toMatch(/within 14 days of payment/);
    expect(await store.db.select().from(refunds)).toHaveLength(0);
  });

  test('staff reject a refund; staff issue one through the API; bad input is a 4xx', async () => {
    const payment = await paid(9000);
    await refund(payment.id, 9000);
    const [waiting] = await store.db.select().from(refunds);
    const rejected = await api('post', `/refunds/${waiting!.id}/reject`).send({ note: 'used item' });
    expect(rejected.body.refund).toMatchObject({ status: 'rejected', decisionNote: 'used item' });
    await app.settle();
    expect(bodyOf(sent(app).at(-1)!)).toMatch(/was not approved/);

    expect(
      (await api('post', `/payments/${payment.id}/refunds`).send({ amount: 'ten', reason: 'x' })).status,
    ).toBe(400);
    expect((await api('post', `/payments/${payment.id}/refunds`).send({ amount: 100 })).status).toBe(400);
    expect(
      (await api('post', `/payments/${payment.id}/refunds`).send({ amount: 9001, reason: 'goodwill' }))
        .status,
    ).toBe(409);
    expect(
      (await api('post', '/payments/nope/refunds').send({ amount: 100, reason: 'goodwill' })).status,
    ).toBe(404);
    const issued = await api('post', `/payments/${payment.id}/refunds`)
      .set('idempotency-key', 'staff-1')
      .send({ amount: 1500, reason: 'late delivery', staff: 'marco' });
    expect(issued.status).toBe(201);
    const twice = await api('post', `/payments/${payment.id}/refunds`)
      .set('idempotency-key', 'staff-1')
      .send({ amount: 1500, reason: 'late delivery', staff: 'marco' });
    expect(twice.body.refund.id).toBe(issued.body.refund.id);
    await app.payments.runJobs();
    await app.settle();
    expect((await store.db.select().from(payments))[0]).toMatchObject({
      status: 'partially_refunded',
      refundedAmount: 1500,
    });
    const detail = await api('get', `/payments/${payment.id}`);
    expect(detail.body.transitions.map((t: { to: string }) => t.to)).toEqual([
      'succeeded',
      'partially_refunded',
    ]);
    expect(detail.body.refunds.map((r: { status: string }) => r.status).sort()).toEqual([
      'refunded',
      'rejected',
    ]);
  });
});
