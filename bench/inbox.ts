/**
 * Live-update latency of the inbox: staff streams open while customers write.
 *
 * The real server (LIVE mode) on a scratch PostgreSQL database with the local Graph stub, which
 * posts signed `sent` statuses back as Meta does. STAFF staff sessions each hold
 * `/api/inbox/stream`; new conversations arrive at RATE per second for SECONDS. Latency = the
 * webhook answered → the customer's message arriving on a stream, for every (message, stream)
 * pair. See bench/README.md.
 *
 *   npm run bench:inbox -- --rate 20 --seconds 10 --staff 50
 */
import { randomBytes } from 'node:crypto';
import { createSession, createStaffUser } from '../src/inbox/staffRepo.js';
import { openStore } from '../src/store/index.js';
import { startGraphStub } from '../test/helpers/graphStub.js';
import { freePort } from '../test/helpers/freePort.js';
import { createDatabase } from './lib/createDatabase.js';
import { latencyRows, num, printSummary } from './lib/printSummary.js';
import { readFlags } from './lib/readFlags.js';
import { onCleanup, runBench, sleep } from './lib/runBench.js';
import { customer, signedTextWebhook } from './lib/signedTextWebhook.js';
import { PHONE_NUMBER_ID, startServer } from './lib/startServer.js';
import { describeCpuShares, sampleCpuShares } from './lib/sampleProcess.js';
import { summarize } from './lib/stats.js';

const flags = readFlags('bench:inbox', {
  rate: { default: 20, help: 'new conversations per second' },
  seconds: { default: 10, help: 'how long customers write' },
  staff: { default: 50, help: 'staff live streams open' },
  statuses: { default: false, help: 'the Graph stub posts a signed "sent" status back for every send' },
  mps: { default: 1000, help: 'WHATSAPP_MPS of the server' },
  concurrency: { default: 16, help: 'WORKER_CONCURRENCY of the server' },
  'cpu-prof': { default: false, help: 'write a CPU profile of the server to bench/out/cpu-prof/' },
});

runBench('bench:inbox', (flags.seconds + 120) * 1000, async () => {
  const port = await freePort();
  const appSecret = randomBytes(16).toString('hex');
  const stub = await startGraphStub(
    flags.statuses
      ? {
          statusWebhook: {
            url: `http://127.0.0.1:${port}/webhooks/whatsapp`,
            appSecret,
            phoneNumberId: PHONE_NUMBER_ID,
          },
        }
      : {},
  );
  onCleanup('close graph stub', () => stub.close());
  const database = await createDatabase();
  const server = await startServer({
    databaseUrl: database.url,
    graphUrl: stub.url,
    mps: flags.mps,
    workerConcurrency: flags.concurrency,
    port,
    appSecret,
    cpuProfile: flags['cpu-prof'],
  });

  // Staff sessions written straight into the database: the bench measures updates, not argon2.
  const store = await openStore({ databaseUrl: database.url, poolSize: 2 });
  const cookies: string[] = [];
  for (let i = 0; i < flags.staff; i++) {
    const user = await createStaffUser(store.db, {
      email: `staff${i}@bench.test`,
      name: `Staff ${i}`,
      role: 'agent',
      passwordHash: null,
    });
    const session = await createSession(store.db, user.id, new Date(), {
      idleMs: 3_600_000,
      maxMs: 3_600_000,
    });
    cookies.push(`wca_session=${session.id}`);
  }
  await store.close();

  const postedAt = new Map<string, number>();
  const latencies: number[] = [];
  let received = 0;
  const controller = new AbortController();
  const streams = cookies.map(async (cookie) => {
    const response = await fetch(`${server.url}/api/inbox/stream`, {
      headers: { cookie },
      signal: controller.signal,
    });
    if (!response.ok) throw new Error(`stream refused: ${response.status}`);
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        const now = performance.now();
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (!block.startsWith('event: message')) continue;
          const wamid = /"wamid":"([^"]+)"/.exec(block)?.[1];
          const at = wamid ? postedAt.get(wamid) : undefined;
          if (at !== undefined) {
            latencies.push(now - at);
            received++;
          }
        }
      }
    } catch {
      // Aborted at the end.
    }
  });
  await sleep(500);
  console.log(
    `server pid ${server.pid} on ${server.url}; ${flags.staff} staff streams; ${flags.rate} new conversations/s for ${flags.seconds} s`,
  );

  const total = flags.rate * flags.seconds;
  const shares = sampleCpuShares(server.pid);
  const started = performance.now();
  const posts: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const wait = started + (i * 1000) / flags.rate - performance.now();
    if (wait > 0) await sleep(wait);
    const hook = signedTextWebhook([{ from: customer(i), body: 'hello' }], appSecret);
    posts.push(
      fetch(`${server.url}/webhooks/whatsapp`, {
        method: 'POST',
        headers: hook.headers,
        body: new Uint8Array(hook.body),
      }).then((response) => {
        if (response.ok) for (const wamid of hook.wamids) postedAt.set(wamid, performance.now());
      }),
    );
  }
  await Promise.all(posts);
  const expected = total * flags.staff;
  const deadline = performance.now() + 15_000;
  while (received < expected && performance.now() < deadline) await sleep(100);
  const elapsed = (performance.now() - started) / 1000;
  const cores = shares.finish();
  controller.abort();
  await Promise.allSettled(streams);
  // Where the time goes: waiting for the worker and the turn, by the server's own timestamps.
  const waits = await database.pool.query<{ ms: number }>(
    `SELECT extract(epoch FROM processed_at - received_at) * 1000 AS ms FROM inbound_events
     WHERE kind = 'message' AND processed_at IS NOT NULL ORDER BY 1`,
  );
  await server.stop();

  printSummary('Inbox live updates', [
    [
      'Load',
      [
        ['staff streams', num(flags.staff)],
        ['new conversations', `${num(total)} at ${num(flags.rate)}/s`],
        ['customer messages × streams', num(expected)],
        [
          'delivered on streams',
          num(received),
          received === expected ? 'all' : `${num(expected - received)} missing`,
        ],
        ['wall time', `${elapsed.toFixed(1)} s`],
        ['CPU use (cores)', ...describeCpuShares(cores)],
      ],
    ],
    ['Webhook answered → message on a staff stream', latencyRows('update latency', summarize(latencies))],
    [
      'Of which: stored → turn committed (worker queue + turn, server clock)',
      latencyRows('worker', summarize(waits.rows.map((row) => Number(row.ms)))),
    ],
  ]);
});
