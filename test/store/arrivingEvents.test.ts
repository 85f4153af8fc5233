import { asc } from 'drizzle-orm';
import { inboundEvents, insertInboundEvents, storeArrivingEvents } from '../../src/store/index.js';
import { resetStore, storeKinds, type TestStore } from '../helpers/stores.js';

describe.each(storeKinds)('storing arriving events on %s', (_kind, open) => {
  let store: TestStore;
  beforeAll(async () => {
    store = await open();
  });
  afterAll(() => store.close());
  beforeEach(() => resetStore(store));

  const at = new Date('2026-11-25T08:00:00.123Z');
  const later = new Date('2026-11-25T08:00:01.456Z');

  test('rows keep their order, their payload byte for byte in meaning, and their own arrival time', async () => {
    const payload = {
      text: { body: 'Ciao "Bella" \\ caffè ☕ 😀\nnew line' },
      numbers: [1, 2.5, -3],
      nested: { empty: {}, none: null, yes: true },
    };
    const stored = await storeArrivingEvents(store.db, [
      { source: 'whatsapp', kind: 'message', externalId: 'w1', conversationId: 'A', payload, receivedAt: at },
      {
        source: 'whatsapp',
        kind: 'status',
        externalId: 'w2',
        conversationId: 'A',
        payload: {},
        receivedAt: at,
      },
      {
        source: 'whatsapp',
        kind: 'unparsed',
        externalId: 'raw1',
        conversationId: null,
        payload: { raw: 'x' },
        status: 'unparsed',
        receivedAt: later,
      },
    ]);
    expect(stored).toEqual(['w1', 'w2', 'raw1']);
    const rows = await store.db.select().from(inboundEvents).orderBy(asc(inboundEvents.id));
    expect(rows.map((r) => [r.externalId, r.conversationId, r.status, r.kind])).toEqual([
      ['w1', 'A', 'pending', 'message'],
      ['w2', 'A', 'pending', 'status'],
      ['raw1', null, 'unparsed', 'unparsed'],
    ]);
    expect(rows[0]?.payload).toEqual(payload);
    expect(rows.map((r) => [r.receivedAt.toISOString(), r.nextAttemptAt.toISOString()])).toEqual([
      [at.toISOString(), at.toISOString()],
      [at.toISOString(), at.toISOString()],
      [later.toISOString(), later.toISOString()],
    ]);
    expect(rows.every((r) => r.attempts === 0 && r.source === 'whatsapp')).toBe(true);
  });

  test('a NUL character, which jsonb cannot hold, is stored as U+FFFD without failing the batch', async () => {
    const event = (externalId: string, body: string) => ({
      source: 'whatsapp' as const,
      kind: 'message',
      externalId,
      conversationId: 'A',
      payload: { text: { body } },
      receivedAt: at,
    });
    const stored = await storeArrivingEvents(store.db, [
      event('w1', 'a\u0000b'),
      // Typed as text, a backslash and "u0000" is no NUL and stays as it is.
      event('w2', 'see \\u0000 here'),
    ]);
    expect(stored).toEqual(['w1', 'w2']);
    // Events stored by the rest of the product (staff, payments, timers) go the same way.
    const { receivedAt: _, ...staffEvent } = event('s1', 'note\u0000');
    expect(await insertInboundEvents(store.db, [{ ...staffEvent, source: 'staff' }], at)).toBe(1);
    const rows = await store.db.select().from(inboundEvents).orderBy(asc(inboundEvents.id));
    expect(rows.map((r) => (r.payload as { text: { body: string } }).text.body)).toEqual([
      'a\ufffdb',
      'see \\u0000 here',
      'note\ufffd',
    ]);
  });

  test('a repeat, stored before or in the same batch, is dropped and not reported as new', async () => {
    const event = (externalId: string) => ({
      source: 'whatsapp' as const,
      kind: 'message',
      externalId,
      conversationId: 'A',
      payload: { externalId },
      receivedAt: at,
    });
    expect(await storeArrivingEvents(store.db, [event('w1')])).toEqual(['w1']);
    expect(await storeArrivingEvents(store.db, [event('w1'), event('w2'), event('w2')])).toEqual(['w2']);
    expect(await storeArrivingEvents(store.db, [])).toEqual([]);
    expect(await store.db.select().from(inboundEvents)).toHaveLength(2);
  });
});
