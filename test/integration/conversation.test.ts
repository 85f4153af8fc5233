import { eq } from 'drizzle-orm';
import {
  claimOutbox,
  consentEvents,
  conversations,
  inboundEvents,
  insertInboundEvents,
  listMessages,
  outbox,
  releaseExpiredLeases,
} from '../../src/store/index.js';
import { GraphSendError } from '../../src/whatsapp/graphClient.js';
import { buttonReply, listReply, metaWebhook, status, text } from '../fixtures/metaWebhook.js';
import { resetStore, storeKinds, type TestStore } from '../helpers/stores.js';
import { createTestApp, type TestApp } from '../helpers/testApp.js';

const CUSTOMER = '16505551234';
const CONVERSATION = `106540352242922:${CUSTOMER}`;

type Sent = {
  type: string;
  text?: { body: string };
  interactive?: { type: string; action: Record<string, unknown> };
  biz_opaque_callback_data?: string;
};
const sent = (app: TestApp) => app.graph.sent as unknown as Sent[];

describe.each(storeKinds)('conversations on %s', (_kind, open) => {
  let store: TestStore;
  let app: TestApp;
  beforeAll(async () => {
    store = await open();
  });
  afterAll(() => store.close());
  beforeEach(async () => {
    await resetStore(store);
    app = await createTestApp(store);
  });
  afterEach(() => app.close());

  test('a greeting gets the welcome and the menu, each send carrying its outbox id', async () => {
    const result = await app.post(metaWebhook({ messages: [text('Hello there')] }));
    expect(result).toMatchObject({ received: 1, stored: 1, duplicates: 0 });
    await app.settle();
    expect(sent(app).map((m) => m.type)).toEqual(['text', 'interactive']);
    expect(sent(app)[0]?.text?.body).toContain('Welcome to Bella Studio');
    expect(sent(app)[1]?.interactive?.type).toBe('list');
    const ids = (await store.db.select().from(outbox)).map((row) => row.id).sort();
    expect(
      sent(app)
        .map((m) => m.biz_opaque_callback_data)
        .sort(),
    ).toEqual(ids);
    const transcript = await listMessages(store.db, CONVERSATION);
    expect(transcript.map((m) => [m.direction, m.status])).toEqual([
      ['in', 'received'],
      ['out', 'accepted'],
      ['out', 'accepted'],
    ]);
  });

  test('Meta delivering the same webhook again never produces a second reply', async () => {
    const body = metaWebhook({ messages: [text('ciao')] });
    await app.post(body);
    await app.settle();
    const again = await app.post(body);
    expect(again).toMatchObject({ stored: 0, duplicates: 1 });
    await app.settle();
    expect(sent(app)).toHaveLength(2);
    expect(sent(app)[0]?.text?.body).toContain('Benvenuto');
  });

  test('talk to a person silences the bot until staff release the conversation', async () => {
    await app.post(metaWebhook({ messages: [text('hi')] }));
    await app.settle();
    const list = sent(app)[1]?.interactive?.action as { sections: { rows: { id: string }[] }[] };
    const human = list.sections[0]?.rows.find((row) => row.id.endsWith('/human'));
    await app.post(metaWebhook({ messages: [listReply(human!.id, 'Talk to a person')] }));
    await app.settle();
    // The test clock is a Sunday: the studio is closed, so the customer also hears when it opens.
    expect(sent(app).at(-2)?.text?.body).toContain('passing you to our team');
    expect(sent(app).at(-1)?.text?.body).toContain('closed right now');
    const [conversation] = await store.db
      .select()
      .from(conversations)
      .where(eq(conversations.id, CONVERSATION));
    expect([conversation?.mode, conversation?.handoffReason]).toEqual(['handoff', 'customer_request']);

    const before = sent(app).length;
    await app.post(metaWebhook({ messages: [text('hello? anyone?')] }));
    await app.settle();
    expect(sent(app)).toHaveLength(before);

    await app.staff(CONVERSATION, { action: 'release', closingText: 'Glad we could help!' });
    await app.settle();
    expect(
      sent(app)
        .slice(before)
        .map((m) => m.text?.body),
    ).toEqual(['Glad we could help!', expect.stringContaining("I'm back")]);
    await app.post(metaWebhook({ messages: [text('hi again')] }));
    await app.settle();
    expect(sent(app).length).toBeGreaterThan(before + 2);
  });

  test('STOP and START are recorded with time, source and wording, even during a handoff', async () => {
    await app.post(metaWebhook({ messages: [text('I want to talk to a person')] }));
    await app.settle();
    await app.post(metaWebhook({ messages: [text('STOP')] }));
    await app.settle();
    const stopReply = sent(app).at(-1);
    expect(stopReply?.interactive?.type).toBe('button');
    const resubscribe = (
      stopReply?.interactive?.action as { buttons: { reply: { id: string; title: string } }[] }
    ).buttons[0]!.reply;
    await app.post(metaWebhook({ messages: [buttonReply(resubscribe.id, resubscribe.title)] }));
    await app.settle();
    const rows = await store.db.select().from(consentEvents).orderBy(consentEvents.id);
    expect(rows.map((r) => [r.action, r.source, r.wording])).toEqual([
      ['opt_out', 'whatsapp_keyword', 'STOP'],
      ['opt_in', 'whatsapp_button', resubscribe.title],
    ]);
    expect(rows[0]?.at).toBeInstanceOf(Date);
  });

  test('outside the 24-hour window a free-form message is refused with the reason', async () => {
    await app.post(metaWebhook({ messages: [text('hi')] }));
    await app.settle();
    await app.staff(CONVERSATION, { action: 'takeover', reason: 'staff' });
    await app.settle();
    app.clock.advance(25 * 60 * 60 * 1000);
    await app.staff(CONVERSATION, { action: 'release', closingText: 'Bye!' });
    const before = sent(app).length;
    await app.settle();
    expect(sent(app)).toHaveLength(before);
    const failed = (await listMessages(store.db, CONVERSATION)).filter((m) => m.status === 'failed');
    expect(failed.length).toBeGreaterThan(0);
    expect(failed[0]?.errorTitle).toContain('24-hour customer service window');
  });

  test('outside the window a configured template reopens the conversation, in the customer language', async () => {
    await app.close();
    app = await createTestApp(store, { WHATSAPP_WINDOW_TEMPLATE: 'reopen_conversation' });
    await app.post(metaWebhook({ messages: [text('Buongiorno')] }));
    await app.settle();
    await app.staff(CONVERSATION, { action: 'takeover', reason: 'staff' });
    await app.settle();
    app.clock.advance(30 * 60 * 60 * 1000);
    await app.staff(CONVERSATION, { action: 'release', closingText: 'A presto!' });
    const before = sent(app).length;
    await app.settle();
    const reopened = sent(app).slice(before) as unknown as {
      type: string;
      template?: { name: string; language: { code: string } };
    }[];
    expect(reopened.length).toBeGreaterThan(0);
    expect(reopened.every((m) => m.type === 'template')).toBe(true);
    expect(reopened[0]?.template).toMatchObject({ name: 'reopen_conversation', language: { code: 'it' } });
  });

  test('throttling is retried with backoff; an undeliverable number is recorded and not retried', async () => {
    app.graph.failNext(new GraphSendError('Rate limit hit', 130429, 400, true));
    await app.post(metaWebhook({ messages: [text('hi')] }));
    await app.settle();
    expect(sent(app)).toHaveLength(0);
    const [waiting] = await store.db.select().from(outbox).orderBy(outbox.seq).limit(1);
    expect([waiting?.status, waiting?.errorCode]).toEqual(['pending', 130429]);
    app.clock.advance(60_000);
    await app.settle();
    expect(sent(app)).toHaveLength(2);

    app.graph.failNext(new GraphSendError('Message undeliverable', 131026, 400, false));
    await app.post(metaWebhook({ messages: [text('hello')] }));
    app.clock.advance(60_000);
    await app.settle();
    const rows = await store.db.select().from(outbox).orderBy(outbox.seq);
    expect(rows.filter((r) => r.status === 'failed').map((r) => r.errorCode)).toEqual([131026]);
  });

  test('a send interrupted by a crash is settled by its status webhook at once, and never sent twice', async () => {
    await app.post(metaWebhook({ messages: [text('hi')] }));
    await app.worker.drain();
    const [first] = await store.db.select().from(outbox).orderBy(outbox.seq).limit(1);
    // The process dies after Meta accepted the message but before it recorded the answer.
    await claimOutbox(store.db, app.clock.now(), new Date(app.clock.now().getTime() + 1_000), 1);
    app.clock.advance(5_000);
    expect(await releaseExpiredLeases(store.db, app.clock.now(), 30_000)).toBe(1);
    // Meta's status arrives; the worker has not reached it yet.
    await app.post(
      metaWebhook({
        statuses: [status('wamid.meta-had-it', 'sent', { biz_opaque_callback_data: first!.id })],
      }),
    );
    const [settled] = await store.db.select().from(outbox).where(eq(outbox.id, first!.id));
    expect([settled?.status, settled?.wamid, settled?.ambiguous]).toEqual([
      'sent',
      'wamid.meta-had-it',
      true,
    ]);
    app.clock.advance(60_000);
    await app.settle();
    const bodies = sent(app).map((m) => m.biz_opaque_callback_data);
    expect(bodies).not.toContain(first!.id);
    expect(bodies).toHaveLength(1);
  });

  test('statuses move ticks forward only and settle by our outbox id', async () => {
    await app.post(metaWebhook({ messages: [text('hi')] }));
    await app.settle();
    const first = sent(app)[0]!;
    const [row] = await store.db.select().from(outbox).where(eq(outbox.id, first.biz_opaque_callback_data!));
    await app.post(
      metaWebhook({ statuses: [status(row!.wamid!, 'read', { biz_opaque_callback_data: row!.id })] }),
    );
    await app.post(
      metaWebhook({ statuses: [status(row!.wamid!, 'delivered', { biz_opaque_callback_data: row!.id })] }),
    );
    await app.settle();
    const out = (await listMessages(store.db, CONVERSATION)).find((m) => m.outboxId === row!.id);
    expect(out?.status).toBe('read');
  });

  test('an event that keeps failing ends dead-lettered, visible, and does not block the conversation', async () => {
    await insertInboundEvents(
      store.db,
      [
        {
          source: 'whatsapp',
          kind: 'message',
          externalId: 'wa:msg:broken',
          conversationId: CONVERSATION,
          payload: { message: null },
        },
      ],
      app.clock.now(),
    );
    for (let i = 0; i < 10; i++) {
      await app.settle();
      app.clock.advance(10 * 60_000);
    }
    const [dead] = await store.db
      .select()
      .from(inboundEvents)
      .where(eq(inboundEvents.externalId, 'wa:msg:broken'));
    expect(dead?.status).toBe('dead');
    expect(dead?.attempts).toBe(8);
    await app.post(metaWebhook({ messages: [text('hi')] }));
    await app.settle();
    expect(sent(app).length).toBe(2);
  });
});
