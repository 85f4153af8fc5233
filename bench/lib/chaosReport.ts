import type pg from 'pg';
import type { StubMessage } from '../../test/helpers/graphStub.js';

/** What the checks found once the server has gone quiet. */
export interface ChaosFindings {
  eventsPosted: number;
  /** Events the server never acknowledged (the deadline cut deliveries short): not its loss. */
  unacknowledged: number;
  /** Acknowledged (200) wamids with no row in inbound_events: lost. */
  lostMissing: string[];
  /** Posted wamids stored but not `done` (pending, dead...): lost once the server has gone quiet. */
  lostNotDone: { wamid: string; status: string }[];
  deadLettered: number;
  eventsByStatus: Record<string, number>;
  outboxRows: number;
  outboxNotSent: Record<string, number>;
  repliesReceived: number;
  /** Σ over outbox ids of (times the stub received it − 1). */
  duplicateReplies: number;
  /** Σ over (customer turn, recipient, content) of (times received − 1). */
  duplicateContent: number;
  /** Stub messages without our outbox id: cannot be matched, should not exist. */
  repliesWithoutId: number;
  /** Turns (message events done) for which the stub holds fewer than `expectedRepliesPerTurn` replies. */
  turnsShortOfReplies: number;
  ambiguous: {
    total: number;
    settledByStatus: number;
    resent: number;
    /** Re-sent although the stub already had it: these are the duplicates. */
    resentDuplicate: number;
    /** Re-sent and the stub had never received it: the kill came before the message left. */
    resentFirstCopy: number;
    unresolved: number;
  };
  /** Why each duplicated outbox id was sent again, judged from the first copy's `sent` status event. */
  duplicateCauses: {
    /** The status was already stored when the copy went out again, but not yet processed. */
    statusStoredNotProcessed: number;
    /** The status had been processed before the copy went out again (the re-send ignored it). */
    statusProcessedIgnored: number;
    /** No status for the first copy was stored yet when the copy went out again. */
    statusNotYetStored: number;
    /** Duplicated rows that were never marked ambiguous. */
    notAmbiguous: number;
  };
  /** Up to 2 duplicated outbox ids per cause, with the timeline that explains them. */
  duplicateExamples: DuplicateExample[];
}

export type DuplicateCause = keyof ChaosFindings['duplicateCauses'];

export interface DuplicateExample {
  outboxId: string;
  cause: DuplicateCause;
  ambiguous: boolean;
  attempts: number;
  /** Wall-clock times the stub accepted the message, with the wamid it gave each copy. */
  received: { at: string; wamid: string }[];
  /** The `sent` status event for each copy's wamid: when we stored it, when it was processed. */
  statusEvents: { wamid: string; receivedAt: string | null; processedAt: string | null; status: string }[];
}

const iso = (value: Date | string | null) => (value === null ? null : new Date(value).toISOString());

/**
 * Compares what was posted and what the Graph stub received with what the database holds.
 */
