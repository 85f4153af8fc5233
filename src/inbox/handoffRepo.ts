import { and, asc, desc, eq, inArray, isNull, lt, ne, or, sql, type SQL } from 'drizzle-orm';
import {
  conversationNotes,
  handoffEvents,
  handoffs,
  queryRows,
  staffUsers,
  type Db,
  type HandoffRow,
} from '../store/index.js';

export type HandoffEventType = (typeof handoffEvents.$inferSelect)['type'];

/** Who caused a handoff event when it was not a staff member. */
export type HandoffActor = { staffId: string } | { by: 'bot' | 'customer' | 'system' | 'api' };

export async function recordHandoffEvent(
  db: Db,
  event: {
    conversationId: string;
    type: HandoffEventType;
    actor: HandoffActor;
    at: Date;
    detail?: Record<string, unknown>;
  },
): Promise<void> {
  await db.insert(handoffEvents).values({
    conversationId: event.conversationId,
    type: event.type,
    actorId: 'staffId' in event.actor ? event.actor.staffId : null,
    detail: { ...('by' in event.actor ? { by: event.actor.by } : {}), ...event.detail },
    at: event.at,
  });
}

/** Puts a conversation in the waiting queue (a new handoff replaces the last one; tags stay). */
export async function startHandoff(
  db: Db,
  conversationId: string,
  reason: string,
  at: Date,
  actor: HandoffActor,
): Promise<void> {
  const fresh = {
    status: 'waiting' as const,
    reason,
    assigneeId: null,
    startedAt: at,
    assignedAt: null,
    firstReplyAt: null,
    resolvedAt: null,
    updatedAt: at,
  };
  await db
    .insert(handoffs)
    .values({ conversationId, ...fresh })
    .onConflictDoUpdate({ target: handoffs.conversationId, set: fresh });
  await recordHandoffEvent(db, { conversationId, type: 'started', actor, at, detail: { reason } });
}

export async function getHandoff(db: Db, conversationId: string): Promise<HandoffRow | null> {
  const rows = await db.select().from(handoffs).where(eq(handoffs.conversationId, conversationId));
  return rows[0] ?? null;
}

/**
 * Gives an open handoff to a staff member. With `fromAssignee` the change only happens while the
 * handoff is still held by that person (null: still waiting), so two people taking one
 * conversation at once cannot both win.
 * @returns the updated handoff, or null when it changed hands meanwhile or is not open.
 */
export async function assignHandoff(
  db: Db,
  conversationId: string,
  assigneeId: string,
  at: Date,
  fromAssignee?: string | null,
): Promise<HandoffRow | null> {
  const guard =
    fromAssignee === undefined
      ? undefined
      : fromAssignee === null
        ? isNull(handoffs.assigneeId)
        : eq(handoffs.assigneeId, fromAssignee);
  const rows = await db
    .update(handoffs)
    .set({ status: 'assigned', assigneeId, assignedAt: at, updatedAt: at })
    .where(and(eq(handoffs.conversationId, conversationId), ne(handoffs.status, 'resolved'), guard))
    .returning();
  if (!rows[0]) return null;
  await db.update(staffUsers).set({ lastAssignedAt: at }).where(eq(staffUsers.id, assigneeId));
  return rows[0];
}

export async function unassignHandoff(db: Db, conversationId: string, at: Date): Promise<void> {
  await db
    .update(handoffs)
    .set({ status: 'waiting', assigneeId: null, assignedAt: null, updatedAt: at })
    .where(and(eq(handoffs.conversationId, conversationId), eq(handoffs.status, 'assigned')));
}

/** Round-robin: the active staff member who was given a conversation longest ago. */
export async function nextInRotation(db: Db): Promise<string | null> {
  const rows = await db
    .select({ id: staffUsers.id })
    .from(staffUsers)
    .where(and(eq(staffUsers.active, true), sql`${staffUsers.passwordHash} IS NOT NULL`))
    .orderBy(sql`${staffUsers.lastAssignedAt} ASC NULLS FIRST`, asc(staffUsers.createdAt))
    .limit(1);
  return rows[0]?.id ?? null;
}

export async function markResolved(db: Db, conversationId: string, at: Date): Promise<void> {
  await db
    .update(handoffs)
    .set({ status: 'resolved', resolvedAt: at, updatedAt: at })
    .where(and(eq(handoffs.conversationId, conversationId), ne(handoffs.status, 'resolved')));
}

