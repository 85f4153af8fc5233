import { eq } from 'drizzle-orm';
import request from 'supertest';
import { loadFacts, storePaymentEvents } from '../../src/payments/index.js';
import { invoiceOrders, payments } from '../../src/store/index.js';
import { storeKinds, type TestStore } from '../helpers/stores.js';
import { API_TOKEN, createTestApp, type TestApp } from '../helpers/testApp.js';
import {
  applyTurn,
  bodyOf,
  CUSTOMER,
  customerWrites,
  paymentEffect,
  resetPayments,
  sent,
} from './paymentHelpers.js';

const CSV = [
  'reference,phone,amount,currency,due date,description',
  'INV-2026-0101,+39 333 123 4567,120.00,EUR,2026-07-01,Hair colour course',
  'INV-2026-0102,16505551234,89.9,eur,2026-07-15,Gift cards',
  'INV-2026-0103,12ab,10.00,EUR,2026-07-01,Bad phone',
  'INV-2026-0104,393331234567,12.345,EUR,2026-07-01,Three decimals',
  'INV-2026-0105,393331234567,10.00,XYZ,2026-07-01,Bad currency',
  'INV-2026-0106,393331234567,10.00,EUR,2026-02-30,No such day',
  'INV-2026-0101,393331234567,5.00,EUR,2026-07-01,Same reference again',
  'INV-2026-0107,393331234567,10.00,EUR,2026-07-01,',
].join('\n');

