import { randomBytes } from 'node:crypto';
import type { Clock } from '../engine/types.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import {
  type InboundEventRow,
  findDueHeads,
  lockPendingEvent,
  markEventDone,
  recordEventFailure,
  type Db,
} from '../store/index.js';
import { backoffMs } from './backoff.js';
import { handleEvent, type HandlerDeps } from './handleEvent.js';
import { startLoop, type Loop } from './loop.js';

export interface EventWorkerOptions {
  db: Db;
  deps: HandlerDeps;
  concurrency: number;
  maxAttempts: number;
  idleMs?: number;
  /** Off: nothing runs until drain() is called (tests). */
  autoStart?: boolean;
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

  async function processHead(head: { id: number; conversationId: string | null }): Promise<boolean> {
    const lockKey = head.conversationId ?? `event:${head.id}`;
    let kind = 'unknown';
    try {
      const handled = await db.transaction(async (tx) => {
        const event = await lockPendingEvent(tx as unknown as Db, lockKey, head.id, id);
        if (!event) return null;
        kind = event.kind;
        await handleEvent(tx as unknown as Db, event, deps);
        await markEventDone(tx as unknown as Db, event.id);
        return event;
      });
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

  async function round(): Promise<boolean> {
    if (inFlight.size >= concurrency) return false;
    const heads = await findDueHeads(db, clock.now(), concurrency * 4);
    let started = 0;
    for (const head of heads) {
      const key = head.conversationId ?? `event:${head.id}`;
      if (inFlight.has(key) || inFlight.size >= concurrency) continue;
      inFlight.add(key);
      started++;
      void processHead(head)
        .catch((error) => logger.error({ err: error }, 'worker failed to record an event outcome'))
        .finally(() => {
          inFlight.delete(key);
          loop?.wake();
        });
    }
    return started > 0 && inFlight.size < concurrency;
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
