import type pg from 'pg';
import { createScratchDatabase, type ScratchDatabase } from '../../test/helpers/scratchDatabase.js';
import { onCleanup } from './runBench.js';

/** The server to create bench databases on; trust auth on localhost. */
export const ADMIN_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export type BenchDatabase = ScratchDatabase;

/** Creates a fresh, uniquely named database and registers its drop for cleanup. */
export async function createDatabase(): Promise<BenchDatabase> {
  const database = await createScratchDatabase(ADMIN_URL, 'wca_bench');
  onCleanup(`drop database ${database.name}`, database.drop);
  return database;
}

/** `SELECT count(*)` with an optional WHERE clause, as a number. */
export async function countRows(pool: pg.Pool, table: string, where = 'true'): Promise<number> {
  const result = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${table} WHERE ${where}`);
  return Number(result.rows[0]?.n ?? 0);
}
