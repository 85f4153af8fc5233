import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** A PostgreSQL database made for one run; `drop` removes it even while connections remain. */
export interface ScratchDatabase {
  name: string;
  url: string;
  /** A pool on the database, for checks from outside the server. */
  pool: pg.Pool;
  drop(): Promise<void>;
}

/**
 * Creates a fresh database next to the one `baseUrl` names (PostgreSQL with rights to create
 * databases), so a run never touches anyone else's data.
 *
 * @example const db = await createScratchDatabase('postgres://postgres@127.0.0.1:5432/postgres', 'chaos');
 */
export async function createScratchDatabase(baseUrl: string, prefix: string): Promise<ScratchDatabase> {
  const name = `${prefix}_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  const pool = new pg.Pool({ connectionString: url.toString(), max: 4 });
  // A server killed or restarted mid-query resets its connections; the checker's pool must not crash.
  pool.on('error', () => undefined);
  let dropped = false;
  return {
    name,
    url: url.toString(),
    pool,
    async drop() {
      if (dropped) return;
      dropped = true;
      await pool.end().catch(() => undefined);
      const dropper = new pg.Client({ connectionString: baseUrl });
      await dropper.connect();
      try {
        await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await dropper.end();
      }
    },
  };
}
