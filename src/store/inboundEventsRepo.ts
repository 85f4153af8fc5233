import { and, eq, lte, sql } from 'drizzle-orm';
import { queryRows, type Db } from './openStore.js';
import { inboundEvents, type InboundEventRow } from './schema.js';

export type NewInboundEvent = typeof inboundEvents.$inferInsert;

/** An event as a webhook brings it, with its own arrival time. */
export type ArrivingEvent = Pick<
  NewInboundEvent,
  'source' | 'kind' | 'externalId' | 'conversationId' | 'payload' | 'status'
> & { receivedAt: Date };

/**
 * Stores a batch of arriving events in one statement, due from their arrival; repeats of stored
 * events, and of each other within the batch, are dropped by the unique key on `external_id`.
 * The batch travels as one JSON document: at webhook rates, building a parameter per value cost
 * more than the insert itself.
 * @returns the external ids that were new.
 */
export async function storeArrivingEvents(db: Db, events: ArrivingEvent[]): Promise<string[]> {
  if (events.length === 0) return [];
  const rows = events.map((event) => ({
    source: event.source,
    kind: event.kind,
    external_id: event.externalId,
    conversation_id: event.conversationId ?? null,
    payload: event.payload,
    status: event.status ?? 'pending',
    received_at: event.receivedAt.toISOString(),
  }));
  let batch = JSON.stringify(rows);
  // PostgreSQL's jsonb cannot hold U+0000. One such character in a message would fail the whole
  // batch's insert, and Meta would deliver it again for days: it is stored as U+FFFD instead.
  if (batch.includes('\\u0000'))
    batch = JSON.stringify(rows, (_key, value: unknown) =>
      typeof value === 'string' ? value.replaceAll('\u0000', '\ufffd') : value,
    );
  const stored = await queryRows<{ external_id: string }>(
    db,
    sql`INSERT INTO inbound_events
          (source, kind, external_id, conversation_id, payload, status, received_at, next_attempt_at)
        SELECT source, kind, external_id, conversation_id, payload, status, received_at, received_at
        FROM jsonb_to_recordset(${batch}::jsonb) AS e(source text, kind text, external_id text,
          conversation_id text, payload jsonb, status text, received_at timestamptz)
        ON CONFLICT (external_id) DO NOTHING
        RETURNING external_id`,
  );
  return stored.map((row) => row.external_id);
}

/**
 * Stores events that all arrive `now` (timers, staff, payments, the API), the same way.
 * @returns how many were new.
 */
export async function insertInboundEvents(
  db: Db,
  rows: Omit<ArrivingEvent, 'receivedAt'>[],
  now: Date,
): Promise<number> {
  const stored = await storeArrivingEvents(
    db,
    rows.map((row) => ({ ...row, receivedAt: now })),
  );
  return stored.length;
}

/**
 * The oldest due event of each conversation that has nothing older still pending,
 * so a conversation never runs ahead of an event waiting for its retry. Oldest first.
 */
export async function findDueHeads(
  db: Db,
  now: Date,
  limit: number,
): Promise<{ id: number; conversationId: string | null }[]> {
  const due = now.toISOString();
  // Usually the heads are at the front of the queue: walk the pending events in id order, one
  // index seek at a time, at most `limit` × WALK_FACTOR of them. Selecting all pending events and
  // sorting them would read the whole backlog on every call, and whether PostgreSQL plans it as a
  // scan or a walk depends on statistics a queue grown in seconds does not have yet.
  const walked = await queryRows<{
    id: string | number | null;
    conversation_id: string | null;
    steps: number;
  }>(
    db,
    sql`
    WITH RECURSIVE walk AS (
      (SELECT id, conversation_id, next_attempt_at, 1 AS step FROM inbound_events
       WHERE status = 'pending' ORDER BY id LIMIT 1)
      UNION ALL
      SELECT next.id, next.conversation_id, next.next_attempt_at, walk.step + 1 FROM walk
      CROSS JOIN LATERAL (
        SELECT id, conversation_id, next_attempt_at FROM inbound_events
        WHERE status = 'pending' AND id > walk.id ORDER BY id LIMIT 1) next
      WHERE walk.step < ${limit * WALK_FACTOR}
    )
    SELECT head.id, head.conversation_id, walked.steps
    FROM (SELECT coalesce(max(step), 0)::int AS steps FROM walk) walked
    LEFT JOIN LATERAL (
      SELECT e.id, e.conversation_id FROM walk e
      WHERE e.next_attempt_at <= ${due}::timestamptz
        AND (e.conversation_id IS NULL OR NOT EXISTS (
          SELECT 1 FROM inbound_events p
          WHERE p.status = 'pending' AND p.conversation_id = e.conversation_id AND p.id < e.id))
      ORDER BY e.id
      LIMIT ${limit}) head ON true`,
  );
  const heads = (rows: { id: string | number | null; conversation_id: string | null }[]) =>
    rows.flatMap((row) =>
      row.id === null ? [] : [{ id: Number(row.id), conversationId: row.conversation_id }],
    );
  const found = heads(walked);
  // Enough heads, or the walk reached the end of the queue: nothing else is due.
  if (found.length === limit || (walked[0]?.steps ?? 0) < limit * WALK_FACTOR) return found;
  // The front of the queue is one conversation's long run (or retries waiting): skip from one
  // conversation to the next instead, so a head deep in the queue is still found. The first
  // pending event of each conversation in (conversation, id) order is its head.
  const skipped = await queryRows<{ id: string | number; conversation_id: string | null }>(
    db,
    sql`
    WITH RECURSIVE firsts AS (
      (SELECT conversation_id, id, next_attempt_at FROM inbound_events
       WHERE status = 'pending' AND conversation_id IS NOT NULL ORDER BY conversation_id, id LIMIT 1)
      UNION ALL
      SELECT next.conversation_id, next.id, next.next_attempt_at FROM firsts
      CROSS JOIN LATERAL (
        SELECT conversation_id, id, next_attempt_at FROM inbound_events
        WHERE status = 'pending' AND conversation_id > firsts.conversation_id
        ORDER BY conversation_id, id LIMIT 1) next
    )
    SELECT id, conversation_id FROM (
      SELECT id, conversation_id FROM firsts WHERE next_attempt_at <= ${due}::timestamptz
      UNION ALL
      (SELECT id, conversation_id FROM inbound_events
       WHERE status = 'pending' AND conversation_id IS NULL AND next_attempt_at <= ${due}::timestamptz
       ORDER BY id LIMIT ${limit})
    ) heads
    ORDER BY id
    LIMIT ${limit}`,
  );
  return heads(skipped);
}