export async function checkChaosRun(options: {
  pool: pg.Pool;
  postedWamids: readonly string[];
  unacknowledgedWamids: ReadonlySet<string>;
  received: readonly StubMessage[];
  attemptsWhenInterrupted: ReadonlyMap<string, number>;
  expectedRepliesPerTurn: number;
}): Promise<ChaosFindings> {
  const { pool } = options;
  const { rows: messageEvents } = await pool.query<{ id: string; external_id: string; status: string }>(
    `SELECT id, external_id, status FROM inbound_events WHERE kind = 'message'`,
  );
  const byExternalId = new Map(messageEvents.map((row) => [row.external_id, row]));
  const wamidOfEvent = new Map(messageEvents.map((row) => [row.id, row.external_id.replace(/^wa:msg:/, '')]));
  const lostMissing: string[] = [];
  const lostNotDone: { wamid: string; status: string }[] = [];
  for (const wamid of options.postedWamids) {
    const row = byExternalId.get(`wa:msg:${wamid}`);
    if (!row) {
      if (!options.unacknowledgedWamids.has(wamid)) lostMissing.push(wamid);
    } else if (row.status !== 'done') lostNotDone.push({ wamid, status: row.status });
  }

  const { rows: statusCounts } = await pool.query<{ status: string; n: string }>(
    `SELECT status, count(*) AS n FROM inbound_events GROUP BY status`,
  );
  const eventsByStatus = Object.fromEntries(statusCounts.map((row) => [row.status, Number(row.n)]));

  const { rows: outboxRows } = await pool.query<{
    id: string;
    status: string;
    ambiguous: boolean;
    attempts: number;
  }>(`SELECT id, status, ambiguous, attempts FROM outbox`);
  const outboxNotSent: Record<string, number> = {};
  for (const row of outboxRows)
    if (row.status !== 'sent') outboxNotSent[row.status] = (outboxNotSent[row.status] ?? 0) + 1;

  const timesReceived = new Map<string, StubMessage[]>();
  const contentCount = new Map<string, number>();
  let repliesWithoutId = 0;
  for (const message of options.received) {
    const id = message.body.biz_opaque_callback_data;
    if (!id) {
      repliesWithoutId++;
      continue;
    }
    timesReceived.set(id, [...(timesReceived.get(id) ?? []), message]);
    // The same words twice in one turn would be a duplicate even under two different outbox ids.
    const eventId = /^evt-(\d+):/.exec(id)?.[1] ?? id;
    const { biz_opaque_callback_data: _id, ...content } = message.body;
    const key = `${wamidOfEvent.get(eventId) ?? eventId}|${message.body.to}|${JSON.stringify(content)}`;
    contentCount.set(key, (contentCount.get(key) ?? 0) + 1);
  }
  let duplicateReplies = 0;
  for (const copies of timesReceived.values()) duplicateReplies += copies.length - 1;
  let duplicateContent = 0;
  for (const count of contentCount.values()) duplicateContent += count - 1;

  const repliesPerEvent = new Map<string, number>();
  for (const id of timesReceived.keys()) {
    const eventId = /^evt-(\d+):/.exec(id)?.[1];
    if (eventId) repliesPerEvent.set(eventId, (repliesPerEvent.get(eventId) ?? 0) + 1);
  }
  const turnsShortOfReplies = messageEvents.filter(
    (row) => row.status === 'done' && (repliesPerEvent.get(row.id) ?? 0) < options.expectedRepliesPerTurn,
  ).length;

  const ambiguous = {
    total: 0,
    settledByStatus: 0,
    resent: 0,
    resentDuplicate: 0,
    resentFirstCopy: 0,
    unresolved: 0,
  };
  for (const row of outboxRows.filter((r) => r.ambiguous)) {
    ambiguous.total++;
    const copies = timesReceived.get(row.id)?.length ?? 0;
    const before = options.attemptsWhenInterrupted.get(row.id);
    // Unseen by the watcher means it never sat out its grace period: a status settled it at once.
    const resent = before === undefined ? copies > 1 : row.attempts > before;
    if (row.status !== 'sent') ambiguous.unresolved++;
    else if (!resent) ambiguous.settledByStatus++;
    else {
      ambiguous.resent++;
      if (copies > 1) ambiguous.resentDuplicate++;
      else ambiguous.resentFirstCopy++;
    }
  }

  const duplicated = [...timesReceived.entries()].filter(([, copies]) => copies.length > 1);
  const duplicateExamples: DuplicateExample[] = [];
  const duplicateCauses = {
    statusStoredNotProcessed: 0,
    statusProcessedIgnored: 0,
    statusNotYetStored: 0,
    notAmbiguous: 0,
  };
  const rowsById = new Map(outboxRows.map((row) => [row.id, row]));
  for (const [outboxId, copies] of duplicated) {
    const row = rowsById.get(outboxId);
    const { rows: statuses } = await pool.query<{
      external_id: string;
      received_at: Date | null;
      processed_at: Date | null;
      status: string;
    }>(
      `SELECT external_id, received_at, processed_at, status FROM inbound_events
       WHERE external_id = ANY($1::text[])`,
      [copies.map((copy) => `wa:status:${copy.wamid}:sent`)],
    );
    const [first, second] = copies as [StubMessage, StubMessage];
    const resentAt = performance.timeOrigin + second.at;
    const firstStatus = statuses.find((s) => s.external_id === `wa:status:${first.wamid}:sent`);
    let cause: DuplicateCause;
    if (!row?.ambiguous) cause = 'notAmbiguous';
    else if (!firstStatus?.received_at || new Date(firstStatus.received_at).getTime() > resentAt)
      cause = 'statusNotYetStored';
    else if (!firstStatus.processed_at || new Date(firstStatus.processed_at).getTime() > resentAt)
      cause = 'statusStoredNotProcessed';
    else cause = 'statusProcessedIgnored';
    duplicateCauses[cause]++;
    if (duplicateExamples.filter((example) => example.cause === cause).length >= 2) continue;
    duplicateExamples.push({
      outboxId,
      cause,
      ambiguous: row?.ambiguous ?? false,
      attempts: row?.attempts ?? 0,
      received: copies.map((copy) => ({
        at: new Date(performance.timeOrigin + copy.at).toISOString(),
        wamid: copy.wamid,
      })),
      statusEvents: statuses.map((s) => ({
        wamid: s.external_id.replace(/^wa:status:|:sent$/g, ''),
        receivedAt: iso(s.received_at),
        processedAt: iso(s.processed_at),
        status: s.status,
      })),
    });
  }

  return {
    eventsPosted: options.postedWamids.length,
    unacknowledged: options.unacknowledgedWamids.size,
    lostMissing,
    lostNotDone,
    deadLettered: eventsByStatus.dead ?? 0,
    eventsByStatus,
    outboxRows: outboxRows.length,
    outboxNotSent,
    repliesReceived: options.received.length,
    duplicateReplies,
    duplicateContent,
    repliesWithoutId,
    turnsShortOfReplies,
    ambiguous,
    duplicateCauses,
    duplicateExamples,
  };
}

