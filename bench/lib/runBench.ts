import { availableParallelism } from 'node:os';
import { measureIdleMachine } from './sampleProcess.js';

type Cleanup = { name: string; run: () => Promise<void> | void };

const cleanups: Cleanup[] = [];
const onExitSync: (() => void)[] = [];
let finishing = false;

/** Registers work to undo at the end, run in reverse order, also on error, signal or timeout. */
export function onCleanup(name: string, run: () => Promise<void> | void): void {
  cleanups.push({ name, run });
}

/** Last resort run synchronously when the process exits anyway (e.g. SIGKILL the server). */
export function onExit(run: () => void): void {
  onExitSync.push(run);
}

async function runCleanups(): Promise<void> {
  while (cleanups.length > 0) {
    const cleanup = cleanups.pop() as Cleanup;
    try {
      await Promise.race([
        cleanup.run(),
        new Promise((_, reject) => setTimeout(() => reject(new Error('took over 20 s')), 20_000).unref()),
      ]);
    } catch (error) {
      console.error(
        `cleanup "${cleanup.name}" failed: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
}

async function finish(code: number): Promise<never> {
  if (finishing) {
    // A second signal while cleaning up: give up politely, the exit hooks still kill the server.
    process.exit(code);
  }
  finishing = true;
  await runCleanups();
  process.exit(code);
}

/**
 * Runs a bench's main function with a hard overall timeout, and always cleans up (server killed,
 * database dropped, stub closed) whether it ends normally, throws, is interrupted or times out.
 */
export function runBench(name: string, timeoutMs: number, main: () => Promise<void>): void {
  process.on('exit', () => {
    for (const run of onExitSync) {
      try {
        run();
      } catch {
        // exiting anyway
      }
    }
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      console.error(`\n${name}: ${signal}, cleaning up`);
      void finish(130);
    });
  }
  for (const event of ['uncaughtException', 'unhandledRejection'] as const) {
    process.on(event, (error: unknown) => {
      console.error(
        `${name}: ${event}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
      void finish(1);
    });
  }
  const hardStop = setTimeout(() => {
    console.error(`${name}: hard timeout of ${Math.round(timeoutMs / 1000)} s reached, cleaning up`);
    void finish(2);
  }, timeoutMs);
  hardStop.unref();
  measureIdleMachine(1_000)
    .then((busy) => {
      busyAtStart = busy;
      if (busy > 0.15) {
        console.error(
          `${name}: the CPUs were ${Math.round(busy * 100)}% busy before start: something else is running, figures will be pessimistic`,
        );
      }
    })
    .then(main)
    .then(
      () => finish(0),
      (error: unknown) => {
        console.error(
          `${name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
        );
        return finish(1);
      },
    );
}

let busyAtStart = Number.NaN;

/**
 * CPUs, and how busy they were in the second before the bench started anything: other processes
 * on this machine compete with the server for the CPUs, so a high figure means pessimistic results.
 */
export function describeMachine(): string {
  return `${availableParallelism()} CPUs, ${Math.round(busyAtStart * 100)}% busy in the second before the bench started`;
}

/** Resolves after `ms`. */
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `check` every `everyMs` until it is true or `timeoutMs` passes. @returns whether it became true. */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  everyMs = 50,
): Promise<boolean> {
  const until = performance.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (performance.now() >= until) return false;
    await sleep(everyMs);
  }
}
