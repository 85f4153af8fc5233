import { sql } from 'drizzle-orm';
import { openStore, type Store } from '../../src/store/index.js';
import { createScratchDatabase } from './scratchDatabase.js';

/** A store on a database of its own; `close` also drops a PostgreSQL database it created. */
export type TestStore = Store & { databaseUrl: string | undefined };

async function openFreshPostgres(baseUrl: string): Promise<TestStore> {
  const database = await createScratchDatabase(baseUrl, 'wca_test');
  await database.pool.end();
  const store = await openStore({ databaseUrl: database.url, poolSize: 10 });
  return {
    ...store,
    databaseUrl: database.url,
    close: async () => {
      await store.close();
      await database.drop();
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
    sql`TRUNCATE inbound_events, outbox, messages, conversations, contacts, consent_events, timers, attributions RESTART IDENTITY`,
  );
}

/** A WhatsApp message event as the ingest stores it, keyed by `externalId`. */
export const messageEvent = (externalId: string, conversationId: string | null) => ({
  source: 'whatsapp' as const,
  kind: 'message',
  externalId,
  conversationId,
  payload: { externalId },
});
