import { eq, sql } from 'drizzle-orm';
import type { Db } from './openStore.js';
import type { NewOutboxRow } from './outboxRepo.js';
import { contacts, conversations, outbox } from './schema.js';

/** What a turn writes at its end, all of it optional. */
export interface TurnWrites {
  conversationId: string;
  waId: string;
  /** The conversation's new state. */
  state?: { state: unknown; flowVersion: number | null };
  /** Messages to send, in order; a replayed turn writes the same ids and they are ignored. */
  outbox: NewOutboxRow[];
  /** The customer's language, when the turn changed it. */
  locale: string | null;
  now: Date;
}

/**
 * Writes the end of a turn in one statement: the conversation's state, the outbox rows and the
 * contact's language. A turn without any of them writes nothing.
 */
export async function saveTurn(db: Db, turn: TurnWrites): Promise<void> {
  const rows = turn.outbox.map((row) => ({ createdAt: turn.now, nextAttemptAt: turn.now, ...row }));
  const queue = () =>
    db.insert(outbox).values(rows).onConflictDoNothing({ target: outbox.id }).returning({ id: outbox.id });
  const relabel = (locale: string) =>
    db
      .update(contacts)
      .set({ locale })
      .where(eq(contacts.waId, turn.waId))
      .returning({ waId: contacts.waId });
  const queued = rows.length > 0 ? [db.$with('queued').as(queue())] : [];
  const relabelled = turn.locale !== null ? [db.$with('relabelled').as(relabel(turn.locale))] : [];

  if (turn.state) {
    await db
      .with(...queued, ...relabelled)
      .update(conversations)
      .set({ ...turn.state, updatedAt: sql`clock_timestamp()` })
      .where(eq(conversations.id, turn.conversationId));
  } else if (rows.length > 0) {
    await db
      .with(...relabelled)
      .insert(outbox)
      .values(rows)
      .onConflictDoNothing({ target: outbox.id });
  } else if (turn.locale !== null) {
    await relabel(turn.locale);
  }
}
