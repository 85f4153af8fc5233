/**
 * Webhook ingest: how fast the server acknowledges signed WhatsApp webhooks, and how many events
 * per second it makes durable at saturation. See bench/README.md.
 */
import type pg from 'pg';
import { startGraphStub } from '../test/helpers/graphStub.js';
import { readFlags } from './lib/readFlags.js';
import { countRows, createDatabase } from './lib/createDatabase.js';
import { createLoadAgent, runClosedLoop, runOpenLoop, type LoadResult } from './lib/loadGenerator.js';
import { latencyRows, mb, ms, num, printSummary, target, type Row } from './lib/printSummary.js';
import {
  describeCpuShares,
  sampleCpuShares,
  sampleProcess,
  type CpuShares,
  type ProcessSampler,
} from './lib/sampleProcess.js';
import { onCleanup, runBench, waitFor } from './lib/runBench.js';
import { startServer } from './lib/startServer.js';
import { summarize } from './lib/stats.js';
import { customer, signedTextWebhook } from './lib/signedTextWebhook.js';

const flags = readFlags('bench:ingest', {
  rate: { default: 1000, help: 'webhooks per second in the open-loop phase' },
  seconds: { default: 20, help: 'length of the open-loop phase' },
  warmup: { default: 2, help: 'seconds of warm-up at a quarter of --rate, not measured' },
  connections: { default: 64, help: 'concurrent connections in the saturation phase' },
  'saturation-seconds': { default: 10, help: 'length of each saturation phase' },
  batch: { default: '1,10', help: 'messages per webhook in the saturation phases, one phase per value' },
  customers: { default: 1000, help: 'distinct customers the messages come from' },
  concurrency: { default: 8, help: 'WORKER_CONCURRENCY of the server' },
  mps: { default: 80, help: 'WHATSAPP_MPS of the server (its replies go to the local stub)' },
  'cold-connections': {
    default: false,
    help: 'start the measured phase with no connection instead of going on with the warm-up ones',
  },
  drain: {
    default: false,
    help: 'after the open loop, wait (at most 180 s) until the worker has taken every event, and print how long that took',
  },
  'by-second': { default: false, help: "also print the open loop's acknowledgements second by second" },
  'cpu-prof': { default: false, help: 'write a CPU profile of the server to bench/out/cpu-prof/' },
});

const batches = flags.batch.split(',').map((value) => Number(value.trim()));
if (batches.some((b) => !Number.isInteger(b) || b < 1 || b > 100)) {
  console.error('--batch: expected a comma-separated list of whole numbers from 1 to 100');
  process.exit(64);
}
const TARGET_P99_MS = 25;
const TARGET_EVENTS_PER_S = 3000;

const DRAIN_LIMIT_MS = 180_000;
const timeoutMs =
  (flags.warmup + flags.seconds + 60 + batches.length * (flags['saturation-seconds'] + 40) + 120) * 1000 +
  (flags.drain ? DRAIN_LIMIT_MS : 0);

const rate = (count: number, fromMs: number, toMs: number) => (count * 1000) / (toMs - fromMs);
const failures = (result: LoadResult) =>
  [...result.statuses.values()].reduce((sum, n) => sum + n, 0) + result.errors;
const failureNote = (result: LoadResult) =>
  [
    ...[...result.statuses].map(([status, n]) => `${n}×HTTP ${status}`),
    ...(result.errors > 0 ? [`${result.errors} errors (${result.errorSamples[0] ?? ''})`] : []),
  ].join(', ');

/** Waits (at most 20 s) until the number of stored events stops changing for a second; returns it. */
async function settleCount(pool: pg.Pool): Promise<number> {
  let last = await countRows(pool, 'inbound_events');
  let stableSince = performance.now();
  await waitFor(
    async () => {
      const now = await countRows(pool, 'inbound_events');
      if (now !== last) {
        last = now;
        stableSince = performance.now();
      }
      return performance.now() - stableSince >= 1_000;
    },
    20_000,
    200,
  );
  return last;
}

/**
 * The open loop's acknowledgements by the second their request was written in, with the
 * generator's own lateness: whether slow answers are spread out or come in a few episodes.
 */
