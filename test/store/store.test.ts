import {
  applyDeliveryStatus,
  claimOutbox,
  findDueHeads,
  insertInboundEvents,
  insertOutbox,
  listMessages,
  loadOrCreateConversation,
  lockPendingEvent,
  markEventDone,
  markOutboxSent,
  recordEventFailure,
  recordAcceptedSends,
  releaseExpiredLeases,
  retryDeadEvent,
  recordCustomerMessage,
  saveTurn,
  attributions,
  inboundEvents,
  contacts,
  conversations,
  outbox,
  type Db,
} from '../../src/store/index.js';
import { messageEvent, resetStore, storeKinds, type TestStore } from '../helpers/stores.js';

const at = (iso: string) => new Date(iso);

describe.each(storeKinds)('store on %s', (_kind, open) => {
  let store: TestStore;
  let db: Db;
  beforeAll(async () => {
    store = await open();
    db = store.db;
  });
  afterAll(() => store.close());
  beforeEach(() => resetStore(store));

  test('a repeated external id is stored once, also inside one batch', async () => {
    expect(
      await insertInboundEvents(
        db,
        [messageEvent('wa:msg:1', 'c1'), messageEvent('wa:msg:1', 'c1'), messageEvent('wa:msg:2', 'c1')],
        new Date(),
      ),
    ).toBe(2);
    expect(
      await insertInboundEvents(
        db,
        [messageEvent('wa:msg:2', 'c1'), messageEvent('wa:msg:3', 'c1')],
        new Date(),
      ),
    ).toBe(1);
  });

  test('only the head of each conversation is due, and a retrying head holds back the rest', async () => {
    await insertInboundEvents(
      db,
      [messageEvent('a1', 'A'), messageEvent('b1', 'B'), messageEvent('a2', 'A'), messageEvent('x', null)],
      new Date(),
    );
    const now = at('2026-01-01T10:00:00Z');
    const heads = await findDueHeads(db, new Date(Date.now() + 1000), 10);
    expect(heads.map((h) => h.conversationId)).toEqual(['A', 'B', null]);
    await recordEventFailure(db, heads[0]!.id, 'boom', new Date(Date.now() + 60_000));
    const later = await findDueHeads(db, new Date(Date.now() + 1000), 10);
    expect(later.map((h) => h.conversationId)).toEqual(['B', null]);
    expect(now).toBeInstanceOf(Date);
  });

  test('the conversation lock admits one holder at a time', async () => {
    await insertInboundEvents(db, [messageEvent('a1', 'A')], new Date());
    const [head] = await findDueHeads(db, new Date(Date.now() + 1000), 10);
    await db.transaction(async (tx) => {
      const locked = await lockPendingEvent(tx as unknown as Db, head!, 'w1', new Date());
      expect(locked?.externalId).toBe('a1');
      await markEventDone(tx as unknown as Db, head!.id);
    });
    expect(await findDueHeads(db, new Date(Date.now() + 1000), 10)).toEqual([]);
  });

  test("a long run of one conversation at the front of the queue does not hide the others' heads", async () => {
    const run = Array.from({ length: 200 }, (_, i) => messageEvent(`a${i}`, 'A'));
    await insertInboundEvents(db, [...run, messageEvent('b1', 'B'), messageEvent('x', null)], new Date());
    const heads = await findDueHeads(db, new Date(Date.now() + 1000), 10);
    expect(heads.map((h) => h.conversationId)).toEqual(['A', 'B', null]);
    // A's first event waiting for a retry holds back A alone.
    await recordEventFailure(db, heads[0]!.id, 'boom', new Date(Date.now() + 60_000));
    const later = await findDueHeads(db, new Date(Date.now() + 1000), 10);
    expect(later.map((h) => h.conversationId)).toEqual(['B', null]);
  });

  test('events without a conversation are claimed each on its own', async () => {
    await insertInboundEvents(db, [messageEvent('x1', null), messageEvent('x2', null)], new Date());
    const heads = await findDueHeads(db, new Date(Date.now() + 1000), 10);
    expect(heads.map((h) => h.conversationId)).toEqual([null, null]);
    await db.transaction(async (tx) => {
      const claimed = await Promise.all(
        heads.map((head) => lockPendingEvent(tx as unknown as Db, head, 'w1', new Date(Date.now() + 1000))),
      );
      expect(claimed.map((row) => row?.externalId)).toEqual(['x1', 'x2']);
    });
  });

  test('a head found earlier is not claimed once it is done or put off for a retry', async () => {
    await insertInboundEvents(db, [messageEvent('a1', 'A'), messageEvent('b1', 'B')], new Date());
    const [a, b] = await findDueHeads(db, new Date(Date.now() + 1000), 10);
    const claim = (head: { id: number; conversationId: string | null }, now: Date) =>
      db.transaction((tx) => lockPendingEvent(tx as unknown as Db, head, 'w1', now));
    await db.transaction((tx) => markEventDone(tx as unknown as Db, a!.id));
    expect(await claim(a!, new Date(Date.now() + 1000))).toBeNull();
    const retryAt = new Date(Date.now() + 60_000);
    await recordEventFailure(db, b!.id, 'boom', retryAt);
    expect(await claim(b!, new Date(Date.now() + 1000))).toBeNull();
    expect((await claim(b!, new Date(retryAt.getTime() + 1)))?.externalId).toBe('b1');
  });

  test('an event is not claimed while an older one of its conversation is pending', async () => {
    await insertInboundEvents(db, [messageEvent('c1', 'C'), messageEvent('c2', 'C')], new Date());
    const [c1, c2] = (await db.select().from(inboundEvents)).sort((x, y) => x.id - y.id);
    const claim = (id: number) =>
      db.transaction((tx) =>
        lockPendingEvent(tx as unknown as Db, { id, conversationId: 'C' }, 'w1', new Date(Date.now() + 1000)),
      );
    expect(await claim(c2!.id)).toBeNull();
    await db.transaction((tx) => markEventDone(tx as unknown as Db, c1!.id));
    expect((await claim(c2!.id))?.externalId).toBe('c2');
  });

  test("a customer's message and the end of the turn are one statement each, and replays change nothing", async () => {
    const message = {
      wamid: 'wamid.1',
      type: 'text',
      content: { text: 'ciao' },
      at: at('2026-01-01T10:00:00Z'),
    };
    const input = { conversationId: 'P:39111', phoneNumberId: 'P', waId: '39111', name: 'Giulia', message };
    const { conversation: first, attributed } = await recordCustomerMessage(db, input);
    expect(attributed).toBe(false);
    expect([first.mode, first.lastInboundAt?.toISOString()]).toEqual(['bot', '2026-01-01T10:00:00.000Z']);
    // A late repeat of an older message neither moves the window back nor adds a transcript line.
    await recordCustomerMessage(db, { ...input, message: { ...message, at: at('2026-01-01T09:00:00Z') } });
    const { conversation: again } = await recordCustomerMessage(db, { ...input, name: null });
    expect(again.lastInboundAt?.toISOString()).toBe('2026-01-01T10:00:00.000Z');
    expect(await listMessages(db, 'P:39111')).toHaveLength(1);
    expect((await db.select().from(contacts))[0]?.name).toBe('Giulia');
    await db
      .insert(attributions)
      .values({ conversationId: 'P:39111', waId: '39111', kind: 'ref', wamid: 'wamid.1', at: message.at });
    expect((await recordCustomerMessage(db, input)).attributed).toBe(true);

    const send = (id: string, text: string) => ({
      id,
      conversationId: 'P:39111',
      recipient: '39111',
      kind: 'SendText',
      payload: { type: 'SendText', id, text },
    });
    const now = at('2026-01-01T10:00:01Z');
    const turn = { conversationId: 'P:39111', waId: '39111', now };
    await saveTurn(db, {
      ...turn,
      state: { state: { step: 'menu' }, flowVersion: 3 },
      outbox: [send('e1:0', 'Benvenuta'), send('e1:1', 'Menu')],
      locale: 'it',
    });
    // A replayed turn writes the same ids: the first text stands.
    await saveTurn(db, { ...turn, outbox: [send('e1:0', 'changed')], locale: null });
    await saveTurn(db, { ...turn, outbox: [], locale: 'en' });
    await saveTurn(db, { ...turn, outbox: [], locale: null });
    const [conversation] = await db.select().from(conversations);
    expect([conversation?.state, conversation?.flowVersion]).toEqual([{ step: 'menu' }, 3]);
    const queued = await db.select().from(outbox);
    expect(queued.map((row) => [row.id, (row.payload as { text: string }).text])).toEqual([
      ['e1:0', 'Benvenuta'],
      ['e1:1', 'Menu'],
    ]);
    expect((await db.select().from(contacts))[0]?.locale).toBe('en');
  });

  test('a dead-lettered event stays visible and can be put back in line', async () => {
    await insertInboundEvents(db, [messageEvent('a1', 'A')], new Date());
    const [head] = await findDueHeads(db, new Date(Date.now() + 1000), 10);
    expect(await recordEventFailure(db, head!.id, 'gave up', null)).toBe('dead');
    expect(await findDueHeads(db, new Date(Date.now() + 1000), 10)).toEqual([]);
    expect(await retryDeadEvent(db, head!.id, new Date())).toBe(true);
    expect((await findDueHeads(db, new Date(Date.now() + 1000), 10)).map((h) => h.id)).toEqual([head!.id]);
  });

  test('outbox hands out one row per recipient at a time, in order', async () => {
    await insertOutbox(
      db,
      [
        { id: 'e1:0', conversationId: 'c', recipient: '39111', kind: 'SendText', payload: { n: 1 } },
        { id: 'e1:1', conversationId: 'c', recipient: '39111', kind: 'SendText', payload: { n: 2 } },
        { id: 'e2:0', conversationId: 'd', recipient: '39222', kind: 'SendText', payload: { n: 3 } },
      ],
      new Date(),
    );
    await insertOutbox(
      db,
      [{ id: 'e1:0', conversationId: 'c', recipient: '39111', kind: 'SendText', payload: { n: 9 } }],
      new Date(),
    );
    const now = new Date(Date.now() + 1000);
    const first = await claimOutbox(db, now, new Date(now.getTime() + 30_000), 10);
    expect(first.map((r) => r.id)).toEqual(['e1:0', 'e2:0']);
    expect(await claimOutbox(db, now, new Date(now.getTime() + 30_000), 10)).toEqual([]);
    await markOutboxSent(db, 'e1:0', 'wamid.1', now);
    const second = await claimOutbox(db, now, new Date(now.getTime() + 30_000), 10);
    expect(second.map((r) => r.id)).toEqual(['e1:1']);
  });

  test('an interrupted send waits for the grace period, and a status webhook settles it', async () => {
    await insertOutbox(
      db,
      [{ id: 'e1:0', conversationId: 'c', recipient: '39111', kind: 'SendText', payload: {} }],
      new Date(),
    );
    const t0 = new Date(Date.now() + 1000);
    await claimOutbox(db, t0, new Date(t0.getTime() + 5_000), 10);
    expect(await releaseExpiredLeases(db, new Date(t0.getTime() + 1_000), 10_000)).toBe(0);
    expect(await releaseExpiredLeases(db, new Date(t0.getTime() + 6_000), 10_000)).toBe(1);
    expect(
      await claimOutbox(db, new Date(t0.getTime() + 7_000), new Date(t0.getTime() + 60_000), 10),
    ).toEqual([]);
    await markOutboxSent(db, 'e1:0', 'wamid.x', t0);
    expect(
      await claimOutbox(db, new Date(t0.getTime() + 60_000), new Date(t0.getTime() + 90_000), 10),
    ).toEqual([]);
  });

  test('a conversation is created on first contact, and a late message never shortens its window', async () => {
    const arrive = (wamid: string, iso: string) =>
      recordCustomerMessage(db, {
        conversationId: 'p:39',
        phoneNumberId: 'p',
        waId: '39',
        name: null,
        message: { wamid, type: 'text', content: { text: wamid }, at: at(iso) },
      }).then((r) => r.conversation);
    const first = await arrive('w1', '2026-01-01T10:00:00Z');
    expect([first.mode, first.lastInboundAt?.toISOString()]).toEqual(['bot', '2026-01-01T10:00:00.000Z']);
    const late = await arrive('w0', '2026-01-01T09:00:00Z');
    expect(late.lastInboundAt?.toISOString()).toBe('2026-01-01T10:00:00.000Z');
    const newer = await arrive('w2', '2026-01-01T11:00:00Z');
    expect(newer.lastInboundAt?.toISOString()).toBe('2026-01-01T11:00:00.000Z');
    const untouched = await loadOrCreateConversation(db, 'p:39', 'p', '39');
    expect(untouched.lastInboundAt?.toISOString()).toBe('2026-01-01T11:00:00.000Z');
  });

  test('delivery status only moves forward; failed keeps its reason', async () => {
    const base = { conversationId: 'c', outboxId: null, errorCode: null, errorTitle: null };
    await recordAcceptedSends(db, [
      {
        conversationId: 'c',
        outboxId: 'o1',
        wamid: 'w1',
        type: 'text',
        content: {},
        at: at('2026-01-01T00:00:00Z'),
      },
    ]);
    expect(
      await applyDeliveryStatus(db, { ...base, wamid: 'w1', status: 'read', at: at('2026-01-01T00:00:03Z') }),
    ).toBe(true);
    expect(
      await applyDeliveryStatus(db, {
        ...base,
        wamid: 'w1',
        status: 'delivered',
        at: at('2026-01-01T00:00:02Z'),
      }),
    ).toBe(false);
    expect(
      await applyDeliveryStatus(db, { ...base, wamid: 'w1', status: 'sent', at: at('2026-01-01T00:00:01Z') }),
    ).toBe(false);
    await recordAcceptedSends(db, [
      {
        conversationId: 'c',
        outboxId: 'o2',
        wamid: 'w2',
        type: 'text',
        content: {},
        at: at('2026-01-01T00:00:00Z'),
      },
    ]);
    await applyDeliveryStatus(db, { ...base, wamid: 'w2', status: 'sent', at: at('2026-01-01T00:00:01Z') });
    await applyDeliveryStatus(db, {
      ...base,
      wamid: 'w2',
      status: 'failed',
      at: at('2026-01-01T00:00:02Z'),
      errorCode: 131049,
      errorTitle: 'ecosystem',
    });
    expect(
      await applyDeliveryStatus(db, {
        ...base,
        wamid: 'w2',
        status: 'delivered',
        at: at('2026-01-01T00:00:03Z'),
      }),
    ).toBe(false);
    const rows = await listMessages(db, 'c');
    expect(rows.map((r) => [r.wamid, r.status, r.errorCode])).toEqual([
      ['w1', 'read', null],
      ['w2', 'failed', 131049],
    ]);
  });

  test('a status that arrives before the send is recorded is merged, not lost', async () => {
    await applyDeliveryStatus(db, {
      conversationId: 'c',
      outboxId: 'o9',
      wamid: 'w9',
      status: 'delivered',
      at: at('2026-01-01T00:00:02Z'),
      errorCode: null,
      errorTitle: null,
    });
    await recordAcceptedSends(db, [
      {
        conversationId: 'c',
        outboxId: 'o9',
        wamid: 'w9',
        type: 'text',
        content: { text: 'hi' },
        at: at('2026-01-01T00:00:01Z'),
      },
    ]);
    const [row] = await listMessages(db, 'c');
    expect([row?.status, row?.type, row?.content]).toEqual(['delivered', 'text', { text: 'hi' }]);
  });
});
