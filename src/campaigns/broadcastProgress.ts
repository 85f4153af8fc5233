import { sql } from 'drizzle-orm';
import { queryRows, type Db } from '../store/index.js';

export const RECIPIENT_STATUSES = [
  'excluded',
  'waiting',
  'queued',
  'sent',
  'delivered',
  'read',
  'replied',
  'failed',
  'cancelled',
] as const;
export type RecipientStatus = (typeof RECIPIENT_STATUSES)[number];

/**
 * A recipient's status, derived from where its message is: the outbox (queued, refused), the
 * transcript (sent, delivered, read, failed from Meta's status webhooks, which carry the outbox
 * id back) and any customer message after it (replied).
 */
const STATUS = sql`CASE
  WHEN r.state = 'excluded' THEN 'excluded'
  WHEN r.state = 'waiting' THEN 'waiting'
  WHEN r.state = 'cancelled' THEN 'cancelled'
  WHEN o.status = 'failed' OR m.status = 'failed' THEN 'failed'
  WHEN o.sent_at IS NOT NULL AND EXISTS (
    SELECT 1 FROM messages i WHERE i.conversation_id = o.conversation_id AND i.direction = 'in'
      AND i.created_at > o.sent_at) THEN 'replied'
  WHEN m.status = 'read' THEN 'read'
  WHEN m.status = 'delivered' THEN 'delivered'
  WHEN o.status = 'sent' OR m.status IN ('accepted', 'sent') THEN 'sent'
  ELSE 'queued' END`;

const REASON = sql`CASE
  WHEN r.state = 'excluded' THEN r.reason
  WHEN m.status = 'failed' THEN concat_ws(' ', m.error_code::text, m.error_title)
  WHEN o.status = 'failed' THEN concat_ws(' ', o.error_code::text, o.last_error)
  ELSE NULL END`;

const FROM = sql`FROM broadcast_recipients r
  LEFT JOIN outbox o ON o.id = r.outbox_id
  LEFT JOIN messages m ON m.outbox_id = r.outbox_id`;

export interface BroadcastProgress {
  total: number;
  byStatus: Record<RecipientStatus, number>;
  /** Failures grouped by Meta error code (131049 is Meta's frequency capping) or our reason. */
  failures: { code: number | null; reason: string; count: number }[];
  /** Excluded recipients by rule. */
  exclusions: Record<string, number>;
}

export async function readBroadcastProgress(db: Db, broadcastId: string): Promise<BroadcastProgress> {
  const rows = await queryRows<{ status: RecipientStatus; n: number }>(
    db,
    sql`SELECT ${STATUS} AS status, count(*)::int AS n ${FROM} WHERE r.broadcast_id = ${broadcastId} GROUP BY 1`,
  );
  const byStatus = Object.fromEntries(RECIPIENT_STATUSES.map((s) => [s, 0])) as Record<
    RecipientStatus,
    number
  >;
  for (const row of rows) byStatus[row.status] = row.n;
  const failures = await queryRows<{ code: number | null; reason: string; count: number }>(
    db,
    sql`SELECT coalesce(m.error_code, o.error_code) AS code,
          coalesce(CASE WHEN m.status = 'failed' THEN m.error_title END, o.last_error, 'failed') AS reason,
          count(*)::int AS count
        ${FROM}
        WHERE r.broadcast_id = ${broadcastId} AND (o.status = 'failed' OR m.status = 'failed')
        GROUP BY 1, 2 ORDER BY 3 DESC LIMIT 20`,
  );
  const excluded = await queryRows<{ reason: string; n: number }>(
    db,
    sql`SELECT reason, count(*)::int AS n FROM broadcast_recipients
        WHERE broadcast_id = ${broadcastId} AND state = 'excluded' GROUP BY 1`,
  );
  return {
    total: rows.reduce((sum, row) => sum + row.n, 0),
    byStatus,
    failures,
    exclusions: Object.fromEntries(excluded.map((row) => [row.reason, row.n])),
  };
}

export interface RecipientView {
  id: number;
  waId: string;
  name: string | null;
  status: RecipientStatus;
  reason: string | null;
}

/** One page of a broadcast's recipients, optionally of one status, in id order. */
export async function listBroadcastRecipients(
  db: Db,
  broadcastId: string,
  options: { status?: RecipientStatus; after?: number; limit: number },
): Promise<RecipientView[]> {
  return queryRows<RecipientView>(
    db,
    sql`SELECT * FROM (
          SELECT r.id::int AS id, r.wa_id AS "waId", r.name, ${STATUS} AS status, ${REASON} AS reason
          ${FROM}
          WHERE r.broadcast_id = ${broadcastId} AND r.id > ${options.after ?? 0}) AS v
        WHERE ${options.status ? sql`v.status = ${options.status}` : sql`true`}
        ORDER BY v.id LIMIT ${options.limit}`,
  );
}
