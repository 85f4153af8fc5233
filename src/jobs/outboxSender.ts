import { inArray } from 'drizzle-orm';
import type { Clock, SendEffect } from '../engine/types.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import {
  claimOutbox,
  contacts,
  conversations,
  markOutboxFailed,
  markOutboxRetry,
  markOutboxSent,
  outbox,
  outboxLagSeconds,
  recordAcceptedSends,
  type AcceptedSend,
  recordOutboundFailed,
  releaseExpiredLeases,
  type Db,
  type OutboxRow,
} from '../store/index.js';
import { buildTemplate, type GraphMessage } from '../whatsapp/builders.js';
import { buildSendEffect } from '../whatsapp/buildSendEffect.js';
import { GraphSendError, type GraphClient } from '../whatsapp/graphClient.js';
import type { SendLimiter } from '../whatsapp/createSendLimiter.js';
import { backoffMs } from './backoff.js';
import { createBatcher } from './createBatcher.js';
import { startLoop, type Loop } from './loop.js';
import { eq, sql } from 'drizzle-orm';

/** Free-form messages are allowed for 24 hours after the customer's last message. */
export const CUSTOMER_WINDOW_MS = 24 * 60 * 60 * 1000;

export interface OutboxSenderOptions {
  db: Db;
  graph: GraphClient;
  limiter: SendLimiter;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  mps: number;
  timeoutMs: number;
  maxAttempts: number;
  ambiguousGraceMs: number;
  /** Approved template sent instead of a free-form message outside the window, if any. */
  windowTemplate: string | undefined;
  idleMs?: number;
  /**
   * Looks at claimed rows just before they leave (e.g. marketing consent, sending hours): a row
   * may be refused with a reason, held until a later time, or let through (absent from the map).
   */
  screen?: (rows: OutboxRow[], now: Date) => Promise<Map<string, ScreenVerdict>>;
  /** Executors for outbox kinds that are not WhatsApp messages (e.g. Conversions API events). */
  executors?: Record<string, OutboxExecutor>;
  /** Off: nothing runs until drain() is called (tests). */
  autoStart?: boolean;
  /** Told after sends or refusals are committed to the transcript (the inbox's live updates). */
  onRecorded?: (rows: { outboxId: string; conversationId: string | null }[]) => void;
}

export interface OutboxSender extends Loop {
  /** Sends everything due now and waits for the answers; for tests and tools. @returns rows handled. */
  drain(): Promise<number>;
}

/** What a screen decides for one row. */
export type ScreenVerdict = { refuse: string; code?: number } | { holdUntil: Date };

/** Carries out a non-message outbox row; throws {@link ExecutorError} to retry or give up. */
export type OutboxExecutor = (row: OutboxRow) => Promise<void>;

/** A failed execution; `retriable` ones are retried with backoff up to the attempt limit. */
export class ExecutorError extends Error {
  constructor(
    message: string,
    readonly retriable: boolean,
    readonly code: number | null = null,
  ) {
    super(message);
    this.name = 'ExecutorError';
  }
}

/** What the sender needs to know about a recipient: the 24-hour window and their language. */
interface RecipientFacts {
  lastInboundAt: Date | null;
  locale: string | null;
}

/** Meta's template language code for one of our locales (Portuguese templates are per country). */
function templateLanguage(locale: string | null): string {
  if (locale === 'pt') return 'pt_PT';
  return locale ?? 'en';
}

/** Replies claimed at once while a broadcast fills the limiter; more wait for the next round. */
const REPLY_CLAIM = 50;

/** Thrown for a message that must not be sent; it is recorded as failed with this reason. */
class Refused extends Error {}

/**
 * Leaves the outbox for WhatsApp: at most `mps` per second for the number, one message in flight
 * per recipient (so a customer reads them in the order decided), retries with backoff and jitter
 * for what may succeed later, and a recorded reason for what never will.
 */
