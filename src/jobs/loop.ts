/** A polling loop that can be woken early and stopped, waiting for its current round to end. */
export interface Loop {
  wake(): void;
  stop(): Promise<void>;
}

/**
 * Runs `round` again and again: immediately while it reports work, otherwise after `idleMs` or
 * a `wake()`. Errors are handed to `onError` and the loop goes on after a pause.
 */
export function startLoop(
  round: () => Promise<boolean>,
  idleMs: number,
  onError: (error: unknown) => void,
): Loop {
  let running = true;
  let wakeUp: (() => void) | null = null;
  let woken = false;
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      if (woken) {
        woken = false;
        return resolve();
      }
      const timer = setTimeout(() => {
        wakeUp = null;
        resolve();
      }, ms);
      wakeUp = () => {
        clearTimeout(timer);
        wakeUp = null;
        resolve();
      };
    });
  const done = (async () => {
    while (running) {
      let busy = false;
      try {
        busy = await round();
      } catch (error) {
        onError(error);
        await pause(idleMs * 10);
        continue;
      }
      if (!busy && running) await pause(idleMs);
    }
  })();
  return {
    wake() {
      if (wakeUp) wakeUp();
      else woken = true;
    },
    async stop() {
      running = false;
      wakeUp?.();
      await done;
    },
  };
}