/** How far past `limit` the id-order walk for heads goes before skipping by conversation. */
const WALK_FACTOR = 4;

/**
 * Inside a transaction: takes the conversation's lock (held until commit or rollback) and
 * returns the event if it is still pending, due at `now` and its conversation's oldest pending
 * event. `null` when another worker or process has it, or it was done, put off for a retry or
 * overtaken by an older event becoming visible since it was found. An event without a
 * conversation is locked on its own.
 */
export async function lockPendingEvent(
  tx: Db,
  head: { id: number; conversationId: string | null },
  workerId: string,
  now: Date,
): Promise<InboundEventRow | null> {
  // One round trip: the lock is tried once, and only a locked, still pending event is claimed.
  // Named, so PostgreSQL parses and plans it once per connection rather than every turn. That plan
  // is made for any parameters, often while the table is still empty, so the row is looked up by
  // both columns of `inbound_events_pending`: by id alone, such a plan may read the whole index,
  // and with it the whole backlog, on every turn.
  const alone = head.conversationId === null;
  const lock = tx.$with('lock').as(
    tx
      .select({
        locked:
          sql<boolean>`pg_try_advisory_xact_lock(hashtextextended(${sql.placeholder('lockKey')}, 0))`.as(
            'locked',
          ),
      })
      .from(sql`(SELECT 1) AS one`),
  );
  const rows = await tx
    .with(lock)
    .update(inboundEvents)
    .set({ processingStartedAt: sql`clock_timestamp()`, processedBy: sql`${sql.placeholder('workerId')}` })
    .where(
      and(
        alone
          ? sql`${inboundEvents.conversationId} IS NULL`
          : eq(inboundEvents.conversationId, sql.placeholder('conversationId')),
        eq(inboundEvents.id, sql.placeholder('eventId')),
        sql`${inboundEvents.status} = 'pending'`,
        lte(inboundEvents.nextAttemptAt, sql.placeholder('now')),
        // Still the conversation's head: an older event may have become visible since it was found.
        alone
          ? undefined
          : sql`NOT EXISTS (SELECT 1 FROM inbound_events older WHERE older.status = 'pending'
          AND older.conversation_id = ${sql.placeholder('conversationId')} AND older.id < inbound_events.id)`,
        sql`(SELECT locked FROM ${lock})`,
      ),
    )
    .returning()
    .prepare(alone ? 'wca_claim_event_alone' : 'wca_claim_event')
    .execute({
      lockKey: head.conversationId ?? `event:${head.id}`,
      workerId,
      eventId: head.id,
      now: now.toISOString(),
      ...(alone ? {} : { conversationId: head.conversationId }),
    });
  return (rows as InboundEventRow[])[0] ?? null;
}

export async function markEventDone(tx: Db, eventId: number): Promise<void> {
  await tx
    .update(inboundEvents)
    .set({ status: 'done', processedAt: sql`clock_timestamp()`, lastError: null })
    .where(eq(inboundEvents.id, sql.placeholder('eventId')))
    .prepare('wca_event_done')
    .execute({ eventId });
}

/** Records a failed attempt: retried at `retryAt`, or dead-lettered once attempts run out. */
export async function recordEventFailure(
  db: Db,
  eventId: number,
  error: string,
  retryAt: Date | null,
): Promise<'retry' | 'dead'> {
  const status = retryAt ? 'pending' : 'dead';
  await db
    .update(inboundEvents)
    .set({
      status,
      attempts: sql`${inboundEvents.attempts} + 1`,
      lastError: error.slice(0, 2000),
      ...(retryAt ? { nextAttemptAt: retryAt } : { processedAt: sql`clock_timestamp()` }),
    })
    .where(eq(inboundEvents.id, eventId));
  return status === 'dead' ? 'dead' : 'retry';
}

/** Puts a dead-lettered event back in line. */
export async function retryDeadEvent(db: Db, eventId: number, now: Date): Promise<boolean> {
  const rows = await db
    .update(inboundEvents)
    .set({ status: 'pending', attempts: 0, nextAttemptAt: now, lastError: null })
    .where(and(eq(inboundEvents.id, eventId), eq(inboundEvents.status, 'dead')))
    .returning({ id: inboundEvents.id });
  return rows.length === 1;
}
