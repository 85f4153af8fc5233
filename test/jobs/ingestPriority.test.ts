import { createIngestPriority } from '../../src/jobs/createIngestPriority.js';

/**
 * Drives the priority in 10 ms steps: each step `arrive` events are committed in `commitMs` and
 * the worker takes `take` events that had waited `waitedMs`; returns the turns allowed after each
 * step.
 */
function drive(
  priority: ReturnType<typeof createIngestPriority>,
  clock: { at: number },
  step: { ms: number; arrive: number; commitMs: number; take: number; waitedMs: number },
): number[] {
  const allowed: number[] = [];
  for (let elapsed = 0; elapsed < step.ms; elapsed += 10) {
    clock.at += 10;
    for (let i = 0; i < step.arrive; i++) priority.observeCommit(step.commitMs, 1);
    for (let i = 0; i < step.take; i++) priority.observeTaken(step.waitedMs);
    allowed.push(priority.turns());
  }
  return allowed;
}

function setUp() {
  const clock = { at: 0 };
  const priority = createIngestPriority({ maxTurns: 8, targetMs: 10, now: () => clock.at });
  // A second of steady traffic the worker follows: 300 events/s in, 300 taken.
  drive(priority, clock, { ms: 1_000, arrive: 3, commitMs: 4, take: 3, waitedMs: 20 });
  return { clock, priority };
}

const flood = { arrive: 10, commitMs: 30, take: 1, waitedMs: 2_000 };

describe('acknowledgements before turns', () => {
  test('a worker that keeps up is never held back, however slow the commits', () => {
    const { clock, priority } = setUp();
    // 500 events/s with slow commits, behind by a second, but taking as many as arrive.
    const allowed = drive(priority, clock, { ms: 2_000, arrive: 5, commitMs: 40, take: 5, waitedMs: 1_000 });
    expect(new Set(allowed)).toEqual(new Set([8]));
  });

  test('webhooks arriving at more than twice its best rate halve the turns on slow commits, never below one', () => {
    const { clock, priority } = setUp();
    const allowed = drive(priority, clock, { ms: 1_000, ...flood });
    expect(allowed.slice(0, 10)).toEqual(Array(10).fill(8));
    expect(allowed).toEqual(expect.arrayContaining([4, 2, 1]));
    expect(allowed.slice(-50)).toEqual(Array(50).fill(1));
  });

  test('during a flood, commits back on time give one turn back per quarter second', () => {
    const { clock, priority } = setUp();
    drive(priority, clock, { ms: 1_000, ...flood });
    const allowed = drive(priority, clock, { ms: 1_000, ...flood, commitMs: 5 });
    expect(allowed[0]).toBe(1);
    expect(allowed[24]).toBe(2);
    expect(allowed[49]).toBe(3);
    expect(allowed.at(-1)).toBe(5);
  });

  test('all turns come back when webhooks slow down, stop for a second, or the worker catches up', () => {
    const slower = setUp();
    drive(slower.priority, slower.clock, { ms: 1_000, ...flood });
    // 500/s is under twice the 300/s it managed before.
    expect(drive(slower.priority, slower.clock, { ms: 200, ...flood, arrive: 5 }).at(-1)).toBe(8);

    const stopped = setUp();
    drive(stopped.priority, stopped.clock, { ms: 1_000, ...flood });
    const quiet = drive(stopped.priority, stopped.clock, { ms: 1_000, ...flood, arrive: 0 });
    expect(quiet.at(-1)).toBe(8);

    const caughtUp = setUp();
    drive(caughtUp.priority, caughtUp.clock, { ms: 1_000, ...flood });
    caughtUp.priority.observeTaken(10);
    expect(caughtUp.priority.turns()).toBe(8);
  });

  test('the best rate rises with what the worker manages, so a load it can follow stops counting as a flood', () => {
    const clock = { at: 0 };
    const priority = createIngestPriority({ maxTurns: 8, now: () => clock.at });
    // Only 100/s seen so far; then 300/s, which the worker follows once it runs at full speed.
    drive(priority, clock, { ms: 1_000, arrive: 1, commitMs: 4, take: 1, waitedMs: 20 });
    const first = drive(priority, clock, { ms: 300, arrive: 3, commitMs: 30, take: 1, waitedMs: 500 });
    expect(Math.min(...first)).toBeLessThan(8);
    const after = drive(priority, clock, { ms: 1_000, arrive: 3, commitMs: 30, take: 3, waitedMs: 500 });
    expect(after.slice(-50)).toEqual(Array(50).fill(8));
  });

  test('without any webhooks every turn is allowed', () => {
    const clock = { at: 0 };
    const priority = createIngestPriority({ maxTurns: 4, now: () => clock.at });
    expect(drive(priority, clock, { ms: 500, arrive: 0, commitMs: 0, take: 2, waitedMs: 5_000 })).toEqual(
      Array(50).fill(4),
    );
  });
});