function printBySecond(result: LoadResult, perSecond: number): void {
  const seconds = new Map<number, number[]>();
  result.latencies.forEach((latency, index) => {
    const second = Math.floor(((result.latencySentAt[index] ?? 0) - result.firstSentAt) / 1000);
    const inSecond = seconds.get(second) ?? [];
    inSecond.push(latency);
    seconds.set(second, inSecond);
  });
  const columns = ['second', 'acks', 'p50 ms', 'p99 ms', 'max ms', `> ${TARGET_P99_MS} ms`, 'gen. lag max'];
  const line = (values: (string | number)[]) => values.map((v) => String(v).padStart(14)).join('');
  console.log(line(columns));
  for (const [second, latencies] of [...seconds].sort(([a], [b]) => a - b)) {
    const acks = summarize(latencies);
    const lag = summarize(result.sendLag.slice(second * perSecond, (second + 1) * perSecond));
    console.log(
      line([
        second,
        latencies.length,
        ms(acks.p50),
        ms(acks.p99),
        ms(acks.max),
        latencies.filter((latency) => latency > TARGET_P99_MS).length,
        ms(lag.max),
      ]),
    );
  }
}

const cpuRow = (use: ReturnType<ProcessSampler['finish']>, count: number, per: string): Row => [
  'server CPU (worker included)',
  `${num((use.cpuMs / use.wallMs) * 100)}% of a core`,
  `${num(use.cpuMs / Math.max(1, count), 2)} ms per ${per}`,
];

