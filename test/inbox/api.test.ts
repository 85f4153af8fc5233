import { eq } from 'drizzle-orm';
import request from 'supertest';
import { handoffEvents, messages, timers } from '../../src/store/index.js';
import { buttonReply, metaWebhook, text } from '../fixtures/metaWebhook.js';
import { resetStore, storeKinds, type TestStore } from '../helpers/stores.js';
import { API_TOKEN, createTestApp, type TestApp } from '../helpers/testApp.js';
import { addStaff, resetInbox, signIn, type Staff } from './helpers.js';

const CUSTOMER = '16505551234';
const CONVERSATION = `106540352242922:${CUSTOMER}`;
const path = (suffix = '') => `/api/inbox/conversations/${encodeURIComponent(CONVERSATION)}${suffix}`;

type Sent = {
  type: string;
  text?: { body: string };
  template?: { name: string };
  interactive?: { body: { text: string }; action: { buttons: { reply: { id: string; title: string } }[] } };
};
const sent = (app: TestApp) => app.graph.sent as unknown as Sent[];
const unix = (app: TestApp) => String(Math.floor(app.clock.now().getTime() / 1000));

/** A customer message stamped with the test clock, so the 24-hour window follows the clock. */
const say = async (app: TestApp, body: string) => {
  await app.post(metaWebhook({ messages: [text(body, { timestamp: unix(app) })] }));
  await app.settle();
};

