/**
 * Webhook acknowledgements before turns, during a flood the worker cannot follow anyway.
 *
 * Both share the server's event loop, its database connections and, on a small machine, the CPUs
 * PostgreSQL runs on. When webhooks arrive more than twice as fast as the worker has ever taken
 * events, or a quarter faster once it is a second behind, the queue grows whatever the worker does
 * and its turns answer late in any case; at full concurrency it would only make every
 * acknowledgement wait behind turns as well. During such a flood a slow commit halves the turns the
 * worker may run at once; below one turn, once the worker is five seconds behind, it halves the
 * share of the time a single turn may run, never below a quarter, so replies keep flowing. Each
 * quiet second gives some back. Held back for ten seconds, it runs all its turns for 300 ms, so a
 * worker that could follow with all of them shows it. A commit counts as slow against the target
 * and against twice what the quickest commits take, so a database that is simply far away does not
 * hold the worker back. Below the flood rate, a second without webhooks, or an event taken without
 * waiting gives all turns back. See docs/decisions/0013-acknowledgements-first.md.
 */
export interface IngestPriority {
  /** A webhook's `events` took `ms` from reaching the writer to their commit. */
  observeCommit(ms: number, events: number): void;
  /** The worker took an event, on its first attempt, that had been due for `waitedMs`. */
  observeTaken(waitedMs: number): void;
  /**
   * Turns the worker may run at once now, from `maxTurns` down to 1, then below one as the share
   * of the time a single turn may run (1/2, then 1/4).
   */
  turns(): number;
}

export interface IngestPriorityOptions {
  maxTurns: number;
  /** A commit slower than this, and than twice the usual, means turns crowd out acknowledgements. */
  targetMs?: number;
  now?: () => number;
}

/** Rates are measured over windows this long. */
const WINDOW_MS = 100;
/** Webhooks this many times faster than the worker's best is a flood it cannot follow. */
const FLOOD_FACTOR = 2;
/**
 * A worker this far behind has not followed; then webhooks this many times faster than its best
 * are a flood too. It counts as behind until it takes an event due for less than half as long.
 */
const BEHIND_FLOOD_MS = 1_000;
const BEHIND_FLOOD_FACTOR = 1.25;
/**
 * Held back this long, the worker runs all its turns for `PROBE_MS`: its best rate only shows what
 * it was allowed to do, and a worker held to a few turns may never show that all of them would
 * follow. If they do, the flood is over; if not, it goes back to where it was.
 */
const PROBE_EVERY_MS = 10_000;
const PROBE_MS = 300;
/** An event taken within this long of being due means the worker has caught up. */
const CAUGHT_UP_MS = 50;
/** Halving at most this often: the webhooks of one stall all report it. */
const CUT_EVERY_MS = 50;
/**
 * One more turn per this long without a slow commit. What more turns do to commits shows only
 * after a while: climbing back every quarter second reached five or six turns before the first
 * slow commit said it was too many.
 */
const GROW_EVERY_MS = 1_000;
/** Without webhooks for this long, nothing competes. */
const QUIET_MS = 1_000;
/** The smallest share of the time a single turn may run: replies slow down but keep flowing. */
const MIN_SHARE = 1 / 4;
/**
 * Below one turn only once the worker takes events this late: a worker that is busy but follows
 * (a load step, a first campaign, fifty staff pages open) is never seconds behind for long, and
 * resting there would only delay its replies. A real flood builds such a backlog within seconds.
 */
const BEHIND_MS = 5_000;
/** Weight of each window in the usual commit time (about a second's memory). */
const USUAL_WEIGHT = 0.1;

export function createIngestPriority(options: IngestPriorityOptions): IngestPriority {
  const { maxTurns, targetMs = 10, now = () => performance.now() } = options;
  let allowed = maxTurns;
  let flood = false;
  /**
   * The most events per second the worker has taken in any window, so at least what it can do:
   * a worker that keeps up takes what arrives, so it rises with every load the worker follows.
   */
  let bestRate = 0;
  /**
   * What the quickest commits take, as a moving average of each window's fastest: how far away the
   * database is, which load barely changes and fewer turns cannot improve.
   */
  let usualMs: number | null = null;
  const window = { start: now(), arrived: 0, taken: 0, fastestMs: Infinity };
  let lastCut = -Infinity;
  let lastSlow = -Infinity;
  let lastSeen = -Infinity;
  let grownAt = -Infinity;
  /** How long the last event the worker took had been due. */
  let lastWaitedMs = 0;
  /** Whether the worker is behind by `BEHIND_FLOOD_MS` (with hysteresis, see there). */
  let behind = false;
  /** Since when fewer than all turns are allowed, or since the last probe ended; null while all are. */
  let heldSince: number | null = null;
  let probeUntil = -Infinity;
  /** What was allowed when the running probe started, to go back to if the flood goes on. */
  let beforeProbe = maxTurns;

  const closeWindow = (at: number) => {
    const seconds = (at - window.start) / 1000;
    bestRate = Math.max(bestRate, window.taken / seconds);
    const factor = behind ? BEHIND_FLOOD_FACTOR : FLOOD_FACTOR;
    flood = bestRate > 0 && window.arrived / seconds > factor * bestRate;
    // A flood that ends, even during a probe, gives every turn back; one that starts again starts
    // from there.
    if (!flood) allowed = beforeProbe = maxTurns;
    if (window.fastestMs < Infinity) {
      const fastest = window.fastestMs;
      usualMs = usualMs === null ? fastest : usualMs + (fastest - usualMs) * USUAL_WEIGHT;
    }
    Object.assign(window, { start: at, arrived: 0, taken: 0, fastestMs: Infinity });
  };

  return {
    observeCommit(ms, events) {
      const at = now();
      lastSeen = at;
      window.arrived += events;
      window.fastestMs = Math.min(window.fastestMs, ms);
      if (ms <= Math.max(targetMs, 2 * (usualMs ?? 0))) return;
      lastSlow = at;
      if (!flood || at - lastCut < CUT_EVERY_MS) return;
      lastCut = at;
      if (allowed > 1) allowed = Math.max(1, Math.floor(allowed / 2));
      else if (lastWaitedMs >= BEHIND_MS) allowed = Math.max(MIN_SHARE, allowed / 2);
    },
    observeTaken(waitedMs) {
      window.taken += 1;
      lastWaitedMs = waitedMs;
      if (waitedMs >= BEHIND_FLOOD_MS) behind = true;
      else if (waitedMs < BEHIND_FLOOD_MS / 2) behind = false;
      if (waitedMs > CAUGHT_UP_MS) return;
      flood = false;
      allowed = maxTurns;
      probeUntil = -Infinity;
    },
    turns() {
      const at = now();
      if (at - window.start >= WINDOW_MS) closeWindow(at);
      if (at - lastSeen >= QUIET_MS) {
        flood = false;
        allowed = maxTurns;
        probeUntil = -Infinity;
      }
      if (at < probeUntil) return maxTurns;
      if (probeUntil > -Infinity) {
        probeUntil = -Infinity;
        if (flood) allowed = beforeProbe;
        heldSince = at;
      }
      if (allowed >= maxTurns) heldSince = null;
      else heldSince ??= at;
      if (flood && heldSince !== null && at - heldSince >= PROBE_EVERY_MS) {
        beforeProbe = allowed;
        probeUntil = at + PROBE_MS;
        return maxTurns;
      }
      if (allowed < maxTurns && at - Math.max(lastSlow, grownAt) >= GROW_EVERY_MS) {
        allowed = allowed < 1 ? allowed * 2 : allowed + 1;
        grownAt = at;
      }
      return allowed;
    },
  };
}
