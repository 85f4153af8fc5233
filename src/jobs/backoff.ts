/**
 * Exponential backoff with jitter: attempt 1 waits about `baseMs`, doubling up to `maxMs`;
 * the wait is drawn from its upper half so that many retries do not land at once.
 */
export function backoffMs(attempt: number, baseMs = 1_000, maxMs = 5 * 60_000, random = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