export function createOutboxSender(options: OutboxSenderOptions): OutboxSender {
  const { db, graph, limiter, clock, logger, metrics } = options;
  // A quarter of a second of sends claimed ahead keeps the limiter busy; every claimed row not yet
  // sent when the process dies must wait out the ambiguity grace, so claim no more than that.
  const batch = Math.max(20, Math.ceil(options.mps / 4));
  let inFlight = 0;
  // One write records every send Meta accepted in the last few milliseconds.
  const accepted = createBatcher<AcceptedSend>(
    async (sends) => {
      await recordAcceptedSends(db, sends);
      options.onRecorded?.(sends);
      return [];
    },
    200,
    5,
  );
  let lastLeaseCheck = 0;

  function toGraphMessage(row: OutboxRow, recipient: RecipientFacts, now: Date): GraphMessage {
    const { lastInboundAt, locale } = recipient;
    const effect = row.payload as SendEffect;
    const to = row.recipient as string;
    const opaque = { bizOpaqueCallbackData: row.id };
    if (effect.type === 'SendTemplate') return buildSendEffect(to, effect, opaque);
    const open = lastInboundAt !== null && now.getTime() - lastInboundAt.getTime() < CUSTOMER_WINDOW_MS;
    if (!open) {
      if (options.windowTemplate)
        return buildTemplate(to, {
          name: options.windowTemplate,
          language: templateLanguage(locale),
          ...opaque,
        });
      throw new Refused(
        'Outside the 24-hour customer service window: only approved templates may be sent (set WHATSAPP_WINDOW_TEMPLATE to reopen the conversation with one)',
      );
    }
    return buildSendEffect(to, effect, opaque);
  }

  /** Puts a row back until `until`, without spending an attempt. */
  async function hold(row: OutboxRow, until: Date): Promise<void> {
    await db
      .update(outbox)
      .set({
        status: 'pending',
        nextAttemptAt: until,
        attempts: sql`${outbox.attempts} - 1`,
        leaseUntil: null,
      })
      .where(eq(outbox.id, row.id));
  }

  async function execute(row: OutboxRow, executor: OutboxExecutor): Promise<void> {
    try {
      await executor(row);
    } catch (error) {
      const retriable = !(error instanceof ExecutorError) || error.retriable;
      const code = error instanceof ExecutorError ? error.code : null;
      const message = error instanceof Error ? error.message : String(error);
      if (retriable && row.attempts < options.maxAttempts) {
        await markOutboxRetry(
          db,
          row.id,
          message,
          code,
          new Date(clock.now().getTime() + backoffMs(row.attempts)),
        );
      } else {
        await markOutboxFailed(db, row.id, message, code);
      }
      logger.warn(
        { outboxId: row.id, kind: row.kind, code, retriable, reason: message },
        'outbox job failed',
      );
      return;
    }
    await markOutboxSent(db, row.id, null, clock.now());
  }

  async function deliver(row: OutboxRow, recipient: RecipientFacts, verdict?: ScreenVerdict): Promise<void> {
    if (verdict && 'refuse' in verdict) return fail(row, verdict.refuse, verdict.code ?? null);
    if (verdict) return hold(row, verdict.holdUntil);
    const executor = options.executors?.[row.kind];
    if (executor) return execute(row, executor);
    const now = clock.now();
    const earliest = limiter.reserveRecipient(row.recipient as string, now.getTime());
    if (earliest > now.getTime() + 50) {
      // Meta's per-customer limit: wait, without spending an attempt.
      return hold(row, new Date(earliest));
    }
    let message: GraphMessage;
    try {
      message = toGraphMessage(row, recipient, now);
    } catch (error) {
      return fail(row, (error as Error).message, null);
    }
    let wamid: string | null;
    try {
      wamid = await limiter.schedule(
        async () => {
          // An interrupted send may have been settled by its status webhook while it waited here.
          if (row.ambiguous && !(await stillSending(row.id))) return null;
          return graph.sendMessage(message);
        },
        row.priority > 0 ? 'bulk' : 'chat',
      );
    } catch (error) {
      const sendError =
        error instanceof GraphSendError ? error : new GraphSendError(String(error), null, null, true);
      const retry = sendError.retriable && row.attempts < options.maxAttempts;
      metrics.sendErrors.inc({ code: String(sendError.code ?? 'none'), retry: String(retry) });
      if (retry) {
        // Meta asks for a pause after a pair-rate error; other retries follow the usual curve.
        const wait = Math.max(backoffMs(row.attempts), sendError.code === 131056 ? 6_000 : 0);
        await markOutboxRetry(
          db,
          row.id,
          sendError.message,
          sendError.code,
          new Date(clock.now().getTime() + wait),
        );
        logger.warn(
          { outboxId: row.id, code: sendError.code, attempt: row.attempts },
          'send failed; will retry',
        );
      } else {
        await fail(row, sendError.message, sendError.code);
      }
      return;
    }
    if (wamid === null) return;
    try {
      await accepted.add({
        outboxId: row.id,
        conversationId: row.conversationId,
        wamid,
        type: message.type ?? 'unknown',
        content: message,
        at: clock.now(),
      });
      metrics.sends.inc({ type: row.kind });
    } catch (error) {
      // Meta has the message: never send it again because our bookkeeping failed. The row keeps
      // its lease, and the status webhook carrying its id settles it.
      logger.error({ err: error, outboxId: row.id }, 'Meta accepted a message but recording it failed');
    }
  }

  async function stillSending(id: string): Promise<boolean> {
    const [current] = await db.select({ status: outbox.status }).from(outbox).where(eq(outbox.id, id));
    return current?.status === 'sending';
  }

  async function fail(row: OutboxRow, reason: string, code: number | null) {
    const at = clock.now();
    await db.transaction(async (tx) => {
      await markOutboxFailed(tx as unknown as Db, row.id, reason, code);
      if (row.conversationId) {
        await recordOutboundFailed(tx as unknown as Db, {
          conversationId: row.conversationId,
          outboxId: row.id,
          type: row.kind,
          content: row.payload,
          at,
          errorCode: code,
          errorTitle: reason,
        });
      }
    });
    options.onRecorded?.([{ outboxId: row.id, conversationId: row.conversationId }]);
    logger.warn({ outboxId: row.id, code, reason }, 'message not sent');
  }

  async function claimAndSend(limit: number, maxPriority?: number): Promise<Promise<void>[]> {
    const now = clock.now();
    if (now.getTime() - lastLeaseCheck > 1_000) {
      lastLeaseCheck = now.getTime();
      const interrupted = await releaseExpiredLeases(db, now, options.ambiguousGraceMs);
      if (interrupted > 0) {
        metrics.ambiguousSends.inc(interrupted);
        logger.warn(
          { count: interrupted },
          'sends interrupted mid-flight; waiting for status webhooks before resending',
        );
      }
      metrics.outboxLag.set(await outboxLagSeconds(db, now));
    }
    // The lease covers the wait in the rate limiter plus the request itself.
    const leaseUntil = new Date(now.getTime() + (limit / options.mps) * 1000 + options.timeoutMs + 5_000);
    const rows = await claimOutbox(db, now, leaseUntil, limit, maxPriority);
    if (rows.length === 0) return [];
    const ids = [...new Set(rows.map((row) => row.conversationId).filter((id): id is string => Boolean(id)))];
    const facts = new Map<string, RecipientFacts>();
    if (ids.length > 0) {
      const found = await db
        .select({ id: conversations.id, lastInboundAt: conversations.lastInboundAt, locale: contacts.locale })
        .from(conversations)
        .leftJoin(contacts, eq(contacts.waId, conversations.waId))
        .where(inArray(conversations.id, ids));
      for (const { id, ...rest } of found) facts.set(id, rest);
    }
    const verdicts = options.screen ? await options.screen(rows, now) : null;
    return rows.map((row) => {
      inFlight++;
      const recipient = facts.get(row.conversationId ?? '') ?? { lastInboundAt: null, locale: null };
      return deliver(row, recipient, verdicts?.get(row.id))
        .catch((error) => logger.error({ err: error, outboxId: row.id }, 'could not record a send outcome'))
        .finally(() => {
          inFlight--;
          loop?.wake();
        });
    });
  }

  /** Set by an outside wake-up (a turn committed, a staff reply): a reply may be waiting. */
  let replyMayWait = false;
  let lastReplyLook = 0;

  async function round(): Promise<boolean> {
    // Keep a quarter of a second of sends queued in the limiter, no more, so leases stay short.
    if (inFlight > batch / 2) {
      // Those sends are mostly a broadcast's. Replies to customers go to the front of the
      // limiter, so claim them now instead of after it: on a wake-up, and every idle interval
      // for replies queued by another process.
      const at = clock.now().getTime();
      if (!replyMayWait && at - lastReplyLook < (options.idleMs ?? 50)) return false;
      replyMayWait = false;
      lastReplyLook = at;
      const started = await claimAndSend(REPLY_CLAIM, 0);
      return started.length > 0;
    }
    const started = await claimAndSend(batch - inFlight);
    return started.length > 0;
  }

  const loop: Loop | null =
    options.autoStart === false
      ? null
      : startLoop(round, options.idleMs ?? 50, (error) =>
          logger.error({ err: error }, 'outbox round failed'),
        );
  return {
    wake: () => {
      replyMayWait = true;
      loop?.wake();
    },
    async stop() {
      await loop?.stop();
      while (inFlight > 0) await new Promise((resolve) => setTimeout(resolve, 10));
    },
    async drain() {
      let handled = 0;
      for (;;) {
        const started = await claimAndSend(batch);
        if (started.length === 0) return handled;
        await Promise.all(started);
        handled += started.length;
      }
    },
  };
}