/** Notes the first staff reply of the handoff. @returns seconds since the handoff started, once. */
export async function markFirstReply(db: Db, conversationId: string, at: Date): Promise<number | null> {
  const rows = await db
    .update(handoffs)
    .set({ firstReplyAt: at, updatedAt: at })
    .where(and(eq(handoffs.conversationId, conversationId), isNull(handoffs.firstReplyAt)))
    .returning({ startedAt: handoffs.startedAt });
  const started = rows[0]?.startedAt;
  return started ? Math.max(0, (at.getTime() - started.getTime()) / 1000) : null;
}

export async function setTags(db: Db, conversationId: string, tags: string[], at: Date): Promise<boolean> {
  const rows = await db
    .update(handoffs)
    .set({ tags, updatedAt: at })
    .where(eq(handoffs.conversationId, conversationId))
    .returning({ id: handoffs.conversationId });
  return rows.length > 0;
}

export interface NoteView {
  id: number;
  conversationId: string;
  text: string;
  author: { id: string; name: string };
  at: string;
}

export async function addNote(
  db: Db,
  note: { conversationId: string; authorId: string; text: string; at: Date },
): Promise<number> {
  const rows = await db
    .insert(conversationNotes)
    .values({
      conversationId: note.conversationId,
      authorId: note.authorId,
      text: note.text,
      createdAt: note.at,
    })
    .returning({ id: conversationNotes.id });
  return (rows[0] as { id: number }).id;
}

export async function listNotes(db: Db, conversationId: string, ids?: number[]): Promise<NoteView[]> {
  const rows = await db
    .select({ note: conversationNotes, name: staffUsers.name })
    .from(conversationNotes)
    .leftJoin(staffUsers, eq(staffUsers.id, conversationNotes.authorId))
    .where(
      and(
        eq(conversationNotes.conversationId, conversationId),
        ids ? inArray(conversationNotes.id, ids) : undefined,
      ),
    )
    .orderBy(asc(conversationNotes.id))
    .limit(500);
  return rows.map(({ note, name }) => ({
    id: note.id,
    conversationId: note.conversationId,
    text: note.text,
    author: { id: note.authorId, name: name ?? 'Former staff' },
    at: note.createdAt.toISOString(),
  }));
}

export interface HandoffEventView {
  id: number;
  conversationId: string;
  type: HandoffEventType;
  actor: { id: string; name: string } | { by: string };
  detail: Record<string, unknown>;
  at: string;
}

export async function listHandoffEvents(
  db: Db,
  filter: { conversationId?: string; before?: number; limit: number },
): Promise<HandoffEventView[]> {
  const rows = await db
    .select({ event: handoffEvents, name: staffUsers.name })
    .from(handoffEvents)
    .leftJoin(staffUsers, eq(staffUsers.id, handoffEvents.actorId))
    .where(
      and(
        filter.conversationId ? eq(handoffEvents.conversationId, filter.conversationId) : undefined,
        filter.before ? lt(handoffEvents.id, filter.before) : undefined,
      ),
    )
    .orderBy(desc(handoffEvents.id))
    .limit(filter.limit);
  return rows.map(({ event, name }) => {
    const detail = (event.detail ?? {}) as Record<string, unknown>;
    return {
      id: event.id,
      conversationId: event.conversationId,
      type: event.type,
      actor: event.actorId
        ? { id: event.actorId, name: name ?? 'Former staff' }
        : { by: typeof detail.by === 'string' ? detail.by : 'system' },
      detail,
      at: event.at.toISOString(),
    };
  });
}

/* Queue and transcript views ---------------------------------------------------------------- */

export type QueueTab = 'waiting' | 'mine' | 'all' | 'resolved';

/** One row of the queue: the conversation, its handoff, its contact and its last message. */
export interface QueueItem {
  id: string;
  waId: string;
  name: string | null;
  locale: string | null;
  optedOut: boolean;
  mode: 'bot' | 'handoff' | 'closed';
  handoff: {
    status: 'waiting' | 'assigned' | 'resolved';
    reason: string;
    assignee: { id: string; name: string } | null;
    startedAt: string;
    assignedAt: string | null;
    firstReplyAt: string | null;
    resolvedAt: string | null;
    tags: string[];
  } | null;
  lastInboundAt: string | null;
  updatedAt: string;
  last: {
    direction: 'in' | 'out';
    type: string;
    content: unknown;
    status: string;
    at: string;
    /** Staff member who wrote it; null for the customer and the bot. */
    author: string | null;
  } | null;
}