describe.each(storeKinds)('the inbox API on %s', (_kind, open) => {
  let store: TestStore;
  let app: TestApp;
  let admin: Staff;
  let agent: Staff;
  let other: Staff;
  beforeAll(async () => {
    store = await open();
  });
  afterAll(() => store.close());
  beforeEach(async () => {
    await resetStore(store);
    await resetInbox(store);
    // Tuesday 10:00 in Milan: the studio is open.
    app = await createTestApp(store);
    app.clock.set('2026-03-03T09:00:00Z');
    admin = await addStaff(app, 'ada@studio.test', 'admin', 'Ada');
    agent = await addStaff(app, 'bruno@studio.test', 'agent', 'Bruno');
    other = await addStaff(app, 'carla@studio.test', 'agent', 'Carla');
  });
  afterEach(() => app.close());

  const handOver = async () => {
    await say(app, 'I want to talk to a person');
    expect(sent(app).some((m) => m.text?.body.includes('passing you to our team'))).toBe(true);
  };

  test('without a session or token every API route and the inbox page refuse', async () => {
    const anonymous = request(app.http);
    for (const route of [
      '/api/inbox/queue',
      path(),
      '/api/inbox/stream',
      '/api/inbox/staff',
      '/api/conversations',
    ])
      expect((await anonymous.get(route)).status).toBe(401);
    expect((await anonymous.post(path('/reply')).send({ text: 'hi' })).status).toBe(401);
    const page = await anonymous.get('/inbox/');
    expect(page.status).toBe(303);
    expect(page.headers.location).toMatch(/^\/inbox\/login\?next=/);
    expect((await anonymous.get('/inbox/login')).status).toBe(200);
    expect((await anonymous.get('/healthz')).status).toBe(200);
    expect(
      (await anonymous.get('/api/inbox/queue').set('Authorization', 'Bearer wrong-token-wrong-token')).status,
    ).toBe(401);
  });

  test('the API token keeps working for machine clients, but cannot act as a person', async () => {
    await handOver();
    const machine = request(app.http);
    const queue = await machine
      .get('/api/inbox/queue')
      .set('Authorization', `Bearer ${API_TOKEN}`)
      .expect(200);
    expect(queue.body.items.map((item: { id: string }) => item.id)).toEqual([CONVERSATION]);
    await machine.get('/api/conversations').set('Authorization', `Bearer ${API_TOKEN}`).expect(200);
    const take = await machine.post(path('/take')).set('Authorization', `Bearer ${API_TOKEN}`).send({});
    expect(take.status).toBe(403);
    expect(take.body.error.code).toBe('staff_only');
  });

  test('session cookies are HttpOnly and SameSite=Lax, and Secure behind https', async () => {
    const login = await request(app.http)
      .post('/inbox/login')
      .send({ email: 'ada@studio.test', password: 'correct horse battery' })
      .expect(200);
    const cookie = String(login.headers['set-cookie']);
    expect(cookie).toMatch(/wca_session=[\w-]{40,};/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).not.toMatch(/Secure/);
    const https = await createTestApp(store, { PUBLIC_BASE_URL: 'https://wa.example.com' });
    try {
      const secure = await request(https.http)
        .post('/inbox/login')
        .send({ email: 'ada@studio.test', password: 'correct horse battery' })
        .expect(200);
      expect(String(secure.headers['set-cookie'])).toMatch(/Secure/);
    } finally {
      await https.close();
    }
  });

  test('sign-in refuses wrong passwords, then rate-limits with Retry-After', async () => {
    const anonymous = request(app.http);
    const form = await anonymous.post('/inbox/login').type('form').send('email=ada@studio.test&password=x');
    expect(form.status).toBe(400);
    for (let attempt = 0; attempt < 5; attempt++) {
      const wrong = await anonymous
        .post('/inbox/login')
        .send({ email: 'ada@studio.test', password: 'wrong password' });
      expect(wrong.status).toBe(401);
      expect(wrong.body.error.message).toBe('Wrong email or password');
    }
    const limited = await anonymous
      .post('/inbox/login')
      .send({ email: 'ADA@studio.test', password: 'correct horse battery' });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(60);
    // Another account from the same address may still sign in.
    await anonymous
      .post('/inbox/login')
      .send({ email: 'bruno@studio.test', password: 'correct horse battery' })
      .expect(200);
  });

  test('writes need the CSRF token of the session', async () => {
    await handOver();
    const missing = await agent.agent.post(path('/take')).send({});
    expect(missing.status).toBe(403);
    expect(missing.body.error.code).toBe('csrf_missing');
    const wrong = await agent.agent.post(path('/take')).set('X-CSRF-Token', other.csrf).send({});
    expect(wrong.status).toBe(403);
    expect(wrong.body.error.code).toBe('csrf_mismatch');
    await agent.post(path('/take')).expect(200);
  });

  test('take, reply, notes, tags, resolve: the bot is silent meanwhile and answers again after', async () => {
    await handOver();
    const waiting = await agent.get('/api/inbox/queue?tab=waiting').expect(200);
    expect(waiting.body.items).toHaveLength(1);
    expect(waiting.body.items[0].handoff).toMatchObject({
      status: 'waiting',
      reason: 'customer_request',
      assignee: null,
    });

    // Replying before anyone took it is refused.
    expect((await agent.post(path('/reply'), { text: 'Hi' })).body.error.code).toBe('not_assigned');
    await agent.post(path('/take')).expect(200);
    const mine = await agent.get('/api/inbox/queue?tab=mine').expect(200);
    expect(mine.body.items[0].handoff.assignee).toEqual({ id: agent.id, name: 'Bruno' });

    // Someone else's conversation.
    const stolen = await other.post(path('/take'));
    expect(stolen.status).toBe(403);
    expect(stolen.body.error).toMatchObject({
      code: 'owned_by_other',
      message: expect.stringContaining('Bruno'),
    });
    expect((await other.post(path('/reply'), { text: 'me too' })).status).toBe(403);
    expect((await other.post(path('/resolve'))).status).toBe(403);
    expect((await other.post(path('/assign'), { staffId: other.id })).status).toBe(403);

    // The bot stays silent while staff have the conversation.
    const before = sent(app).length;
    await say(app, 'hello?');
    expect(sent(app)).toHaveLength(before);

    expect((await agent.post(path('/reply'), { text: '' })).status).toBe(400);
    const reply = await agent
      .post(path('/reply'), { text: 'Hi Sheena, Bruno here. How can I help?' })
      .expect(202);
    await app.settle();
    expect(sent(app).at(-1)).toMatchObject({
      type: 'text',
      text: { body: 'Hi Sheena, Bruno here. How can I help?' },
    });
    const detail = await agent.get(path()).expect(200);
    const staffLine = detail.body.messages.find(
      (m: { outboxId: string }) => m.outboxId === reply.body.outboxId,
    );
    expect(staffLine).toMatchObject({
      direction: 'out',
      status: 'accepted',
      author: { id: agent.id, name: 'Bruno' },
    });
    expect(detail.body.window.open).toBe(true);
    expect(detail.body.contact).toMatchObject({ waId: CUSTOMER, name: 'Sheena Nelson', optedOut: false });

    await agent.post(path('/notes'), { text: 'Wants a colour appointment' }).expect(201);
    const nul = await agent.post(path('/notes'), { text: 'pasted\u0000from a PDF' });
    expect(nul.status).toBe(400);
    expect(nul.body.error.message).toMatch(/^body\.text: contains the NUL character \(U\+0000\)/);
    await agent.put(path('/tags'), { tags: ['VIP', 'colour', 'vip'] }).expect(200);
    expect((await agent.put(path('/tags'), { tags: ['<script>'] })).status).toBe(400);
    const withNotes = await admin.get(path()).expect(200);
    expect(withNotes.body.notes).toEqual([
      expect.objectContaining({
        text: 'Wants a colour appointment',
        author: { id: agent.id, name: 'Bruno' },
      }),
    ]);
    expect(withNotes.body.conversation.handoff.tags).toEqual(['vip', 'colour']);

    await agent.post(path('/resolve'), { closingText: 'Glad I could help!' }).expect(202);
    await app.settle();
    const bodies = sent(app)
      .slice(-2)
      .map((m) => m.text?.body);
    expect(bodies[0]).toBe('Glad I could help!');
    expect(bodies[1]).toContain("I'm back");

    const events = await admin
      .get(`/api/inbox/handoff-events?conversationId=${encodeURIComponent(CONVERSATION)}`)
      .expect(200);
    expect(events.body.events.map((e: { type: string }) => e.type).reverse()).toEqual([
      'started',
      'assigned',
      'resolved',
      'bot_resumed',
    ]);
    expect(events.body.events[1].actor).toEqual({ id: agent.id, name: 'Bruno' });
    expect(events.body.events[3].actor).toEqual({ by: 'bot' });

    await say(app, 'hello');
    expect(sent(app).at(-2)?.text?.body).toContain('Welcome to Bella Studio');
    const resolved = await agent.get('/api/inbox/queue?tab=resolved').expect(200);
    expect(resolved.body.items[0].handoff.status).toBe('resolved');

    const metrics = await request(app.http).get('/metrics').expect(200);
    expect(metrics.text).toMatch(/wca_handoff_events_total\{type="started"\} 1/);
    expect(metrics.text).toMatch(/wca_handoff_first_reply_seconds_count 1/);
  });

  test('outside the 24-hour window free text is refused and a template goes out instead', async () => {
    await handOver();
    await agent.post(path('/take')).expect(200);
    app.clock.advance(25 * 3_600_000);
    // A day later the old session has ended; the agent signs in again.
    expect((await agent.get('/api/inbox/queue')).status).toBe(401);
    agent = await signIn(app, 'bruno@studio.test');
    const refused = await agent.post(path('/reply'), { text: 'Still there?' });
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({
      code: 'outside_window',
      message: expect.stringContaining('template'),
    });
    expect((await agent.get(path())).body.window.open).toBe(false);

    const templates = await agent.get('/api/inbox/templates').expect(200);
    expect(templates.body.templates.map((t: { name: string }) => t.name)).toContain('conversation_follow_up');
    expect(
      (await agent.post(path('/template'), { name: 'conversation_follow_up', language: 'en', values: [] }))
        .status,
    ).toBe(400);
    expect(
      (await agent.post(path('/template'), { name: 'nope', language: 'en', values: ['x'] })).status,
    ).toBe(400);
    await agent
      .post(path('/template'), { name: 'conversation_follow_up', language: 'en', values: ['Sheena'] })
      .expect(202);
    await app.settle();
    expect(sent(app).at(-1)).toMatchObject({
      type: 'template',
      template: { name: 'conversation_follow_up' },
    });
    expect((await agent.post(path('/resolve'), { closingText: 'Bye' })).body.error.code).toBe(
      'outside_window',
    );
  });

  test('assign to someone, round-robin, unassign; admins may reassign anyone', async () => {
    await handOver();
    await agent.post(path('/assign'), { staffId: other.id }).expect(200);
    expect((await other.get('/api/inbox/queue?tab=mine')).body.items).toHaveLength(1);
    expect((await agent.post(path('/assign'), { staffId: agent.id })).status).toBe(403);
    expect((await admin.post(path('/assign'), { staffId: 'nobody' })).status).toBe(400);
    await admin.post(path('/assign'), { roundRobin: true }).expect(200);
    await other.post(path('/unassign')).expect(403);
    await admin.post(path('/unassign')).expect(200);
    expect((await agent.get('/api/inbox/queue?tab=waiting')).body.items).toHaveLength(1);
  });

  test('taking a conversation from the bot hands it over to the one who took it', async () => {
    await say(app, 'hello');
    expect((await agent.post(path('/reply'), { text: 'hi' })).body.error.code).toBe('not_in_handoff');
    await agent.post(path('/take')).expect(202);
    await app.settle();
    const item = (await agent.get('/api/inbox/queue?tab=mine')).body.items[0];
    expect(item).toMatchObject({
      mode: 'handoff',
      handoff: { status: 'assigned', reason: 'staff_takeover', assignee: { id: agent.id } },
    });
  });

  test('admins invite and deactivate staff; agents may not; deactivation ends sessions', async () => {
    const refused = await agent.post('/api/inbox/staff', { email: 'x@studio.test', name: 'X' });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('wrong_role');
    expect((await agent.get('/api/inbox/staff')).status).toBe(403);

    const invited = await admin
      .post('/api/inbox/staff', { email: 'Dora@Studio.test', name: 'Dora', role: 'agent' })
      .expect(201);
    expect(invited.body.staff).toMatchObject({ email: 'dora@studio.test', invited: true, active: true });
    expect((await admin.post('/api/inbox/staff', { email: 'dora@studio.test', name: 'Dora' })).status).toBe(
      409,
    );
    const token = String(invited.body.inviteLink).split('#')[1] as string;
    expect(invited.body.inviteLink).toMatch(/^http:\/\/localhost:3000\/inbox\/invite#/);
    const anonymous = request(app.http);
    expect((await anonymous.post('/inbox/invite').send({ token, password: 'short' })).status).toBe(400);
    await anonymous.post('/inbox/invite').send({ token, password: 'a long enough password' }).expect(200);
    expect(
      (await anonymous.post('/inbox/invite').send({ token, password: 'a long enough password' })).status,
    ).toBe(403);
    const dora = await signIn(app, 'dora@studio.test', 'a long enough password');

    await handOver();
    await dora.post(path('/take')).expect(200);
    await admin.post(`/api/inbox/staff/${dora.id}/deactivate`).expect(200);
    expect((await dora.get('/api/inbox/queue')).status).toBe(401);
    expect(
      (
        await request(app.http)
          .post('/inbox/login')
          .send({ email: 'dora@studio.test', password: 'a long enough password' })
      ).status,
    ).toBe(401);
    // Her conversation went back to the queue.
    expect((await admin.get('/api/inbox/queue?tab=waiting')).body.items).toHaveLength(1);
    expect((await admin.post(`/api/inbox/staff/${admin.id}/deactivate`)).body.error.code).toBe('self');
    await agent.post('/inbox/logout').expect(200);
    expect((await agent.get('/api/inbox/queue')).status).toBe(401);
  });

  test('me, quick replies, unknown conversations, idempotent replies, re-invites and reactivation', async () => {
    const me = await agent.get('/api/inbox/me').expect(200);
    expect(me.body).toMatchObject({
      kind: 'staff',
      user: { name: 'Bruno', role: 'agent' },
      csrfToken: agent.csrf,
    });
    const quick = await agent.get('/api/inbox/quick-replies').expect(200);
    expect(quick.body.quickReplies[0]).toMatchObject({ shortcut: 'hello', text: { it: expect.any(String) } });
    const missing = await agent.get('/api/inbox/conversations/nope:123').expect(404);
    expect(missing.body.error.code).toBe('not_found');
    expect((await agent.get('/api/inbox/queue?tab=everything')).status).toBe(400);

    await handOver();
    await agent.post(path('/take')).expect(200);
    const once = await agent.agent
      .post(path('/reply'))
      .set('X-CSRF-Token', agent.csrf)
      .set('Idempotency-Key', 'reply-1')
      .send({ text: 'Only once' })
      .expect(202);
    const twice = await agent.agent
      .post(path('/reply'))
      .set('X-CSRF-Token', agent.csrf)
      .set('Idempotency-Key', 'reply-1')
      .send({ text: 'Only once' })
      .expect(202);
    expect(twice.body).toEqual({ ...once.body, duplicate: true });
    await app.settle();
    expect(sent(app).filter((m) => m.text?.body === 'Only once')).toHaveLength(1);

    const invited = await admin
      .post('/api/inbox/staff', { email: 'eva@studio.test', name: 'Eva' })
      .expect(201);
    const id = invited.body.staff.id as string;
    const first = String(invited.body.inviteLink).split('#')[1];
    const reissued = await admin.post(`/api/inbox/staff/${id}/invite`).expect(201);
    const second = String(reissued.body.inviteLink).split('#')[1];
    const anonymous = request(app.http);
    // A new link replaces the old one.
    expect(
      (await anonymous.post('/inbox/invite').send({ token: first, password: 'eva password 123' })).status,
    ).toBe(403);
    await admin.post(`/api/inbox/staff/${id}/deactivate`).expect(200);
    expect(
      (await anonymous.post('/inbox/invite').send({ token: second, password: 'eva password 123' })).status,
    ).toBe(403);
    expect((await admin.post(`/api/inbox/staff/${id}/invite`)).status).toBe(409);
    await admin.post(`/api/inbox/staff/${id}/reactivate`).expect(200);
    expect((await admin.post(`/api/inbox/staff/${id}/reactivate`)).status).toBe(400);
    expect((await admin.get('/api/inbox/staff')).body.staff.map((s: { name: string }) => s.name)).toEqual([
      'Ada',
      'Bruno',
      'Carla',
      'Eva',
    ]);
  });

  test('a session ends after SESSION_IDLE_MINUTES without a request', async () => {
    app.clock.advance(119 * 60_000);
    await agent.get('/api/inbox/me').expect(200);
    app.clock.advance(119 * 60_000);
    await agent.get('/api/inbox/me').expect(200);
    app.clock.advance(121 * 60_000);
    expect((await agent.get('/api/inbox/me')).status).toBe(401);
  });

  test('outside opening hours the customer is told when, and nobody picking up offers the bot back', async () => {
    // Monday evening in Milan: closed until Tuesday 09:00 (within the 24-hour window).
    app.clock.set('2026-03-02T18:00:00Z');
    await handOver();
    expect(sent(app).at(-1)?.text?.body).toMatch(/closed right now.*Tuesday 09:00/);
    const [timer] = await store.db.select().from(timers).where(eq(timers.name, 'handoff_pickup'));
    expect(timer?.fireAt.toISOString()).toBe('2026-03-03T08:15:00.000Z');

    app.clock.set('2026-03-03T08:16:00Z');
    await app.settle();
    const offer = sent(app).at(-1);
    expect(offer?.interactive?.body.text).toContain('everyone in our team is busy');
    const back = offer?.interactive?.action.buttons[0]?.reply;
    await app.post(metaWebhook({ messages: [buttonReply(back!.id, back!.title, { timestamp: unix(app) })] }));
    await app.settle();
    expect(sent(app).at(-1)?.text?.body).toContain("I'm back");
    const types = (await store.db.select().from(handoffEvents)).map((e) => e.type);
    expect(types).toEqual(['started', 'pickup_timeout', 'resolved', 'bot_resumed']);
    expect(await store.db.select().from(messages)).not.toHaveLength(0);
  });
});
