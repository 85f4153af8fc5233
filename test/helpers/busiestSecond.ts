/** The most start times (ms) that fall inside any one-second window. */
export function busiestSecond(starts: number[]): number {
  const sorted = [...starts].sort((a, b) => a - b);
  let most = 0;
  for (let left = 0, right = 0; right < sorted.length; right++) {
    while ((sorted[right] as number) - (sorted[left] as number) >= 1000) left++;
    most = Math.max(most, right - left + 1);
  }
  return most;
}
