/**
 * A broadcast at the number's rate while customers keep chatting: N opted-in recipients of one
 * template broadcast, sent through the outbox at WHATSAPP_MPS to a local Graph stub, with new
 * conversations arriving the whole time. Prints the achieved rate against the configured one
 * (target ≥ 0.95, never above in any one-second window) and the chat reply latency with and
 * without the broadcast. See bench/README.md.
 */
import { randomBytes } from 'node:crypto';
import { openStore } from '../src/store/index.js';
import { freePort } from '../test/helpers/freePort.js';
import { startGraphStub } from '../test/helpers/graphStub.js';
import { createDatabase } from './lib/createDatabase.js';
import { runOpenLoop } from './lib/loadGenerator.js';
import { latencyRows, ms, num, printSummary, target } from './lib/printSummary.js';
import { readFlags } from './lib/readFlags.js';
import { onCleanup, runBench, waitFor } from './lib/runBench.js';
import { describeCpuShares, sampleCpuShares } from './lib/sampleProcess.js';
import { customer, signedTextWebhook } from './lib/signedTextWebhook.js';
import { startServer } from './lib/startServer.js';
import { maxInWindow, summarize } from './lib/stats.js';

const flags = readFlags('bench:broadcast', {
  recipients: { default: 5_000, help: 'opted-in contacts the broadcast goes to' },
  mps: { default: 300, help: 'WHATSAPP_MPS of the server' },
  'chat-rate': { default: 20, help: 'new conversations per second ("hi") during the whole run' },
  'idle-seconds': { default: 3, help: 'seconds of chat alone first, for the idle reply latency' },
  'graph-latency': { default: 0, help: 'ms the Graph stub waits before answering a send' },
});
const TARGET_RATIO = 0.95;
const broadcastSeconds = flags.recipients / flags.mps;
const timeoutMs = (flags['idle-seconds'] + broadcastSeconds * 3 + 120) * 1000;

