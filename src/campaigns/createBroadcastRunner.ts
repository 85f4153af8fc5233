import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Clock } from '../engine/types.js';
import type { ScreenVerdict } from '../jobs/outboxSender.js';
import { startLoop, type Loop } from '../jobs/loop.js';
import type { Logger } from '../logger.js';
import {
  broadcastRecipients,
  broadcasts,
  insertOutbox,
  queryRows,
  recordConsent,
  type BroadcastRecipientRow,
  type BroadcastRow,
  type Db,
  type OutboxRow,
} from '../store/index.js';
import type { AudienceInput, VariableSource } from './broadcastInput.js';
import { consentRefusal, readConsent } from './consent.js';
import { variableValue } from './createBroadcastDraft.js';
import { pickTemplateLanguage, type WhatsAppTemplate } from './loadWhatsAppTemplates.js';
import { broadcastIdOf, broadcastOutboxId, MARKETING_KIND } from './marketingKind.js';
import { insideSendHours, nextSendTime } from './sendHours.js';

export interface BroadcastRunnerOptions {
  db: Db;
  clock: Clock;
  logger: Logger;
  templates: ReadonlyMap<string, WhatsAppTemplate>;
  phoneNumberId: string;
  /** The number's messages per second; the runner keeps about two seconds of them queued. */
  mps: number;
  sendHours: { start: string; end: string };
  timeZone: string;
  /** Called after rows were queued, so the sender starts at once. */
  onQueued(): void;
  autoStart?: boolean;
  idleMs?: number;
}

export interface BroadcastRunner extends Loop {
  /** Queues what is due now; for tests and tools. @returns rows queued or settled. */
  feed(): Promise<number>;
  /** The sender's last look at a broadcast message: consent, pause, cancel and sending hours. */
  screen(rows: OutboxRow[], now: Date): Promise<Map<string, ScreenVerdict>>;
  confirm(id: string, expectedRecipients: number): Promise<BroadcastRow>;
  pause(id: string): Promise<BroadcastRow>;
  resume(id: string): Promise<BroadcastRow>;
  cancel(id: string): Promise<BroadcastRow>;
}

/** A broadcast action that the broadcast's state does not allow (→ 409). */
export class BroadcastStateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BroadcastStateError';
  }
}

/**
 * Moves confirmed broadcasts into the outbox a little at a time: about two seconds of the
 * number's rate, as bulk rows the sender serves after conversation replies. Queuing late keeps
 * pause and cancel immediate, keeps sending inside the configured hours, and lets consent be
 * checked once more right before each message is queued (and again by the sender).
 */
