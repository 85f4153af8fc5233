import { eq, getTableColumns, sql } from 'drizzle-orm';
import type { Db } from './openStore.js';
import { consentEvents, contacts, conversations, messages, type ConversationRow } from './schema.js';

/**
 * Loads a conversation in one statement, creating it in bot mode on first contact. Its 24-hour
 * window moves only with a customer's message (`recordCustomerMessage`).
 */
export async function loadOrCreateConversation(
  db: Db,
  id: string,
  phoneNumberId: string,
  waId: string,
): Promise<ConversationRow> {
  const rows = await db
    .insert(conversations)
    .values({ id, phoneNumberId, waId })
    .onConflictDoUpdate({
      target: conversations.id,
      set: { lastInboundAt: sql`${conversations.lastInboundAt}` },
    })
    .returning();
  return rows[0] as ConversationRow;
}

/**
 * A customer's message arriving, in one statement: refreshes the contact (a profile name from
 * Meta updates ours), creates or loads the conversation and moves its 24-hour window forward
 * (never back), and adds the message to the transcript (once per wamid). Also says whether the
 * conversation came from a campaign before this message.
 */
export async function recordCustomerMessage(
  db: Db,
  input: {
    conversationId: string;
    phoneNumberId: string;
    waId: string;
    name: string | null;
    message: { wamid: string; type: string; content: unknown; at: Date };
  },
): Promise<{ conversation: ConversationRow; attributed: boolean }> {
  const { conversationId, phoneNumberId, waId, name, message } = input;
  const contact = db.$with('contact').as(
    db
      .insert(contacts)
      .values({ waId, name })
      .onConflictDoUpdate({
        target: contacts.waId,
        set: { name: sql`coalesce(excluded.name, ${contacts.name})`, updatedAt: sql`clock_timestamp()` },
      })
      .returning({ waId: contacts.waId }),
  );
  const transcript = db.$with('transcript').as(
    db
      .insert(messages)
      .values({
        conversationId,
        direction: 'in',
        wamid: message.wamid,
        type: message.type,
        content: message.content,
        status: 'received',
        createdAt: message.at,
        statusAt: message.at,
      })
      .onConflictDoNothing()
      .returning({ id: messages.id }),
  );
  const rows = await db
    .with(contact, transcript)
    .insert(conversations)
    .values({ id: conversationId, phoneNumberId, waId, lastInboundAt: message.at })
    .onConflictDoUpdate({
      target: conversations.id,
      set: { lastInboundAt: sql`greatest(${conversations.lastInboundAt}, excluded.last_inbound_at)` },
    })
    .returning({
      ...getTableColumns(conversations),
      attributed: sql<boolean>`EXISTS (SELECT 1 FROM attributions a WHERE a.conversation_id = conversations.id)`,
    });
  const { attributed, ...conversation } = rows[0] as ConversationRow & { attributed: boolean };
  return { conversation, attributed };
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
