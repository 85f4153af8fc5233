/** Collects items and writes them together; each `add` resolves with its item's result once written. */
export interface Batcher<T, R> {
  add(item: T): Promise<R>;
  /** Writes whatever waits now. */
  flush(): Promise<void>;
}

/**
 * Groups work that arrives close together into one write: a batch goes when it reaches `maxSize`
 * or `maxDelayMs` after its first item. `write` returns one result per item, in order. A failed
 * write rejects every `add` of that batch, so no caller believes its item was stored when it was
 * not.
 */
export function createBatcher<T, R = void>(
  write: (items: T[]) => Promise<R[]>,
  maxSize: number,
  maxDelayMs: number,
): Batcher<T, R> {
  let items: T[] = [];
  let waiters: { resolve: (result: R) => void; reject: (error: unknown) => void }[] = [];
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
      const results = await write(batch);
      batchWaiters.forEach((waiter, index) => waiter.resolve(results[index] as R));
    } catch (error) {
      for (const waiter of batchWaiters) waiter.reject(error);
    }
  };

  return {
    add(item) {
      return new Promise<R>((resolve, reject) => {
        items.push(item);
        waiters.push({ resolve, reject });
        if (items.length >= maxSize) void flush();
        else if (!timer) timer = setTimeout(() => void flush(), maxDelayMs);
      });
    },
    flush,
  };
}
