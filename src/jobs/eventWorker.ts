import { randomBytes } from 'node:crypto';
import { migrateState } from '../engine/state.js';
import type { Clock, Understanding } from '../engine/types.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import {
  type InboundEventRow,
  findDueHeads,
  getConversation,
  lockPendingEvent,
  markEventDone,
  recordEventFailure,
  type Db,
} from '../store/index.js';
import { backoffMs } from './backoff.js';
import { handleEvent, type HandlerDeps } from './handleEvent.js';
import { startLoop, type Loop } from './loop.js';
import type { InboundMessagePayload } from '../whatsapp/parseWebhook.js';
import { toDomainEvent } from '../whatsapp/toDomainEvent.js';

export interface EventWorkerOptions {
  db: Db;
  deps: HandlerDeps;
  concurrency: number;
  maxAttempts: number;
  idleMs?: number;
  /** Off: nothing runs until drain() is called (tests). */
  autoStart?: boolean;
  /**
   * Turns that may run at once now, at most `concurrency`; asked every round. Below one it is the
   * share of the time one turn may run: after a turn the worker rests until the share is kept.
   */
  turns?: () => number;
  /**
   * Told, for each event taken on its first attempt, how long it had been due: how far behind the
   * worker is.
   */
  onTaken?: (waitedMs: number) => void;
  /** Monotonic milliseconds, for the rest between turns; `performance.now()` unless a test sets it. */
  now?: () => number;
  /** Told after each committed turn, so the sender can start at once. */
  onProcessed?: (event: InboundEventRow) => void;
}

export interface EventWorker extends Loop {
  /** Processes what is due now, one round; for tests and tools. @returns events handled. */
  drain(): Promise<number>;
  readonly id: string;
}

/**
 * Processes inbound events one at a time per conversation, in the order they were stored, and
 * different conversations in parallel. The conversation lock is a PostgreSQL advisory lock held by
 * the turn's transaction, so two processes never run one conversation at the same time.
 */
