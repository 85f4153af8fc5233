import { eq } from 'drizzle-orm';
import { SANDBOX_PHONE_NUMBER_ID } from '../../src/config.js';
import { storePaymentEvents } from '../../src/payments/index.js';
import { contacts, payments } from '../../src/store/index.js';
import { storeKinds, type TestStore } from '../helpers/stores.js';
import { createTestApp, type TestApp } from '../helpers/testApp.js';
import { applyTurn, bodyOf, customerWrites, paymentEffect, resetPayments, sent } from './paymentHelpers.js';

const DEMO_CUSTOMER = '393331234567';

describe.each(storeKinds)('payment reminders on %s', (_kind, open) => {
  let store: TestStore;
  let app: TestApp;
  beforeAll(async () => {
    store = await open();
  });
  afterAll(() => store.close());
  beforeEach(async () => {
    await resetPayments(store);
    // The demo invoices are seeded on 2025-06-15: INV-2026-0001 is due 2025-06-25.
    app = await createTestApp(store);
  });
  afterEach(() => app.close());

  const remind = async (iso: string) => {
    app.clock.set(iso);
    await app.payments.runJobs({ force: true });
    await app.settle();
    const texts = sent(app).map(bodyOf);
    app.graph.sent.length = 0;
    return texts;
  };

  test('an unpaid invoice is reminded 3 days before, on the due day and 2 days after, inside send hours, once each', async () => {
    // 11:00 in Rome, three days before: outside the 24-hour window, so a template with a link.
    expect(await remind('2025-06-22T09:00:00Z')).toEqual([
      // A customer we know nothing of reads the business's language; the last part is the link token.
      expect.stringMatching(
        /^\[payment_reminder\] INV-2026-0001 \| 120,00\s€ \| 25 giugno 2025 \| [\w-]{24}$/,
      ),
    ]);
    expect(await remind('2025-06-22T09:30:00Z')).toEqual([]);
    // The due day at 15:00 in Rome is outside the send hours; at 10:30 it goes.
    expect(await remind('2025-06-25T13:00:00Z')).toEqual([]);
    expect(await remind('2025-06-25T08:30:00Z')).toEqual([
      expect.stringContaining('[payment_reminder] INV-2026-0001'),
    ]);
    // In the window the customer reads it as a message, in their language, with a pay button.
    app.clock.set('2025-06-27T08:55:00Z');
    await customerWrites(app, 'ciao', DEMO_CUSTOMER, SANDBOX_PHONE_NUMBER_ID);
    expect(await remind('2025-06-27T09:00:00Z')).toEqual([
      expect.stringMatching(/La fattura INV-2026-0001 di 120,00\s€ è scaduta il 25 giugno 2025/),
    ]);
    expect(await remind('2025-06-28T09:00:00Z')).toEqual([]);
    // One payment link serves the reminders while it is valid.
    const links = await store.db.select().from(payments).where(eq(payments.subjectId, 'INV-2026-0001'));
    expect(links.length).toBeGreaterThanOrEqual(1);
    expect(links.every((p) => p.purpose === 'invoice' && p.amount === 12000)).toBe(true);
  });

  test('never after payment, never to an opted-out contact', async () => {
    await remind('2025-06-22T09:00:00Z');
    const [link] = await store.db.select().from(payments).where(eq(payments.subjectId, 'INV-2026-0001'));
    await storePaymentEvents(
      store.db,
      'sandbox',
      [
        {
          type: 'PaymentSucceeded',
          paymentId: link!.id,
          providerEventId: 'x',
          providerRef: null,
          amount: 12000,
          currency: 'EUR',
          at: app.clock.now(),
        },
      ],
      app.clock.now(),
    );
    await app.settle();
    app.graph.sent.length = 0;
    expect(await remind('2025-06-25T09:00:00Z')).toEqual([]);

    // INV-2026-0002 was due 2025-06-13: its "2 days after" falls on 2025-06-15, but the customer opted out.
    await store.db.update(contacts).set({ optedOut: true }).where(eq(contacts.waId, DEMO_CUSTOMER));
    expect(await remind('2025-06-15T09:00:00Z')).toEqual([]);
  });

  test('a payment link left unpaid for half its life is reminded once', async () => {
    await customerWrites(app);
    await applyTurn(app, [paymentEffect({ amount: 2000, reference: 'ORD-R1' })]);
    await app.settle();
    app.graph.sent.length = 0;
    // Created 2025-06-15 17:07 Rome; half of 24 h later is 05:07 the next day, before send hours.
    expect(await remind('2025-06-16T03:30:00Z')).toEqual([]);
    const texts = await remind('2025-06-16T08:10:00Z');
    expect(texts.filter((t) => t.includes('ORD-R1'))).toEqual([
      expect.stringMatching(/ORD-R1 \(€20\.00\) is still waiting for payment/),
    ]);
    expect((await remind('2025-06-16T09:10:00Z')).filter((t) => t.includes('ORD-R1'))).toEqual([]);
  });
});
