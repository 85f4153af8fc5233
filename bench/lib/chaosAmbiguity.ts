import type pg from 'pg';

export interface AmbiguityWatch {
  /** For each row seen waiting after an interruption: its `attempts` at that moment. */
  readonly attemptsWhenInterrupted: ReadonlyMap<string, number>;
  stop(): Promise<void>;
}

/**
 * Polls the outbox for sends interrupted by a kill (`ambiguous = true`) while they wait for their
 * grace period, remembering how many attempts each had. Afterwards, a row whose attempts grew was
 * sent again; one that reached `sent` without a new attempt was settled by a status webhook.
 * Bounded by `maxPolls`.
 */
export function watchAmbiguousSends(pool: pg.Pool, everyMs: number, maxPolls: number): AmbiguityWatch {
  const seen = new Map<string, number>();
  let running = true;
  let wake: (() => void) | null = null;
  const done = (async () => {
    for (let poll = 0; running && poll < maxPolls; poll++) {
      try {
        const { rows } = await pool.query<{ id: string; attempts: number }>(
          `SELECT id, attempts FROM outbox WHERE ambiguous AND status = 'pending'`,
        );
        for (const row of rows) if (!seen.has(row.id)) seen.set(row.id, row.attempts);
      } catch {
        // The database is shared with a server being killed; the next poll will do.
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, everyMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  })();
  return {
    attemptsWhenInterrupted: seen,
    async stop() {
      running = false;
      wake?.();
      await done;
    },
  };
}
