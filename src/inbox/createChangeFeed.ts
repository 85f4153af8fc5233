import type { Logger } from '../logger.js';
import type { Db } from '../store/index.js';
import type { InboxHub } from './createInboxHub.js';
import { messagesByKeys, queueItems } from './handoffRepo.js';

export interface ChangeFeed {
  /**
   * Something of this conversation was committed; `wamid`/`outboxId` name a changed message.
   * `summary: false` when the queue row cannot have changed (a delivery tick).
   */
  touched(change: {
    conversationId: string;
    wamid?: string | null;
    outboxId?: string | null;
    summary?: boolean;
  }): void;
  /** Publishes what is pending now (tests and shutdown). */
  flush(): Promise<void>;
}

/**
 * Turns "this was committed" notices from the worker, the sender and the API into inbox updates.
 * Notices are read back together, once for all listeners, and leave in one write per page, so
 * 50 open pages cost the database the same as one; flushes are at least `delayMs` (40 ms) apart.
 */
export function createChangeFeed(options: {
  db: Db;
  hub: InboxHub;
  logger: Logger;
  delayMs?: number;
}): ChangeFeed {
  const { db, hub, logger } = options;
  // Flushes are at least this far apart: a person does not see 40 ms, while fifty open pages
  // written to every 10 ms under load do cost the server. When quiet, a flush goes after 5 ms.
  const delayMs = options.delayMs ?? 40;
  const gatherMs = Math.min(5, delayMs);
  let lastFlushAt = -Infinity;
  let conversations = new Set<string>();
  let wamids = new Set<string>();
  let outboxIds = new Set<string>();
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> = Promise.resolve();

  async function publish(ids: string[], byWamid: string[], byOutbox: string[]) {
    const messages = await messagesByKeys(db, byWamid, byOutbox);
    for (const message of messages) hub.publish({ type: 'message', message });
    for (const conversation of await queueItems(db, ids)) hub.publish({ type: 'conversation', conversation });
  }

  const flush = () => {
    if (timer) {
      clearTimeout(timer);
      timer = null;
    }
    lastFlushAt = performance.now();
    const ids = [...conversations];
    const byWamid = [...wamids];
    const byOutbox = [...outboxIds];
    conversations = new Set();
    wamids = new Set();
    outboxIds = new Set();
    if (ids.length === 0 && byWamid.length === 0 && byOutbox.length === 0) return running;
    running = running
      .then(() => publish(ids, byWamid, byOutbox))
      .catch((error: unknown) => logger.warn({ err: error }, 'inbox updates could not be read back'));
    return running;
  };

  return {
    touched(change) {
      // No page open anywhere: nothing to read back.
      if (hub.listeners === 0 && !hub.shared) return;
      if (change.summary !== false) conversations.add(change.conversationId);
      if (change.wamid) wamids.add(change.wamid);
      if (change.outboxId) outboxIds.add(change.outboxId);
      timer ??= setTimeout(() => void flush(), Math.max(gatherMs, lastFlushAt + delayMs - performance.now()));
    },
    flush,
  };
}
