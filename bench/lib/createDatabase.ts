import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { onCleanup } from './runBench.js';

/** The server to create bench databases on; trust auth on localhost. */
export const ADMIN_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface BenchDatabase {
  name: string;
  url: string;
  /** A small pool for the bench's own queries (counts, seeding). */
  pool: pg.Pool;
  drop(): Promise<void>;
}

/** Creates a fresh, uniquely named database and registers its drop for cleanup. */
export async function createDatabase(): Promise<BenchDatabase> {
  const name = `wca_bench_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const pool = new pg.Pool({ connectionString: url.toString(), max: 2 });
  // An idle client cut off by the server (restart, terminated backend) must not crash the bench.
  pool.on('error', (error) => console.error(`bench database pool: ${error.message}`));
  let dropped = false;
  const drop = async () => {
    if (dropped) return;
    dropped = true;
    await pool.end().catch(() => undefined);
    const dropper = new pg.Client({ connectionString: ADMIN_URL });
    await dropper.connect();
    try {
      await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    } finally {
      await dropper.end();
    }
  };
  onCleanup(`drop database ${name}`, drop);
  return { name, url: url.toString(), pool, drop };
}

/** `SELECT count(*)` with an optional WHERE clause, as a number. */
export async function countRows(pool: pg.Pool, table: string, where = 'true'): Promise<number> {
  const result = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${table} WHERE ${where}`);
  return Number(result.rows[0]?.n ?? 0);
}