interface QueueRow {
  id: string;
  wa_id: string;
  mode: QueueItem['mode'];
  last_inbound_at: string | Date | null;
  updated_at: string | Date;
  name: string | null;
  locale: string | null;
  opted_out: boolean | null;
  h_status: 'waiting' | 'assigned' | 'resolved' | null;
  h_reason: string | null;
  h_assignee: string | null;
  h_assignee_name: string | null;
  h_started_at: string | Date | null;
  h_assigned_at: string | Date | null;
  h_first_reply_at: string | Date | null;
  h_resolved_at: string | Date | null;
  h_tags: string[] | null;
  m_direction: 'in' | 'out' | null;
  m_type: string | null;
  m_content: unknown;
  m_status: string | null;
  m_at: string | Date | null;
  m_author: string | null;
}

const iso = (value: string | Date | null): string | null =>
  value === null ? null : new Date(value).toISOString();

function toQueueItem(row: QueueRow): QueueItem {
  return {
    id: row.id,
    waId: row.wa_id,
    name: row.name,
    locale: row.locale,
    optedOut: row.opted_out ?? false,
    mode: row.mode,
    handoff: row.h_status
      ? {
          status: row.h_status,
          reason: row.h_reason ?? '',
          assignee: row.h_assignee
            ? { id: row.h_assignee, name: row.h_assignee_name ?? 'Former staff' }
            : null,
          startedAt: iso(row.h_started_at) as string,
          assignedAt: iso(row.h_assigned_at),
          firstReplyAt: iso(row.h_first_reply_at),
          resolvedAt: iso(row.h_resolved_at),
          tags: row.h_tags ?? [],
        }
      : null,
    lastInboundAt: iso(row.last_inbound_at),
    updatedAt: iso(row.updated_at) as string,
    last: row.m_direction
      ? {
          direction: row.m_direction,
          type: row.m_type ?? 'unknown',
          content: row.m_content,
          status: row.m_status ?? 'received',
          at: iso(row.m_at) as string,
          author: row.m_author,
        }
      : null,
  };
}

function selectQueue(where: SQL, order: SQL, limit: number): SQL {
  return sql`
    SELECT c.id, c.wa_id, c.mode, c.last_inbound_at, c.updated_at,
      ct.name, ct.locale, ct.opted_out,
      h.status AS h_status, h.reason AS h_reason, h.assignee_id AS h_assignee, su.name AS h_assignee_name,
      h.started_at AS h_started_at, h.assigned_at AS h_assigned_at, h.first_reply_at AS h_first_reply_at,
      h.resolved_at AS h_resolved_at, h.tags AS h_tags,
      m.direction AS m_direction, m.type AS m_type, m.content AS m_content, m.status AS m_status,
      m.created_at AS m_at, lsu.name AS m_author
    FROM conversations c
    LEFT JOIN handoffs h ON h.conversation_id = c.id
    LEFT JOIN contacts ct ON ct.wa_id = c.wa_id
    LEFT JOIN staff_users su ON su.id = h.assignee_id
    LEFT JOIN LATERAL (
      SELECT direction, type, content, status, created_at, outbox_id FROM messages
      WHERE conversation_id = c.id ORDER BY id DESC LIMIT 1) m ON true
    LEFT JOIN staff_replies lsr ON lsr.outbox_id = m.outbox_id
    LEFT JOIN staff_users lsu ON lsu.id = lsr.staff_id
    WHERE ${where}
    ORDER BY ${order}
    LIMIT ${limit}`;
}

/** The queue as one tab shows it. */
export async function listQueue(
  db: Db,
  tab: QueueTab,
  staffId: string | null,
  limit: number,
): Promise<QueueItem[]> {
  const [where, order] = (
    {
      waiting: [sql`c.mode = 'handoff' AND h.status = 'waiting'`, sql`h.started_at ASC`],
      mine: [
        sql`c.mode = 'handoff' AND h.status = 'assigned' AND h.assignee_id = ${staffId}`,
        sql`h.started_at ASC`,
      ],
      all: [sql`true`, sql`c.updated_at DESC`],
      resolved: [sql`h.status = 'resolved'`, sql`h.resolved_at DESC`],
    } satisfies Record<QueueTab, [SQL, SQL]>
  )[tab];
  const rows = await queryRows<QueueRow>(db, selectQueue(where, order, limit));
  return rows.map(toQueueItem);
}

