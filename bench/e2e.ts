/**
 * End to end: a new customer says "hi" → how long until the bot's first reply reaches the Graph
 * API (a local stub). See bench/README.md.
 */
import { randomBytes } from 'node:crypto';
import { startGraphStub } from '../test/helpers/graphStub.js';
import { readFlags } from './lib/readFlags.js';
import type pg from 'pg';
import { startCountingPgProxy } from './lib/startCountingPgProxy.js';
import { countRows, createDatabase } from './lib/createDatabase.js';
import { runOpenLoop } from './lib/loadGenerator.js';
import { latencyRows, mb, ms, num, printSummary, target, type Row } from './lib/printSummary.js';
import { describeCpuShares, sampleCpuShares, sampleProcess } from './lib/sampleProcess.js';
import { onCleanup, runBench, waitFor } from './lib/runBench.js';
import { freePort } from '../test/helpers/freePort.js';
import { PHONE_NUMBER_ID, startServer } from './lib/startServer.js';
import { summarize } from './lib/stats.js';
import { customer, signedTextWebhook } from './lib/signedTextWebhook.js';

const flags = readFlags('bench:e2e', {
  rate: { default: 200, help: 'new conversations per second' },
  seconds: { default: 20, help: 'how long new conversations keep arriving' },
  warmup: { default: 2, help: 'seconds of warm-up at a quarter of --rate, not measured' },
  concurrency: { default: 16, help: 'WORKER_CONCURRENCY of the server' },
  mps: { default: 1000, help: 'WHATSAPP_MPS of the server' },
  'graph-latency': { default: 0, help: 'ms the Graph stub waits before answering a send' },
  statuses: {
    default: false,
    help: 'the stub posts a signed "sent" status webhook back for every send, as Meta does',
  },
  drain: { default: 30, help: 'seconds to wait for the last replies after the last webhook' },
  'cpu-prof': { default: false, help: 'write a CPU profile of the server to bench/out/cpu-prof/' },
  'count-queries': {
    default: false,
    help: 'route the server through a counting proxy and print SQL statements per conversation (diagnostic; costs CPU)',
  },
});
const TARGET_P50_MS = 30;
const TARGET_P99_MS = 150;
const timeoutMs = (flags.warmup + flags.seconds + flags.drain + 180) * 1000;

runBench('bench:e2e', timeoutMs, async () => {
  const port = await freePort();
  const appSecret = randomBytes(16).toString('hex');
  const stub = await startGraphStub({
    latencyMs: flags['graph-latency'],
    ...(flags.statuses
      ? {
          statusWebhook: {
            url: `http://127.0.0.1:${port}/webhooks/whatsapp`,
            appSecret,
            phoneNumberId: PHONE_NUMBER_ID,
          },
        }
      : {}),
  });
  onCleanup('close graph stub', () => stub.close());
  const db = await createDatabase();
  const proxy = flags['count-queries'] ? await startCountingPgProxy(db.url) : null;
  const server = await startServer({
    databaseUrl: proxy?.url ?? db.url,
    graphUrl: stub.url,
    mps: flags.mps,
    workerConcurrency: flags.concurrency,
    port,
    appSecret,
    cpuProfile: flags['cpu-prof'],
  });
  const webhookUrl = `${server.url}/webhooks/whatsapp`;
  console.log(
    `server pid ${server.pid} on ${server.url}, database ${db.name}, WORKER_CONCURRENCY ${flags.concurrency}; warm-up ${flags.warmup} s, then ${flags.rate} new conversations/s for ${flags.seconds} s`,
  );

  // Warm-up customers are numbered apart from the measured ones, so their replies are not counted.
  await runOpenLoop({
    url: webhookUrl,
    rate: Math.max(1, flags.rate / 4),
    seconds: flags.warmup,
    request: (i) => signedTextWebhook([{ from: customer(i, 9_000_000), body: 'hi' }], appSecret),
  });
  await waitFor(() => stub.received.length > 0, 10_000);

  const total = Math.round(flags.rate * flags.seconds);
  const offset = 1_000_000;
  const sentAt = new Float64Array(total).fill(Number.NaN);
  const repliedAt = new Float64Array(total).fill(Number.NaN);
  const byCustomer = new Map<string, number>();
  let completed = 0;
  stub.onMessage((message) => {
    const index = byCustomer.get(message.body.to ?? '');
    if (index === undefined || !Number.isNaN(repliedAt[index] as number)) return;
    repliedAt[index] = message.at;
    completed++;
  });

  const rss = sampleProcess(server.pid);
  const shares = sampleCpuShares(server.pid);
  const statementsBefore = proxy?.statements() ?? 0;
  const load = await runOpenLoop({
    url: webhookUrl,
    rate: flags.rate,
    seconds: flags.seconds,
    request: (i) => {
      const from = customer(i, offset);
      byCustomer.set(from, i);
      return signedTextWebhook([{ from, body: 'hi' }], appSecret);
    },
    onSent: (i, at) => {
      sentAt[i] = at;
    },
  });
  const loadEndedAt = performance.now();
  await waitFor(() => completed >= load.ok, flags.drain * 1000, 20);
  const drainedMs = performance.now() - loadEndedAt;
  const memory = rss.finish();
  const cores = shares.finish();
  const statements = (proxy?.statements() ?? 0) - statementsBefore;
  const statementTexts = proxy?.byText() ?? [];

  const latencies: number[] = [];
  for (let i = 0; i < total; i++) {
    const replied = repliedAt[i] as number;
    if (!Number.isNaN(replied)) latencies.push(replied - (sentAt[i] as number));
  }
  const e2e = summarize(latencies);
  const acks = summarize(load.latencies);
  const outboxSent = await countRows(db.pool, 'outbox', "status = 'sent'");
  const outboxWaiting = await countRows(db.pool, 'outbox', "status IN ('pending', 'sending')");
  const eventsPending = await countRows(db.pool, 'inbound_events', "status = 'pending'");
  const stages = await measureStages(db.pool, `${PHONE_NUMBER_ID}:${customer(0, offset).slice(0, 5)}%`);

  if (statementTexts.length > 0) {
    console.log('\nSQL statements per conversation, by text (whole run, warm-up included)');
    for (const [text, count] of statementTexts.slice(0, 30))
      console.log(`  ${(count / Math.max(1, completed)).toFixed(2).padStart(6)}  ${text}`);
  }
  printSummary('bench:e2e summary', [
    [
      `Server: PostgreSQL, WORKER_CONCURRENCY ${flags.concurrency}, WHATSAPP_MPS ${flags.mps}, Graph stub latency ${flags['graph-latency']} ms, status webhooks ${flags.statuses ? 'on' : 'off'}`,
      [],
    ],
    [
      `Load: ${flags.rate} new conversations/s for ${flags.seconds} s, each one "hi" from a new customer (open loop)`,
      [
        [
          'conversations completed / sent',
          `${num(completed)} / ${num(load.sent)}`,
          `webhooks acknowledged: ${num(load.ok)}`,
        ],
        [
          'achieved webhook rate',
          `${num(((load.sent - 1) * 1000) / (load.lastSentAt - load.firstSentAt), 1)} req/s`,
        ],
        ...latencyRows('webhook → first reply', e2e, {
          p50: target(`≤ ${TARGET_P50_MS} ms`, e2e.p50 <= TARGET_P50_MS),
          p99: target(`≤ ${TARGET_P99_MS} ms`, e2e.p99 <= TARGET_P99_MS),
        }),
        ['webhook ack p50 / p99', `${ms(acks.p50)} / ${ms(acks.p99)}`],
        ['time to the last reply after the load', ms(drainedMs)],
      ],
    ],
    [
      'Where the time goes (server clock, from the database; p50 / p99 over measured conversations)',
      stages.map(([label, p50, p99]): Row => [label, `${ms(p50)} / ${ms(p99)}`]),
    ],
    [
      'Server',
      [
        ['RSS start / peak / end', `${mb(memory.startKb)} / ${mb(memory.peakKb)} / ${mb(memory.endKb)}`],
        [
          'CPU time during the load',
          `${num(memory.cpuMs)} ms`,
          `${num(memory.cpuMs / Math.max(1, completed), 1)} ms per conversation; ${num((memory.cpuMs / memory.wallMs) * 100)}% of one core`,
        ],
        ['CPU use during the load (cores)', ...describeCpuShares(cores)],
        ...(proxy
          ? [
              [
                'SQL statements during the load',
                num(statements),
                `${num(statements / Math.max(1, completed), 1)} per conversation (polling included)`,
              ] as Row,
            ]
          : []),
        ['stub received (all replies)', num(stub.received.length)],
        ['outbox sent / still waiting', `${num(outboxSent)} / ${num(outboxWaiting)}`],
        ['inbound events still pending', num(eventsPending)],
        ['log warnings / errors', `${server.logs.warnings} / ${server.logs.errors}`, server.logs.last[0]],
      ],
    ],
  ]);
});

