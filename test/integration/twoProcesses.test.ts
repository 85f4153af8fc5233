/**
 * Two real server processes on one PostgreSQL database: webhooks for the same conversations land
 * on both, and the conversation lock must still make every conversation run one event at a time,
 * in order, each event exactly once. Needs PostgreSQL (`DATABASE_URL`); skipped without it.
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { createScratchDatabase, type ScratchDatabase } from '../helpers/scratchDatabase.js';
import { spawnChaosServer, type ChaosServer } from '../../bench/lib/chaosServer.js';
import { freePort } from '../helpers/freePort.js';
import { signBody } from '../../src/whatsapp/verifySignature.js';
import { metaWebhook, text } from '../fixtures/metaWebhook.js';
import { startGraphStub, type GraphStub } from '../helpers/graphStub.js';
import { liveServerEnv } from '../helpers/liveServerEnv.js';

const DATABASE_URL = process.env.DATABASE_URL;
const PHONE_NUMBER_ID = '106540352242922';
const CONVERSATIONS = 20;
const MESSAGES_EACH = 10;
// Each greeting gets the welcome text and the menu.
const REPLIES_EACH = 2;
const GREETINGS = ['hello', 'ciao', 'hola', 'bonjour', 'hi'];

interface EventRow {
  id: string;
  kind: string;
  conversation_id: string | null;
  status: string;
  processing_started_at: Date | null;
  processed_at: Date | null;
  processed_by: string | null;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Sums one counter over its labels from a Prometheus text page, keeping samples that match `filter`. */
function sumCounter(page: string, name: string, filter = ''): number {
  return page
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) && line.includes(filter))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

