import request from 'supertest';
import { payments } from '../../src/store/index.js';
import { buttonReply, metaWebhook, text } from '../fixtures/metaWebhook.js';
import { storeKinds, type TestStore } from '../helpers/stores.js';
import type { TestApp } from '../helpers/testApp.js';
import { api, conversationOf, createCampaignTestApp, resetCampaignStore } from './campaignTestApp.js';

const DAY1 = Date.parse('2026-03-10T10:00:00Z'); // 11:00 in Milan
const DAY2 = Date.parse('2026-03-11T10:00:00Z');
const seconds = (ms: number) => String(Math.floor(ms / 1000));
const minutes = (n: number) => n * 60_000;

describe.each(storeKinds)('campaign funnel on %s', (_kind, open) => {
  let store: TestStore;
  let app: TestApp;
  beforeAll(async () => {
    store = await open();
  });
  afterAll(() => store.close());
  beforeEach(async () => {
    await resetCampaignStore(store);
    app = await createCampaignTestApp(store);
  });
  afterEach(() => app.close());

  const say = async (from: string, at: number, message: Record<string, unknown>) => {
    await app.post(metaWebhook({ from, messages: [{ ...message, timestamp: seconds(at) }] }));
    await app.settle();
  };
  const pay = (row: Partial<typeof payments.$inferInsert> & { id: string; conversationId: string }) =>
    store.db.insert(payments).values({
      reference: row.id.toUpperCase(),
      waId: row.conversationId.split(':')[1] as string,
      purpose: 'order',
      currency: 'EUR',
      amount: 0,
      status: 'created',
      description: 'Order',
      provider: 'sandbox',
      token: `token-${row.id}`,
      locale: 'en',
      expiresAt: new Date('2030-01-01T00:00:00Z'),
      ...row,
    });

  test('a seeded scenario: clicks → first message → engaged → cart → payment → paid → revenue, by day', async () => {
    const created = await api(app).post('/api/campaigns', {
      name: 'Spring colour',
      refCode: 'SPRING26',
      entryFlow: 'main',
      cost: { amount: 5000, currency: 'EUR' },
    });
    const spring = created.body.campaign.id as string;
    const ad = (
      await api(app).post('/api/campaigns', {
        name: 'Bracelet ad',
        adIds: ['120000000000001'],
        entryFlow: 'main',
      })
    ).body.campaign.id as string;

    for (const at of [DAY1, DAY1 + 1000, DAY1 + 2000, DAY1 + 3000, DAY2]) {
      app.clock.set(new Date(at).toISOString());
      expect((await request(app.http).get('/c/spring26')).status).toBe(302);
    }
    const ref = 'Hi! [ref:SPRING26]';
    // P1 (day 1): arrives, sends a WhatsApp cart, pays one order and one partly refunded.
    await say('391110000001', DAY1, text(ref));
    await say('391110000001', DAY1 + minutes(2), {
      type: 'order',
      order: {
        catalog_id: 'cat',
        product_items: [
          { product_retailer_id: 'engraved-bracelet', quantity: 1, item_price: 45, currency: 'EUR' },
        ],
      },
    });
    await pay({
      id: 'pay-1',
      conversationId: conversationOf('391110000001'),
      amount: 4500,
      status: 'succeeded',
      createdAt: new Date(DAY1 + minutes(3)),
      paidAt: new Date(DAY1 + minutes(5)),
    });
    await pay({
      id: 'pay-2',
      conversationId: conversationOf('391110000001'),
      amount: 6000,
      refundedAmount: 1000,
      status: 'partially_refunded',
      createdAt: new Date(DAY1 + minutes(6)),
      paidAt: new Date(DAY1 + minutes(7)),
    });
    // P2 (day 1): arrives and says nothing more.
    await say('391110000002', DAY1 + minutes(10), text(ref));
    // P3 (day 2): taps a menu row (engaged), is asked to pay, has not paid.
    await say('391110000003', DAY2, text(ref));
    await say('391110000003', DAY2 + minutes(1), buttonReply('main/menu/hours', 'Opening hours'));
    await pay({
      id: 'pay-3',
      conversationId: conversationOf('391110000003'),
      amount: 3500,
      status: 'pending',
      createdAt: new Date(DAY2 + minutes(2)),
    });
    // P4 (day 2): arrives through the link, later through an ad, then pays: the ad gets the sale.
    await say('391110000004', DAY2 + minutes(5), text(ref));
    await say('391110000004', DAY2 + minutes(30), {
      ...text('Is the bracelet available?'),
      referral: { source_id: '120000000000001', source_type: 'ad', ctwa_clid: 'clid-p4' },
    });
    await pay({
      id: 'pay-4',
      conversationId: conversationOf('391110000004'),
      amount: 6000,
      status: 'succeeded',
      createdAt: new Date(DAY2 + minutes(31)),
      paidAt: new Date(DAY2 + minutes(32)),
    });

    const funnel = (await api(app).get(`/api/campaigns/${spring}/funnel`)).body.funnel;
    expect(funnel.days).toEqual([
      {
        day: '2026-03-10',
        clicks: 4,
        firstMessages: 2,
        engaged: 1,
        cart: 1,
        paymentRequested: 1,
        paid: 1,
        revenue: 9500,
      },
      {
        day: '2026-03-11',
        clicks: 1,
        firstMessages: 2,
        engaged: 2,
        cart: 0,
        paymentRequested: 1,
        paid: 0,
        revenue: 0,
      },
    ]);
    expect(funnel.totals).toEqual({
      clicks: 5,
      firstMessages: 4,
      engaged: 3,
      cart: 1,
      paymentRequested: 2,
      paid: 1,
      revenue: 9500,
    });
    expect(funnel.cost).toEqual({ amount: 5000, currency: 'EUR' });
    expect(funnel.revenuePerSpend).toBe(1.9);

    const adFunnel = (await api(app).get(`/api/campaigns/${ad}/funnel`)).body.funnel;
    expect(adFunnel.totals).toMatchObject({ firstMessages: 1, paid: 1, revenue: 6000 });

    const csv = await api(app).get(`/api/campaigns/${spring}/funnel.csv`);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    expect(csv.headers['content-disposition']).toBe('attachment; filename="funnel-spring26.csv"');
    expect(csv.text).toBe(
      [
        'day,clicks,first_messages,engaged,quote_or_cart,payment_requested,paid,revenue_EUR',
        '2026-03-10,4,2,1,1,1,1,95.00',
        '2026-03-11,1,2,2,0,1,0,0.00',
        'total,5,4,3,1,2,1,95.00',
        '',
      ].join('\n'),
    );

    // The cost can be entered later; a cost in another currency shows no ratio.
    await api(app).patch(`/api/campaigns/${spring}`, { cost: { amount: 10000, currency: 'USD' } });
    expect((await api(app).get(`/api/campaigns/${spring}/funnel`)).body.funnel.revenuePerSpend).toBeNull();
  });
});
