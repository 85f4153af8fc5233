/** Starts tasks no faster than a rate, with a hard cap on starts in any one-second window. */
export interface Pacer {
  /** `bulk` tasks start only when no other task waits, so conversation replies never queue behind a broadcast. */
  schedule<T>(task: () => Promise<T>, lane?: 'chat' | 'bulk'): Promise<T>;
  stop(): void;
}

/**
 * An in-process pacer for the number's message rate. Starts are spaced evenly at `perSecond`
 * (catching up a few at a time when the timer fires late), and a ring buffer of the last
 * `perSecond` start times guarantees that no window of one second ever holds more.
 *
 * Bottleneck, which does this across processes through Redis, yields a timer turn for every job
 * and so tops out near 400 starts a second in one process; see docs/decisions/0002.
 */
export function createPacer(perSecond: number, now: () => number = () => performance.now()): Pacer {
  const limit = Math.max(1, Math.floor(perSecond));
  const gap = 1000 / perSecond;
  const catchUp = 8;
  // The window is measured where the sends arrive, not where we start them: a pause of the event
  // loop between starting a request and writing it (garbage collection, a burst of turns) lets
  // later requests catch up with earlier ones in transit. The guard absorbs such a pause.
  const windowMs = 1000 + 20;
  const starts = new Float64Array(limit);
  let head = 0;
  let filled = 0;
  let nextAt = 0;
  let timer: NodeJS.Timeout | null = null;
  const queue: (() => void)[] = [];
  const bulk: (() => void)[] = [];

  const pump = () => {
    timer = null;
    while (queue.length > 0 || bulk.length > 0) {
      const t = now();
      const windowFree = filled < limit || t - (starts[head] as number) >= windowMs;
      if (!windowFree || t < nextAt) {
        const wait = Math.max(windowFree ? 0 : windowMs - (t - (starts[head] as number)), nextAt - t, 0);
        timer = setTimeout(pump, Math.max(1, Math.ceil(wait)));
        return;
      }
      starts[head] = t;
      head = (head + 1) % limit;
      filled = Math.min(filled + 1, limit);
      nextAt = Math.max(nextAt, t - gap * catchUp) + gap;
      ((queue.length > 0 ? queue : bulk).shift() as () => void)();
    }
  };

  return {
    schedule: (task, lane = 'chat') =>
      new Promise((resolve, reject) => {
        // Catching up is for a timer that fired late, not for time spent idle: after a pause the
        // first sends leave one gap apart, not in a burst that fresh connections would delay.
        if (!timer && queue.length === 0 && bulk.length === 0) nextAt = Math.max(nextAt, now());
        (lane === 'bulk' ? bulk : queue).push(() => void task().then(resolve, reject));
        if (!timer) pump();
      }),
    stop() {
      if (timer) clearTimeout(timer);
      timer = null;
    },
  };
}
