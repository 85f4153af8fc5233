import { and, eq, inArray, sql } from 'drizzle-orm';
import { queryRows, type Db } from './openStore.js';
import { insertInboundEvents } from './inboundEventsRepo.js';
import { timers } from './schema.js';

export async function scheduleTimer(
  db: Db,
  timer: { id: string; conversationId: string; name: string; fireAt: Date; payload: unknown },
): Promise<void> {
  // One live timer per name and conversation: rescheduling replaces the old one.
  await db
    .update(timers)
    .set({ status: 'cancelled' })
    .where(
      and(
        eq(timers.conversationId, timer.conversationId),
        eq(timers.name, timer.name),
        eq(timers.status, 'scheduled'),
      ),
    );
  await db.insert(timers).values(timer).onConflictDoNothing();
}

export async function cancelTimer(db: Db, conversationId: string, name: string): Promise<void> {
  await db
    .update(timers)
    .set({ status: 'cancelled' })
    .where(
      and(eq(timers.conversationId, conversationId), eq(timers.name, name), eq(timers.status, 'scheduled')),
    );
}

/**
 * Turns due timers into inbound events of their conversation, in the same transaction, so a
 * timer fires exactly once even with several processes.
 * @returns how many fired.
 */
export async function fireDueTimers(db: Db, now: Date, limit: number): Promise<number> {
  return db.transaction(async (tx) => {
    const due = await queryRows<{ id: string }>(
      tx as unknown as Db,
      sql`
      SELECT id FROM timers WHERE status = 'scheduled' AND fire_at <= ${now.toISOString()}::timestamptz
      ORDER BY fire_at LIMIT ${limit} FOR UPDATE SKIP LOCKED`,
    );
    const ids = due.map((row) => row.id);
    if (ids.length === 0) return 0;
    const fired = await tx.update(timers).set({ status: 'fired' }).where(inArray(timers.id, ids)).returning();
    await insertInboundEvents(
      tx as unknown as Db,
      fired.map((timer) => ({
        source: 'timer' as const,
        kind: 'timer',
        externalId: `timer:${timer.id}`,
        conversationId: timer.conversationId,
        payload: { name: timer.name, payload: timer.payload, fireAt: timer.fireAt.toISOString() },
      })),
      now,
    );
    return fired.length;
  });
}