(DATABASE_URL ? describe : describe.skip)('two server processes on one database', () => {
  const appSecret = randomBytes(24).toString('hex');
  const servers: ChaosServer[] = [];
  let database: ScratchDatabase | undefined;
  let stub: GraphStub | undefined;
  let events: EventRow[] = [];

  beforeAll(async () => {
    database = await createScratchDatabase(DATABASE_URL as string, 'wca_two');
    const ports = [await freePort(), await freePort()] as const;
    stub = await startGraphStub({
      statusWebhook: {
        url: `http://127.0.0.1:${ports[0]}/webhooks/whatsapp`,
        appSecret,
        phoneNumberId: PHONE_NUMBER_ID,
        retryMs: 200,
      },
    });
    const env = liveServerEnv({
      databaseUrl: database.url,
      graphUrl: stub.url,
      appSecret,
      phoneNumberId: PHONE_NUMBER_ID,
      dataDir: path.join(os.tmpdir(), 'wca-two-processes-unused'),
    });
    const logFile = path.join(os.tmpdir(), `wca-two-processes-${database.name}.log`);
    // Both start at once: migrations run under an advisory lock, so this also covers a cold start.
    for (const port of ports) servers.push(spawnChaosServer({ port, env, logFile }));
    await Promise.all(servers.map((server) => server.ready(45_000)));

    const timestamp = String(Math.floor(Date.now() / 1000));
    const post = async (server: ChaosServer, body: unknown) => {
      const raw = JSON.stringify(body);
      const response = await fetch(`${server.url}/webhooks/whatsapp`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-hub-signature-256': signBody(raw, appSecret) },
        body: raw,
        signal: AbortSignal.timeout(10_000),
      });
      await response.arrayBuffer();
      if (response.status !== 200) throw new Error(`${server.url} answered ${response.status}`);
    };
    // Each customer writes message after message, and consecutive ones reach different processes,
    // so both workers see the same conversation's events at the same time.
    await Promise.all(
      Array.from({ length: CONVERSATIONS }, async (_, customer) => {
        for (let k = 0; k < MESSAGES_EACH; k++) {
          const body = metaWebhook({
            from: `39333${String(customer).padStart(7, '0')}`,
            phoneNumberId: PHONE_NUMBER_ID,
            messages: [text(GREETINGS[k % GREETINGS.length] as string, { timestamp })],
          });
          await post(servers[(customer + k) % 2] as ChaosServer, body);
        }
      }),
    );

    // Settled: every event done, every row sent, and the stub's `sent` status for each reply stored
    // and processed too (they are events of the same conversations).
    const expectedReplies = CONVERSATIONS * MESSAGES_EACH * REPLIES_EACH;
    const deadline = Date.now() + 40_000;
    for (;;) {
      const { rows } = await database.pool.query<{ open: string; unsent: string; statuses: string }>(
        `SELECT (SELECT count(*) FROM inbound_events WHERE status <> 'done') AS open,
                (SELECT count(*) FROM outbox WHERE status <> 'sent') AS unsent,
                (SELECT count(*) FROM inbound_events WHERE kind = 'status') AS statuses`,
      );
      const settled =
        Number(rows[0]?.open) === 0 &&
        Number(rows[0]?.unsent) === 0 &&
        Number(rows[0]?.statuses) >= expectedReplies;
      if (settled || Date.now() > deadline) break;
      await sleep(250);
    }
    ({ rows: events } = await database.pool.query<EventRow>(
      `SELECT id, kind, conversation_id, status, processing_started_at, processed_at, processed_by
       FROM inbound_events ORDER BY id`,
    ));
  }, 120_000);

  afterAll(async () => {
    await Promise.all(servers.map((server) => server.kill('SIGKILL')));
    await stub?.close();
    await database?.drop();
  }, 30_000);

  test('every event is done, processed once, by one of the two processes', async () => {
    const messages = events.filter((event) => event.kind === 'message');
    expect(messages).toHaveLength(CONVERSATIONS * MESSAGES_EACH);
    expect(events.filter((event) => event.status !== 'done')).toEqual([]);
    const pids = servers.map((server) => String(server.pid));
    for (const event of events) {
      expect(event.processing_started_at).not.toBeNull();
      expect(event.processed_at).not.toBeNull();
      expect(pids).toContain(event.processed_by?.split('-')[0]);
    }
    // Each process counts the turns it committed: together, exactly one per event.
    const pages = await Promise.all(
      servers.map(async (server) => (await fetch(`${server.url}/metrics`)).text()),
    );
    const committed = pages.map((page) => sumCounter(page, 'wca_events_processed_total', 'outcome="done"'));
    expect(committed.reduce((a, b) => a + b, 0)).toBe(events.length);
  });

  test('both processes processed some of the events', () => {
    const byPid = new Map<string, number>();
    for (const event of events) {
      const pid = event.processed_by?.split('-')[0] ?? 'none';
      byPid.set(pid, (byPid.get(pid) ?? 0) + 1);
    }
    for (const server of servers) expect(byPid.get(String(server.pid)) ?? 0).toBeGreaterThan(0);
    // And they shared conversations: some event was processed by one process, the next by the other.
    const lastBy = new Map<string, string | null>();
    let handovers = 0;
    for (const event of events) {
      if (!event.conversation_id) continue;
      const previous = lastBy.get(event.conversation_id);
      if (previous !== undefined && previous?.split('-')[0] !== event.processed_by?.split('-')[0])
        handovers++;
      lastBy.set(event.conversation_id, event.processed_by);
    }
    expect(handovers).toBeGreaterThan(0);
  });

  test("within a conversation, processing never overlaps, and the customer's messages keep their order", () => {
    const byConversation = new Map<string, EventRow[]>();
    for (const event of events) {
      if (!event.conversation_id) continue;
      byConversation.set(event.conversation_id, [
        ...(byConversation.get(event.conversation_id) ?? []),
        event,
      ]);
    }
    expect(byConversation.size).toBe(CONVERSATIONS);
    const overlaps: string[] = [];
    const outOfOrder: string[] = [];
    const span = (event: EventRow) => [
      new Date(event.processing_started_at as Date).getTime(),
      new Date(event.processed_at as Date).getTime(),
    ];
    for (const [conversation, rows] of byConversation) {
      // Whatever the order, no event of a conversation starts before the one before it ended.
      const byStart = [...rows].sort((a, b) => (span(a)[0] as number) - (span(b)[0] as number));
      for (let i = 1; i < byStart.length; i++) {
        const before = byStart[i - 1] as EventRow;
        const after = byStart[i] as EventRow;
        if ((span(after)[0] as number) < (span(before)[1] as number))
          overlaps.push(
            `${conversation}: event ${after.id} (${after.processed_by}) overlapped event ${before.id} (${before.processed_by})`,
          );
      }
      // Each message was stored only after the one before it was acknowledged, so they run in id
      // order. Status webhooks arrive on their own, and a status stored at the same moment as a
      // message may commit before or after it: those run in the order they became visible.
      const messages = rows
        .filter((row) => row.kind === 'message')
        .sort((a, b) => Number(a.id) - Number(b.id));
      for (let i = 1; i < messages.length; i++) {
        const before = messages[i - 1] as EventRow;
        const after = messages[i] as EventRow;
        if ((span(after)[0] as number) < (span(before)[1] as number))
          outOfOrder.push(`${conversation}: message ${after.id} started before message ${before.id} ended`);
      }
    }
    expect(overlaps).toEqual([]);
    expect(outOfOrder).toEqual([]);
  });

  test('every conversation got its replies, and no outbox id reached Graph twice', () => {
    const counts = new Map<string, number>();
    const perCustomer = new Map<string, number>();
    for (const message of stub?.received ?? []) {
      const id = message.body.biz_opaque_callback_data ?? '(none)';
      counts.set(id, (counts.get(id) ?? 0) + 1);
      perCustomer.set(message.body.to ?? '', (perCustomer.get(message.body.to ?? '') ?? 0) + 1);
    }
    expect([...counts].filter(([, n]) => n > 1)).toEqual([]);
    expect(counts.has('(none)')).toBe(false);
    expect(perCustomer.size).toBe(CONVERSATIONS);
    for (const n of perCustomer.values()) expect(n).toBe(MESSAGES_EACH * REPLIES_EACH);
  });
});