export async function queueItems(db: Db, ids: string[]): Promise<QueueItem[]> {
  if (ids.length === 0) return [];
  const list = sql.join(
    ids.map((id) => sql`${id}`),
    sql`, `,
  );
  const rows = await queryRows<QueueRow>(db, selectQueue(sql`c.id IN (${list})`, sql`c.id`, ids.length));
  return rows.map(toQueueItem);
}

/** How many conversations wait in each tab, for the tab badges. */
export async function countQueue(db: Db, staffId: string | null): Promise<{ waiting: number; mine: number }> {
  const rows = await queryRows<{ waiting: number | string; mine: number | string }>(
    db,
    sql`
    SELECT count(*) FILTER (WHERE h.status = 'waiting') AS waiting,
      count(*) FILTER (WHERE h.status = 'assigned' AND h.assignee_id = ${staffId}) AS mine
    FROM handoffs h JOIN conversations c ON c.id = h.conversation_id AND c.mode = 'handoff'`,
  );
  return { waiting: Number(rows[0]?.waiting ?? 0), mine: Number(rows[0]?.mine ?? 0) };
}

/** A transcript line as the inbox shows it, with the staff member who wrote it, if any. */
export interface MessageView {
  id: number;
  conversationId: string;
  direction: 'in' | 'out';
  wamid: string | null;
  outboxId: string | null;
  type: string;
  content: unknown;
  status: string;
  error: string | null;
  at: string;
  statusAt: string | null;
  author: { id: string; name: string } | null;
}

interface MessageJoinRow {
  id: number | string;
  conversation_id: string;
  direction: 'in' | 'out';
  wamid: string | null;
  outbox_id: string | null;
  type: string;
  content: unknown;
  status: string;
  error_title: string | null;
  created_at: string | Date;
  status_at: string | Date | null;
  staff_id: string | null;
  staff_name: string | null;
}

const toMessageView = (row: MessageJoinRow): MessageView => ({
  id: Number(row.id),
  conversationId: row.conversation_id,
  direction: row.direction,
  wamid: row.wamid,
  outboxId: row.outbox_id,
  type: row.type,
  content: row.content,
  status: row.status,
  error: row.error_title,
  at: iso(row.created_at) as string,
  statusAt: iso(row.status_at),
  author: row.staff_id ? { id: row.staff_id, name: row.staff_name ?? 'Former staff' } : null,
});

const selectMessages = (where: SQL, limit: number) => sql`
  SELECT m.id, m.conversation_id, m.direction, m.wamid, m.outbox_id, m.type, m.content, m.status,
    m.error_title, m.created_at, m.status_at, sr.staff_id, su.name AS staff_name
  FROM messages m
  LEFT JOIN staff_replies sr ON sr.outbox_id = m.outbox_id
  LEFT JOIN staff_users su ON su.id = sr.staff_id
  WHERE ${where}
  ORDER BY m.id DESC
  LIMIT ${limit}`;

export async function listTranscript(db: Db, conversationId: string, limit = 200): Promise<MessageView[]> {
  const rows = await queryRows<MessageJoinRow>(
    db,
    selectMessages(sql`m.conversation_id = ${conversationId}`, limit),
  );
  return rows.map(toMessageView).reverse();
}

/** Transcript lines named by wamid or outbox id (what a turn or a send just wrote). */
export async function messagesByKeys(db: Db, wamids: string[], outboxIds: string[]): Promise<MessageView[]> {
  if (wamids.length === 0 && outboxIds.length === 0) return [];
  const list = (values: string[]) =>
    sql.join(
      values.map((value) => sql`${value}`),
      sql`, `,
    );
  const where = or(
    wamids.length ? sql`m.wamid IN (${list(wamids)})` : undefined,
    outboxIds.length ? sql`m.outbox_id IN (${list(outboxIds)})` : undefined,
  ) as SQL;
  const rows = await queryRows<MessageJoinRow>(db, selectMessages(where, wamids.length + outboxIds.length));
  return rows.map(toMessageView).reverse();
}
