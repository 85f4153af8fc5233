import Bottleneck from 'bottleneck';
import { Redis } from 'ioredis';

export interface SendLimiter {
  /** Resolves when one more message may leave without exceeding the number's rate. */
  schedule<T>(task: () => Promise<T>): Promise<T>;
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
  const minTime = 1000 / (options.mps * 0.97);
  const common = { minTime, maxConcurrent: null, id: `wa-mps-${options.phoneNumberId}` };
  let connection: Bottleneck.IORedisConnection | undefined;
  let limiter: Bottleneck;
  if (options.redisUrl) {
    const client = new Redis(options.redisUrl, { maxRetriesPerRequest: 3, connectTimeout: 5_000 });
    // Handing over the class: bottleneck would otherwise require() it, which ESM cannot.
    connection = new Bottleneck.IORedisConnection({ client, Redis } as ConstructorParameters<
      typeof Bottleneck.IORedisConnection
    >[0]);
    limiter = new Bottleneck({
      ...common,
      datastore: 'ioredis',
      clearDatastore: false,
      connection,
    });
  } else {
    limiter = new Bottleneck(common);
  }
  const burst = options.pairBurst ?? 20;
  const interval = options.pairIntervalMs ?? 6_000;
  // Token bucket per recipient, as the time at which the bucket would be full again.
  const fullAt = new Map<string, number>();
  return {
    schedule: (task) => limiter.schedule(task),
    reserveRecipient(recipient, now) {
      const full = Math.max(fullAt.get(recipient) ?? now, now);
      const earliest = Math.max(now, full - burst * interval + interval);
      fullAt.set(recipient, Math.max(full, earliest) + interval);
      if (fullAt.size > 100_000) {
        for (const [key, at] of fullAt) if (at <= now) fullAt.delete(key);
      }
      return earliest;
    },
    async stop() {
      await limiter.stop({ dropWaitingJobs: false }).catch(() => undefined);
      await Promise.resolve(connection?.disconnect(false)).catch(() => undefined);
    },
  };
}
