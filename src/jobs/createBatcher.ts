/** Collects items and writes them together; each `add` resolves once its batch is written. */
export interface Batcher<T> {
  add(item: T): Promise<void>;
  /** Writes whatever waits now. */
  flush(): Promise<void>;
}

/**
 * Groups work that arrives close together into one write: a batch goes when it reaches `maxSize`
 * or `maxDelayMs` after its first item. A failed write rejects every `add` of that batch, so no
 * caller believes its item was stored when it was not.
 */
export function createBatcher<T>(
  write: (items: T[]) => Promise<void>,
  maxSize: number,
  maxDelayMs: number,
): Batcher<T> {
  let items: T[] = [];
  let waiters: { resolve: () => void; reject: (error: unknown) => void }[] = [];
  let timer: NodeJS.Timeout | null = null;

  const flush = async () => {
    if (timer) clearTimeout(timer);
    timer = null;
    if (items.length === 0) return;
    const batch = items;
    const batchWaiters = waiters;
    items = [];
    waiters = [];
    try {
      await write(batch);
      for (const waiter of batchWaiters) waiter.resolve();
    } catch (error) {
      for (const waiter of batchWaiters) waiter.reject(error);
    }
  };

  return {
    add(item) {
      return new Promise<void>((resolve, reject) => {
        items.push(item);
        waiters.push({ resolve, reject });
        if (items.length >= maxSize) void flush();
        else if (!timer) timer = setTimeout(() => void flush(), maxDelayMs);
      });
    },
    flush,
  };
}
