import { createIngestPriority } from '../../src/jobs/createIngestPriority.js';

/** A number, or one that depends on the turns allowed and the event's place in its 10 ms step. */
type PerTurns = number | ((turns: number, index: number) => number);
const at = (value: PerTurns, turns: number, index = 0) =>
  typeof value === 'number' ? value : value(turns, index);

/**
 * Drives the priority in 10 ms steps: each step `arrive` events are committed in `commitMs` and
 * the worker takes `take` events that had waited `waitedMs`; `commitMs` and `take` may depend on
 * the turns allowed, as a real worker's do. Returns the turns allowed after each step.
 */
function drive(
  priority: ReturnType<typeof createIngestPriority>,
  clock: { at: number },
  step: { ms: number; arrive: number; commitMs: PerTurns; take: PerTurns; waitedMs: number },
): number[] {
  const allowed: number[] = [];
  let turns = priority.turns();
  for (let elapsed = 0; elapsed < step.ms; elapsed += 10) {
    clock.at += 10;
    for (let i = 0; i < step.arrive; i++) priority.observeCommit(at(step.commitMs, turns, i), 1);
    const taken = at(step.take, turns);
    for (let i = 0; i < taken; i++) priority.observeTaken(step.waitedMs);
    turns = priority.turns();
    allowed.push(turns);
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

// Under a flood most commits wait behind turns; the first of each step still gets through quickly.
const flood = {
  arrive: 10,
  commitMs: (_: number, i: number) => (i === 0 ? 4 : 30),
  take: 1,
  waitedMs: 6_000,
};

describe('acknowledgements before turns', () => {
  test('a worker that keeps up is never held back, however slow the commits', () => {
    const { clock, priority } = setUp();
    // 500 events/s with slow commits, behind by a second, but taking as many as arrive.
    const allowed = drive(priority, clock, { ms: 2_000, arrive: 5, commitMs: 40, take: 5, waitedMs: 1_000 });
    expect(new Set(allowed)).toEqual(new Set([8]));
  });

  test('webhooks arriving at more than twice its best rate halve the turns on slow commits, down to a quarter of one', () => {
    const { clock, priority } = setUp();
    const allowed = drive(priority, clock, { ms: 1_000, ...flood });
    expect(allowed.slice(0, 10)).toEqual(Array(10).fill(8));
    expect(allowed).toEqual(expect.arrayContaining([4, 2, 1, 0.5]));
    expect(allowed.slice(-50)).toEqual(Array(50).fill(0.25));
  });

  test('a flood the worker is less than five seconds behind keeps one whole turn', () => {
    const { clock, priority } = setUp();
    const allowed = drive(priority, clock, { ms: 1_000, ...flood, waitedMs: 4_000 });
    expect(allowed).toEqual(expect.arrayContaining([4, 2, 1]));
    expect(Math.min(...allowed)).toBe(1);
  });

  test('a worker a second behind is in a flood at a quarter above its best rate, not only at twice', () => {
    // 500/s against the 300/s it managed: under twice, so a worker still following is let be.
    const following = setUp();
    const notBehind = drive(following.priority, following.clock, {
      ms: 1_000,
      ...flood,
      arrive: 5,
      waitedMs: 500,
    });
    expect(new Set(notBehind)).toEqual(new Set([8]));

    const behind = setUp();
    const allowed = drive(behind.priority, behind.clock, { ms: 1_000, ...flood, arrive: 5, waitedMs: 1_500 });
    expect(allowed).toEqual(expect.arrayContaining([4, 2, 1]));
    expect(Math.min(...allowed)).toBe(1);
  });

  test('a worker whose waits hover around a second stays behind until they fall under half of it', () => {
    const { clock, priority } = setUp();
    // 500/s against a best of 300/s: a flood only while it counts as behind.
    const allowed: number[] = [];
    for (let round = 0; round < 10; round++)
      for (const waitedMs of [1_100, 900, 600])
        allowed.push(...drive(priority, clock, { ms: 100, ...flood, arrive: 5, waitedMs }));
    const firstCut = allowed.findIndex((turns) => turns < 8);
    expect(firstCut).toBeGreaterThanOrEqual(0);
    expect(allowed.slice(firstCut)).not.toContain(8);
    // Under half a second it follows again: all turns back.
    expect(drive(priority, clock, { ms: 200, ...flood, arrive: 5, waitedMs: 400 }).at(-1)).toBe(8);
  });

  test('during a flood, commits back on time give a turn back each second: the share doubles up to one, then one more', () => {
    const { clock, priority } = setUp();
    drive(priority, clock, { ms: 1_000, ...flood });
    const allowed = drive(priority, clock, { ms: 3_500, ...flood, commitMs: 5 });
    expect(allowed[0]).toBe(0.25);
    expect(allowed[98]).toBe(0.25);
    expect(allowed[99]).toBe(0.5);
    expect(allowed[199]).toBe(1);
    expect(allowed[299]).toBe(2);
    expect(allowed.at(-1)).toBe(2);
  });

  test('during a flood the worker is under a second behind, turns come back one per second too', () => {
    const { clock, priority } = setUp();
    drive(priority, clock, { ms: 1_000, ...flood, waitedMs: 500 });
    const allowed = drive(priority, clock, { ms: 2_500, ...flood, commitMs: 5, waitedMs: 500 });
    expect(allowed[0]).toBe(1);
    expect(allowed[98]).toBe(1);
    expect(allowed[99]).toBe(2);
    expect(allowed[199]).toBe(3);
    expect(allowed.at(-1)).toBe(3);
  });

  test('all turns come back when webhooks slow down, stop for a second, or the worker catches up', () => {
    const slower = setUp();
    drive(slower.priority, slower.clock, { ms: 1_000, ...flood });
    // 300/s is no more than it managed before, though it is still six seconds behind.
    expect(drive(slower.priority, slower.clock, { ms: 200, ...flood, arrive: 3 }).at(-1)).toBe(8);

    const stopped = setUp();
    drive(stopped.priority, stopped.clock, { ms: 1_000, ...flood });
    const quiet = drive(stopped.priority, stopped.clock, { ms: 1_000, ...flood, arrive: 0 });
    expect(quiet.at(-1)).toBe(8);

    const caughtUp = setUp();
    drive(caughtUp.priority, caughtUp.clock, { ms: 1_000, ...flood });
    caughtUp.priority.observeTaken(10);
    expect(caughtUp.priority.turns()).toBe(8);
  });

  test('a load the worker can follow at full speed is let go, even when it first looks like a flood', () => {
    const clock = { at: 0 };
    const priority = createIngestPriority({ maxTurns: 8, now: () => clock.at });
    // Only 100/s seen so far. Then 300/s: each turn takes 50 events/s, so eight take 400/s, but
    // nothing in the first 100 ms (the turns are starting), and commits are slow only while four
    // or more turns run.
    drive(priority, clock, { ms: 1_000, arrive: 1, commitMs: 4, take: 1, waitedMs: 20 });
    let steps = 0;
    const worker = {
      arrive: 3,
      commitMs: (turns: number) => (turns >= 4 ? 30 : 4),
      take: (turns: number) => (++steps <= 10 ? 0 : turns / 2),
      waitedMs: 500,
    };
    const allowed = drive(priority, clock, { ms: 2_000, ...worker });
    expect(Math.min(...allowed)).toBeLessThan(8);
    expect(allowed.slice(-100)).toEqual(Array(100).fill(8));
  });

  test('a worker held to a few turns that all its turns would let follow gets them back within a probe', () => {
    const clock = { at: 0 };
    const priority = createIngestPriority({ maxTurns: 8, now: () => clock.at });
    // 100/s followed so far. Then 300/s, and the worker stalls for a second and a half: a flood by
    // twice its best, and commits are slow from four turns on, so it is cut to two. Each turn takes
    // 50 events/s, so all eight would take 400/s and follow; two or three take 100–200/s, under the
    // 240/s that would end the flood by its best rate alone, now that it is behind.
    drive(priority, clock, { ms: 1_000, arrive: 1, commitMs: 4, take: 1, waitedMs: 20 });
    const worker = {
      arrive: 3,
      commitMs: (turns: number) => (turns >= 4 ? 30 : 4),
      take: (turns: number) => turns / 2,
      waitedMs: 1_500,
    };
    drive(priority, clock, { ms: 1_500, ...worker, take: 0 });
    const held = drive(priority, clock, { ms: 7_500, ...worker });
    expect(Math.max(...held.slice(-500))).toBeLessThanOrEqual(4);
    const probed = drive(priority, clock, { ms: 3_000, ...worker });
    // Ten seconds after it was first held back it probes, takes 400/s, and the flood is over.
    expect(probed.slice(-150)).toEqual(Array(150).fill(8));
  });

  test('a worker that cannot follow with all its turns either goes back to where it was after each probe', () => {
    const { clock, priority } = setUp();
    drive(priority, clock, { ms: 1_000, ...flood });
    // Ten seconds held back: the next round probes with all turns, for 300 ms.
    const allowed = drive(priority, clock, { ms: 12_000, ...flood });
    const probe = allowed.findIndex((turns) => turns === 8);
    expect(probe).toBeGreaterThan(800);
    expect(allowed.slice(probe, probe + 30)).toEqual(Array(30).fill(8));
    expect(allowed[probe + 30]).toBe(0.25);
    expect(allowed.slice(probe + 31).filter((turns) => turns === 8)).toEqual([]);
  });

  test('a flood that ends during a probe and starts again starts from all turns, not from the old share', () => {
    const { clock, priority } = setUp();
    drive(priority, clock, { ms: 1_000, ...flood });
    let steps = 0;
    while (drive(priority, clock, { ms: 10, ...flood })[0] !== 8)
      if (++steps > 1_500) throw new Error('no probe');
    // Early in the probe, a window with webhooks under the flood rate, then the flood again.
    drive(priority, clock, { ms: 40, ...flood });
    drive(priority, clock, { ms: 150, ...flood, arrive: 1 });
    const after = drive(priority, clock, { ms: 300, ...flood });
    const probeOver = after.findIndex((turns) => turns !== 8);
    expect(after[probeOver]).toBe(4);
  });

  test('commits as slow outside a flood as in it (a database far away) never hold the worker back', () => {
    const clock = { at: 0 };
    const priority = createIngestPriority({ maxTurns: 8, now: () => clock.at });
    drive(priority, clock, { ms: 1_000, arrive: 1, commitMs: 14, take: 1, waitedMs: 20 });
    const allowed = drive(priority, clock, { ms: 2_000, arrive: 10, commitMs: 14, take: 2, waitedMs: 2_000 });
    expect(new Set(allowed)).toEqual(new Set([8]));
  });

  test('without any webhooks every turn is allowed', () => {
    const clock = { at: 0 };
    const priority = createIngestPriority({ maxTurns: 4, now: () => clock.at });
    expect(drive(priority, clock, { ms: 500, arrive: 0, commitMs: 0, take: 2, waitedMs: 5_000 })).toEqual(
      Array(50).fill(4),
    );
  });
});
