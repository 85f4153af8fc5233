/** Nearest-rank percentile of an ascending array; NaN when empty. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

export interface Distribution {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** p50/p90/p99/max of a list of samples (any order). */
export function summarize(samples: ArrayLike<number>): Distribution {
  const sorted = Float64Array.from(samples).sort();
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted.length > 0 ? (sorted[sorted.length - 1] as number) : Number.NaN,
  };
}

/**
 * The most events inside any window of `windowMs` (half-open: `[t, t + windowMs)`), computed
 * exactly with two pointers over the sorted times.
 */
export function maxInWindow(times: ArrayLike<number>, windowMs: number): { count: number; startsAt: number } {
  const sorted = Float64Array.from(times).sort();
  let best = 0;
  let startsAt = Number.NaN;
  let left = 0;
  for (let right = 0; right < sorted.length; right++) {
    while ((sorted[right] as number) - (sorted[left] as number) >= windowMs) left++;
    if (right - left + 1 > best) {
      best = right - left + 1;
      startsAt = sorted[left] as number;
    }
  }
  return { count: best, startsAt };
}