export function createBroadcastRunner(options: BroadcastRunnerOptions): BroadcastRunner {
  const { db, clock, logger } = options;
  const backlogTarget = Math.max(20, Math.ceil(options.mps * 2));
  const hoursOpen = (now: Date) => insideSendHours(now, options.sendHours, options.timeZone);

  async function load(id: string): Promise<BroadcastRow> {
    const [row] = await db.select().from(broadcasts).where(eq(broadcasts.id, id));
    if (!row) throw new BroadcastStateError(`No broadcast ${id}`);
    return row;
  }

  /** Takes queued-but-unclaimed messages of a broadcast back out of the outbox. */
  async function withdraw(tx: Db, id: string, to: 'waiting' | 'cancelled'): Promise<void> {
    await queryRows(
      tx,
      sql`WITH pulled AS (
            DELETE FROM outbox WHERE id LIKE ${`bc:${id}:%`} AND status = 'pending' RETURNING id)
          UPDATE broadcast_recipients SET state = ${to}, outbox_id = NULL, queued_at = NULL
          WHERE outbox_id IN (SELECT id FROM pulled)`,
    );
  }

  async function queueSome(broadcast: BroadcastRow, room: number, now: Date): Promise<number> {
    const template = options.templates.get(broadcast.templateName);
    return db.transaction(async (t) => {
      const tx = t as unknown as Db;
      const picked = await queryRows<{ id: string }>(
        tx,
        sql`SELECT id FROM broadcast_recipients WHERE broadcast_id = ${broadcast.id} AND state = 'waiting'
            ORDER BY id LIMIT ${room} FOR UPDATE SKIP LOCKED`,
      );
      if (picked.length === 0) return 0;
      const rows = await tx
        .select()
        .from(broadcastRecipients)
        .where(
          inArray(
            broadcastRecipients.id,
            picked.map((p) => Number(p.id)),
          ),
        );
      const consent = await readConsent(
        tx,
        rows.map((r) => r.waId),
      );
      const variables = broadcast.variables as Record<string, VariableSource>;
      const queue: BroadcastRecipientRow[] = [];
      for (const row of rows) {
        const refusal = consentRefusal(consent.get(row.waId) ?? 'none');
        const values = template?.variables.map((name) =>
          variableValue(variables[name] as VariableSource, row),
        );
        const reason = !template
          ? 'template_removed'
          : refusal
            ? consent.get(row.waId) === 'opted_out'
              ? 'opted_out'
              : 'no_consent'
            : values?.some((v) => v === null)
              ? 'missing_variable'
              : null;
        if (reason) {
          await tx
            .update(broadcastRecipients)
            .set({ state: 'excluded', reason })
            .where(eq(broadcastRecipients.id, row.id));
        } else queue.push(row);
      }
      if (template && queue.length > 0) {
        await insertOutbox(
          tx,
          queue.map((row) => {
            const id = broadcastOutboxId(broadcast.id, row.id);
            const values = template.variables.map(
              (name) => variableValue(variables[name] as VariableSource, row) as string,
            );
            return {
              id,
              conversationId: `${options.phoneNumberId}:${row.waId}`,
              recipient: row.waId,
              kind: MARKETING_KIND,
              priority: 1,
              payload: {
                type: 'SendTemplate',
                id,
                name: template.name,
                language: pickTemplateLanguage(template, row.locale),
                components:
                  values.length > 0
                    ? [{ type: 'body', parameters: values.map((text) => ({ type: 'text', text })) }]
                    : [],
              },
            };
          }),
          now,
        );
        await queryRows(
          tx,
          sql`UPDATE broadcast_recipients SET state = 'queued', queued_at = ${now.toISOString()}::timestamptz,
                outbox_id = 'bc:' || broadcast_id || ':' || id
              WHERE id IN (SELECT jsonb_array_elements_text(${JSON.stringify(queue.map((r) => String(r.id)))}::jsonb)::bigint)`,
        );
      }
      return rows.length;
    });
  }

  async function finishIfDone(broadcast: BroadcastRow, now: Date): Promise<boolean> {
    const [left] = await queryRows<{ waiting: number; inflight: number }>(
      db,
      sql`SELECT
            (SELECT count(*)::int FROM broadcast_recipients WHERE broadcast_id = ${broadcast.id} AND state = 'waiting') AS waiting,
            (SELECT count(*)::int FROM outbox WHERE id LIKE ${`bc:${broadcast.id}:%`} AND status IN ('pending', 'sending')) AS inflight`,
    );
    if (!left || left.waiting > 0 || left.inflight > 0) return false;
    await db
      .update(broadcasts)
      .set({ status: 'done', finishedAt: now })
      .where(and(eq(broadcasts.id, broadcast.id), eq(broadcasts.status, 'sending')));
    logger.info({ broadcast: broadcast.id }, 'broadcast finished');
    return true;
  }

  async function feed(): Promise<number> {
    const active = await db.select().from(broadcasts).where(eq(broadcasts.status, 'sending'));
    if (active.length === 0) return 0;
    const now = clock.now();
    let handled = 0;
    if (hoursOpen(now)) {
      const [backlog] = await queryRows<{ n: number }>(
        db,
        sql`SELECT count(*)::int AS n FROM outbox WHERE kind = ${MARKETING_KIND} AND status IN ('pending', 'sending')`,
      );
      let room = backlogTarget - (backlog?.n ?? 0);
      for (const broadcast of active) {
        if (room <= 0) break;
        const queued = await queueSome(broadcast, room, now);
        room -= queued;
        handled += queued;
      }
    }
    for (const broadcast of active) if (await finishIfDone(broadcast, now)) handled++;
    if (handled > 0) options.onQueued();
    return handled;
  }

  const loop: Loop | null =
    options.autoStart === false
      ? null
      : startLoop(
          async () => (await feed()) > 0,
          options.idleMs ?? 250,
          (error) => logger.error({ err: error }, 'broadcast round failed'),
        );

  return {
    wake: () => loop?.wake(),
    stop: async () => loop?.stop(),
    feed,

    async screen(rows, now) {
      const verdicts = new Map<string, ScreenVerdict>();
      const marketing = rows.filter((row) => row.kind === MARKETING_KIND);
      if (marketing.length === 0) return verdicts;
      const consent = await readConsent(db, [...new Set(marketing.map((row) => row.recipient as string))]);
      const ids = [
        ...new Set(marketing.map((row) => broadcastIdOf(row.id)).filter((id): id is string => !!id)),
      ];
      const states = new Map(
        ids.length === 0
          ? []
          : (
              await db
                .select({ id: broadcasts.id, status: broadcasts.status })
                .from(broadcasts)
                .where(inArray(broadcasts.id, ids))
            ).map((b) => [b.id, b.status]),
      );
      const open = hoursOpen(now);
      for (const row of marketing) {
        const refusal = consentRefusal(consent.get(row.recipient as string) ?? 'none');
        const status = states.get(broadcastIdOf(row.id) ?? '');
        if (refusal) verdicts.set(row.id, { refuse: refusal });
        else if (status === 'cancelled') verdicts.set(row.id, { refuse: 'The broadcast was cancelled' });
        else if (status === 'paused')
          verdicts.set(row.id, { holdUntil: new Date(now.getTime() + 3_600_000) });
        else if (!open)
          verdicts.set(row.id, { holdUntil: nextSendTime(now, options.sendHours, options.timeZone) });
      }
      return verdicts;
    },

    async confirm(id, expectedRecipients) {
      const broadcast = await load(id);
      if (broadcast.status !== 'draft')
        throw new BroadcastStateError(`Broadcast is ${broadcast.status}; only a draft can be confirmed`);
      const [count] = await queryRows<{ n: number }>(
        db,
        sql`SELECT count(*)::int AS n FROM broadcast_recipients WHERE broadcast_id = ${id} AND state = 'waiting'`,
      );
      if ((count?.n ?? 0) !== expectedRecipients)
        throw new BroadcastStateError(
          `The preview said ${expectedRecipients} recipients but ${count?.n ?? 0} are ready now: run the dry run again`,
        );
      const now = clock.now();
      const audience = broadcast.audience as AudienceInput;
      await db.transaction(async (t) => {
        const tx = t as unknown as Db;
        if (audience.type === 'csv' && audience.consent) {
          const waiting = await tx
            .select({ id: broadcastRecipients.id, waId: broadcastRecipients.waId })
            .from(broadcastRecipients)
            .where(and(eq(broadcastRecipients.broadcastId, id), eq(broadcastRecipients.state, 'waiting')));
          const consent = await readConsent(
            tx,
            waiting.map((w) => w.waId),
          );
          for (const recipient of waiting) {
            if (consent.get(recipient.waId) !== 'none') continue;
            await recordConsent(tx, {
              waId: recipient.waId,
              action: 'opt_in',
              source: `import:${audience.consent.source}`,
              wording: audience.consent.wording,
              eventId: `broadcast:${id}:optin:${recipient.id}`,
              at: now,
            });
          }
        }
        await tx
          .update(broadcasts)
          .set({ status: 'sending', confirmedAt: now })
          .where(and(eq(broadcasts.id, id), eq(broadcasts.status, 'draft')));
      });
      loop?.wake();
      return load(id);
    },

    async pause(id) {
      const broadcast = await load(id);
      if (broadcast.status !== 'sending')
        throw new BroadcastStateError(
          `Broadcast is ${broadcast.status}; only a sending broadcast can be paused`,
        );
      await db.transaction(async (t) => {
        await t.update(broadcasts).set({ status: 'paused' }).where(eq(broadcasts.id, id));
        await withdraw(t as unknown as Db, id, 'waiting');
      });
      return load(id);
    },

    async resume(id) {
      const broadcast = await load(id);
      if (broadcast.status !== 'paused')
        throw new BroadcastStateError(
          `Broadcast is ${broadcast.status}; only a paused broadcast can be resumed`,
        );
      const now = clock.now();
      await db.transaction(async (t) => {
        await t.update(broadcasts).set({ status: 'sending' }).where(eq(broadcasts.id, id));
        // Messages the sender held back while paused may go again.
        await queryRows(
          t as unknown as Db,
          sql`UPDATE outbox SET next_attempt_at = ${now.toISOString()}::timestamptz
              WHERE id LIKE ${`bc:${id}:%`} AND status = 'pending'`,
        );
      });
      loop?.wake();
      return load(id);
    },

    async cancel(id) {
      const broadcast = await load(id);
      if (broadcast.status === 'done' || broadcast.status === 'cancelled')
        throw new BroadcastStateError(`Broadcast is already ${broadcast.status}`);
      await db.transaction(async (t) => {
        const tx = t as unknown as Db;
        await tx
          .update(broadcasts)
          .set({ status: 'cancelled', finishedAt: clock.now() })
          .where(eq(broadcasts.id, id));
        await withdraw(tx, id, 'cancelled');
        await tx
          .update(broadcastRecipients)
          .set({ state: 'cancelled' })
          .where(and(eq(broadcastRecipients.broadcastId, id), eq(broadcastRecipients.state, 'waiting')));
      });
      return load(id);
    },
  };
}