runBench('bench:ingest', timeoutMs, async () => {
  const stub = await startGraphStub({});
  onCleanup('close graph stub', () => stub.close());
  const db = await createDatabase();
  const server = await startServer({
    databaseUrl: db.url,
    graphUrl: stub.url,
    mps: flags.mps,
    workerConcurrency: flags.concurrency,
    cpuProfile: flags['cpu-prof'],
  });
  const rss = sampleProcess(server.pid);
  const webhookUrl = `${server.url}/webhooks/whatsapp`;
  const oneMessage = (i: number) =>
    signedTextWebhook([{ from: customer(i % flags.customers), body: 'hi' }], server.appSecret);
  console.log(
    `server pid ${server.pid} on ${server.url}, database ${db.name}; warm-up ${flags.warmup} s, then ${flags.rate} req/s for ${flags.seconds} s`,
  );

  // A sender keeps its connections from one second to the next: the measured phase goes on with
  // the warm-up's and opens more only when answers are slower than requests arrive.
  const agent = createLoadAgent();
  onCleanup('close load connections', () => agent.destroy());
  const warmup = await runOpenLoop({
    url: webhookUrl,
    rate: Math.max(1, flags.rate / 4),
    seconds: flags.warmup,
    request: (i) => oneMessage(1_000_000 + i),
    agent,
  });
  if (flags['cold-connections']) agent.destroy();

  const stored0 = await countRows(db.pool, 'inbound_events');
  const takenBeforeOpen = await countRows(db.pool, 'inbound_events', "status <> 'pending'");
  const openCpu = sampleProcess(server.pid);
  const openShares = sampleCpuShares(server.pid);
  const open = await runOpenLoop({
    url: webhookUrl,
    rate: flags.rate,
    seconds: flags.seconds,
    request: oneMessage,
    ...(flags['cold-connections'] ? {} : { agent }),
  });
  agent.destroy();
  const takenInOpen = (await countRows(db.pool, 'inbound_events', "status <> 'pending'")) - takenBeforeOpen;
  const openUse = openCpu.finish();
  const openCores = openShares.finish();
  const storedOpen = (await settleCount(db.pool)) - stored0;
  const acks = summarize(open.latencies);
  if (flags['by-second']) printBySecond(open, flags.rate);
  const lag = summarize(open.sendLag);
  const backlogAfterOpen = await countRows(db.pool, 'inbound_events', "status = 'pending'");
  console.log(
    `open-loop phase done: ${open.ok} acknowledged, ${storedOpen} events stored, ${backlogAfterOpen} waiting for the worker`,
  );
  let drained: string | null = null;
  if (flags.drain) {
    // From the last webhook's answer until no stored event waits for the worker any more.
    const done = await waitFor(
      async () => (await countRows(db.pool, 'inbound_events', "status = 'pending'")) === 0,
      DRAIN_LIMIT_MS,
      100,
    );
    const seconds = ((performance.now() - open.lastDoneAt) / 1000).toFixed(1);
    drained = done ? `${seconds} s` : `not within ${seconds} s`;
    console.log(`backlog drained: ${drained} after the last acknowledgement`);
  }

  const saturation: {
    batch: number;
    result: LoadResult;
    events: number;
    seconds: number;
    backlog: number;
    use: ReturnType<ProcessSampler['finish']>;
    cores: CpuShares;
  }[] = [];
  for (const batch of batches) {
    // Requests the generator gave up on may still be stored by the server; let them land first.
    await settleCount(db.pool);
    const backlog = await countRows(db.pool, 'inbound_events', "status = 'pending'");
    const before = await countRows(db.pool, 'inbound_events');
    let next = 0;
    const cpu = sampleProcess(server.pid);
    const shares = sampleCpuShares(server.pid);
    const result = await runClosedLoop({
      url: webhookUrl,
      connections: flags.connections,
      seconds: flags['saturation-seconds'],
      maxRequests: Math.ceil((20_000 * flags['saturation-seconds']) / batch),
      request: () =>
        signedTextWebhook(
          Array.from({ length: batch }, () => ({ from: customer(next++ % flags.customers), body: 'hi' })),
          server.appSecret,
        ),
    });
    const use = cpu.finish();
    const cores = shares.finish();
    const events = (await countRows(db.pool, 'inbound_events')) - before;
    const seconds = (result.lastDoneAt - result.firstSentAt) / 1000;
    saturation.push({ batch, result, events, seconds, backlog, use, cores });
    console.log(`saturation phase (${batch} per request) done: ${events} events in ${seconds.toFixed(2)} s`);
  }

  const memory = rss.finish();
  const processed = await countRows(db.pool, 'inbound_events', "status = 'done'");
  const pendingAtEnd = await countRows(db.pool, 'inbound_events', "status = 'pending'");

  const openRows: Row[] = [
    [
      'achieved request rate',
      `${num(rate(open.sent - 1, open.firstSentAt, open.lastSentAt), 1)} req/s`,
      `${open.sent} sent over ${((open.lastSentAt - open.firstSentAt) / 1000).toFixed(2)} s`,
    ],
    ...latencyRows('ack latency', acks, {
      p99: target(`≤ ${TARGET_P99_MS} ms at 1,000 req/s`, acks.p99 <= TARGET_P99_MS),
    }),
    ['non-200 answers', num(failures(open)), failureNote(open) || undefined],
    [
      'connections opened',
      num(open.connectionsOpened),
      flags['cold-connections']
        ? 'the phase started with none (--cold-connections)'
        : `the phase went on with the warm-up's ${warmup.connectionsOpened}`,
    ],
    ['events stored', num(storedOpen), `of ${open.sent} sent`],
    [
      'events the worker took meanwhile',
      num(takenInOpen),
      `${num(takenInOpen / flags.seconds)}/s; ${num(backlogAfterOpen)} still waiting at the end`,
    ],
    ...(drained === null
      ? []
      : [['backlog drained after', drained, 'from the last acknowledgement (--drain)'] as Row]),
    ['generator lag p99 / max', `${ms(lag.p99)} / ${ms(lag.max)}`, 'late writes vs the fixed schedule'],
    cpuRow(openUse, open.ok, 'request'),
    ['CPU use (cores)', ...describeCpuShares(openCores)],
  ];
  const sections: [string, Row[]][] = [
    [
      `Server: PostgreSQL, WORKER_CONCURRENCY ${flags.concurrency}, WHATSAPP_MPS ${flags.mps}, ${flags.customers} customers, text "hi"`,
      [
        [
          'server RSS start / peak / end',
          `${mb(memory.startKb)} / ${mb(memory.peakKb)} / ${mb(memory.endKb)}`,
        ],
      ],
    ],
    [`Phase 1: open loop, ${flags.rate} req/s for ${flags.seconds} s, 1 message per request`, openRows],
  ];
  for (const { batch, result, events, seconds, backlog, use, cores } of saturation) {
    const acksSat = summarize(result.latencies);
    sections.push([
      `Phase 2: saturation, ${flags.connections} connections for ${flags['saturation-seconds']} s, ${batch} message${batch > 1 ? 's' : ''} per request (worker backlog at start: ${backlog})`,
      [
        [
          'requests acknowledged',
          `${num(result.ok / seconds, 1)} req/s`,
          `${result.ok} in ${seconds.toFixed(2)} s`,
        ],
        [
          'durable events',
          `${num(events / seconds, 1)} events/s`,
          `${events} new inbound_events rows; ${target(`≥ ${num(TARGET_EVENTS_PER_S)} events/s`, events / seconds >= TARGET_EVENTS_PER_S)}`,
        ],
        ['ack latency p50 / p99', `${ms(acksSat.p50)} / ${ms(acksSat.p99)}`],
        ['non-200 answers', num(failures(result)), failureNote(result) || undefined],
        cpuRow(use, events, 'event'),
        ['CPU use (cores)', ...describeCpuShares(cores)],
      ],
    ]);
  }
  sections.push([
    'While all this ran the worker handled the events too (same server)',
    [
      ['events processed / still pending', `${num(processed)} / ${num(pendingAtEnd)}`],
      ['replies received by the stub', num(stub.received.length)],
      [
        'server log warnings / errors',
        `${server.logs.warnings} / ${server.logs.errors}`,
        server.logs.last[0],
      ],
    ],
  ]);
  printSummary('bench:ingest summary', sections);
});
