import { desc, eq, sql } from 'drizzle-orm';
import type { Db } from './openStore.js';
import { messages, type MessageRow } from './schema.js';

export type DeliveryStatus = 'sent' | 'delivered' | 'read' | 'failed';

/** Records a send the provider refused for good, so the transcript shows it with its reason. */
export async function recordOutboundFailed(
  db: Db,
  row: {
    conversationId: string;
    outboxId: string;
    type: string;
    content: unknown;
    at: Date;
    errorCode: number | null;
    errorTitle: string;
  },
): Promise<void> {
  await db
    .insert(messages)
    .values({
      conversationId: row.conversationId,
      direction: 'out',
      outboxId: row.outboxId,
      type: row.type,
      content: row.content,
      status: 'failed',
      errorCode: row.errorCode,
      errorTitle: row.errorTitle,
      createdAt: row.at,
      statusAt: row.at,
    })
    .onConflictDoNothing();
}

/**
 * Moves a message's delivery status forward only: accepted < sent < delivered < read.
 * `failed` may replace accepted or sent and is final. A status for a message we do not have yet
 * but that names our outbox id creates the row, so an early status is never lost.
 * @returns whether anything changed.
 */
export async function applyDeliveryStatus(
  db: Db,
  update: {
    wamid: string;
    outboxId: string | null;
    conversationId: string;
    status: DeliveryStatus;
    at: Date;
    errorCode: number | null;
    errorTitle: string | null;
  },
): Promise<boolean> {
  if (update.outboxId) {
    await db
      .insert(messages)
      .values({
        conversationId: update.conversationId,
        direction: 'out',
        outboxId: update.outboxId,
        wamid: update.wamid,
        type: 'unknown',
        content: {},
        status: 'accepted',
        createdAt: update.at,
        statusAt: update.at,
      })
      .onConflictDoNothing();
    await db
      .update(messages)
      .set({ wamid: update.wamid })
      .where(sql`${messages.outboxId} = ${update.outboxId} AND ${messages.wamid} IS NULL`);
  }
  const rank = (column: unknown) =>
    sql`(CASE ${column} WHEN 'accepted' THEN 0 WHEN 'sent' THEN 1 WHEN 'delivered' THEN 2 WHEN 'read' THEN 3 ELSE 4 END)`;
  const changed = await db
    .update(messages)
    .set({
      status: update.status,
      statusAt: update.at,
      errorCode: update.errorCode,
      errorTitle: update.errorTitle,
    })
    .where(
      sql`${messages.wamid} = ${update.wamid} AND ${messages.direction} = 'out' AND ${
        update.status === 'failed'
          ? sql`${messages.status} IN ('accepted', 'sent')`
          : sql`${messages.status} <> 'failed' AND ${rank(messages.status)} < ${rank(update.status)}`
      }`,
    )
    .returning({ id: messages.id });
  return changed.length > 0;
}

export async function listMessages(db: Db, conversationId: string, limit = 100): Promise<MessageRow[]> {
  const rows = await db
    .select()
    .from(messages)
    .where(eq(messages.conversationId, conversationId))
    .orderBy(desc(messages.id))
    .limit(limit);
  return rows.reverse();
}
