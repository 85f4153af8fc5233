import { and, eq, inArray, sql } from 'drizzle-orm';
import { queryRows, type Db } from './openStore.js';
import { outbox, type OutboxRow } from './schema.js';

export type NewOutboxRow = typeof outbox.$inferInsert;

/** Queues effects; a replayed turn writes the same ids and is ignored. */
export async function insertOutbox(db: Db, rows: NewOutboxRow[], now: Date): Promise<void> {
  if (rows.length === 0) return;
  await db
    .insert(outbox)
    .values(rows.map((row) => ({ createdAt: now, nextAttemptAt: now, ...row })))
    .onConflictDoNothing({ target: outbox.id });
}

/**
 * Leases due rows for sending, conversation replies (priority 0) before bulk rows. Only the oldest unsent row of each recipient is eligible, and a
 * row in flight blocks the ones behind it, so a customer receives messages in the order decided,
 * across any number of processes.
 */
export async function claimOutbox(
  db: Db,
  now: Date,
  leaseUntil: Date,
  limit: number,
  /** Only rows of this priority or more urgent (0: conversation replies). */
  maxPriority?: number,
): Promise<OutboxRow[]> {
  // Named (one plan per connection and shape): the sender runs this many times a second.
  const urgentEnough =
    maxPriority === undefined ? sql`` : sql`AND o.priority <= ${sql.placeholder('maxPriority')}`;
  const rows = (await db
    .update(outbox)
    .set({
      status: 'sending',
      leaseUntil: sql`${sql.placeholder('leaseUntil')}::timestamptz`,
      attempts: sql`${outbox.attempts} + 1`,
    })
    .where(
      sql`${outbox.id} IN (
      SELECT o.id FROM outbox o
      WHERE o.status = 'pending' AND o.next_attempt_at <= ${sql.placeholder('now')}::timestamptz
        ${urgentEnough}
        AND (o.recipient IS NULL OR NOT EXISTS (
          SELECT 1 FROM outbox p
          WHERE p.recipient = o.recipient AND p.status IN ('pending', 'sending') AND p.seq < o.seq))
      ORDER BY o.priority, o.seq
      LIMIT ${sql.placeholder('limit')}
      FOR UPDATE SKIP LOCKED)`,
    )
    .returning()
    .prepare(maxPriority === undefined ? 'wca_claim_outbox' : 'wca_claim_outbox_urgent')
    .execute({
      now: now.toISOString(),
      leaseUntil: leaseUntil.toISOString(),
      limit,
      ...(maxPriority === undefined ? {} : { maxPriority }),
    })) as OutboxRow[];
  return rows.sort((a, b) => a.seq - b.seq);
}

/** Marks a row delivered to the provider. Idempotent: a status webhook may have done it first. */
export async function markOutboxSent(db: Db, id: string, wamid: string | null, at: Date): Promise<void> {
  await db
    .update(outbox)
    .set({ status: 'sent', wamid: sql`coalesce(${outbox.wamid}, ${wamid})`, sentAt: at, leaseUntil: null })
    .where(and(eq(outbox.id, id), inArray(outbox.status, ['pending', 'sending'])));
}

export async function markOutboxRetry(
  db: Db,
  id: string,
  error: string,
  code: number | null,
  retryAt: Date,
): Promise<void> {
  await db
    .update(outbox)
    .set({
      status: 'pending',
      lastError: error.slice(0, 2000),
      errorCode: code,
      nextAttemptAt: retryAt,
      leaseUntil: null,
    })
    .where(and(eq(outbox.id, id), eq(outbox.status, 'sending')));
}

export async function markOutboxFailed(
  db: Db,
  id: string,
  error: string,
  code: number | null,
): Promise<void> {
  await db
    .update(outbox)
    .set({ status: 'failed', lastError: error.slice(0, 2000), errorCode: code, leaseUntil: null })
    .where(and(eq(outbox.id, id), inArray(outbox.status, ['pending', 'sending'])));
}

/**
 * Rows whose lease ran out were interrupted mid-send (a crash): the provider may or may not have
 * the message. They wait `graceMs` for a status webhook carrying their id to settle it, then are
 * sent again. See docs/decisions/0003-ambiguous-sends.md.
 * @returns how many were found interrupted.
 */
export async function releaseExpiredLeases(db: Db, now: Date, graceMs: number): Promise<number> {
  const retryAt = new Date(now.getTime() + graceMs);
  const rows = await db
    .update(outbox)
    .set({ status: 'pending', ambiguous: true, nextAttemptAt: retryAt, leaseUntil: null })
    .where(and(eq(outbox.status, 'sending'), sql`${outbox.leaseUntil} < ${now.toISOString()}::timestamptz`))
    .returning({ id: outbox.id });
  return rows.length;
}

/** Seconds the oldest due row has been waiting; 0 when nothing waits. */
export async function outboxLagSeconds(db: Db, now: Date): Promise<number> {
  const rows = await queryRows<{ oldest: string | Date | null }>(
    db,
    sql`SELECT min(next_attempt_at) AS oldest FROM outbox WHERE status = 'pending'`,
  );
  const oldest = rows[0]?.oldest;
  if (!oldest) return 0;
  return Math.max(0, (now.getTime() - new Date(oldest).getTime()) / 1000);
}

/** What the sender records once Meta accepted a message. */
export interface AcceptedSend {
  outboxId: string;
  conversationId: string | null;
  wamid: string;
  type: string;
  content: unknown;
  at: Date;
}

/**
 * Marks many rows sent and adds them to the transcript in one statement, for the sender's
 * throughput. Merges with transcript rows an early status webhook may have created.
 */
export async function recordAcceptedSends(db: Db, sends: AcceptedSend[]): Promise<void> {
  if (sends.length === 0) return;
  const rows = JSON.stringify(
    sends.map((s) => ({
      outbox_id: s.outboxId,
      conversation_id: s.conversationId,
      wamid: s.wamid,
      type: s.type,
      content: s.content,
      at: s.at.toISOString(),
    })),
  );
  await db.execute(sql`
    WITH v AS (
      SELECT * FROM jsonb_to_recordset(${rows}::jsonb)
        AS v(outbox_id text, conversation_id text, wamid text, type text, content jsonb, at timestamptz)
    ), sent AS (
      UPDATE outbox o SET status = 'sent', wamid = coalesce(o.wamid, v.wamid), sent_at = v.at, lease_until = NULL
      FROM v WHERE o.id = v.outbox_id AND o.status IN ('pending', 'sending')
      RETURNING o.id
    )
    INSERT INTO messages (conversation_id, direction, outbox_id, wamid, type, content, status, created_at, status_at)
    SELECT v.conversation_id, 'out', v.outbox_id, v.wamid, v.type, v.content, 'accepted', v.at, v.at
    FROM v WHERE v.conversation_id IS NOT NULL
    ON CONFLICT (outbox_id) DO UPDATE SET
      wamid = coalesce(messages.wamid, excluded.wamid), type = excluded.type, content = excluded.content`);
}
