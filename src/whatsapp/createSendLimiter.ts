import Bottleneck from 'bottleneck';
import { Redis } from 'ioredis';
import { createPacer } from './createPacer.js';

export interface SendLimiter {
  /**
   * Resolves when one more message may leave without exceeding the number's rate. `bulk` tasks
   * (broadcasts) yield to every waiting `chat` task.
   */
  schedule<T>(task: () => Promise<T>, lane?: 'chat' | 'bulk'): Promise<T>;
  /** Earliest time a message may go to this recipient (Meta's per-pair limit), reserving it. */
  reserveRecipient(recipient: string, now: number): number;
  stop(): Promise<void>;
}

export interface SendLimiterOptions {
  mps: number;
  phoneNumberId: string;
  redisUrl?: string | undefined;
  /** Messages a single customer may receive in a burst before pacing applies. */
  pairBurst?: number;
  /** Sustained gap per customer once the burst is spent (Meta: about one message every 6 s). */
  pairIntervalMs?: number;
}

/**
 * The number's outbound rate: starts are spaced so that no one-second window holds more than
 * `mps` sends (shared across processes through Redis when `redisUrl` is set), plus per-recipient
 * pacing for Meta's pair rate limit.
 */
export function createSendLimiter(options: SendLimiterOptions): SendLimiter {
  // A small margin keeps request arrival jitter from pushing any one-second window over the limit.
  const rate = options.mps * 0.98;
  let connection: Bottleneck.IORedisConnection | undefined;
  let schedule: SendLimiter['schedule'];
  let stopRate: () => Promise<void>;
  if (options.redisUrl) {
    const client = new Redis(options.redisUrl, { maxRetriesPerRequest: 3, connectTimeout: 5_000 });
    // Handing over the class: bottleneck would otherwise require() it, which ESM cannot.
    connection = new Bottleneck.IORedisConnection({ client, Redis } as ConstructorParameters<
      typeof Bottleneck.IORedisConnection
    >[0]);
    const shared = new Bottleneck({
      // Starts coordinated through Redis bunch by tens of milliseconds (each process fires on its
      // own timer after Redis answers), so the shared budget keeps a wider margin.
      minTime: 1000 / (options.mps * 0.9),
      maxConcurrent: null,
      id: `wa-mps-${options.phoneNumberId}`,
      datastore: 'ioredis',
      clearDatastore: false,
      connection,
    });
    // Bottleneck runs lower numbers first; 5 is its default.
    schedule = (task, lane) => shared.schedule({ priority: lane === 'bulk' ? 8 : 4 }, task);
    stopRate = async () => {
      await shared.stop({ dropWaitingJobs: false }).catch(() => undefined);
      await Promise.resolve(connection?.disconnect(false)).catch(() => undefined);
    };
  } else {
    const pacer = createPacer(rate);
    schedule = (task, lane) => pacer.schedule(task, lane);
    stopRate = async () => pacer.stop();
  }
  const burst = options.pairBurst ?? 20;
  const interval = options.pairIntervalMs ?? 6_000;
  // Token bucket per recipient, as the time at which the bucket would be full again.
  const fullAt = new Map<string, number>();
  return {
    schedule,
    reserveRecipient(recipient, now) {
      const full = Math.max(fullAt.get(recipient) ?? now, now);
      const earliest = Math.max(now, full - burst * interval + interval);
      fullAt.set(recipient, Math.max(full, earliest) + interval);
      if (fullAt.size > 100_000) {
        for (const [key, at] of fullAt) if (at <= now) fullAt.delete(key);
      }
      return earliest;
    },
    stop: () => stopRate(),
  };
}
