import { eq } from 'drizzle-orm';
import type { Effect } from '../../src/engine/types.js';
import { loadFacts, storePaymentEvents } from '../../src/payments/index.js';
import { bookings, payments } from '../../src/store/index.js';
import { storeKinds, type TestStore } from '../helpers/stores.js';
import { createTestApp, type TestApp } from '../helpers/testApp.js';
import {
  applyTurn,
  bodyOf,
  CUSTOMER,
  customerWrites,
  paymentEffect,
  resetPayments,
  sent,
} from './paymentHelpers.js';

const OTHER = '447700900123';
const SLOT = { start: '2025-06-17T08:00:00.000Z', end: '2025-06-17T08:30:00.000Z' };

const hold = (bookingId: string, slot = SLOT): Extract<Effect, { type: 'HoldSlot' }> => ({
  type: 'HoldSlot',
  id: `evt-hold-${bookingId}:0`,
  bookingId,
  reference: `BKG-${bookingId}`,
  serviceId: 'haircut',
  ...slot,
  price: 3500,
  deposit: 1000,
});
const deposit = (bookingId: string) =>
  paymentEffect({
    id: `evt-hold-${bookingId}:1`,
    purpose: 'deposit',
    subjectId: bookingId,
    reference: `BKG-${bookingId}`,
    amount: 1000,
    description: 'Deposit: Haircut',
  });

describe.each(storeKinds)('deposits on %s', (_kind, open) => {
  let store: TestStore;
  let app: TestApp;
  beforeAll(async () => {
    store = await open();
  });
  afterAll(() => store.close());
  beforeEach(async () => {
    await resetPayments(store);
    app = await createTestApp(store, { BOOKING_HOLD_MINUTES: '30' });
  });
  afterEach(() => app.close());

  const booking = async (id: string) =>
    (await store.db.select().from(bookings).where(eq(bookings.id, id)))[0];
  const otherConversation = `106540352242922:${OTHER}`;

  test('a deposit hold that expires frees the slot and tells the customer; the slot can then be held again', async () => {
    await customerWrites(app);
    await customerWrites(app, 'hello', OTHER);
    await applyTurn(app, [hold('b1'), deposit('b1')]);
    await app.settle();
    expect(await booking('b1')).toMatchObject({
      status: 'held',
      balance: 3500,
      depositPaymentId: 'pay_evt-hold-b1.1',
    });
    const [payment] = await store.db.select().from(payments);
    // The deposit link lives exactly as long as the hold.
    expect(payment?.expiresAt.getTime()).toBe(app.clock.now().getTime() + 30 * 60_000);
    expect(bodyOf(sent(app)[0]!)).toContain('€10.00');

    // Someone else wants the same time while it is held: refused, with a message.
    app.graph.sent.length = 0;
    await applyTurn(
      app,
      [hold('b2', { start: '2025-06-17T08:15:00.000Z', end: '2025-06-17T09:00:00.000Z' }), deposit('b2')],
      otherConversation,
    );
    await app.settle();
    expect(await booking('b2')).toBeUndefined();
    expect(await store.db.select().from(payments)).toHaveLength(1);
    expect(sent(app).map(bodyOf)).toEqual([expect.stringContaining('has just been taken')]);

    app.graph.sent.length = 0;
    app.clock.advance(30 * 60_000 + 1);
    await app.settle();
    expect(await booking('b1')).toMatchObject({ status: 'released' });
    expect((await store.db.select().from(payments))[0]?.status).toBe('expired');
    expect(sent(app).map(bodyOf)).toEqual([expect.stringMatching(/hold on your appointment .* has ended/)]);

    await applyTurn(
      app,
      [hold('b3', { start: '2025-06-17T08:15:00.000Z', end: '2025-06-17T09:00:00.000Z' }), deposit('b3')],
      otherConversation,
    );
    expect(await booking('b3')).toMatchObject({ status: 'held' });
  });

  test('a paid deposit confirms the booking and records the balance', async () => {
    await customerWrites(app);
    await applyTurn(app, [hold('b1'), deposit('b1')]);
    await app.settle();
    app.graph.sent.length = 0;
    const [payment] = await store.db.select().from(payments);
    await storePaymentEvents(
      store.db,
      'sandbox',
      [
        {
          type: 'PaymentSucceeded',
          paymentId: payment!.id,
          providerEventId: 'p1',
          providerRef: null,
          amount: 1000,
          currency: 'EUR',
          at: app.clock.now(),
        },
      ],
      app.clock.now(),
    );
    await app.settle();
    expect(await booking('b1')).toMatchObject({ status: 'confirmed', balance: 2500, holdExpiresAt: null });
    const [receipt] = sent(app).map(bodyOf);
    expect(receipt).toMatch(/Payment received: €10\.00 for BKG-b1/);
    expect(receipt).toMatch(/Left to pay at the salon: €25\.00/);
    // The expiry timer was cancelled: nothing happens when the hold would have ended.
    app.clock.advance(31 * 60_000);
    await app.settle();
    expect(await booking('b1')).toMatchObject({ status: 'confirmed' });
    expect(sent(app)).toHaveLength(1);

    const facts = await loadFacts(store.db, { waId: CUSTOMER, text: null, now: app.clock.now() });
    expect(facts.bookings).toEqual([
      expect.objectContaining({ id: 'b1', status: 'confirmed', balance: 2500, start: SLOT.start }),
    ]);
    expect(facts.busy).toEqual([SLOT]);
    expect(facts.payments).toEqual([
      expect.objectContaining({ status: 'succeeded', purpose: 'deposit', amount: 1000 }),
    ]);
  });

  test('a cancelled booking frees its slot; only its own customer can cancel it', async () => {
    await customerWrites(app);
    await customerWrites(app, 'hello', OTHER);
    await applyTurn(app, [hold('b1'), deposit('b1')]);
    await app.settle();
    app.graph.sent.length = 0;
    await applyTurn(app, [{ type: 'CancelBooking', id: 'evt-x:0', bookingId: 'b1' }], otherConversation);
    expect(await booking('b1')).toMatchObject({ status: 'held' });
    await applyTurn(app, [{ type: 'CancelBooking', id: 'evt-y:0', bookingId: 'b1' }]);
    expect(await booking('b1')).toMatchObject({ status: 'cancelled' });
    const facts = await loadFacts(store.db, { waId: OTHER, text: null, now: app.clock.now() });
    expect(facts.busy).toEqual([]);
    // Its unpaid deposit link closed with it, quietly: the flow already confirmed the cancellation.
    await app.settle();
    expect((await store.db.select().from(payments))[0]?.status).toBe('expired');
    expect(sent(app)).toEqual([]);
  });

  test('a hold whose deposit was never asked for is released when it ends', async () => {
    await customerWrites(app);
    await applyTurn(app, [hold('b1')]);
    app.clock.advance(29 * 60_000);
    await app.payments.runJobs({ force: true });
    expect(await booking('b1')).toMatchObject({ status: 'held' });
    app.clock.advance(2 * 60_000);
    await app.payments.runJobs({ force: true });
    expect(await booking('b1')).toMatchObject({ status: 'released' });
  });

  test('two customers holding the same time at the same moment: exactly one gets it', async () => {
    await customerWrites(app);
    await customerWrites(app, 'hello', OTHER);
    await Promise.all([
      applyTurn(app, [hold('b1'), deposit('b1')]),
      applyTurn(app, [hold('b2'), deposit('b2')], otherConversation),
    ]);
    const held = await store.db.select().from(bookings);
    expect(held).toHaveLength(1);
    expect(await store.db.select().from(payments)).toHaveLength(1);
  });
});
