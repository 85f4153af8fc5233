import http from 'node:http';
import { sleep } from './runBench.js';

export interface LoadRequest {
  body: Buffer;
  headers: Record<string, string>;
}

export interface LoadResult {
  /** Requests written. */
  sent: number;
  /** Answered with 200. */
  ok: number;
  /** Answered with another status, by status. */
  statuses: Map<number, number>;
  /** Socket errors and requests aborted at their timeout or when the drain time ran out. */
  errors: number;
  /** ms from writing the request to the end of a 200 response. */
  latencies: number[];
  /** performance.now() each of `latencies` was written at, in the same order. */
  latencySentAt: number[];
  /** ms the generator wrote each request after its scheduled time (open loop only). */
  sendLag: number[];
  /** performance.now() of the first write and of the last response or error. */
  firstSentAt: number;
  lastSentAt: number;
  lastDoneAt: number;
  /** Some error messages, for the report. */
  errorSamples: string[];
  /** Connections the generator opened for this run (kept-alive ones from an earlier run not counted). */
  connectionsOpened: number;
}

interface Target {
  host: string;
  port: number;
  path: string;
}

function parseTarget(url: string): Target {
  const parsed = new URL(url);
  // Load only ever goes to this machine.
  if (parsed.hostname !== '127.0.0.1')
    throw new Error(`load generator only targets 127.0.0.1, not ${parsed.hostname}`);
  return { host: parsed.hostname, port: Number(parsed.port), path: parsed.pathname + parsed.search };
}

function emptyResult(): LoadResult {
  return {
    sent: 0,
    ok: 0,
    statuses: new Map(),
    errors: 0,
    latencies: [],
    latencySentAt: [],
    sendLag: [],
    firstSentAt: Number.NaN,
    lastSentAt: Number.NaN,
    lastDoneAt: Number.NaN,
    errorSamples: [],
    connectionsOpened: 0,
  };
}

const seenSockets = new WeakSet<object>();

/** One POST; resolves (never rejects) when answered, failed or aborted. */
function post(
  agent: http.Agent,
  target: Target,
  request: LoadRequest,
  timeoutMs: number,
  result: LoadResult,
  inFlight: Set<http.ClientRequest>,
  onSent?: (at: number) => void,
): Promise<void> {
  return new Promise((resolve) => {
    const sentAt = performance.now();
    if (!(result.firstSentAt <= sentAt)) result.firstSentAt = sentAt;
    result.lastSentAt = sentAt;
    result.sent++;
    onSent?.(sentAt);
    let settled = false;
    const settle = (error: string | null, status?: number) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      inFlight.delete(req);
      const now = performance.now();
      result.lastDoneAt = now;
      if (error !== null) {
        result.errors++;
        if (result.errorSamples.length < 5) result.errorSamples.push(error);
      } else if (status === 200) {
        result.ok++;
        result.latencies.push(now - sentAt);
        result.latencySentAt.push(sentAt);
      } else {
        result.statuses.set(status ?? 0, (result.statuses.get(status ?? 0) ?? 0) + 1);
      }
      resolve();
    };
    const req = http.request(
      {
        agent,
        host: target.host,
        port: target.port,
        path: target.path,
        method: 'POST',
        headers: { ...request.headers, 'content-length': String(request.body.length) },
      },
      (res) => {
        res.resume();
        res.once('end', () => settle(null, res.statusCode));
        res.once('error', (error) => settle(error.message));
      },
    );
    const timer = setTimeout(() => {
      settle(`timed out after ${timeoutMs} ms`);
      req.destroy();
    }, timeoutMs);
    inFlight.add(req);
    req.once('socket', (socket) => {
      if (seenSockets.has(socket)) return;
      seenSockets.add(socket);
      result.connectionsOpened++;
    });
    req.once('error', (error) => settle(error.message));
    req.end(request.body);
  });
}

export interface OpenLoopOptions {
  url: string;
  /** Requests per second, on a fixed schedule: request i is due at start + i / rate. */
  rate: number;
  seconds: number;
  /** Builds request i, just before it is written. */
  request: (i: number) => LoadRequest;
  /** Told when request i is written (performance.now()). */
  onSent?: (i: number, at: number) => void;
  maxSockets?: number;
  /**
   * Keep-alive connections to go on with, such as a warm-up's; the caller destroys it. Without
   * it the run starts with no connection and opens its own (`maxSockets`).
   */
  agent?: http.Agent;
  timeoutMs?: number;
  /** How long to wait for answers after the last request is written before aborting the rest. */
  drainMs?: number;
}

/**
 * Open-loop load: requests leave on a fixed arrival schedule whether or not earlier ones were
 * answered, over keep-alive connections. Bounded: exactly `rate × seconds` requests, then at most
 * `drainMs` of waiting.
 */
export async function runOpenLoop(options: OpenLoopOptions): Promise<LoadResult> {
  const target = parseTarget(options.url);
  const agent = options.agent ?? createLoadAgent(options.maxSockets);
  const result = emptyResult();
  const inFlight = new Set<http.ClientRequest>();
  const pending: Promise<void>[] = [];
  const total = Math.round(options.rate * options.seconds);
  const interval = 1000 / options.rate;
  const start = performance.now() + 20;
  const timeoutMs = options.timeoutMs ?? 10_000;
  let next = 0;
  await new Promise<void>((done) => {
    const tick = () => {
      const now = performance.now();
      while (next < total && start + next * interval <= now) {
        const i = next++;
        const due = start + i * interval;
        const request = options.request(i);
        result.sendLag.push(performance.now() - due);
        pending.push(
          post(agent, target, request, timeoutMs, result, inFlight, (at) => options.onSent?.(i, at)),
        );
      }
      if (next >= total) return done();
      setTimeout(tick, Math.max(0, start + next * interval - performance.now()));
    };
    setTimeout(tick, Math.max(0, start - performance.now()));
  });
  await Promise.race([Promise.all(pending), sleep(options.drainMs ?? 15_000)]);
  for (const req of inFlight) req.destroy(new Error('still unanswered when the drain time ran out'));
  await Promise.all(pending);
  if (!options.agent) agent.destroy();
  return result;
}

/** A keep-alive connection pool for `runOpenLoop`, opening at most `maxSockets` (256) connections. */
export function createLoadAgent(maxSockets = 256): http.Agent {
  return new http.Agent({ keepAlive: true, maxSockets });
}

export interface ClosedLoopOptions {
  url: string;
  /** Concurrent connections, each sending its next request as soon as the previous one is answered. */
  connections: number;
  seconds: number;
  /** Hard cap on requests, whatever the speed. */
  maxRequests: number;
  request: (i: number) => LoadRequest;
  timeoutMs?: number;
}

/** Saturation load: as fast as the server answers, bounded by time and by count. */
export async function runClosedLoop(options: ClosedLoopOptions): Promise<LoadResult> {
  const target = parseTarget(options.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.connections });
  const result = emptyResult();
  const inFlight = new Set<http.ClientRequest>();
  const endAt = performance.now() + options.seconds * 1000;
  let issued = 0;
  const worker = async () => {
    while (performance.now() < endAt && issued < options.maxRequests) {
      const i = issued++;
      await post(agent, target, options.request(i), options.timeoutMs ?? 10_000, result, inFlight);
    }
  };
  await Promise.all(Array.from({ length: options.connections }, worker));
  agent.destroy();
  return result;
}