export function createEventWorker(options: EventWorkerOptions): EventWorker {
  const { db, deps, concurrency, maxAttempts } = options;
  const id = `${process.pid}-${randomBytes(3).toString('hex')}`;
  const inFlight = new Set<string>();
  const clock: Clock = deps.clock;
  const logger: Logger = deps.logger;
  const metrics: Metrics = deps.metrics;
  const monotonic = options.now ?? (() => performance.now());

  /**
   * Understands a text message before the turn's transaction, because an LLM call can take
   * seconds and the transaction holds the conversation lock. Stored events never change, so the
   * answer stays valid for the turn; on any problem the turn understands offline instead.
   */
  async function understandAhead(eventId: number): Promise<Understanding | undefined> {
    const understander = deps.understander;
    if (!understander?.usesModel) return undefined;
    try {
      const row = await db.query.inboundEvents.findFirst({
        where: (e, { eq }) => eq(e.id, eventId),
        columns: { kind: true, payload: true, conversationId: true },
      });
      if (row?.kind !== 'message') return undefined;
      const event = toDomainEvent((row.payload as InboundMessagePayload).message);
      if (event?.type !== 'TextReceived') return undefined;
      const conversation = row.conversationId ? await getConversation(db, row.conversationId) : null;
      // Staff have the conversation: only STOP/START matter, and the offline path reads those.
      if (conversation && conversation.mode !== 'bot') return undefined;
      return await understander.understand(event.text, {
        locale: migrateState(conversation?.state)?.locale ?? null,
      });
    } catch (error) {
      logger.warn(
        { eventId, err: error },
        'could not understand ahead of the turn; the turn will understand offline',
      );
      return undefined;
    }
  }

  /** When a turn may start again, while the worker runs at a share of one turn (see `turns`). */
  let restUntil = 0;
  let restTimer: NodeJS.Timeout | null = null;

  async function processHead(
    head: { id: number; conversationId: string | null },
    share = 1,
  ): Promise<boolean> {
    let kind = 'unknown';
    // Before understanding ahead: a model's answer time is not time the event spent queued.
    const pickedAt = clock.now().getTime();
    try {
      const understood = await understandAhead(head.id);
      // The rest is measured on the turn's own work: a model's answer time costs this server nothing.
      const turnStarted = monotonic();
      const handled = await db.transaction(async (tx) => {
        const event = await lockPendingEvent(tx as unknown as Db, head, id, clock.now());
        if (!event) return null;
        // A retry is due at its backoff and goes first in its conversation: its wait says nothing
        // about how far behind the queue is.
        if (event.attempts === 0) options.onTaken?.(pickedAt - event.nextAttemptAt.getTime());
        kind = event.kind;
        await handleEvent(tx as unknown as Db, event, deps, understood);
        await markEventDone(tx as unknown as Db, event.id);
        return event;
      });
      if (share < 1) {
        const at = monotonic();
        restUntil = at + (at - turnStarted) * (1 / share - 1);
      }
      if (handled) {
        metrics.eventsProcessed.inc({ kind, outcome: 'done' });
        options.onProcessed?.(handled);
      }
      return handled !== null;
    } catch (error) {
      const attempts = await currentAttempts(head.id);
      const message = error instanceof Error ? error.message : String(error);
      const retryAt =
        attempts + 1 < maxAttempts ? new Date(clock.now().getTime() + backoffMs(attempts + 1)) : null;
      const outcome = await recordEventFailure(db, head.id, message, retryAt);
      metrics.eventsProcessed.inc({ kind, outcome });
      if (outcome === 'dead') {
        metrics.deadLetters.inc();
        logger.error({ eventId: head.id, kind, err: message }, 'event dead-lettered after its last attempt');
      } else {
        logger.warn(
          { eventId: head.id, kind, attempt: attempts + 1, err: message },
          'event failed; will retry',
        );
      }
      return true;
    }
  }

  async function currentAttempts(eventId: number): Promise<number> {
    const rows = await db.query.inboundEvents.findFirst({
      where: (e, { eq }) => eq(e.id, eventId),
      columns: { attempts: true },
    });
    return rows?.attempts ?? 0;
  }

  /**
   * Heads found by the last look at the queue and not started yet, oldest first. Taking from it
   * spares a query per turn under load; a head another process took meanwhile is skipped by the
   * claim. The queue is read again once fewer are left than there are free slots.
   */
  let known: { id: number; conversationId: string | null }[] = [];

  async function round(): Promise<boolean> {
    const allowed = Math.min(concurrency, options.turns?.() ?? concurrency);
    const limit = Math.max(1, Math.floor(allowed));
    if (inFlight.size >= limit) return false;
    const resting = restUntil - monotonic();
    if (allowed < 1 && resting > 0) {
      restTimer ??= setTimeout(() => {
        restTimer = null;
        loop?.wake();
      }, resting);
      return false;
    }
    if (known.length < limit - inFlight.size) known = await findDueHeads(db, clock.now(), concurrency * 4);
    let started = 0;
    const left: typeof known = [];
    for (const head of known) {
      const key = head.conversationId ?? `event:${head.id}`;
      if (inFlight.size >= limit) {
        left.push(head);
        continue;
      }
      // The conversation's turn in flight is this head or one before it: look again later.
      if (inFlight.has(key)) continue;
      inFlight.add(key);
      started++;
      void processHead(head, allowed)
        .catch((error) => logger.error({ err: error }, 'worker failed to record an event outcome'))
        .finally(() => {
          inFlight.delete(key);
          loop?.wake();
        });
    }
    known = left;
    return started > 0 && inFlight.size < limit;
  }

  const loop: Loop | null =
    options.autoStart === false
      ? null
      : startLoop(round, options.idleMs ?? 50, (error) =>
          logger.error({ err: error }, 'event worker round failed'),
        );

  return {
    id,
    wake: () => loop?.wake(),
    async stop() {
      await loop?.stop();
      if (restTimer) clearTimeout(restTimer);
      while (inFlight.size > 0) await new Promise((resolve) => setTimeout(resolve, 10));
    },
    async drain() {
      let handled = 0;
      for (;;) {
        const heads = (await findDueHeads(db, clock.now(), 100)).filter(
          (h) => !inFlight.has(h.conversationId ?? `event:${h.id}`),
        );
        let progressed = false;
        for (const head of heads) {
          if (await processHead(head)) {
            handled++;
            progressed = true;
          }
        }
        // Whatever is left is held by another process; it will process it.
        if (!progressed) return handled;
      }
    },
  };
}