/**
 * Splits each measured conversation's first reply into stages, from the timestamps the server
 * writes: webhook stored → worker takes the event → turn committed → first reply sent.
 */
async function measureStages(pool: pg.Pool, conversationLike: string): Promise<[string, number, number][]> {
  const result = await pool.query<Record<string, number | null>>(
    `WITH firsts AS (
       SELECT DISTINCT ON (e.conversation_id) e.conversation_id, e.received_at, e.processing_started_at, e.processed_at,
              o.created_at AS queued_at, o.sent_at
       FROM inbound_events e
       JOIN outbox o ON o.conversation_id = e.conversation_id AND o.status = 'sent'
       WHERE e.kind = 'message' AND e.conversation_id LIKE $1
       ORDER BY e.conversation_id, e.id, o.seq),
     stages AS (
       SELECT extract(epoch FROM processing_started_at - received_at) * 1000 AS wait_worker,
              extract(epoch FROM processed_at - processing_started_at) * 1000 AS turn,
              extract(epoch FROM sent_at - processed_at) * 1000 AS wait_send,
              extract(epoch FROM sent_at - received_at) * 1000 AS total
       FROM firsts)
     SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY wait_worker) AS wait_worker_p50,
            percentile_cont(0.99) WITHIN GROUP (ORDER BY wait_worker) AS wait_worker_p99,
            percentile_cont(0.5) WITHIN GROUP (ORDER BY turn) AS turn_p50,
            percentile_cont(0.99) WITHIN GROUP (ORDER BY turn) AS turn_p99,
            percentile_cont(0.5) WITHIN GROUP (ORDER BY wait_send) AS wait_send_p50,
            percentile_cont(0.99) WITHIN GROUP (ORDER BY wait_send) AS wait_send_p99,
            percentile_cont(0.5) WITHIN GROUP (ORDER BY total) AS total_p50,
            percentile_cont(0.99) WITHIN GROUP (ORDER BY total) AS total_p99
     FROM stages`,
    [conversationLike],
  );
  const row = result.rows[0] ?? {};
  const pick = (name: string) => Number(row[name] ?? Number.NaN);
  return [
    ['stored → worker takes the event', pick('wait_worker_p50'), pick('wait_worker_p99')],
    ['turn (handleEvent, until marked done)', pick('turn_p50'), pick('turn_p99')],
    ['turn done → first reply answered by stub', pick('wait_send_p50'), pick('wait_send_p99')],
    ['stored → first reply answered (total)', pick('total_p50'), pick('total_p99')],
  ];
}
