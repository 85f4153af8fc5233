/**
 * Live-update latency of the inbox: 50 staff streams open while customers write.
 *
 * One server process (this one) on a scratch PostgreSQL database with a Graph client that accepts
 * at once; 50 staff sessions each hold `/api/inbox/stream`; signed webhooks arrive at RATE
 * conversations per second for SECONDS. Latency = webhook answered → the customer's message
 * arriving on a stream, for every (message, stream) pair.
 *
 *   npm run bench:inbox -- --rate 20 --seconds 10 --staff 50
 */
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../src/config.js';
import { createApp } from '../src/createApp.js';
import { createSession, createStaffUser } from '../src/inbox/staffRepo.js';
import { createLogger } from '../src/logger.js';
import { openStore } from '../src/store/index.js';
import { createDatabase } from './lib/createDatabase.js';
import { latencyRows, num, printSummary } from './lib/printSummary.js';
import { readFlags } from './lib/readFlags.js';
import { runBench, sleep } from './lib/runBench.js';
import { customer, signedTextWebhook } from './lib/signedTextWebhook.js';
import { summarize } from './lib/stats.js';

const APP_SECRET = 'bench-app-secret-0123456789abcdef0123456789';

runBench('bench:inbox', 60_000, async () => {
  const flags = readFlags('bench:inbox', {
    rate: { default: 20, help: 'conversations per second' },
    seconds: { default: 10, help: 'how long customers write' },
    staff: { default: 50, help: 'staff streams open' },
  });
  const database = await createDatabase();
  await database.pool.end();
  const store = await openStore({ databaseUrl: database.url, poolSize: 20 });
  let counter = 0;
  const config = loadConfig({
    LOG_LEVEL: 'silent',
    DATA_DIR: '/tmp/wca-bench-inbox',
    WHATSAPP_ACCESS_TOKEN: 'bench-token',
    WHATSAPP_PHONE_NUMBER_ID: '106540352242922',
    WHATSAPP_APP_SECRET: APP_SECRET,
    API_TOKEN: 'bench-api-token-0123456789abcdef',
    WHATSAPP_MPS: '1000',
  });
  const app = await createApp({
    config,
    store,
    logger: createLogger('silent'),
    secrets: { appSecret: APP_SECRET, apiToken: 'bench-api-token-0123456789abcdef', accessToken: 'x' },
    graph: { sendMessage: async () => `wamid.BENCHOUT${++counter}` },
  });
  const server = app.http.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  // Staff and their sessions, made directly: the bench measures updates, not argon2.
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

  const postedAt = new Map<string, number>();
  const latencies: number[] = [];
  let received = 0;
  const controller = new AbortController();
  const streams = cookies.map(async (cookie) => {
    const response = await fetch(`${base}/api/inbox/stream`, {
      headers: { cookie },
      signal: controller.signal,
    });
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

  const total = flags.rate * flags.seconds;
  const started = performance.now();
  const posts: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / flags.rate;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    const hook = signedTextWebhook([{ from: customer(i), body: 'hello' }], APP_SECRET);
    posts.push(
      fetch(`${base}/webhooks/whatsapp`, {
        method: 'POST',
        headers: hook.headers,
        body: new Uint8Array(hook.body),
      }).then((r) => {
        if (r.ok) for (const wamid of hook.wamids) postedAt.set(wamid, performance.now());
      }),
    );
  }
  await Promise.all(posts);
  const expected = total * flags.staff;
  const deadline = performance.now() + 10_000;
  while (received < expected && performance.now() < deadline) await sleep(100);
  const elapsed = (performance.now() - started) / 1000;
  controller.abort();
  await Promise.allSettled(streams);
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await app.close();
  await store.close();

  const summary = summarize(latencies);
  printSummary('Inbox live updates', [
    [
      'Load',
      [
        ['staff streams', num(flags.staff)],
        ['conversations', `${num(total)} at ${num(flags.rate)}/s`],
        ['updates expected', num(expected)],
        [
          'updates received',
          num(received),
          received === expected ? 'all' : `${num(expected - received)} missing`,
        ],
        ['wall time', `${elapsed.toFixed(1)} s`],
      ],
    ],
    ['Webhook answered → message on a staff stream', latencyRows('update latency', summary)],
  ]);
});
