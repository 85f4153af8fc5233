import { sql } from 'drizzle-orm';
import {
  findDueHeads,
  insertInboundEvents,
  markEventDone,
  lockPendingEvent,
  openStore,
  queryRows,
  type Db,
  type Store,
} from '../../src/store/index.js';
import { createScratchDatabase, type ScratchDatabase } from '../helpers/scratchDatabase.js';
import { messageEvent } from '../helpers/stores.js';

/**
 * The statements the worker runs on every turn must cost the same with a backlog of thousands as
 * with an empty queue. PostgreSQL keeps one plan per named statement and connection, made for any
 * parameters, often while the tables are still empty; and an unnamed statement is planned from
 * statistics that a queue grown in seconds does not have yet. A plan that scans instead of
 * seeking is cheap on an empty table and grows with the backlog later. These tests make the plans
 * on empty tables, fill them, and count the pages each statement then reads, from PostgreSQL's own
 * per-transaction counters. PostgreSQL only: embedded PGlite keeps no plans.
 */
const describePostgres = process.env.DATABASE_URL ? describe : describe.skip;

const BACKLOG = 3_000;
/** Pages one seek reads is a handful; a scan of the backlog reads hundreds. */
const MAX_PAGES = 40;
/** Names the statements that read more than a seek would, with their page counts. */
const expectFewPages = (pages: Record<string, number>) =>
  expect(Object.entries(pages).filter(([, count]) => count > MAX_PAGES)).toEqual([]);

describePostgres('queue statements on a growing backlog (PostgreSQL)', () => {
  let database: ScratchDatabase;
  let store: Store;
  let db: Db;

  beforeAll(async () => {
    database = await createScratchDatabase(process.env.DATABASE_URL as string, 'wca_plans');
    // One connection, so every statement runs on the connection that holds its plan.
    store = await openStore({ databaseUrl: database.url, poolSize: 1 });
    db = store.db;
    await db.execute(sql`SET plan_cache_mode = force_generic_plan`);
  });
  afterAll(async () => {
    await store?.close();
    await database?.drop();
  });

  /**
   * Runs `work` in a transaction that is rolled back; returns the pages of `table` and its indexes
   * it read. The counters are this connection's not yet reported ones, so only their growth counts.
   */
  async function pagesRead(table: string, work: (tx: Db) => Promise<unknown>): Promise<number> {
    const count = async (tx: Db) => {
      const [row] = await queryRows<{ pages: string }>(
        tx,
        sql`SELECT coalesce(sum(pg_stat_get_xact_blocks_fetched(oid)), 0) AS pages FROM pg_class
            WHERE oid = ${table}::regclass
               OR oid IN (SELECT indexrelid FROM pg_index WHERE indrelid = ${table}::regclass)`,
      );
      return Number(row?.pages ?? 0);
    };
    let pages = 0;
    await db
      .transaction(async (tx) => {
        const before = await count(tx as unknown as Db);
        await work(tx as unknown as Db);
        pages = (await count(tx as unknown as Db)) - before;
        tx.rollback();
      })
      .catch((error: unknown) => {
        if (!(error instanceof Error && error.message === 'Rollback')) throw error;
      });
    return pages;
  }

  /** Stores BACKLOG pending events, the i-th in conversation `conversationOf(i)`. */
  async function fillBacklog(prefix: string, conversationOf: (i: number) => string | null) {
    const backlog = Array.from({ length: BACKLOG }, (_, i) =>
      messageEvent(`${prefix}-${i}`, conversationOf(i)),
    );
    for (let start = 0; start < backlog.length; start += 500)
      await insertInboundEvents(db, backlog.slice(start, start + 500), new Date());
  }
  /** 500 conversations taking turns, and every tenth event without a conversation. */
  const interleaved = (i: number) => (i % 10 === 0 ? null : `C${(i % 500) + 1}`);

  test('claiming an event reads a few pages, whatever waits behind it', async () => {
    const now = () => new Date(Date.now() + 1000);
    await insertInboundEvents(db, [messageEvent('first', 'C0'), messageEvent('alone-0', null)], new Date());
    const [first, alone] = await queryRows<{ id: string; conversation_id: string | null }>(
      db,
      sql`SELECT id, conversation_id FROM inbound_events ORDER BY id`,
    );
    const head = (row: typeof first) => ({ id: Number(row!.id), conversationId: row!.conversation_id });
    // The plans are made here, on a nearly empty table.
    await pagesRead('inbound_events', async (tx) => {
      expect(await lockPendingEvent(tx, head(first), 'w1', now())).not.toBeNull();
      expect(await lockPendingEvent(tx, head(alone), 'w1', now())).not.toBeNull();
    });

    await fillBacklog('backlog', interleaved);

    const claimedLate = await pagesRead('inbound_events', async (tx) => {
      expect(await lockPendingEvent(tx, head(first), 'w1', now())).not.toBeNull();
    });
    const claimedAlone = await pagesRead('inbound_events', async (tx) => {
      expect(await lockPendingEvent(tx, head(alone), 'w1', now())).not.toBeNull();
    });
    expectFewPages({ claimedLate, claimedAlone });
  });

  test('marking an event done and finding the next heads do not read the whole backlog', async () => {
    await db.execute(sql`TRUNCATE inbound_events`);
    await fillBacklog('backlog', interleaved);
    const now = new Date(Date.now() + 1000);
    const done = await pagesRead('inbound_events', async (tx) => {
      const [row] = await queryRows<{ id: string }>(tx, sql`SELECT min(id) AS id FROM inbound_events`);
      await markEventDone(tx, Number(row!.id));
    });
    // Heads come from the front of the queue: a few pages each, not the 3,000 events behind them.
    const heads = await pagesRead('inbound_events', async (tx) => {
      expect(await findDueHeads(tx, now, 32)).toHaveLength(32);
    });
    expectFewPages({ done, heads: heads / 32 });
  });

  test('heads behind a few long conversations cost a walk per conversation, not per event', async () => {
    await db.execute(sql`TRUNCATE inbound_events`);
    await fillBacklog('long', (i) => `L${i % 5}`);
    const heads = await pagesRead('inbound_events', async (tx) => {
      expect(await findDueHeads(tx, new Date(Date.now() + 1000), 32)).toHaveLength(5);
    });
    // Reading each of the 3,000 events would take several pages apiece.
    expect(heads).toBeLessThan(BACKLOG / 2);
  });
});
