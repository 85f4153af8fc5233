import { sql } from 'drizzle-orm';
import { createEventWorker, type EventWorker } from '../../src/jobs/eventWorker.js';
import type { HandlerDeps } from '../../src/jobs/handleEvent.js';
import { createLogger } from '../../src/logger.js';
import { createMetrics } from '../../src/metrics.js';
import { openStore, storeArrivingEvents, type Store } from '../../src/store/index.js';

/** Status events of four conversations: each a quick turn, all of them free to run at once. */
async function queueStatuses(store: Store, tag: string) {
  await storeArrivingEvents(
    store.db,
    ['A', 'B', 'C', 'D'].map((conversation) => ({
      source: 'whatsapp' as const,
      kind: 'status',
      externalId: `${tag}-${conversation}`,
      conversationId: conversation,
      payload: { status: { id: `wamid.${tag}${conversation}`, status: 'played', timestamp: '1750000000' } },
      receivedAt: new Date(),
    })),
  );
}

async function until(condition: () => boolean) {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('gave up waiting');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('a worker held to a share of one turn', () => {
  let store: Store;
  let worker: EventWorker | null = null;
  beforeAll(async () => {
    store = await openStore({});
  });
  afterEach(async () => {
    await worker?.stop();
    worker = null;
    await store.db.execute(sql`TRUNCATE inbound_events`);
  });
  afterAll(() => store.close());

  /** A worker whose turns each take 100 ms on its own clock, which the test moves on. */
  function start(share: number) {
    const clock = { at: 0 };
    const taken: number[] = [];
    worker = createEventWorker({
      db: store.db,
      deps: {
        clock: { now: () => new Date() },
        logger: createLogger('silent'),
        metrics: createMetrics(),
      } as unknown as HandlerDeps,
      concurrency: 8,
      maxAttempts: 3,
      idleMs: 5,
      turns: () => share,
      now: () => clock.at,
      onTaken: () => {
        taken.push(clock.at);
        clock.at += 100;
      },
    });
    return { clock, taken };
  }

  test('at a quarter, a 100 ms turn is followed by 300 ms of rest before the next one', async () => {
    await queueStatuses(store, 'quarter');
    const { clock, taken } = start(0.25);
    await until(() => taken.length === 1);
    // Real time passes, the worker's clock does not: it is still resting.
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(taken).toEqual([0]);
    clock.at = 399;
    worker?.wake();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(taken).toEqual([0]);
    clock.at = 400;
    worker?.wake();
    await until(() => taken.length === 2);
    expect(taken).toEqual([0, 400]);
  });

  test('at a whole turn there is no rest: the turns follow each other', async () => {
    await queueStatuses(store, 'whole');
    const { taken } = start(1);
    await until(() => taken.length === 4);
    expect(taken).toEqual([0, 100, 200, 300]);
  });

  test('a retried event is not reported as taken: it is due at its backoff, not in the queue', async () => {
    await queueStatuses(store, 'retry');
    await store.db.execute(sql`UPDATE inbound_events SET attempts = 1 WHERE external_id = 'retry-B'`);
    const { taken } = start(1);
    await until(() => taken.length === 3);
    await worker?.drain();
    const done = await store.db.execute(
      sql`SELECT count(*)::int AS n FROM inbound_events WHERE status = 'done'`,
    );
    expect((done as unknown as { rows: { n: number }[] }).rows[0]?.n).toBe(4);
    expect(taken).toHaveLength(3);
  });
});
