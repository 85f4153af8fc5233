import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { openStore, type Store } from '../../src/store/index.js';

/** A store on a database of its own; `close` also drops a PostgreSQL database it created. */
export type TestStore = Store & { databaseUrl: string | undefined };

async function openFreshPostgres(baseUrl: string): Promise<TestStore> {
  const name = `wca_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  const store = await openStore({ databaseUrl: url.toString(), poolSize: 10 });
  return {
    ...store,
    databaseUrl: url.toString(),
    close: async () => {
      await store.close();
      const dropper = new pg.Client({ connectionString: baseUrl });
      await dropper.connect();
      await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await dropper.end();
    },
  };
}

/**
 * The stores every store test runs on: embedded PGlite always, PostgreSQL too when
 * `DATABASE_URL` is set.
 */
export const storeKinds: [string, () => Promise<TestStore>][] = [
  ['pglite', async () => ({ ...(await openStore({})), databaseUrl: undefined })],
  ...(process.env.DATABASE_URL
    ? [
        ['postgres', () => openFreshPostgres(process.env.DATABASE_URL as string)] as [
          string,
          () => Promise<TestStore>,
        ],
      ]
    : []),
];

/** Empties every table, so one store serves a whole test file. */
export async function resetStore(store: Store): Promise<void> {
  await store.db.execute(
    sql`TRUNCATE inbound_events, outbox, messages, conversations, contacts, consent_events, timers RESTART IDENTITY`,
  );
}
