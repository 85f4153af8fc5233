/**
 * Crash test against the real server: thousands of customer messages, each webhook delivered 2–3
 * times in a shuffled order, while the server process is SIGKILLed about every second and
 * restarted at once. Then the server is left alone until everything has settled, and the run
 * counts what was lost, what was sent twice, and how the sends interrupted by a kill resolved.
 *
 *   npm run test:chaos -- --events 1000
 *
 * Options: --events (10000), --per-customer (4), --per-webhook (5: messages batched into one POST,
 * as Meta does when it has a backlog), --max-minutes (10), --mps (200), --worker-concurrency (16),
 * --grace-ms (5000: AMBIGUOUS_SEND_GRACE_MS, far below the default 30 s, to stress reconciliation).
 * PostgreSQL: CHAOS_DATABASE_URL or DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres)
 * names a server where a scratch database is created and dropped.
 * Exits 1 when an event was lost, a reply was sent twice, a row was left unsent or a bound was hit.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type pg from 'pg';
import { startGraphStub, type GraphStub } from '../test/helpers/graphStub.js';
import { watchAmbiguousSends } from './lib/chaosAmbiguity.js';
import { createScratchDatabase, type ScratchDatabase } from '../test/helpers/scratchDatabase.js';
import { buildChaosEvents, buildChaosWebhooks, deliverChaosWebhooks } from './lib/chaosDeliveries.js';
import { checkChaosRun, formatChaosSummary } from './lib/chaosReport.js';
import { spawnChaosServer } from './lib/chaosServer.js';
import { startChaosSupervisor, type ChaosSupervisor } from './lib/chaosSupervisor.js';
import { freePort } from '../test/helpers/freePort.js';
import { liveServerEnv } from '../test/helpers/liveServerEnv.js';

const PHONE_NUMBER_ID = '106540352242922';
const REPLIES_PER_GREETING = 2;

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '10000' },
    'per-customer': { type: 'string', default: '4' },
    'max-minutes': { type: 'string', default: '10' },
    mps: { type: 'string', default: '200' },
    'worker-concurrency': { type: 'string', default: '16' },
    'per-webhook': { type: 'string', default: '5' },
    'grace-ms': { type: 'string', default: '5000' },
  },
});
const positive = (name: string, raw: string | undefined) => {
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) {
    console.error(`--${name} expects a whole number above 0, got ${raw}`);
    process.exit(2);
  }
  return value;
};
const perCustomer = positive('per-customer', values['per-customer']);
const customers = Math.max(1, Math.round(positive('events', values.events) / perCustomer));
const budgetMs = positive('max-minutes', values['max-minutes']) * 60_000;
const mps = positive('mps', values.mps);
const workerConcurrency = positive('worker-concurrency', values['worker-concurrency']);
const perWebhook = positive('per-webhook', values['per-webhook']);
const graceMs = positive('grace-ms', values['grace-ms']);

const log = (message: string) => console.log(`[chaos ${new Date().toISOString().slice(11, 19)}] ${message}`);

async function countBacklog(pool: pg.Pool) {
  const { rows } = await pool.query<{ events: string; outbox: string }>(
    `SELECT (SELECT count(*) FROM inbound_events WHERE status = 'pending') AS events,
            (SELECT count(*) FROM outbox WHERE status IN ('pending', 'sending')) AS outbox`,
  );
  return { events: Number(rows[0]?.events ?? 0), outbox: Number(rows[0]?.outbox ?? 0) };
}

/** Waits, without kills, until no event is pending, no send is due or in flight, and the stub is still. */
async function waitForQuiet(pool: pg.Pool, stub: GraphStub, deadline: number): Promise<boolean> {
  let quietPolls = 0;
  let lastReceived = -1;
  while (Date.now() < deadline) {
    const backlog = await countBacklog(pool).catch(() => ({ events: -1, outbox: -1 }));
    const still = stub.received.length === lastReceived;
    lastReceived = stub.received.length;
    quietPolls = backlog.events === 0 && backlog.outbox === 0 && still ? quietPolls + 1 : 0;
    // Three quiet seconds in a row: status webhooks the stub is still retrying would have landed.
    if (quietPolls >= 3) return true;
    if (quietPolls === 0 && Math.random() < 0.2)
      log(`settling: ${backlog.events} events pending, ${backlog.outbox} sends pending or in flight`);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
  return false;
}

async function main(): Promise<number> {
  const started = Date.now();
  const runId = randomBytes(4).toString('hex');
  const appSecret = randomBytes(24).toString('hex');
  const baseUrl =
    process.env.CHAOS_DATABASE_URL ??
    process.env.DATABASE_URL ??
    'postgres://postgres@127.0.0.1:5432/postgres';
  const logFile = path.join(os.tmpdir(), `wca-chaos-${runId}.log`);
  let db: ScratchDatabase | null = null;
  let stub: GraphStub | null = null;
  let supervisor: ChaosSupervisor | null = null;
  let cleaned = false;
  const cleanUp = async () => {
    if (cleaned) return;
    cleaned = true;
    await supervisor?.shutdown().catch(() => undefined);
    await stub?.close().catch(() => undefined);
    await db?.drop().catch((error: unknown) => console.error(`could not drop ${db?.name}: ${String(error)}`));
  };
  const onSignal = () => {
    log('interrupted; cleaning up');
    void cleanUp().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    db = await createScratchDatabase(baseUrl, 'wca_chaos');
    const port = await freePort();
    const serverUrl = `http://127.0.0.1:${port}`;
    stub = await startGraphStub({
      statusWebhook: {
        url: `${serverUrl}/webhooks/whatsapp`,
        appSecret,
        phoneNumberId: PHONE_NUMBER_ID,
        retryMs: 500,
      },
    });
    const env = {
      ...liveServerEnv({
        databaseUrl: db.url,
        graphUrl: stub.url,
        appSecret,
        phoneNumberId: PHONE_NUMBER_ID,
        dataDir: path.join(os.tmpdir(), `wca-chaos-${runId}-data`),
      }),
      WHATSAPP_TIMEOUT_MS: '2000',
      AMBIGUOUS_SEND_GRACE_MS: String(graceMs),
      WHATSAPP_MPS: String(mps),
      WORKER_CONCURRENCY: String(workerConcurrency),
    };
    const events = buildChaosEvents({ customers, perCustomer, runId });
    const webhooks = buildChaosWebhooks(events, { perWebhook, phoneNumberId: PHONE_NUMBER_ID, appSecret });
    log(
      `${events.length} events (${customers} customers × ${perCustomer}) in ${webhooks.length} webhooks, database ${db.name}, server ${serverUrl}, log ${logFile}`,
    );
    log(
      `SIGKILL 0.7–1.5 s after each start answers /readyz; WHATSAPP_TIMEOUT_MS=2000, AMBIGUOUS_SEND_GRACE_MS=${graceMs}, WHATSAPP_MPS=${mps}, WORKER_CONCURRENCY=${workerConcurrency}`,
    );

    supervisor = startChaosSupervisor({
      spawn: () => spawnChaosServer({ port, env, logFile }),
      uptimeMs: [700, 1_500],
      startTimeoutMs: 60_000,
      maxFailedStarts: 5,
      onEvent: log,
    });
    const watch = watchAmbiguousSends(db.pool, 500, Math.ceil(budgetMs / 500));
    const chaosSupervisor = supervisor;
    const deliveries = await deliverChaosWebhooks({
      url: serverUrl,
      webhooks,
      eventCount: events.length,
      concurrency: 16,
      // Leave a quarter of the budget for settling and the checks.
      deadline: started + budgetMs * 0.75,
      shouldStop: () => chaosSupervisor.fatal !== null,
      onProgress: (o) =>
        log(
          `delivering: ${o.eventsAcknowledged}/${events.length} events acknowledged, ${o.attempts} attempts, ${chaosSupervisor.kills} kills`,
        ),
    });
    const chaosMs = Date.now() - started;
    const bounded: string[] = [];
    if (supervisor.fatal) throw supervisor.fatal;
    if (deliveries.unacknowledged.length > 0)
      bounded.push(`${deliveries.unacknowledged.length} events never acknowledged before the deadline`);
    log(
      `all deliveries done (${deliveries.eventsAcknowledged} events acknowledged) after ${supervisor.kills} kills; no more kills, settling`,
    );

    const calmStarted = Date.now();
    await supervisor.calm();
    const quiet = await waitForQuiet(db.pool, stub, started + budgetMs - 15_000);
    if (!quiet) bounded.push('the server did not go quiet within the time bound');
    const settleMs = Date.now() - calmStarted;
    await watch.stop();

    const findings = await checkChaosRun({
      pool: db.pool,
      postedWamids: events.map((event) => event.wamid),
      unacknowledgedWamids: new Set(deliveries.unacknowledged.map((index) => events[index]?.wamid ?? '')),
      received: stub.received,
      attemptsWhenInterrupted: watch.attemptsWhenInterrupted,
      expectedRepliesPerTurn: REPLIES_PER_GREETING,
    });
    const startup = [...supervisor.startupMs].sort((a, b) => a - b);
    console.log(
      formatChaosSummary(findings, {
        webhooks: webhooks.length,
        perWebhook,
        deliveries,
        settled: quiet,
        kills: supervisor.kills,
        starts: supervisor.starts,
        unexpectedExits: supervisor.unexpectedExits,
        medianStartupMs: startup[Math.floor(startup.length / 2)] ?? 0,
        readyMs: supervisor.readyMs,
        durationMs: Date.now() - started,
        chaosMs,
        settleMs,
        bounded,
      }),
    );
    const lost = findings.lostMissing.length + findings.lostNotDone.length;
    const notSent = Object.values(findings.outboxNotSent).reduce((a, b) => a + b, 0);
    const failed =
      lost + findings.duplicateReplies + findings.duplicateContent + notSent + findings.deadLettered > 0 ||
      bounded.length > 0;
    if (!failed) rmSync(logFile, { force: true });
    else log(`server log kept in ${logFile}`);
    return failed ? 1 : 0;
  } catch (error) {
    console.error(
      `chaos run failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
    try {
      console.error(
        `last lines of ${logFile}:\n${readFileSync(logFile, 'utf8').split('\n').slice(-20).join('\n')}`,
      );
    } catch {
      // No log yet.
    }
    return 1;
  } finally {
    await cleanUp();
  }
}

process.exitCode = await main();
