import { sql } from 'drizzle-orm';
import request from 'supertest';
import type { InboxUpdate } from '../../src/inbox/createInboxHub.js';
import { invoiceOrders, outbox, payments } from '../../src/store/index.js';
import { metaWebhook, text } from '../fixtures/metaWebhook.js';
import { resetStore, storeKinds, type TestStore } from '../helpers/stores.js';
import { createTestApp, type TestApp } from '../helpers/testApp.js';
import { addStaff, resetInbox, signIn, type Staff } from './helpers.js';

const CUSTOMER = '16505551234';
const CONVERSATION = `106540352242922:${CUSTOMER}`;
const path = (suffix = '') => `/api/inbox/conversations/${encodeURIComponent(CONVERSATION)}${suffix}`;
const LINK = path('/payment-link');

type Sent = { type: string; text?: { body: string } };
const sent = (app: TestApp) => app.graph.sent as unknown as Sent[];
const unix = (app: TestApp) => String(Math.floor(app.clock.now().getTime() / 1000));

describe.each(storeKinds)('staff payment links on %s', (_kind, open) => {
  let store: TestStore;
  let app: TestApp;
  let agent: Staff;
  let other: Staff;
  beforeAll(async () => {
    store = await open();
  });
  afterAll(() => store.close());
  beforeEach(async () => {
    await resetStore(store);
    await resetInbox(store);
    await store.db.execute(
      sql`TRUNCATE payments, payment_transitions, refunds, bookings, invoice_orders, payment_reminders RESTART IDENTITY`,
    );
    app = await createTestApp(store);
    app.clock.set('2026-03-03T09:00:00Z');
    agent = await addStaff(app, 'bruno@studio.test', 'agent', 'Bruno');
    other = await addStaff(app, 'carla@studio.test', 'agent', 'Carla');
    await app.post(metaWebhook({ messages: [text('I want to talk to a person', { timestamp: unix(app) })] }));
    await app.settle();
    await agent.post(path('/take')).expect(200);
    app.graph.sent.length = 0;
  });
  afterEach(() => app.close());

  test('refuses without a session, without the CSRF token and when someone else has the conversation', async () => {
    const anonymous = await request(app.http).post(LINK).send({ amount: 2500, description: 'Gift card' });
    expect(anonymous.status).toBe(401);
    const noCsrf = await agent.agent.post(LINK).send({ amount: 2500, description: 'Gift card' });
    expect(noCsrf.status).toBe(403);
    expect(noCsrf.body.error.code).toBe('csrf_missing');
    const notOwner = await other.post(LINK, { amount: 2500, description: 'Gift card' });
    expect(notOwner.status).toBe(403);
    expect(notOwner.body.error.code).toBe('owned_by_other');
    expect(await store.db.select().from(payments)).toHaveLength(0);
  });

  test('refuses a bad amount or description with the reason', async () => {
    for (const [body, field] of [
      [{ amount: 0, description: 'Gift card' }, 'greater than 0'],
      [{ amount: 25.5, description: 'Gift card' }, 'whole cents'],
      [{ amount: '2500', description: 'Gift card' }, 'minor units'],
      [{ amount: 2500, description: '  ' }, 'what the payment is for'],
    ] as const) {
      const response = await agent.post(LINK, body);
      expect(response.status).toBe(400);
      expect(JSON.stringify(response.body.error)).toContain(field);
    }
    const tooMuch = await agent.post(LINK, { amount: 100_001, description: 'A lot' });
    expect(tooMuch.status).toBe(409);
    expect(tooMuch.body.error).toMatchObject({
      code: 'above_limit',
      message: expect.stringContaining('1000.00'),
    });
    expect(await store.db.select().from(payments)).toHaveLength(0);
  });

  test('outside the 24-hour window the link is refused', async () => {
    app.clock.advance(25 * 3_600_000);
    agent = await signIn(app, 'bruno@studio.test');
    const refused = await agent.post(LINK, { amount: 2500, description: 'Gift card' });
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({
      code: 'outside_window',
      message: expect.stringContaining('24 hours'),
    });
    await app.settle();
    expect(await store.db.select().from(payments)).toHaveLength(0);
    expect(sent(app)).toHaveLength(0);
  });

  test('creates the payment, queues the link message and publishes the payment live until paid', async () => {
    const updates: InboxUpdate[] = [];
    const unsubscribe = app.inbox.hub.subscribe((update) => updates.push(update));
    const response = await agent
      .post(LINK, { amount: 2500, description: 'Gift card' })
      .set('Idempotency-Key', 'pay-once');
    expect(response.status).toBe(202);
    expect(response.body).toMatchObject({ accepted: true, duplicate: false, amount: 2500, currency: 'EUR' });
    // The same key twice is one payment.
    const again = await agent
      .post(LINK, { amount: 2500, description: 'Gift card' })
      .set('Idempotency-Key', 'pay-once');
    expect(again.body.duplicate).toBe(true);
    await app.settle();

    const [payment, ...more] = await store.db.select().from(payments);
    expect(more).toHaveLength(0);
    expect(payment).toMatchObject({
      conversationId: CONVERSATION,
      purpose: 'link',
      amount: 2500,
      currency: 'EUR',
      description: 'Gift card',
      reference: response.body.reference,
      status: 'created',
    });
    // One link message, as a button to the pay page.
    const queued = (await store.db.select().from(outbox)).filter((row) => row.id.endsWith(':link'));
    expect(queued.map((row) => row.kind)).toEqual(['SendCtaUrl']);
    expect(sent(app)).toHaveLength(1);
    expect(JSON.stringify(sent(app)[0])).toContain(`/pay/${payment!.token}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(updates).toContainEqual({
      type: 'payment',
      payment: expect.objectContaining({ id: payment!.id, status: 'created', conversationId: CONVERSATION }),
    });

    // The link is signed by the staff member in the transcript.
    const linkLine = (await agent.get(path()).expect(200)).body.messages.find(
      (m: { outboxId: string | null }) => m.outboxId === queued[0]!.id,
    );
    expect(linkLine.author).toMatchObject({ name: 'Bruno' });

    // The contact panel lists it.
    const view = await agent.get(path()).expect(200);
    expect(view.body.contact.sections.payments.payments).toEqual([
      expect.objectContaining({ id: payment!.id, status: 'created', amount: 2500 }),
    ]);

    await request(app.http).post(`/pay/${payment!.token}/pay`).expect(303);
    await app.settle();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(updates).toContainEqual({
      type: 'payment',
      payment: expect.objectContaining({ id: payment!.id, status: 'succeeded' }),
    });
    unsubscribe();
  });

  test("an open invoice of the customer is sent at its own amount; another customer's is refused", async () => {
    const now = app.clock.now();
    await store.db.insert(invoiceOrders).values([
      {
        reference: 'INV-7',
        waId: CUSTOMER,
        amount: 12_000,
        currency: 'EUR',
        dueDate: '2026-03-10',
        description: 'Colour and cut',
        createdAt: now,
        updatedAt: now,
      },
      {
        reference: 'INV-8',
        waId: '393330000000',
        amount: 5_000,
        currency: 'EUR',
        dueDate: '2026-03-10',
        description: 'Not theirs',
        createdAt: now,
        updatedAt: now,
      },
    ]);
    expect((await agent.post(LINK, { invoice: 'INV-8' })).status).toBe(400);
    const view = await agent.get(path()).expect(200);
    expect(view.body.contact.sections.payments.invoices).toEqual([
      expect.objectContaining({ reference: 'INV-7', status: 'open', amount: 12_000 }),
    ]);
    expect((await agent.post(LINK, { invoice: 'INV-7' })).status).toBe(202);
    await app.settle();
    const [payment] = await store.db.select().from(payments);
    expect(payment).toMatchObject({
      purpose: 'invoice',
      subjectId: 'INV-7',
      amount: 12_000,
      reference: 'INV-7',
    });
  });
});
