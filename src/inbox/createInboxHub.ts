import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Logger } from '../logger.js';
import type { HandoffEventView, MessageView, NoteView, QueueItem } from './handoffRepo.js';
import type { PaymentCardView } from './inboxPayments.js';

/** What the inbox pages hear on their live stream. */
export type InboxUpdate =
  | { type: 'conversation'; conversation: QueueItem }
  | { type: 'message'; message: MessageView }
  | { type: 'note'; note: NoteView }
  | { type: 'handoff_event'; event: HandoffEventView }
  | { type: 'payment'; payment: PaymentCardView };

export interface InboxHub {
  /** Delivers an update to every listener of every instance. Call after the data is committed. */
  publish(update: InboxUpdate): void;
  /** `chunk` is the update as one Server-Sent Event, serialized once for every listener. */
  subscribe(listener: (update: InboxUpdate, chunk: string) => void): () => void;
  readonly listeners: number;
  /** Whether updates also go to other instances (Redis), so they are worth publishing unheard here. */
  readonly shared: boolean;
  close(): Promise<void>;
}

const CHANNEL = 'wca:inbox:updates';

/**
 * Fan-out of inbox updates. In process by default; with a Redis URL every instance publishes to
 * one channel and delivers what the others published, so staff on different instances see the
 * same conversation move.
 */
export function createInboxHub(options: { redisUrl?: string | undefined; logger: Logger }): InboxHub {
  const listeners = new Set<(update: InboxUpdate, chunk: string) => void>();
  const origin = randomBytes(8).toString('hex');
  const deliver = (update: InboxUpdate) => {
    if (listeners.size === 0) return;
    const chunk = `event: ${update.type}\ndata: ${JSON.stringify(update)}\n\n`;
    for (const listener of listeners) {
      try {
        listener(update, chunk);
      } catch (error) {
        options.logger.error({ err: error }, 'inbox listener failed');
      }
    }
  };

  let pub: Redis | null = null;
  let sub: Redis | null = null;
  if (options.redisUrl) {
    const connect = () =>
      new Redis(options.redisUrl as string, {
        lazyConnect: false,
        maxRetriesPerRequest: 2,
        connectTimeout: 5_000,
        // Reconnect with a capped backoff; updates published meanwhile on other instances are
        // missed, and the pages catch up by reloading the conversation on reconnect.
        retryStrategy: (times) => Math.min(times * 200, 5_000),
      });
    pub = connect();
    sub = connect();
    for (const client of [pub, sub])
      client.on('error', (error) =>
        options.logger.warn({ err: error.message }, 'inbox Redis connection problem'),
      );
    void sub
      .subscribe(CHANNEL)
      .catch((error: Error) =>
        options.logger.error({ err: error.message }, 'could not subscribe to inbox updates in Redis'),
      );
    sub.on('message', (_channel: string, raw: string) => {
      try {
        const { o, u } = JSON.parse(raw) as { o: string; u: InboxUpdate };
        if (o !== origin) deliver(u);
      } catch {
        options.logger.warn('unreadable inbox update from Redis');
      }
    });
  }

  return {
    publish(update) {
      deliver(update);
      pub
        ?.publish(CHANNEL, JSON.stringify({ o: origin, u: update }))
        .catch((error: Error) =>
          options.logger.warn({ err: error.message }, 'inbox update not shared via Redis'),
        );
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    get listeners() {
      return listeners.size;
    },
    shared: pub !== null,
    async close() {
      listeners.clear();
      await Promise.all([pub?.quit().catch(() => undefined), sub?.quit().catch(() => undefined)]);
    },
  };
}
