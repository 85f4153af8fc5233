/**
 * Payment status end to end: a customer's payment lands (the sandbox pay page's POST, which stores
 * the provider event exactly as the Stripe webhook does) → how long until the receipt reaches the
 * Graph API (a local stub), and how many payment events per second the server turns into chat
 * messages. See bench/README.md.
 */
import http from 'node:http';
import { startGraphStub } from '../test/helpers/graphStub.js';
import { freePort } from '../test/helpers/freePort.js';
import { countRows, createDatabase } from './lib/createDatabase.js';
import { latencyRows, ms, num, printSummary, target } from './lib/printSummary.js';
import { readFlags } from './lib/readFlags.js';
import { onCleanup, runBench, sleep, waitFor } from './lib/runBench.js';
import { customer, signedTextWebhook } from './lib/signedTextWebhook.js';
import { PHONE_NUMBER_ID, startServer } from './lib/startServer.js';
import { summarize } from './lib/stats.js';

const flags = readFlags('bench:payments', {
  rate: { default: 100, help: 'payments completed per second on the pay page' },
  seconds: { default: 5, help: 'how long payments keep arriving' },
  concurrency: { default: 16, help: 'WORKER_CONCURRENCY of the server' },
  drain: { default: 20, help: 'seconds to wait for the last receipts after the last payment' },
});
const TARGET_P50_MS = 50;
const TARGET_P99_MS = 250;
const OFFSET = 3_000_000;

