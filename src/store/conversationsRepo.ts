import { and, eq, sql } from 'drizzle-orm';
import type { Db } from './openStore.js';
import { consentEvents, contacts, conversations, type ConversationRow } from './schema.js';

/**
 * Loads a conversation in one statement, creating it in bot mode on first contact. With
 * `inboundAt` it also moves the last customer message time forward (never back: a message
 * arriving late never shortens the 24-hour window).
 */
export async function loadOrCreateConversation(
  db: Db,
  id: string,
  phoneNumberId: string,
  waId: string,
  inboundAt?: Date,
): Promise<ConversationRow> {
  const rows = await db
    .insert(conversations)
    .values({ id, phoneNumberId, waId, lastInboundAt: inboundAt ?? null })
    .onConflictDoUpdate({
      target: conversations.id,
      set: {
        lastInboundAt: inboundAt
          ? sql`greatest(${conversations.lastInboundAt}, excluded.last_inbound_at)`
          : sql`${conversations.lastInboundAt}`,
      },
    })
    .returning();
  return rows[0] as ConversationRow;
}

export async function getConversation(db: Db, id: string): Promise<ConversationRow | null> {
  const rows = await db.select().from(conversations).where(eq(conversations.id, id));
  return rows[0] ?? null;
}

/** Saves the outcome of one turn. */
export async function saveConversation(
  db: Db,
  id: string,
  patch: Partial<Pick<ConversationRow, 'state' | 'flowVersion' | 'mode' | 'handoffReason' | 'lastInboundAt'>>,
): Promise<void> {
  await db
    .update(conversations)
    .set({ ...patch, updatedAt: sql`clock_timestamp()` })
    .where(eq(conversations.id, id));
}

/** Creates or refreshes the contact; a profile name from Meta updates ours. */
export async function upsertContact(db: Db, waId: string, name: string | null): Promise<void> {
  await db
    .insert(contacts)
    .values({ waId, name })
    .onConflictDoUpdate({
      target: contacts.waId,
      set: { name: sql`coalesce(excluded.name, ${contacts.name})`, updatedAt: sql`clock_timestamp()` },
    });
}

export async function setContactLocale(db: Db, waId: string, locale: string): Promise<void> {
  await db
    .update(contacts)
    .set({ locale })
    .where(and(eq(contacts.waId, waId)));
}

/** Records an opt-in or opt-out with when, where and the words used, and applies it to the contact. */
export async function recordConsent(
  db: Db,
  entry: {
    waId: string;
    action: 'opt_in' | 'opt_out';
    source: string;
    wording: string | null;
    eventId: string;
    at: Date;
  },
): Promise<void> {
  const inserted = await db
    .insert(consentEvents)
    .values(entry)
    .onConflictDoNothing()
    .returning({ id: consentEvents.id });
  if (inserted.length === 0) return;
  await db
    .insert(contacts)
    .values({
      waId: entry.waId,
      optedOut: entry.action === 'opt_out',
      consentChangedAt: entry.at,
      consentSource: entry.source,
    })
    .onConflictDoUpdate({
      target: contacts.waId,
      set: {
        optedOut: entry.action === 'opt_out',
        consentChangedAt: entry.at,
        consentSource: entry.source,
        updatedAt: sql`clock_timestamp()`,
      },
    });
}
