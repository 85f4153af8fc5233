import { readFileSync } from 'node:fs';
import { eq } from 'drizzle-orm';
import request from 'supertest';
import { attributions, campaignClicks, conversations } from '../../src/store/index.js';
import { metaWebhook, text } from '../fixtures/metaWebhook.js';
import { storeKinds, type TestStore } from '../helpers/stores.js';
import type { TestApp } from '../helpers/testApp.js';
import {
  api,
  conversationOf,
  createCampaignTestApp,
  DISPLAY_NUMBER,
  resetCampaignStore,
} from './campaignTestApp.js';

const referralWebhook = JSON.parse(
  readFileSync(new URL('../fixtures/whatsapp/inbound-ctwa-referral.json', import.meta.url), 'utf8'),
) as unknown;
const AD_ID = '120226305854810726';
const CLICK_ID =
  'Aff-n8ZTODiE79d22KtAwQKj9e_mIEOOj27vDVwFjN80dp4_0NiNhEgpGo0AHemvuSoifXaytfTzcchptiErTKCqTrJ5nW1h7IHYeYymGb5K5J5iTROpBhWAGaIAeUzHL50';

type Sent = {
  type: string;
  text?: { body: string };
  interactive?: { type: string; body?: { text: string } };
};

describe.each(storeKinds)('campaign attribution on %s', (_kind, open) => {
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

  test('a campaign gets a wa.me link with its ref code, a tracked link and QR codes', async () => {
    const created = await api(app).post('/api/campaigns', {
      name: 'Spring colour',
      refCode: 'spring26',
      entryFlow: 'help',
      welcomeText: 'Welcome, spring colour fans!',
    });
    expect(created.status).toBe(201);
    const { campaign } = created.body as {
      campaign: { id: string; refCode: string; links: Record<string, string> };
    };
    expect(campaign.refCode).toBe('SPRING26');
    expect(campaign.links.prefilledText).toBe('Hi! I would like to know more. [ref:SPRING26]');
    expect(campaign.links.waMe).toBe(
      `https://wa.me/${DISPLAY_NUMBER}?text=Hi!%20I%20would%20like%20to%20know%20more.%20%5Bref%3ASPRING26%5D`,
    );
    expect(campaign.links.tracked).toBe('https://shop.example.com/c/SPRING26');

    const png = await api(app).get(`/api/campaigns/${campaign.id}/qr.png`).buffer(true);
    expect(png.status).toBe(200);
    expect(png.headers['content-type']).toBe('image/png');
    expect(png.headers['content-disposition']).toBe('attachment; filename="spring26-qr.png"');
    expect((png.body as Buffer).subarray(0, 8)).toEqual(Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]));
    const svg = await api(app).get(`/api/campaigns/${campaign.id}/qr.svg`);
    expect(svg.headers['content-type']).toMatch(/^image\/svg\+xml/);
    expect(String(svg.text ?? (svg.body as Buffer).toString())).toMatch(/^<svg/);

    // The tracked link counts the click and hands over to WhatsApp.
    const visit = await request(app.http).get('/c/spring26');
    expect(visit.status).toBe(302);
    expect(visit.headers.location).toBe(campaign.links.waMe);
    expect(await store.db.select().from(campaignClicks)).toHaveLength(1);
    expect((await request(app.http).get('/c/NOPE99')).status).toBe(404);
  });

  test('bad campaigns are refused with what to fix', async () => {
    const noFlow = await api(app).post('/api/campaigns', { name: 'X', refCode: 'ABC', entryFlow: 'nowhere' });
    expect(noFlow.status).toBe(400);
    expect(noFlow.body.error.message).toMatch(/no flow "nowhere" \(known: .*main/);
    const noKey = await api(app).post('/api/campaigns', { name: 'X', entryFlow: 'main' });
    expect(noKey.status).toBe(400);
    expect(noKey.body.error.message).toMatch(/ref code, ad ids, or both/);
    const badCode = await api(app).post('/api/campaigns', { name: 'X', refCode: 'a b', entryFlow: 'main' });
    expect(badCode.status).toBe(400);
    await api(app).post('/api/campaigns', { name: 'A', refCode: 'SAME', entryFlow: 'main' });
    const taken = await api(app).post('/api/campaigns', { name: 'B', refCode: 'same', entryFlow: 'main' });
    expect(taken.status).toBe(409);
    expect((await request(app.http).get('/api/campaigns')).status).toBe(401);
  });

  test('a message carrying the ref code starts the entry flow after the welcome text', async () => {
    const created = await api(app).post('/api/campaigns', {
      name: 'Spring colour',
      refCode: 'SPRING26',
      entryFlow: 'help',
      welcomeText: 'Welcome, spring colour fans!',
    });
    const campaignId = (created.body as { campaign: { id: string } }).campaign.id;
    await app.post(
      metaWebhook({
        from: '393331112222',
        messages: [text('Hi! I would like to know more. [ref:SPRING26]')],
      }),
    );
    await app.settle();
    const sent = app.graph.sent as unknown as Sent[];
    expect(sent[0]?.text?.body).toBe('Welcome, spring colour fans!');
    expect(sent[1]?.interactive?.type).toBe('button');
    expect(sent[1]?.interactive?.body?.text).toMatch(/book appointments/);
    expect(sent).toHaveLength(2);

    const [attribution] = await store.db.select().from(attributions);
    expect(attribution).toMatchObject({
      conversationId: conversationOf('393331112222'),
      waId: '393331112222',
      campaignId,
      kind: 'ref',
      refCode: 'SPRING26',
      ctwaClid: null,
      freeWindowUntil: null,
    });
    const [conversation] = await store.db
      .select()
      .from(conversations)
      .where(eq(conversations.id, conversationOf('393331112222')));
    expect((conversation?.state as { flow: string }).flow).toBe('help');
  });

  test('an ad referral is kept with its click id and opens the 72-hour free window', async () => {
    await api(app).post('/api/campaigns', { name: 'Succulents ad', adIds: [AD_ID], entryFlow: 'main' });
    await app.post(referralWebhook);
    await app.settle();
    const [attribution] = await store.db.select().from(attributions);
    expect(attribution).toMatchObject({
      kind: 'ad',
      sourceId: AD_ID,
      sourceType: 'ad',
      sourceUrl: 'https://fb.me/3cr4Wqqkv',
      ctwaClid: CLICK_ID,
      headline: 'Chat with us',
      body: 'Summer Succulents are here!',
    });
    const at = new Date(1750275992 * 1000);
    expect(attribution?.at).toEqual(at);
    expect(attribution?.freeWindowUntil).toEqual(new Date(at.getTime() + 72 * 3600 * 1000));
    // The contact panel sees where the customer came from, and whether the free window is open.
    app.clock.set(new Date(at.getTime() + 71 * 3600 * 1000).toISOString());
    const panel = (await api(app).get('/api/contacts/16505551234/attributions')).body;
    expect(panel.attributions).toEqual([
      expect.objectContaining({ campaignName: 'Succulents ad', ctwaClid: CLICK_ID, freeWindowOpen: true }),
    ]);
    app.clock.set(new Date(at.getTime() + 73 * 3600 * 1000).toISOString());
    expect(
      (await api(app).get('/api/contacts/16505551234/attributions')).body.attributions[0].freeWindowOpen,
    ).toBe(false);
    // The entry flow (main) begins at its menu; no welcome text was set.
    const sent = app.graph.sent as unknown as Sent[];
    expect(sent.map((m) => m.interactive?.type)).toEqual(['list']);
  });

  test('an unknown ref code is still recorded, and the marker never reaches understanding', async () => {
    await app.post(metaWebhook({ messages: [text('ciao [ref:OLD-FLYER]')] }));
    await app.settle();
    const [attribution] = await store.db.select().from(attributions);
    expect(attribution).toMatchObject({ kind: 'ref', refCode: 'OLD-FLYER', campaignId: null });
    const sent = app.graph.sent as unknown as Sent[];
    // "ciao" is understood as an Italian greeting: the usual welcome, in Italian.
    expect(sent[0]?.text?.body).toMatch(/Benvenut/);
  });

  test('messages without a marker or referral record nothing', async () => {
    await app.post(metaWebhook({ messages: [text('hello')] }));
    await app.settle();
    expect(await store.db.select().from(attributions)).toHaveLength(0);
  });
});