runBench('bench:payments', (flags.seconds + flags.drain + 180) * 1000, async () => {
  const port = await freePort();
  const stub = await startGraphStub();
  onCleanup('close graph stub', () => stub.close());
  const db = await createDatabase();
  const server = await startServer({
    databaseUrl: db.url,
    graphUrl: stub.url,
    mps: 2_000,
    workerConcurrency: flags.concurrency,
    port,
    env: { PAYMENTS_PROVIDER: 'sandbox' },
  });
  const total = Math.round(flags.rate * flags.seconds);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  onCleanup('close agent', () => agent.destroy());
  console.log(
    `server pid ${server.pid} on ${server.url}; setting up ${num(total)} customers with a payment link each`,
  );

  // Set-up, not measured: each customer says hi (the 24-hour window opens), staff send a link.
  const customers = Array.from({ length: total }, (_, i) => customer(i, OFFSET));
  for (let i = 0; i < total; i += 50) {
    const hook = signedTextWebhook(
      customers.slice(i, i + 50).map((from) => ({ from, body: 'hi' })),
      server.appSecret,
    );
    const status = await send('POST', `${server.url}/webhooks/whatsapp`, hook.body, hook.headers);
    if (status !== 200) throw new Error(`webhook answered ${status}`);
  }
  const tokens = new Map<string, string>();
  stub.onMessage((message) => {
    const url = (message.body.interactive as { action?: { parameters?: { url?: string } } } | undefined)
      ?.action?.parameters?.url;
    const token = url?.match(/\/pay\/([\w-]+)$/)?.[1];
    if (token && message.body.to) tokens.set(message.body.to, token);
  });
  for (let i = 0; i < total; i += 32) {
    await Promise.all(
      customers.slice(i, i + 32).map(async (waId) => {
        const body = Buffer.from(
          JSON.stringify({
            conversationId: `${PHONE_NUMBER_ID}:${waId}`,
            purpose: 'order',
            reference: `ORD-${waId.slice(-6)}`,
            amount: 4500,
            currency: 'EUR',
            description: 'Engraved bracelet (M)',
          }),
        );
        // The conversation exists once the worker handled the hi; wait for it if needed.
        for (let attempt = 0; ; attempt++) {
          const status = await send('POST', `${server.url}/api/payments`, body, {
            'content-type': 'application/json',
            authorization: `Bearer ${server.apiToken}`,
            'idempotency-key': `bench-${waId}`,
          });
          if (status === 202) return;
          if (attempt > 50) throw new Error(`POST /api/payments answered ${status}`);
          await sleep(100);
        }
      }),
    );
  }
  if (!(await waitFor(() => tokens.size >= total, 60_000, 50)))
    throw new Error(`only ${tokens.size} of ${total} payment links reached the Graph stub`);

  // Measured: the payments land on an open-loop schedule.
  const sentAt = new Map<string, number>();
  const receiptAt = new Map<string, number>();
  stub.onMessage((message) => {
    const to = message.body.to ?? '';
    const body = (message.body.text as { body?: string } | undefined)?.body ?? '';
    if (sentAt.has(to) && !receiptAt.has(to) && body.includes('Payment received'))
      receiptAt.set(to, message.at);
  });
  const acks: number[] = [];
  const failures: string[] = [];
  const interval = 1000 / flags.rate;
  const start = performance.now() + 20;
  const posts: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = start + i * interval;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    const waId = customers[i] as string;
    const at = performance.now();
    sentAt.set(waId, at);
    posts.push(
      send('POST', `${server.url}/pay/${tokens.get(waId)}/pay`, Buffer.alloc(0), {}).then((status) => {
        if (status === 303) acks.push(performance.now() - at);
        else if (failures.length < 5) failures.push(`status ${status}`);
      }),
    );
  }
  await Promise.all(posts);
  const loadEnded = performance.now();
  await waitFor(() => receiptAt.size >= total, flags.drain * 1000, 20);

  const latencies = [...receiptAt].map(([waId, at]) => at - (sentAt.get(waId) as number));
  const e2e = summarize(latencies);
  const firstSent = Math.min(...sentAt.values());
  const lastReceipt = Math.max(...receiptAt.values());
  const succeeded = await countRows(db.pool, 'payments', "status = 'succeeded'");
  printSummary('bench:payments summary', [
    [
      `Server: PostgreSQL, WORKER_CONCURRENCY ${flags.concurrency}, sandbox payments, Graph stub without latency`,
      [],
    ],
    [
      `Load: ${flags.rate} payments/s for ${flags.seconds} s on the sandbox pay page (open loop), one per customer`,
      [
        [
          'receipts at the Graph API / payments',
          `${num(receiptAt.size)} / ${num(total)}`,
          failures.join('; ') || undefined,
        ],
        [
          'payment events → receipts per second',
          num((receiptAt.size * 1000) / Math.max(1, lastReceipt - firstSent), 1),
          'from the first payment to the last receipt',
        ],
        ...latencyRows('payment → receipt at the Graph API', e2e, {
          p50: target(`≤ ${TARGET_P50_MS} ms`, e2e.p50 <= TARGET_P50_MS),
          p99: target(`≤ ${TARGET_P99_MS} ms`, e2e.p99 <= TARGET_P99_MS),
        }),
        ['pay page answer p50 / p99', `${ms(summarize(acks).p50)} / ${ms(summarize(acks).p99)}`],
        ['time to the last receipt after the load', ms(lastReceipt - loadEnded)],
        ['payments succeeded in the database', num(succeeded)],
        ['log warnings / errors', `${server.logs.warnings} / ${server.logs.errors}`, server.logs.last[0]],
      ],
    ],
  ]);

  function send(method: string, url: string, body: Buffer, headers: Record<string, string>): Promise<number> {
    const target = new URL(url);
    if (target.hostname !== '127.0.0.1') throw new Error('bench:payments only talks to 127.0.0.1');
    return new Promise((resolve) => {
      const req = http.request(
        {
          agent,
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          method,
          headers: { ...headers, 'content-length': String(body.length) },
          timeout: 10_000,
        },
        (res) => {
          res.resume();
          res.once('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.once('timeout', () => req.destroy(new Error('timeout')));
      req.once('error', () => resolve(0));
      req.end(body);
    });
  }
});
