import type { ChaosServer } from './chaosServer.js';

export interface ChaosSupervisorOptions {
  /** Starts one server process. */
  spawn: () => ChaosServer;
  /** How long a ready server lives before it is SIGKILLed: uniform in [min, max] ms. */
  uptimeMs: readonly [number, number];
  /** How long a start may take before it counts as failed. */
  startTimeoutMs: number;
  /** Give up after this many starts in a row that never became ready. */
  maxFailedStarts: number;
  random?: () => number;
  onEvent?: (message: string) => void;
}

export interface ChaosSupervisor {
  readonly kills: number;
  readonly starts: number;
  /** Exits the supervisor did not cause (a crash of the server itself). */
  readonly unexpectedExits: number;
  /** Milliseconds from spawn to `/readyz` answering 200, one per start that got there. */
  readonly startupMs: readonly number[];
  /** Milliseconds servers spent ready before their kill, summed over the starts killed. */
  readonly readyMs: number;
  /** Set when the server could not be started at all; the run must stop. */
  readonly fatal: Error | null;
  /** Stops killing, and resolves once a server is up and ready (it is left running). */
  calm(): Promise<ChaosServer>;
  /** Kills whatever runs and ends the loop. */
  shutdown(): Promise<void>;
}

/**
 * Keeps one server process running and SIGKILLs it at random moments: each start is left alive
 * for a random 0.7–1.5 s (by default) *after* it answers `/readyz`, then killed and restarted at
 * once. Counting from readiness rather than from the spawn matters: starting tsx and the app takes
 * seconds, and a kill timer running from the spawn would never let the server do any work.
 */
export function startChaosSupervisor(options: ChaosSupervisorOptions): ChaosSupervisor {
  const random = options.random ?? Math.random;
  const say = options.onEvent ?? (() => undefined);
  let killing = true;
  let stopped = false;
  let kills = 0;
  let starts = 0;
  let unexpectedExits = 0;
  let failedInARow = 0;
  let readyMs = 0;
  const startupMs: number[] = [];
  let current: ChaosServer | null = null;
  let interrupt: (() => void) | null = null;
  // Set by calm(); an object, so TypeScript does not narrow the callbacks away inside the loop.
  const waiter: { calmed?: (server: ChaosServer) => void; failed?: (error: Error) => void } = {};
  let fatal: Error | null = null;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        interrupt = null;
        resolve();
      }, ms);
      interrupt = () => {
        clearTimeout(timer);
        interrupt = null;
        resolve();
      };
    });

  const watch = (server: ChaosServer) => {
    let ours = false;
    void server.exited.then(({ signal }) => {
      if (!ours && signal !== 'SIGKILL' && !stopped) {
        unexpectedExits++;
        say(`server ${server.pid} exited on its own`);
      }
    });
    return () => void (ours = true);
  };

  const done = (async () => {
    while (!stopped) {
      const spawnedAt = Date.now();
      const server = options.spawn();
      const markOurs = watch(server);
      current = server;
      starts++;
      try {
        await server.ready(options.startTimeoutMs);
        startupMs.push(Date.now() - spawnedAt);
        failedInARow = 0;
      } catch (error) {
        markOurs();
        await server.kill();
        if (stopped) return;
        failedInARow++;
        say(`start failed: ${(error as Error).message}`);
        if (failedInARow >= options.maxFailedStarts) {
          fatal = new Error(`the server failed to start ${failedInARow} times in a row`);
          waiter.failed?.(fatal);
          return;
        }
        continue;
      }
      if (!killing) {
        waiter.calmed?.(server);
        return;
      }
      const [min, max] = options.uptimeMs;
      const readyAt = Date.now();
      await sleep(min + random() * (max - min));
      if (stopped) return;
      if (!killing) {
        if (server.hasExited) continue;
        waiter.calmed?.(server);
        return;
      }
      markOurs();
      await server.kill('SIGKILL');
      kills++;
      readyMs += Date.now() - readyAt;
    }
  })();

  return {
    get kills() {
      return kills;
    },
    get starts() {
      return starts;
    },
    get unexpectedExits() {
      return unexpectedExits;
    },
    startupMs,
    get readyMs() {
      return readyMs;
    },
    get fatal() {
      return fatal;
    },
    calm() {
      killing = false;
      return new Promise<ChaosServer>((resolve, reject) => {
        if (fatal) return reject(fatal);
        waiter.calmed = resolve;
        waiter.failed = reject;
        interrupt?.();
      });
    },
    async shutdown() {
      stopped = true;
      killing = false;
      interrupt?.();
      waiter.failed?.(new Error('supervisor shut down'));
      await current?.kill('SIGKILL');
      await done;
    },
  };
}
