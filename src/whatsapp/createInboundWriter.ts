import { createBatcher } from '../jobs/createBatcher.js';
import { markOutboxSent, storeArrivingEvents, type ArrivingEvent, type Db } from '../store/index.js';

/** One webhook's worth of work: its events, and the outbox rows its statuses prove were sent. */
export interface InboundWrite {
  rows: Omit<ArrivingEvent, 'receivedAt'>[];
  settled: { outboxId: string; wamid: string }[];
  now: Date;
}

export interface InboundWriter {
  /** Resolves with how many of these rows were new, once they are committed. */
  write(work: InboundWrite): Promise<number>;
}

// A statement's batch stays a modest document even for Meta's largest webhooks.
const ROWS_PER_STATEMENT = 1_000;

/**
 * Group commit for webhooks: the rows of requests that arrive within `maxDelayMs` of each other go
 * into one transaction, and each request still answers only after its own rows are committed.
 * One commit for many webhooks instead of one each is what lets ingest keep up with Meta's bursts.
 */
export function createInboundWriter(
  db: Db,
  options: {
    maxBatch?: number;
    maxDelayMs?: number;
    /** Told, for each write, how long it took from reaching the writer to its commit, and how many new events it stored. */
    onCommitted?: (ms: number, stored: number) => void;
  } = {},
): InboundWriter {
  const { maxBatch = 200, maxDelayMs = 2, onCommitted } = options;
  const batcher = createBatcher<InboundWrite, number>(
    async (writes) => {
      const rows = writes.flatMap((w) => w.rows.map((row) => ({ ...row, receivedAt: w.now })));
      const inserted = new Set<string>();
      const insert = async (target: Db, chunk: ArrivingEvent[]) => {
        for (const externalId of await storeArrivingEvents(target, chunk)) inserted.add(externalId);
      };
      const settled = writes.flatMap((w) => w.settled.map((s) => ({ ...s, now: w.now })));
      if (rows.length <= ROWS_PER_STATEMENT && settled.length === 0) {
        // One statement is atomic on its own: no BEGIN and COMMIT round trips for the common batch.
        await insert(db, rows);
      } else {
        await db.transaction(async (tx) => {
          for (let start = 0; start < rows.length; start += ROWS_PER_STATEMENT)
            await insert(tx as unknown as Db, rows.slice(start, start + ROWS_PER_STATEMENT));
          for (const { outboxId, wamid, now } of settled)
            await markOutboxSent(tx as unknown as Db, outboxId, wamid, now);
        });
      }
      // A repeat inside one batch is new for the first request that carried it only.
      return writes.map((w) => w.rows.filter((row) => inserted.delete(row.externalId)).length);
    },
    maxBatch,
    maxDelayMs,
  );
  return {
    async write(work) {
      const started = performance.now();
      const stored = await batcher.add(work);
      onCommitted?.(performance.now() - started, stored);
      return stored;
    },
  };
}
