import request from 'supertest';
import { storeKinds, type TestStore } from '../helpers/stores.js';
import { API_TOKEN, type TestApp } from '../helpers/testApp.js';
import { addStaff, resetInbox } from '../inbox/helpers.js';
import { createCampaignTestApp, resetCampaignStore } from './campaignTestApp.js';

const CAMPAIGN = { name: 'Spring colour', refCode: 'SPRING26', entryFlow: 'main' };

describe.each(storeKinds)('who may use campaigns, on %s', (_kind, open) => {
  let store: TestStore;
  let app: TestApp;
  beforeAll(async () => {
    store = await open();
  });
  afterAll(() => store.close());
  beforeEach(async () => {
    await resetCampaignStore(store);
    await resetInbox(store);
    // Over plain http here: an https PUBLIC_BASE_URL makes the session cookie Secure.
    app = await createCampaignTestApp(store, { PUBLIC_BASE_URL: 'http://shop.example.com' });
  });
  afterEach(() => app.close());

  test('the page and its files send a visitor without a session to sign-in, and back afterwards', async () => {
    const page = await request(app.http).get('/campaigns');
    expect(page.status).toBe(303);
    expect(page.headers.location).toBe('/inbox/login?next=%2Fcampaigns');
    const script = await request(app.http).get('/campaigns/app.js');
    expect(script.status).toBe(303);
    // The API token is for machines: it does not open the page.
    const withToken = await request(app.http).get('/campaigns/').set('Authorization', `Bearer ${API_TOKEN}`);
    expect(withToken.status).toBe(303);
    expect((await request(app.http).get('/api/campaigns')).status).toBe(401);
  });

  test('signed-in staff get the page, and the API with the CSRF token on writes', async () => {
    const staff = await addStaff(app, 'ada@studio.test', 'admin', 'Ada');
    const page = await staff.get('/campaigns/');
    expect(page.status).toBe(200);
    expect(page.text).toContain('<h1>Campaigns</h1>');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect((await staff.get('/campaigns/app.js')).status).toBe(200);

    const missing = await staff.agent.post('/api/campaigns').send(CAMPAIGN);
    expect(missing.status).toBe(403);
    expect(missing.body.error.code).toBe('csrf_missing');
    const wrong = await staff.agent.post('/api/campaigns').set('X-CSRF-Token', 'not-this-one').send(CAMPAIGN);
    expect(wrong.status).toBe(403);
    expect(wrong.body.error.code).toBe('csrf_mismatch');
    expect((await staff.get('/api/campaigns')).body.campaigns).toEqual([]);

    const created = await staff.post('/api/campaigns', CAMPAIGN);
    expect(created.status).toBe(201);
    expect((await staff.get('/api/campaigns')).body.campaigns.map((c: { name: string }) => c.name)).toEqual([
      'Spring colour',
    ]);
  });

  test('machine clients keep the bearer token, without a CSRF token', async () => {
    const created = await request(app.http)
      .post('/api/campaigns')
      .set('Authorization', `Bearer ${API_TOKEN}`)
      .send(CAMPAIGN);
    expect(created.status).toBe(201);
    const wrong = await request(app.http).get('/api/campaigns').set('Authorization', 'Bearer not-the-token');
    expect(wrong.status).toBe(401);
  });

  test('the tracked link stays public', async () => {
    await request(app.http).post('/api/campaigns').set('Authorization', `Bearer ${API_TOKEN}`).send(CAMPAIGN);
    const click = await request(app.http).get('/c/SPRING26');
    expect(click.status).toBe(302);
    expect(click.headers.location).toMatch(/^https:\/\/wa\.me\/\d+\?text=/);
  });
});
