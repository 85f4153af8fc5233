import request from 'supertest';
import { inboundEvents } from '../../src/store/index.js';
import { signBody } from '../../src/whatsapp/verifySignature.js';
import { metaWebhook, metaWebhookBatch, status, text } from '../fixtures/metaWebhook.js';
import { resetStore, storeKinds, type TestStore } from '../helpers/stores.js';
import { API_TOKEN, APP_SECRET, createTestApp, type TestApp } from '../helpers/testApp.js';

const post = (app: TestApp, raw: string, signature: string | null = signBody(raw, APP_SECRET)) => {
  const req = request(app.http).post('/webhooks/whatsapp').set('content-type', 'application/json');
  return (signature === null ? req : req.set('x-hub-signature-256', signature)).send(raw);
};

describe.each(storeKinds)('HTTP surface on %s', (_kind, open) => {
  let store: TestStore;
  let app: TestApp;
  beforeAll(async () => {
    store = await open();
  });
  afterAll(() => store.close());
  beforeEach(async () => {
    await resetStore(store);
    app = await createTestApp(store, { WHATSAPP_VERIFY_TOKEN: 'verify-me', WEBHOOK_MAX_BODY_BYTES: '20000' });
  });
  afterEach(() => app.close());
  const stored = async () => store.db.select().from(inboundEvents).orderBy(inboundEvents.id);

  test('a signed batch is stored whole, every entry, change, message and status, before the 200', async () => {
    const raw = JSON.stringify(
      metaWebhookBatch([
        {
          changes: [
            { messages: [text('one'), text('two')] },
            { from: '393331112222', statuses: [status('wamid.OUT1', 'delivered')] },
          ],
        },
        { wabaId: '2', changes: [{ from: '34600111222', messages: [text('three')] }] },
      ]),
    );
    const response = await post(app, raw);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ received: 4, stored: 4, duplicates: 0 });
    expect((await stored()).map((e) => e.kind)).toEqual(['message', 'message', 'status', 'message']);
  });

  test('webhooks arriving together share one commit, and a message repeated across them is stored once', async () => {
    const repeated = metaWebhook({ messages: [text('same message')] });
    const others = Array.from({ length: 20 }, (_, i) =>
      metaWebhook({ from: `3933300000${i}`, messages: [text(`hello ${i}`)] }),
    );
    const answers = await Promise.all(
      [repeated, repeated, ...others].map((body) => post(app, JSON.stringify(body))),
    );
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(answers.slice(0, 2).map((a) => [a.body.stored, a.body.duplicates])).toEqual([
      [1, 0],
      [0, 1],
    ]);
    expect(await stored()).toHaveLength(21);
  });

  test.each([
    ['no signature', null],
    ['a wrong signature', `sha256=${'0'.repeat(64)}`],
    ['a signature made with another secret', 'other'],
  ])('%s → 401 and nothing stored', async (_name, signature) => {
    const raw = JSON.stringify(metaWebhook({ messages: [text('hi')] }));
    const response = await post(
      app,
      raw,
      signature === 'other' ? signBody(raw, 'another-secret') : signature,
    );
    expect(response.status).toBe(401);
    expect(response.body.error.code).toBe('bad_signature');
    expect(await stored()).toEqual([]);
  });

  test('an oversized body → 413 with the limit named; a signed non-JSON body → 400', async () => {
    const big = JSON.stringify({ object: 'whatsapp_business_account', entry: [], pad: 'x'.repeat(30_000) });
    const tooLarge = await post(app, big);
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.body.error.message).toMatch(/WEBHOOK_MAX_BODY_BYTES/);
    const notJson = await post(app, 'hello=world');
    expect(notJson.status).toBe(400);
    expect(notJson.body.error.message).toMatch(/not JSON/);
    expect(await stored()).toEqual([]);
  });

  test('a signed payload we cannot read is stored raw, reported, and acknowledged so Meta stops retrying', async () => {
    const raw = JSON.stringify({ object: 'page', entry: 'surprise' });
    const response = await post(app, raw);
    expect(response.status).toBe(200);
    const [event] = await stored();
    expect(event?.status).toBe('unparsed');
    expect((event?.payload as { raw: unknown }).raw).toEqual({ object: 'page', entry: 'surprise' });
    const metrics = await request(app.http).get('/metrics');
    expect(metrics.text).toMatch(/wca_webhook_unparsed_total 1/);
    expect((await post(app, raw)).body).toMatchObject({ stored: 0, duplicates: 1 });
  });

  test("Meta's verification handshake", async () => {
    const ok = await request(app.http)
      .get('/webhooks/whatsapp')
      .query({ 'hub.mode': 'subscribe', 'hub.verify_token': 'verify-me', 'hub.challenge': '1158201444' });
    expect([ok.status, ok.text]).toEqual([200, '1158201444']);
    const bad = await request(app.http)
      .get('/webhooks/whatsapp')
      .query({ 'hub.mode': 'subscribe', 'hub.verify_token': 'nope', 'hub.challenge': '1' });
    expect(bad.status).toBe(403);
  });

  test('every /api route needs the bearer token; dead letters can be listed and put back', async () => {
    expect((await request(app.http).get('/api/conversations')).status).toBe(401);
    expect(
      (await request(app.http).get('/api/conversations').set('authorization', 'Bearer wrong-token')).status,
    ).toBe(401);
    expect(
      (await request(app.http).get('/api/events').set('authorization', `Token ${API_TOKEN}`)).status,
    ).toBe(401);
    const auth = { authorization: `Bearer ${API_TOKEN}` };
    await post(app, JSON.stringify(metaWebhook({ messages: [text('hi')] })));
    await app.settle();
    const list = await request(app.http).get('/api/conversations').set(auth);
    expect(list.status).toBe(200);
    expect(list.body.conversations).toHaveLength(1);
    const id = list.body.conversations[0].id as string;
    const detail = await request(app.http)
      .get(`/api/conversations/${encodeURIComponent(id)}`)
      .set(auth);
    expect(detail.body.messages.map((m: { direction: string }) => m.direction)).toEqual(['in', 'out', 'out']);
    const takeover = await request(app.http)
      .post(`/api/conversations/${encodeURIComponent(id)}/handoff`)
      .set(auth)
      .set('idempotency-key', 'k1')
      .send({ reason: 'vip' });
    expect(takeover.status).toBe(202);
    const again = await request(app.http)
      .post(`/api/conversations/${encodeURIComponent(id)}/handoff`)
      .set(auth)
      .set('idempotency-key', 'k1')
      .send({ reason: 'vip' });
    expect(again.body.duplicate).toBe(true);
    await app.settle();
    expect(
      (
        await request(app.http)
          .get(`/api/conversations/${encodeURIComponent(id)}`)
          .set(auth)
      ).body.conversation.mode,
    ).toBe('handoff');
    const badBody = await request(app.http)
      .post(`/api/conversations/${encodeURIComponent(id)}/release`)
      .set(auth)
      .send({ closingText: 42 });
    expect([badBody.status, badBody.body.error.code]).toEqual([400, 'invalid_request']);
    expect((await request(app.http).get('/api/conversations/nope').set(auth)).status).toBe(404);
    // PostgreSQL cannot compare the NUL character: an address carrying one is refused by name.
    for (const address of ['/api/conversations/a%00b', '/api/events?status=%00', '/pay/%00'])
      expect((await request(app.http).get(address).set(auth)).body.error).toEqual({
        code: 'invalid_address',
        message: 'The address contains the NUL character (%00)',
      });
    expect((await request(app.http).post('/api/events/999/retry').set(auth)).status).toBe(404);
    expect(
      (await request(app.http).get('/api/events').query({ status: 'dead' }).set(auth)).body.events,
    ).toEqual([]);
  });

  test('health, readiness and metrics', async () => {
    expect((await request(app.http).get('/healthz')).body).toEqual({ ok: true });
    expect((await request(app.http).get('/readyz')).body).toMatchObject({ ok: true });
    const metrics = await request(app.http).get('/metrics');
    for (const name of [
      'wca_webhook_duration_seconds',
      'wca_events_processed_total',
      'wca_outbox_lag_seconds',
      'wca_send_errors_total',
      'wca_dead_letters_total',
    ]) {
      expect(metrics.text).toContain(name);
    }
    expect((await request(app.http).get('/nowhere')).status).toBe(404);
  });
});