describe.each(storeKinds)('invoice orders on %s', (_kind, open) => {
  let store: TestStore;
  let app: TestApp;
  beforeAll(async () => {
    store = await open();
  });
  afterAll(() => store.close());
  beforeEach(async () => {
    await resetPayments(store);
    app = await createTestApp(store);
  });
  afterEach(() => app.close());

  const api = (method: 'get' | 'post', path: string) =>
    request(app.http)[method](`/api${path}`).set('authorization', `Bearer ${API_TOKEN}`);
  const csv = (body: string, confirm: boolean) =>
    api('post', `/invoices/import${confirm ? '?confirm=true' : ''}`)
      .set('content-type', 'text/csv')
      .send(body);

  test('sandbox mode seeds the two demo invoices, one due in 10 days and one overdue by 2', async () => {
    const rows = await store.db.select().from(invoiceOrders).orderBy(invoiceOrders.reference);
    expect(rows.map((r) => [r.reference, r.amount, r.currency, r.status, r.waId])).toEqual([
      ['INV-2026-0001', 12000, 'EUR', 'open', '393331234567'],
      ['INV-2026-0002', 8990, 'EUR', 'open', '393331234567'],
    ]);
    // 2025-06-15 in Rome: due 2025-06-25 and 2025-06-13.
    expect(rows.map((r) => r.dueDate)).toEqual(['2025-06-25', '2025-06-13']);
  });

  test('create through the API: created, repeated, conflicting, invalid', async () => {
    const body = {
      reference: 'inv-2026-0200',
      phone: '+44 7700 900123',
      amount: 4200,
      currency: 'GBP',
      dueDate: '2026-08-01',
      description: 'Workshop',
    };
    const created = await api('post', '/invoices').send(body);
    expect(created.status).toBe(201);
    expect(created.body.invoice).toMatchObject({
      reference: 'INV-2026-0200',
      waId: '447700900123',
      status: 'open',
    });
    expect((await api('post', '/invoices').send(body)).status).toBe(200);
    const conflict = await api('post', '/invoices').send({ ...body, amount: 4300 });
    expect(conflict.status).toBe(409);
    expect(conflict.body.error.message).toMatch(/already exists/);
    const bad = await api('post', '/invoices').send({
      ...body,
      reference: 'x',
      amount: 12.5,
      dueDate: '2026-13-01',
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/reference/);
    expect(bad.body.error.message).toMatch(/amount/);
    expect(bad.body.error.message).toMatch(/dueDate/);
    const listed = await api('get', '/invoices?status=open&waId=447700900123');
    expect(listed.body.invoices.map((i: { reference: string }) => i.reference)).toEqual(['INV-2026-0200']);
    expect((await api('get', '/invoices?status=late')).status).toBe(400);

    // Text PostgreSQL cannot store is refused by name, and nothing is written.
    const nul = await api('post', '/invoices').send({
      ...body,
      reference: 'INV-2026-0201',
      description: 'Work\u0000shop',
    });
    expect(nul.status).toBe(400);
    expect(nul.body.error.message).toBe(
      'body.description: contains the NUL character (U+0000), which cannot be stored',
    );
    expect((await api('get', '/invoices?waId=447700900123')).body.invoices).toHaveLength(1);
  });

  test('a CSV with bad rows: a preview writes nothing, the import writes only whole good rows, with a report per row', async () => {
    const preview = await csv(CSV, false);
    expect(preview.status).toBe(200);
    expect(preview.body).toMatchObject({ confirmed: false, created: 0, skipped: 6 });
    expect(await store.db.select().from(invoiceOrders)).toHaveLength(2);

    const report = await csv(CSV, true);
    expect(report.status).toBe(201);
    expect(report.body).toMatchObject({ confirmed: true, created: 2, skipped: 6 });
    const byLine = Object.fromEntries(
      report.body.rows.map((r: { line: number; outcome: string; problems: string[] }) => [r.line, r]),
    );
    expect(byLine[2]).toMatchObject({ outcome: 'created', reference: 'INV-2026-0101', problems: [] });
    expect(byLine[3]).toMatchObject({ outcome: 'created', reference: 'INV-2026-0102' });
    expect(byLine[4].problems).toEqual([expect.stringMatching(/^phone: /)]);
    expect(byLine[5].problems).toEqual([expect.stringMatching(/^amount: expected a decimal amount/)]);
    expect(byLine[6].problems.join(' ')).toMatch(/currency: expected an ISO 4217/);
    expect(byLine[7].problems).toEqual([expect.stringMatching(/^due date: expected a date/)]);
    expect(byLine[8].problems).toEqual([expect.stringMatching(/appears twice in this file/)]);
    expect(byLine[9].problems).toEqual([expect.stringMatching(/^description: /)]);
    const stored = await store.db.select().from(invoiceOrders).orderBy(invoiceOrders.reference);
    expect(stored.map((r) => [r.reference, r.waId, r.amount, r.currency])).toEqual([
      ['INV-2026-0001', '393331234567', 12000, 'EUR'],
      ['INV-2026-0002', '393331234567', 8990, 'EUR'],
      ['INV-2026-0101', '393331234567', 12000, 'EUR'],
      ['INV-2026-0102', '16505551234', 8990, 'EUR'],
    ]);
    // Importing the same file again changes nothing.
    const again = await csv(CSV, true);
    expect(again.body.created).toBe(0);
    expect(again.body.rows[0].outcome).toBe('unchanged');
  });

  test('a CSV that cannot be used at all is refused with the reason', async () => {
    expect((await csv('reference,phone\nINV-1,123456', true)).body.error.message).toMatch(
      /lacks the columns amount, currency, due_date, description/,
    );
    expect(
      (await csv('reference,phone,amount,currency,due date,description\n', true)).body.error.message,
    ).toMatch(/no rows/);
    expect((await csv('"unterminated', true)).status).toBe(400);
    const nul = await csv(
      'reference,phone,amount,currency,due date,description\nINV-2026-0400,393331234567,100,EUR,2026-08-01,A\u0000B\n',
      true,
    );
    expect(nul.status).toBe(400);
    expect(nul.body.error.message).toBe(
      'Line 2 of the file contains the NUL character (U+0000), which cannot be stored',
    );
    expect(
      await store.db.select().from(invoiceOrders).where(eq(invoiceOrders.reference, 'INV-2026-0400')),
    ).toEqual([]);
    const json = await api('post', '/invoices/import').send({ csv: 'x' });
    expect(json.status).toBe(400);
    expect(json.body.error.message).toMatch(/text\/csv/);
  });

  test('a customer naming an invoice sees it in the facts; paying it marks the order paid', async () => {
    await api('post', '/invoices').send({
      reference: 'INV-2026-0300',
      phone: CUSTOMER,
      amount: 5000,
      currency: 'EUR',
      dueDate: '2025-06-20',
      description: 'Course',
    });
    const facts = await loadFacts(store.db, {
      waId: CUSTOMER,
      text: 'I want to pay inv-2026-0002 please',
      now: app.clock.now(),
    });
    expect(facts.invoices.map((i) => [i.reference, i.status])).toEqual([
      ['INV-2026-0002', 'open'],
      ['INV-2026-0300', 'open'],
    ]);
    await customerWrites(app);
    await applyTurn(app, [
      paymentEffect({
        purpose: 'invoice',
        subjectId: 'INV-2026-0300',
        reference: 'INV-2026-0300',
        amount: 5000,
        description: 'Course',
      }),
    ]);
    const [payment] = await store.db.select().from(payments);
    await storePaymentEvents(
      store.db,
      'sandbox',
      [
        {
          type: 'PaymentSucceeded',
          paymentId: payment!.id,
          providerEventId: 'inv-paid',
          providerRef: null,
          amount: 5000,
          currency: 'EUR',
          at: app.clock.now(),
        },
      ],
      app.clock.now(),
    );
    await app.settle();
    const after = await loadFacts(store.db, { waId: CUSTOMER, text: null, now: app.clock.now() });
    expect(after.invoices).toEqual([expect.objectContaining({ reference: 'INV-2026-0300', status: 'paid' })]);
    expect(bodyOf(sent(app).at(-1)!)).toMatch(/Invoice INV-2026-0300 is now settled/);

    // Asking to pay it again, or at another amount, creates nothing.
    app.graph.sent.length = 0;
    const again = {
      purpose: 'invoice' as const,
      subjectId: 'INV-2026-0300',
      reference: 'INV-2026-0300',
      amount: 5000,
    };
    await applyTurn(app, [paymentEffect(again)]);
    await applyTurn(app, [
      paymentEffect({ ...again, subjectId: 'INV-2026-0002', reference: 'INV-2026-0002', amount: 100 }),
    ]);
    await app.settle();
    expect(await store.db.select().from(payments)).toHaveLength(1);
    expect(sent(app).map(bodyOf)).toEqual([
      expect.stringMatching(/INV-2026-0300 is already settled/),
      expect.stringMatching(/INV-2026-0002 is already settled/),
    ]);
  });
});
