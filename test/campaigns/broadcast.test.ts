import { eq, like } from 'drizzle-orm';
import type { BroadcastPreview } from '../../src/campaigns/createBroadcastDraft.js';
import { broadcastRecipients, insertOutbox, messages, outbox } from '../../src/store/index.js';
import { metaWebhook, status, text } from '../fixtures/metaWebhook.js';
import { storeKinds, type TestStore } from '../helpers/stores.js';
import type { TestApp } from '../helpers/testApp.js';
import { api, conversationOf, createCampaignTestApp, resetCampaignStore } from './campaignTestApp.js';

type Template = {
  to: string;
  type: string;
  biz_opaque_callback_data: string;
  template: { name: string; language: { code: string }; components: { parameters: { text: string }[] }[] };
};
const templates = (app: TestApp) =>
  (app.graph.sent as unknown as Template[]).filter((m) => m.type === 'template');

const A = '393330000001';
const B = '393330000002';
const C = '393330000003';
const D = '393330000004';
const E = '393330000005';
const F = '393330000006';

const optIn = (app: TestApp, waId: string) =>
  api(app).post(`/api/contacts/${waId}/consent`, {
    action: 'opt_in',
    wording: 'Yes, send me Bella Studio offers on WhatsApp',
    source: 'shop_counter',
  });

const springOffer = (audience: unknown) => ({
  name: 'Spring offer',
  template: 'spring_offer',
  variables: { name: { field: 'name', fallback: 'there' }, offer: { text: '20% off colour' } },
  audience,
});

