import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { capiEvents, outbox, type Db } from '../../src/store/index.js';
import { buildCapiBody } from '../../src/campaigns/index.js';
import { metaWebhook, text } from '../fixtures/metaWebhook.js';
import { storeKinds, type TestStore } from '../helpers/stores.js';
import type { TestApp } from '../helpers/testApp.js';
import { api, conversationOf, createCampaignTestApp, resetCampaignStore } from './campaignTestApp.js';

const referralWebhook = JSON.parse(
  readFileSync(new URL('../fixtures/whatsapp/inbound-ctwa-referral.json', import.meta.url), 'utf8'),
) as unknown;
const CUSTOMER = '16505551234';
const CLICK_ID =
  'Aff-n8ZTODiE79d22KtAwQKj9e_mIEOOj27vDVwFjN80dp4_0NiNhEgpGo0AHemvuSoifXaytfTzcchptiErTKCqTrJ5nW1h7IHYeYymGb5K5J5iTROpBhWAGaIAeUzHL50';

interface Received {
  path: string;
  authorization: string | undefined;
  body: { data: Record<string, unknown>[] };
}

/** A local stand-in for the Conversions API: records requests, answers with queued statuses. */
async function startCapiStub() {
  const received: Received[] = [];
  const answers: { status: number; body: unknown }[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({
        path: req.url ?? '',
        authorization: req.headers.authorization,
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Received['body'],
      });
      const answer = answers.shift() ?? { status: 200, body: { events_received: 1, fbtrace_id: 'stub' } };
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    answers,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe.each(storeKinds)('Conversions API on %s', (_kind, open) => {
  let store: TestStore;
  let app: TestApp;
  let stub: Awaited<ReturnType<typeof startCapiStub>>;
  beforeAll(async () => {
    store = await open();
    stub = await startCapiStub();
  });
  afterAll(async () => {
    await stub.close();
    await store.close();
  });
  beforeEach(async () => {
    await resetCampaignStore(store);
    stub.received.length = 0;
    stub.answers.length = 0;
  });
  afterEach(() => app.close());

  const configured = () =>
    createCampaignTestApp(store, {
      META_DATASET_ID: '987654321',
      META_CAPI_ACCESS_TOKEN: 'capi-test-token',
      WHATSAPP_GRAPH_URL: stub.url,
    });

  test('LeadSubmitted when an ad click turns into a conversation, Purchase when it pays', async () => {
    app = await configured();
    const campaignId = (
      await api(app).post('/api/campaigns', {
        name: 'Succulents',
        adIds: ['120226305854810726'],
        entryFlow: 'main',
      })
    ).body.campaign.id as string;
    await app.post(referralWebhook);
    await app.settle();
    // One message is not yet a lead.
    expect(stub.received).toHaveLength(0);
    await app.post(metaWebhook({ messages: [text('Do you ship to Rome?', { timestamp: '1750276100' })] }));
    await app.settle();
    expect(stub.received).toEqual([
      {
        path: '/v23.0/987654321/events',
        authorization: 'Bearer capi-test-token',
        body: {
          data: [
            {
              event_name: 'LeadSubmitted',
              event_time: 1750276100,
              event_id: 'capi:lead:1',
              action_source: 'business_messaging',
              messaging_channel: 'whatsapp',
              user_data: { ctwa_clid: CLICK_ID },
            },
          ],
        },
      },
    ]);
    // Later messages do not repeat it.
    await app.post(metaWebhook({ messages: [text('Thanks')] }));
    await app.settle();
    expect(stub.received).toHaveLength(1);

    await store.db.transaction((tx) =>
      app.campaigns.hooks.onPaymentSucceeded(tx as unknown as Db, {
        id: 'pay_123',
        conversationId: conversationOf(CUSTOMER),
        amount: 4500,
        currency: 'EUR',
        paidAt: '2025-06-18T20:00:00.000Z',
      }),
    );
    await app.settle();
    expect(stub.received[1]?.body.data[0]).toEqual({
      event_name: 'Purchase',
      event_time: Date.parse('2025-06-18T20:00:00.000Z') / 1000,
      event_id: 'capi:purchase:pay_123',
      action_source: 'business_messaging',
      messaging_channel: 'whatsapp',
      user_data: { ctwa_clid: CLICK_ID },
      custom_data: { value: 45, currency: 'EUR' },
    });
    const funnel = (await api(app).get(`/api/campaigns/${campaignId}/funnel`)).body.funnel;
    expect(funnel.capi).toEqual({ sent: 2, queued: 0, failed: 0, lastErrors: [] });
  });

  test('throttling is retried with backoff; a refusal is final and shown with its reason', async () => {
    app = await configured();
    const campaignId = (
      await api(app).post('/api/campaigns', {
        name: 'Succulents',
        adIds: ['120226305854810726'],
        entryFlow: 'main',
      })
    ).body.campaign.id as string;
    await app.post(referralWebhook);
    await app.settle();
    stub.answers.push({
      status: 500,
      body: { error: { message: 'Service temporarily unavailable', code: 2 } },
    });
    await app.post(metaWebhook({ messages: [text('More info please', { timestamp: '1750276100' })] }));
    await app.settle();
    expect(stub.received).toHaveLength(1);
    let [event] = await store.db.select().from(capiEvents);
    expect(event).toMatchObject({
      status: 'queued',
      error: 'Conversions API answered 500: Service temporarily unavailable',
    });
    app.clock.advance(10_000);
    await app.settle();
    expect(stub.received).toHaveLength(2);
    [event] = await store.db.select().from(capiEvents);
    expect(event?.status).toBe('sent');

    stub.answers.push({
      status: 400,
      body: { error: { message: 'Invalid parameter', code: 100, error_user_msg: 'ctwa_clid is not valid' } },
    });
    await store.db.transaction((tx) =>
      app.campaigns.hooks.onPaymentSucceeded(tx as unknown as Db, {
        id: 'pay_9',
        conversationId: conversationOf(CUSTOMER),
        amount: 1000,
        currency: 'EUR',
        paidAt: '2025-06-19T10:00:00.000Z',
      }),
    );
    await app.settle();
    app.clock.advance(600_000);
    await app.settle();
    expect(stub.received).toHaveLength(3);
    const funnel = (await api(app).get(`/api/campaigns/${campaignId}/funnel`)).body.funnel;
    expect(funnel.capi).toEqual({
      sent: 1,
      queued: 0,
      failed: 1,
      lastErrors: [{ event: 'Purchase', error: 'Conversions API answered 400: ctwa_clid is not valid' }],
    });
  });

  test('off unless configured: nothing is queued', async () => {
    app = await createCampaignTestApp(store);
    await app.post(referralWebhook);
    await app.post(metaWebhook({ messages: [text('More info please')] }));
    await app.settle();
    await store.db.transaction((tx) =>
      app.campaigns.hooks.onPaymentSucceeded(tx as unknown as Db, {
        id: 'pay_1',
        conversationId: conversationOf(CUSTOMER),
        amount: 1000,
        currency: 'EUR',
        paidAt: null,
      }),
    );
    expect(await store.db.select().from(capiEvents)).toHaveLength(0);
    expect((await store.db.select().from(outbox)).filter((row) => row.kind === 'CapiEvent')).toHaveLength(0);
  });

  test('amounts are sent in major units of their currency', () => {
    const body = (value: number, currency: string) =>
      (
        buildCapiBody({
          eventId: 'e',
          eventName: 'Purchase',
          ctwaClid: 'c',
          eventTime: 1,
          value,
          currency,
        }) as {
          data: { custom_data: unknown }[];
        }
      ).data[0]?.custom_data;
    expect(body(8990, 'EUR')).toEqual({ value: 89.9, currency: 'EUR' });
    expect(body(1500, 'JPY')).toEqual({ value: 1500, currency: 'JPY' });
    expect(body(12345, 'KWD')).toEqual({ value: 12.345, currency: 'KWD' });
  });
});
