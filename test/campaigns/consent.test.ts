import { readFileSync } from 'node:fs';
import { eq } from 'drizzle-orm';
import { claimOutbox, insertOutbox, outbox } from '../../src/store/index.js';
import { metaWebhook, status, text } from '../fixtures/metaWebhook.js';
import { storeKinds, type TestStore } from '../helpers/stores.js';
import type { TestApp } from '../helpers/testApp.js';
import { api, conversationOf, createCampaignTestApp, resetCampaignStore } from './campaignTestApp.js';

const CUSTOMER = '393331234567';
const marketingRow = (id: string, waId: string) => ({
  id,
  conversationId: conversationOf(waId),
  recipient: waId,
  kind: 'MarketingTemplate',
  priority: 1,
  payload: { type: 'SendTemplate', id, name: 'new_collection', language: 'it', components: [] },
});

describe.each(storeKinds)('marketing consent on %s', (_kind, open) => {
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

  const consentOf = async (waId: string) => (await api(app).get(`/api/contacts/${waId}/consent`)).body;

  test('the contact panel records opt-in with its wording and opt-out, provable on audit', async () => {
    expect(await consentOf(CUSTOMER)).toEqual({ waId: CUSTOMER, state: 'none', history: [] });
    const noWords = await api(app).post(`/api/contacts/${CUSTOMER}/consent`, { action: 'opt_in' });
    expect(noWords.status).toBe(400);
    expect(noWords.body.error.message).toMatch(/needs the words the customer agreed to/);
    expect((await api(app).post('/api/contacts/12ab/consent', { action: 'opt_out' })).status).toBe(400);
    expect((await api(app).post(`/api/contacts/${CUSTOMER}/consent`, { action: 'maybe' })).status).toBe(400);

    const at = app.clock.now().toISOString();
    const optIn = await api(app).post(`/api/contacts/+39 333 123 4567/consent`, {
      action: 'opt_in',
      wording: 'Sì, voglio ricevere le offerte di Bella Studio su WhatsApp',
      source: 'paper_form',
    });
    expect(optIn.body).toEqual({ waId: CUSTOMER, state: 'opted_in' });
    app.clock.advance(60_000);
    await api(app).post(`/api/contacts/${CUSTOMER}/consent`, { action: 'opt_out' });
    const audit = await consentOf(CUSTOMER);
    expect(audit.state).toBe('opted_out');
    expect(audit.history.map((e: Record<string, unknown>) => [e.action, e.source, e.wording, e.at])).toEqual([
      ['opt_out', 'contact_panel', null, new Date(Date.parse(at) + 60_000).toISOString()],
      ['opt_in', 'paper_form', 'Sì, voglio ricevere le offerte di Bella Studio su WhatsApp', at],
    ]);
  });

  test('STOP in the chat and Meta’s 131050 both opt the contact out', async () => {
    await api(app).post(`/api/contacts/${CUSTOMER}/consent`, { action: 'opt_in', wording: 'Yes to offers' });
    await app.post(metaWebhook({ from: CUSTOMER, messages: [text('STOP')] }));
    await app.settle();
    let audit = await consentOf(CUSTOMER);
    expect(audit.state).toBe('opted_out');
    expect(audit.history[0]).toMatchObject({
      action: 'opt_out',
      source: 'whatsapp_keyword',
      wording: 'STOP',
    });

    const other = '393339999999';
    await api(app).post(`/api/contacts/${other}/consent`, { action: 'opt_in', wording: 'Yes to offers' });
    await app.post(
      metaWebhook({
        from: other,
        statuses: [
          status('wamid.X', 'failed', {
            timestamp: String(app.clock.now().getTime() / 1000 + 10),
            errors: [{ code: 131050, title: 'User stopped marketing messages' }],
          }),
        ],
      }),
    );
    await app.settle();
    audit = await consentOf(other);
    expect(audit.state).toBe('opted_out');
    expect(audit.history[0]).toMatchObject({ source: 'meta_error_131050' });
  });

  test('Meta’s user preferences (stop / resume marketing messages) are recorded as consent', async () => {
    const resume = JSON.parse(
      readFileSync(
        new URL('../fixtures/whatsapp/user-preferences-marketing-resume.json', import.meta.url),
        'utf8',
      ),
    ) as { entry: { changes: { value: { user_preferences: Record<string, unknown>[] } }[] }[] };
    const stop = structuredClone(resume);
    Object.assign(stop.entry[0]!.changes[0]!.value.user_preferences[0]!, {
      value: 'stop',
      detail: 'User requested to stop marketing messages',
      timestamp: 1731705000,
    });
    await app.post(stop);
    await app.settle();
    expect((await consentOf('16505551234')).state).toBe('opted_out');
    await app.post(resume);
    await app.post(resume);
    await app.settle();
    const audit = await consentOf('16505551234');
    expect(audit.state).toBe('opted_in');
    expect(audit.history.map((e: Record<string, unknown>) => [e.action, e.source, e.wording])).toEqual([
      ['opt_in', 'meta_user_preferences', 'User requested to resume marketing messages'],
      ['opt_out', 'meta_user_preferences', 'User requested to stop marketing messages'],
    ]);
  });

  test('the sender refuses a marketing message to an opted-out or never-asked contact, whoever queued it', async () => {
    const yes = '393330000001';
    const stopped = '393330000002';
    const neverAsked = '393330000003';
    await api(app).post(`/api/contacts/${yes}/consent`, { action: 'opt_in', wording: 'Yes to offers' });
    await api(app).post(`/api/contacts/${stopped}/consent`, { action: 'opt_in', wording: 'Yes to offers' });
    await api(app).post(`/api/contacts/${stopped}/consent`, { action: 'opt_out' });
    await insertOutbox(
      store.db,
      [marketingRow('m-yes', yes), marketingRow('m-stopped', stopped), marketingRow('m-never', neverAsked)],
      app.clock.now(),
    );
    await app.settle();
    expect((app.graph.sent as unknown as { to: string }[]).map((m) => m.to)).toEqual([yes]);
    const rows = await store.db.select().from(outbox);
    const byId = Object.fromEntries(rows.map((row) => [row.id, [row.status, row.lastError]]));
    expect(byId).toEqual({
      'm-yes': ['sent', null],
      'm-stopped': ['failed', 'The contact opted out of marketing messages'],
      'm-never': ['failed', 'No recorded marketing opt-in for this contact'],
    });
  });

  test('a conversation reply is claimed ahead of bulk rows queued before it', async () => {
    await insertOutbox(
      store.db,
      Array.from({ length: 5 }, (_, i) => marketingRow(`bulk-${i}`, `39333000010${i}`)),
      app.clock.now(),
    );
    await insertOutbox(
      store.db,
      [
        {
          id: 'reply',
          conversationId: conversationOf(CUSTOMER),
          recipient: CUSTOMER,
          kind: 'SendText',
          payload: {},
        },
      ],
      app.clock.now(),
    );
    const claimed = await claimOutbox(
      store.db,
      app.clock.now(),
      new Date(app.clock.now().getTime() + 60_000),
      3,
    );
    expect(claimed.map((row) => row.id).sort()).toEqual(['bulk-0', 'bulk-1', 'reply']);
    const [reply] = await store.db.select().from(outbox).where(eq(outbox.id, 'reply'));
    expect(reply?.priority).toBe(0);
  });
});