describe.each(storeKinds)('broadcasts on %s', (_kind, open) => {
  let store: TestStore;
  let app: TestApp;
  beforeAll(async () => {
    store = await open();
  });
  afterAll(() => store.close());
  beforeEach(async () => {
    await resetCampaignStore(store);
  });
  afterEach(() => app.close());

  test('dry run, confirm, consent re-checked at send time, 131049 recorded, replies counted', async () => {
    app = await createCampaignTestApp(store);
    // Customers who wrote to us; their names come from their WhatsApp profiles.
    for (const [waId, name] of [
      [A, 'Anna'],
      [B, 'Bruno'],
      [C, 'Carla'],
      [D, 'Dario'],
      [F, 'Fabio'],
    ] as const)
      await app.post(metaWebhook({ from: waId, name, messages: [text('ciao')] }));
    await app.settle();
    for (const waId of [A, B, D, E, F]) expect((await optIn(app, waId)).status).toBe(201);
    // B opts out from the chat; C never opted in; D had a marketing message two hours ago.
    await app.post(metaWebhook({ from: B, messages: [text('STOP')] }));
    await app.settle();
    await insertOutbox(
      store.db,
      [
        {
          id: 'earlier-offer',
          conversationId: conversationOf(D),
          recipient: D,
          kind: 'MarketingTemplate',
          payload: {},
        },
      ],
      app.clock.now(),
    );
    await store.db
      .update(outbox)
      .set({ status: 'sent', sentAt: new Date(app.clock.now().getTime() - 2 * 3600_000) })
      .where(eq(outbox.id, 'earlier-offer'));
    app.graph.sent.length = 0;

    const dry = await api(app).post('/api/broadcasts', springOffer({ type: 'contacts' }));
    expect(dry.status).toBe(201);
    const { broadcast, preview } = dry.body as {
      broadcast: { id: string; status: string };
      preview: BroadcastPreview;
    };
    expect(broadcast.status).toBe('draft');
    expect(preview).toMatchObject({
      candidates: 6,
      willReceive: 3,
      excluded: { opted_out: 1, no_consent: 1, frequency_capped: 1, invalid_number: 0, duplicate: 0 },
    });
    expect(preview.samples[0]).toEqual({
      language: 'it',
      text: 'Ciao Anna! Questa primavera da Bella Studio: 20% off colour. Rispondi a questo messaggio per prenotare.',
    });
    // The dry run sent nothing.
    await app.settle();
    expect(templates(app)).toHaveLength(0);

    const stale = await api(app).post(`/api/broadcasts/${broadcast.id}/confirm`, { expectedRecipients: 4 });
    expect(stale.status).toBe(409);
    expect(stale.body.error.message).toMatch(/preview said 4 recipients but 3 are ready/);
    const confirmed = await api(app).post(`/api/broadcasts/${broadcast.id}/confirm`, {
      expectedRecipients: 3,
    });
    expect(confirmed.body.broadcast.status).toBe('sending');

    // Queued, then A opts out from the contact panel before the sender gets to the message.
    expect(await app.campaigns.runner.feed()).toBe(3);
    expect((await api(app).post(`/api/contacts/${A}/consent`, { action: 'opt_out' })).status).toBe(201);
    await app.settle();
    const sent = templates(app);
    expect(sent.map((m) => m.to).sort()).toEqual([E, F]);
    const toE = sent.find((m) => m.to === E) as Template;
    expect(toE.template.name).toBe('spring_offer');
    expect(toE.template.components[0]?.parameters.map((p) => p.text)).toEqual(['there', '20% off colour']);

    // Meta refuses F's message for frequency capping; E's is delivered and read, then E replies.
    const toF = sent.find((m) => m.to === F) as Template;
    const wamidOf = async (outboxId: string) =>
      (await store.db.select().from(messages).where(eq(messages.outboxId, outboxId)))[0]?.wamid as string;
    const wamidF = await wamidOf(toF.biz_opaque_callback_data);
    const wamidE = await wamidOf(toE.biz_opaque_callback_data);
    await app.post(
      metaWebhook({
        from: F,
        statuses: [
          status(wamidF, 'failed', {
            biz_opaque_callback_data: toF.biz_opaque_callback_data,
            errors: [
              {
                code: 131049,
                title: 'This message was not delivered to maintain healthy ecosystem engagement.',
              },
            ],
          }),
        ],
      }),
    );
    await app.post(
      metaWebhook({
        from: E,
        statuses: [
          status(wamidE, 'delivered', { biz_opaque_callback_data: toE.biz_opaque_callback_data }),
          status(wamidE, 'read', { biz_opaque_callback_data: toE.biz_opaque_callback_data }),
        ],
      }),
    );
    await app.settle();
    let progress = (await api(app).get(`/api/broadcasts/${broadcast.id}`)).body;
    expect(progress.broadcast.status).toBe('done');
    expect(progress.progress.byStatus).toMatchObject({
      excluded: 3,
      read: 1,
      failed: 2,
      queued: 0,
      waiting: 0,
    });
    expect(progress.progress.failures).toEqual(
      expect.arrayContaining([
        {
          code: 131049,
          reason: 'This message was not delivered to maintain healthy ecosystem engagement.',
          count: 1,
        },
        { code: null, reason: 'The contact opted out of marketing messages', count: 1 },
      ]),
    );
    // A frequency-capped message is final: it is never sent again.
    const [rowF] = await store.db.select().from(outbox).where(eq(outbox.id, toF.biz_opaque_callback_data));
    expect(rowF?.status).toBe('sent');
    app.clock.advance(60_000);
    await app.post(
      metaWebhook({
        from: E,
        messages: [text('Yes please, Saturday?', { timestamp: String(app.clock.now().getTime() / 1000) })],
      }),
    );
    await app.settle();
    progress = (await api(app).get(`/api/broadcasts/${broadcast.id}`)).body;
    expect(progress.progress.byStatus).toMatchObject({ replied: 1, read: 0 });
    const failed = (await api(app).get(`/api/broadcasts/${broadcast.id}/recipients?status=failed`)).body;
    expect(failed.recipients.map((r: { waId: string; reason: string }) => [r.waId, r.reason])).toEqual([
      [A, 'The contact opted out of marketing messages'],
      [F, '131049 This message was not delivered to maintain healthy ecosystem engagement.'],
    ]);

    // The next dry run skips F, whom Meta just capped, and counts nobody twice.
    const again = (await api(app).post('/api/broadcasts', springOffer({ type: 'contacts' }))).body.preview;
    expect(again.excluded).toMatchObject({ opted_out: 2, frequency_capped: 3 });
    expect(again.willReceive).toBe(0);
  });

  test('a CSV audience gets a per-row report, and pause, resume and cancel act at once', async () => {
    app = await createCampaignTestApp(store, { WHATSAPP_MPS: '10' });
    const rows = ['phone,name,language'];
    for (let i = 0; i < 30; i++) rows.push(`+39 333 100 ${String(i).padStart(4, '0')},Cliente ${i},it`);
    rows.push('not-a-number,Nobody,en', '+39 333 100 0000,Twice,it', ',Empty,en');
    const dry = await api(app).post(
      '/api/broadcasts',
      springOffer({
        type: 'csv',
        csv: rows.join('\n'),
        consent: { wording: 'I agree to receive offers on WhatsApp', source: 'spring_fair_form' },
      }),
    );
    expect(dry.status).toBe(201);
    const { broadcast, preview } = dry.body;
    expect(preview.csv).toEqual({
      rows: 33,
      accepted: 30,
      problemCount: 3,
      problems: [
        { row: 32, value: 'not-a-number', reason: 'invalid_number' },
        { row: 33, value: '+39 333 100 0000', reason: 'duplicate' },
        { row: 34, value: '', reason: 'missing_phone' },
      ],
    });
    await api(app).post(`/api/broadcasts/${broadcast.id}/confirm`, { expectedRecipients: 30 });
    // Consent declared for the import is recorded per contact, with its words.
    const consent = (await api(app).get('/api/contacts/393331000007/consent')).body;
    expect(consent.state).toBe('opted_in');
    expect(consent.history[0]).toMatchObject({
      source: 'import:spring_fair_form',
      wording: 'I agree to receive offers on WhatsApp',
    });

    // Two seconds of the number's rate are queued at a time.
    expect(await app.campaigns.runner.feed()).toBe(20);
    const paused = await api(app).post(`/api/broadcasts/${broadcast.id}/pause`);
    expect(paused.body.broadcast.status).toBe('paused');
    expect(
      await store.db
        .select()
        .from(outbox)
        .where(like(outbox.id, `bc:${broadcast.id}:%`)),
    ).toHaveLength(0);
    expect(await app.campaigns.runner.feed()).toBe(0);
    await app.settle();
    expect(templates(app)).toHaveLength(0);
    expect((await api(app).post(`/api/broadcasts/${broadcast.id}/pause`)).status).toBe(409);

    await api(app).post(`/api/broadcasts/${broadcast.id}/resume`);
    expect(await app.campaigns.runner.feed()).toBe(20);
    await app.sender.drain();
    expect(templates(app)).toHaveLength(20);
    const cancelled = await api(app).post(`/api/broadcasts/${broadcast.id}/cancel`);
    expect(cancelled.body.broadcast.status).toBe('cancelled');
    await app.settle();
    expect(templates(app)).toHaveLength(20);
    const progress = (await api(app).get(`/api/broadcasts/${broadcast.id}`)).body.progress;
    expect(progress.byStatus).toMatchObject({ sent: 20, cancelled: 10, excluded: 3 });
    expect(new Set(templates(app).map((m) => m.to)).size).toBe(20);
  });

  test('broadcasts send only inside the configured hours; queued rows wait for the next opening', async () => {
    app = await createCampaignTestApp(store, { BROADCAST_SEND_HOURS: '09:00-20:00' });
    await optIn(app, A);
    await optIn(app, E);
    app.clock.set('2026-03-10T18:59:00Z'); // 19:59 in Milan
    const { broadcast } = (await api(app).post('/api/broadcasts', springOffer({ type: 'contacts' }))).body;
    await api(app).post(`/api/broadcasts/${broadcast.id}/confirm`, { expectedRecipients: 2 });
    expect(await app.campaigns.runner.feed()).toBe(2);
    app.clock.set('2026-03-10T19:30:00Z'); // 20:30 in Milan: closed
    await app.sender.drain();
    expect(templates(app)).toHaveLength(0);
    const held = await store.db
      .select()
      .from(outbox)
      .where(like(outbox.id, `bc:${broadcast.id}:%`));
    expect(held.map((row) => [row.status, row.nextAttemptAt.toISOString(), row.attempts])).toEqual([
      ['pending', '2026-03-11T08:00:00.000Z', 0],
      ['pending', '2026-03-11T08:00:00.000Z', 0],
    ]);
    app.clock.set('2026-03-11T08:00:00Z');
    await app.settle();
    expect(templates(app)).toHaveLength(2);
  });

  test('invalid broadcasts are refused with what to fix', async () => {
    app = await createCampaignTestApp(store);
    const unknown = await api(app).post('/api/broadcasts', {
      ...springOffer({ type: 'contacts' }),
      template: 'nope',
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.message).toMatch(/no template "nope".*spring_offer/);
    const noVars = await api(app).post('/api/broadcasts', {
      ...springOffer({ type: 'contacts' }),
      variables: {},
    });
    expect(noVars.body.error.message).toMatch(/say where "name", "offer" come from/);
    const badCsv = await api(app).post('/api/broadcasts', springOffer({ type: 'csv', csv: 'name\nAnna' }));
    expect(badCsv.body.error.message).toMatch(/"phone" column/);
    expect((await api(app).post('/api/broadcasts/nope/confirm', { expectedRecipients: 1 })).status).toBe(404);
    expect(await store.db.select().from(broadcastRecipients)).toHaveLength(0);
  });
});
