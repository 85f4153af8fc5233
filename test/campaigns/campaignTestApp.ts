import { sql } from 'drizzle-orm';
import request from 'supertest';
import type { Env } from '../../src/config.js';
import { resetStore, type TestStore } from '../helpers/stores.js';
import { API_TOKEN, APP_SECRET, createTestApp, type TestApp } from '../helpers/testApp.js';

export const PHONE_NUMBER_ID = '106540352242922';
export const DISPLAY_NUMBER = '15550783881';
export const conversationOf = (waId: string) => `${PHONE_NUMBER_ID}:${waId}`;

/** The product configured as in production (live mode, Meta's sample number), loops off. */
export function createCampaignTestApp(store: TestStore, env: Env = {}): Promise<TestApp> {
  return createTestApp(store, {
    WHATSAPP_ACCESS_TOKEN: 'test-access-token',
    WHATSAPP_PHONE_NUMBER_ID: PHONE_NUMBER_ID,
    WHATSAPP_APP_SECRET: APP_SECRET,
    WHATSAPP_DISPLAY_PHONE_NUMBER: `+${DISPLAY_NUMBER}`,
    API_TOKEN,
    PUBLIC_BASE_URL: 'https://shop.example.com',
    ...env,
  });
}

/** Empties the core tables and the campaign tables. */
export async function resetCampaignStore(store: TestStore): Promise<void> {
  await resetStore(store);
  await store.db.execute(
    sql`TRUNCATE campaigns, campaign_clicks, attributions, funnel_marks, broadcasts, broadcast_recipients, capi_events, payments RESTART IDENTITY`,
  );
}

/** Authenticated API calls against the app's HTTP surface. */
export function api(app: TestApp) {
  const agent = request(app.http);
  const auth = { Authorization: `Bearer ${API_TOKEN}` };
  return {
    get: (path: string) => agent.get(path).set(auth),
    post: (path: string, body: unknown = {}) =>
      agent
        .post(path)
        .set(auth)
        .send(body as object),
    patch: (path: string, body: unknown) =>
      agent
        .patch(path)
        .set(auth)
        .send(body as object),
  };
}
