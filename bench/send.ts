/**
 * Outbound sending: a backlog of queued messages leaves at the configured WHATSAPP_MPS, and no
 * one-second window ever holds more. See bench/README.md.
 */
import { openStore } from '../src/store/index.js';
import { startGraphStub } from '../test/helpers/graphStub.js';
import { readFlags } from './lib/readFlags.js';
import { startCountingPgProxy } from './lib/startCountingPgProxy.js';
import { createDatabase } from './lib/createDatabase.js';
import { mb, ms, num, printSummary, target, type Row } from './lib/printSummary.js';
import { describeCpuShares, sampleCpuShares, sampleProcess } from './lib/sampleProcess.js';
import { onCleanup, runBench, waitFor } from './lib/runBench.js';
import { PHONE_NUMBER_ID, startServer } from './lib/startServer.js';
import { maxInWindow } from './lib/stats.js';

const flags = readFlags('bench:send', {
  count: { default: 20_000, help: 'messages queued in the outbox before the server starts' },
  mps: { default: 1000, help: 'WHATSAPP_MPS of the server' },
  'graph-latency': { default: 0, help: 'ms the Graph stub waits before answering a send' },
  'cpu-prof': { default: false, help: 'write a CPU profile of the server to bench/out/cpu-prof/' },
  'count-queries': {
    default: false,
    help: 'route the server through a counting proxy and print SQL statements per message (diagnostic; costs CPU)',
  },
});
const TARGET_RATIO = 0.95;
// Twice the ideal time plus start-up and slack; the whole run is bounded by it.
const sendWindowMs = ((flags.count / flags.mps) * 2 + 30) * 1000;
const timeoutMs = sendWindowMs + 180_000;

runBench('bench:send', timeoutMs, async () => {
  const stub = await startGraphStub({ latencyMs: flags['graph-latency'] });
  onCleanup('close graph stub', () => stub.close());
  const db = await createDatabase();

  // The server migrates on start too; the rows must exist before it does, so migrate here first.
  const store = await openStore({ databaseUrl: db.url, poolSize: 1 });
  await store.close();
  const seeded = performance.now();
  await db.pool.query(
    `INSERT INTO conversations (id, phone_number_id, wa_id, last_inbound_at)
     SELECT $1 || ':' || r, $1, r, now()
     FROM (SELECT '1556' || lpad(i::text, 7, '0') AS r FROM generate_series(1, $2::int) AS i) AS recipients`,
    [PHONE_NUMBER_ID, flags.count],
  );
  await db.pool.query(
    `INSERT INTO outbox (id, conversation_id, recipient, kind, payload)
     SELECT 'bench-send-' || i, $1 || ':' || r, r, 'SendText',
            jsonb_build_object('type', 'SendText', 'id', 'bench-send-' || i, 'text', 'Your order #' || i || ' is ready for pick-up.')
     FROM (SELECT i, '1556' || lpad(i::text, 7, '0') AS r FROM generate_series(1, $2::int) AS i) AS recipients
     ORDER BY i`,
    [PHONE_NUMBER_ID, flags.count],
  );
  console.log(
    `database ${db.name}: ${flags.count} outbox rows and conversations seeded in ${ms(performance.now() - seeded)}; starting the server with WHATSAPP_MPS=${flags.mps}`,
  );

  const proxy = flags['count-queries'] ? await startCountingPgProxy(db.url) : null;
  const spawnedAt = performance.now();
  const server = await startServer({
    databaseUrl: proxy?.url ?? db.url,
    graphUrl: stub.url,
    mps: flags.mps,
    cpuProfile: flags['cpu-prof'],
  });
  const readyAt = performance.now();
  const rss = sampleProcess(server.pid);
  const shares = sampleCpuShares(server.pid);
  const statementsBefore = proxy?.statements() ?? 0;
  console.log(
    `server pid ${server.pid} ready after ${ms(readyAt - spawnedAt)}; waiting for ${flags.count} sends`,
  );
  const all = await waitFor(() => stub.received.length >= flags.count, sendWindowMs, 20);
  const memory = rss.finish();
  const cores = shares.finish();
  const statements = (proxy?.statements() ?? 0) - statementsBefore;
  // The sender records each send after the stub answers; give the last ones a moment.
  await waitFor(
    async () =>
      Number(
        (
          await db.pool.query<{ n: string }>(
            `SELECT count(*) AS n FROM outbox WHERE status IN ('pending', 'sending')`,
          )
        ).rows[0]?.n,
      ) === 0,
    5_000,
    100,
  );
  const statuses = await db.pool.query<{ status: string; n: string }>(
    `SELECT status, count(*) AS n FROM outbox GROUP BY status ORDER BY status`,
  );

  const arrivals = stub.received.map((message) => message.at).sort((a, b) => a - b);
  const first = arrivals[0] ?? Number.NaN;
  const last = arrivals[arrivals.length - 1] ?? Number.NaN;
  const spanS = (last - first) / 1000;
  const achieved = arrivals.length / spanS;
  const window = maxInWindow(arrivals, 1000);
  const distinct = new Set(stub.received.map((message) => message.body.to)).size;

  printSummary('bench:send summary', [
    [
      `${num(flags.count)} queued SendText messages to ${num(flags.count)} distinct recipients, WHATSAPP_MPS ${flags.mps}, Graph stub latency ${flags['graph-latency']} ms`,
      [
        [
          'messages received by the stub',
          num(arrivals.length),
          all ? undefined : `only, within ${num(sendWindowMs / 1000)} s`,
        ],
        ['distinct recipients / duplicates', `${num(distinct)} / ${num(arrivals.length - distinct)}`],
        [
          'achieved rate',
          `${num(achieved, 1)} msg/s`,
          `messages ÷ (last − first arrival) = ${arrivals.length} ÷ ${spanS.toFixed(3)} s`,
        ],
        [
          'ratio to configured',
          num(achieved / flags.mps, 3),
          target(`≥ ${TARGET_RATIO}`, achieved / flags.mps >= TARGET_RATIO),
        ],
        [
          'max in any 1-s sliding window',
          num(window.count),
          `${target(`never > ${flags.mps}`, window.count <= flags.mps)} (window from +${ms(window.startsAt - first)})`,
        ],
        ['server ready → first arrival', ms(first - readyAt)],
        [
          'total: server ready → last arrival',
          ms(last - readyAt),
          `spawn → last arrival ${ms(last - spawnedAt)}`,
        ],
        ['outbox by status', statuses.rows.map((row) => `${row.status} ${row.n}`).join(', ')],
        [
          'server RSS start / peak / end',
          `${mb(memory.startKb)} / ${mb(memory.peakKb)} / ${mb(memory.endKb)}`,
        ],
        [
          'server CPU time while sending',
          `${num(memory.cpuMs)} ms`,
          `${num(memory.cpuMs / Math.max(1, arrivals.length), 2)} ms per message; ${num((memory.cpuMs / memory.wallMs) * 100)}% of one core`,
        ],
        ['CPU use while sending (cores)', ...describeCpuShares(cores)],
        ...(proxy
          ? [
              [
                'SQL statements while sending',
                num(statements),
                `${num(statements / Math.max(1, arrivals.length), 2)} per message`,
              ] as Row,
            ]
          : []),
        [
          'server log warnings / errors',
          `${server.logs.warnings} / ${server.logs.errors}`,
          server.logs.last[0],
        ],
      ],
    ],
  ]);
});