/** The run's summary, one figure a line. */
export function formatChaosSummary(
  findings: ChaosFindings,
  run: {
    webhooks: number;
    perWebhook: number;
    deliveries: { attempts: number; acknowledged: number; failed: number };
    /** Whether the server went quiet; if not, unfinished work is reported as such, not as lost. */
    settled: boolean;
    kills: number;
    starts: number;
    unexpectedExits: number;
    medianStartupMs: number;
    readyMs: number;
    durationMs: number;
    chaosMs: number;
    settleMs: number;
    bounded: string[];
  },
): string {
  const notDone = findings.lostNotDone.length;
  const lost = findings.lostMissing.length + (run.settled ? notDone : 0);
  const unfinished = run.settled ? '' : ' (the run was cut short: work still queued, not a loss)';
  const notSent = Object.values(findings.outboxNotSent).reduce((a, b) => a + b, 0);
  const a = findings.ambiguous;
  const c = findings.duplicateCauses;
  const lines = [
    'chaos run summary',
    `  events posted:            ${findings.eventsPosted}`,
    `  deliveries:               ${run.webhooks} webhooks of up to ${run.perWebhook} messages, each sent 2–3 times: ${run.deliveries.acknowledged} acknowledged (200) of ${run.deliveries.attempts} attempts; ${run.deliveries.failed} refused or cut off`,
    `  kills (SIGKILL):          ${run.kills} (${run.starts} starts, median start-to-ready ${run.medianStartupMs} ms, up ${(run.readyMs / 1000).toFixed(1)} s in total between kills, ${run.unexpectedExits} exits not caused by us)`,
    run.settled
      ? `  events lost:              ${lost} (${findings.lostMissing.length} acknowledged but never stored, ${notDone} stored but not done)`
      : `  events lost:              ${lost} acknowledged but never stored; ${notDone} stored but not yet done${unfinished}`,
    ...(findings.unacknowledged > 0
      ? [`  never acknowledged:       ${findings.unacknowledged} events (deliveries cut by the time bound)`]
      : []),
    `  duplicate replies:        ${findings.duplicateReplies} by outbox id; ${findings.duplicateContent} by (turn, recipient, content)`,
    ...(findings.duplicateReplies > 0
      ? [
          `    why (per outbox id):    first copy's status webhook stored but still queued ${c.statusStoredNotProcessed}, not yet stored ${c.statusNotYetStored}, processed yet ignored ${c.statusProcessedIgnored}, row never ambiguous ${c.notAmbiguous}`,
        ]
      : []),
    `  replies received:         ${findings.repliesReceived} for ${findings.outboxRows} outbox rows; ${findings.turnsShortOfReplies} turns short of their replies${unfinished}; ${findings.repliesWithoutId} without an outbox id`,
    `  outbox rows not sent:     ${notSent}${notSent ? ` ${JSON.stringify(findings.outboxNotSent)}${unfinished}` : ''}`,
    `  ambiguous sends:          ${a.total} (settled by status webhook ${a.settledByStatus}, re-sent ${a.resent}: ${a.resentDuplicate} rows the stub already had, i.e. duplicated, + ${a.resentFirstCopy} that had never reached it; unresolved ${a.unresolved})`,
    `  dead-lettered events:     ${findings.deadLettered}`,
    `  inbound_events by status: ${JSON.stringify(findings.eventsByStatus)}`,
    `  duration:                 ${(run.durationMs / 1000).toFixed(1)} s (chaos ${(run.chaosMs / 1000).toFixed(1)} s, settling ${(run.settleMs / 1000).toFixed(1)} s)`,
  ];
  if (run.bounded.length > 0) lines.push(`  BOUND HIT:                ${run.bounded.join('; ')}`);
  for (const example of findings.duplicateExamples) {
    lines.push(`  duplicate ${example.outboxId}: ${JSON.stringify(example)}`);
  }
  return lines.join('\n');
}