runBench('bench:broadcast', timeoutMs, async () => {
  const port = await freePort();
  const appSecret = randomBytes(16).toString('hex');
  const stub = await startGraphStub({ latencyMs: flags['graph-latency'] });
  onCleanup('close graph stub', () => stub.close());
  const db = await createDatabase();
  const store = await openStore({ databaseUrl: db.url, poolSize: 1 });
  await store.close();
  // Opted-in contacts, as if they had said yes on a form (the consent the broadcast requires).
  await db.pool.query(
    `INSERT INTO contacts (wa_id, name, locale, opted_out, consent_changed_at, consent_source)
     SELECT '1444' || lpad(i::text, 7, '0'), 'Guest ' || i, 'en', false, now(), 'bench'
     FROM generate_series(1, $1::int) AS i`,
    [flags.recipients],
  );
  const server = await startServer({
    databaseUrl: db.url,
    graphUrl: stub.url,
    mps: flags.mps,
    port,
    appSecret,
    env: { BROADCAST_SEND_HOURS: '00:00-24:00' },
  });
  const webhookUrl = `${server.url}/webhooks/whatsapp`;
  console.log(
    `server pid ${server.pid}, database ${db.name}, WHATSAPP_MPS ${flags.mps}: ${flags['idle-seconds']} s of chat alone at ${flags['chat-rate']} conversations/s, then a broadcast to ${flags.recipients} recipients with the chat going on`,
  );

  // Chat replies: first reply to each new customer, from webhook write to the stub.
  const sentAt = new Map<string, number>();
  const replyMs = new Map<string, number>();
  stub.onMessage((message) => {
    const to = message.body.to ?? '';
    const at = sentAt.get(to);
    if (at !== undefined && !replyMs.has(to) && message.body.type !== 'template')
      replyMs.set(to, message.at - at);
  });
  const chat = (seconds: number, offset: number) =>
    runOpenLoop({
      url: webhookUrl,
      rate: flags['chat-rate'],
      seconds,
      request: (i) => signedTextWebhook([{ from: customer(i, offset), body: 'hi' }], appSecret),
      onSent: (i, at) => sentAt.set(customer(i, offset), at),
    });
  const latenciesOf = (offset: number, count: number) =>
    Array.from({ length: count }, (_, i) => replyMs.get(customer(i, offset))).filter(
      (value): value is number => value !== undefined,
    );

  const idleCount = Math.round(flags['idle-seconds'] * flags['chat-rate']);
  await chat(flags['idle-seconds'], 1_000_000);
  await waitFor(() => latenciesOf(1_000_000, idleCount).length >= idleCount, 10_000, 20);
  const idle = summarize(latenciesOf(1_000_000, idleCount));

  const call = async (path: string, body: unknown) => {
    const response = await fetch(`${server.url}/api${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.apiToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
    return response.json() as Promise<Record<string, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any
  };
  const previewStarted = performance.now();
  const draft = await call('/broadcasts', {
    name: 'Bench broadcast',
    template: 'spring_offer',
    variables: { name: { field: 'name', fallback: 'there' }, offer: { text: '20% off colour' } },
    audience: { type: 'contacts' },
    frequencyCapHours: 24,
  });
  const previewMs = performance.now() - previewStarted;
  const willReceive = draft.preview.willReceive as number;
  if (willReceive !== flags.recipients)
    throw new Error(`the dry run found ${willReceive} recipients, expected ${flags.recipients}`);
  const shares = sampleCpuShares(server.pid);
  const confirmedAt = performance.now();
  await call(`/broadcasts/${draft.broadcast.id}/confirm`, { expectedRecipients: willReceive });

  const busyCount = Math.round(broadcastSeconds * flags['chat-rate']);
  const load = chat(broadcastSeconds, 2_000_000);
  const templates = () => stub.received.filter((m) => m.body.type === 'template');
  const all = await waitFor(
    () => templates().length >= flags.recipients,
    broadcastSeconds * 3000 + 30_000,
    20,
  );
  await load;
  await waitFor(() => latenciesOf(2_000_000, busyCount).length >= busyCount, 10_000, 20);
  const cores = shares.finish();
  const busy = summarize(latenciesOf(2_000_000, busyCount));

  const sends = templates()
    .map((m) => m.at)
    .sort((a, b) => a - b);
  const first = sends[0] as number;
  const last = sends[sends.length - 1] as number;
  const spanS = (last - first) / 1000;
  const broadcastRate = sends.length / spanS;
  // Every message the number sent while the broadcast ran, chat replies included.
  const during = stub.received.map((m) => m.at).filter((at) => at >= first && at <= last);
  const totalRate = during.length / spanS;
  const window = maxInWindow(
    stub.received.map((m) => m.at).sort((a, b) => a - b),
    1000,
  );
  const distinct = new Set(templates().map((m) => m.body.to)).size;

  printSummary('bench:broadcast summary', [
    [
      `${num(flags.recipients)} recipients, WHATSAPP_MPS ${flags.mps}, ${flags['chat-rate']} new conversations/s throughout, Graph stub latency ${flags['graph-latency']} ms`,
      [
        ['dry run (preview of all recipients)', ms(previewMs)],
        ['broadcast messages received by the stub', num(sends.length), all ? undefined : 'NOT ALL'],
        ['distinct recipients / duplicates', `${num(distinct)} / ${num(sends.length - distinct)}`],
        ['confirm → first broadcast message', ms(first - confirmedAt)],
        [
          'broadcast rate',
          `${num(broadcastRate, 1)} msg/s`,
          `${sends.length} ÷ ${spanS.toFixed(3)} s (first → last broadcast message)`,
        ],
        [
          'all sends in that span (broadcast + chat)',
          `${num(totalRate, 1)} msg/s`,
          `${during.length} messages`,
        ],
        [
          'ratio to configured: all sends',
          num(totalRate / flags.mps, 3),
          target(`≥ ${TARGET_RATIO}`, totalRate / flags.mps >= TARGET_RATIO),
        ],
        [
          'ratio to configured: broadcast alone',
          num(broadcastRate / flags.mps, 3),
          'the rest of the rate went to chat replies, which go first',
        ],
        [
          'max sends in any 1-s window',
          num(window.count),
          target(`never > ${flags.mps}`, window.count <= flags.mps),
        ],
      ],
    ],
    [
      'Chat replies (webhook → first reply at the stub)',
      [
        ...latencyRows('idle', idle),
        ...latencyRows('during the broadcast', busy, {
          p99: target(`≤ 2 × idle p99 (${ms(idle.p99 * 2)})`, busy.p99 <= idle.p99 * 2),
        }),
        ['conversations measured idle / during', `${idle.count} / ${busy.count}`],
      ],
    ],
    [
      'Server',
      [
        ['CPU use during the broadcast (cores)', ...describeCpuShares(cores)],
        ['log warnings / errors', `${server.logs.warnings} / ${server.logs.errors}`, server.logs.last[0]],
      ],
    ],
  ]);
});
