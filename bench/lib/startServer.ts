import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { onCleanup, onExit, sleep } from './runBench.js';
import { freePort } from '../../test/helpers/freePort.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** Where CPU profiles go (git-ignored). */
export const OUT_DIR = path.join(ROOT, 'bench', 'out', 'cpu-prof');
export const PHONE_NUMBER_ID = '106540352242922';

export interface ServerOptions {
  databaseUrl: string;
  graphUrl: string;
  mps: number;
  workerConcurrency?: number;
  /** Write a V8 CPU profile of the server into bench/out/ when it stops. */
  cpuProfile?: boolean;
  /** Listen here instead of a free port found at start (for a stub that must know it first). */
  port?: number;
  /** WHATSAPP_APP_SECRET; random when not given. */
  appSecret?: string;
  /** Extra environment variables. */
  env?: Record<string, string>;
}

export interface BenchServer {
  pid: number;
  port: number;
  /** `http://127.0.0.1:<port>` */
  url: string;
  appSecret: string;
  apiToken: string;
  /** Pino lines at warn and error level seen so far, and the last few of them. */
  logs: { warnings: number; errors: number; last: string[] };
  /** SIGTERM, then SIGKILL after `graceMs`. Safe to call twice. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Starts the real server (`src/main.ts`) in LIVE mode against the given database and Graph stub,
 * and waits for `GET /readyz` to answer 200. It runs as `node --import tsx src/main.ts`, the same
 * thing `tsx src/main.ts` does but in one process, so the pid is the server's own (RSS, profiles).
 * Only a minimal environment is passed on, so nothing from the shell (an OpenAI key, a Redis URL)
 * changes what is measured.
 */
export async function startServer(options: ServerOptions): Promise<BenchServer> {
  const port = options.port ?? (await freePort());
  const appSecret = options.appSecret ?? randomBytes(16).toString('hex');
  const apiToken = randomBytes(18).toString('hex');
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    PORT: String(port),
    PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
    DATABASE_URL: options.databaseUrl,
    WHATSAPP_ACCESS_TOKEN: 'bench-token',
    WHATSAPP_PHONE_NUMBER_ID: PHONE_NUMBER_ID,
    WHATSAPP_APP_SECRET: appSecret,
    API_TOKEN: apiToken,
    WHATSAPP_GRAPH_URL: options.graphUrl,
    WHATSAPP_MPS: String(options.mps),
    LOG_LEVEL: 'warn',
    ...(options.workerConcurrency ? { WORKER_CONCURRENCY: String(options.workerConcurrency) } : {}),
    ...options.env,
  };
  const nodeArgs = ['--import', 'tsx'];
  if (options.cpuProfile) {
    mkdirSync(OUT_DIR, { recursive: true });
    nodeArgs.push('--cpu-prof', '--cpu-prof-dir', OUT_DIR);
  }
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, 'src/main.ts'], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let exited = child.exitCode !== null;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  onExit(() => {
    if (!exited) child.kill('SIGKILL');
  });

  const logs = { warnings: 0, errors: 0, last: [] as string[] };
  let output = '';
  const keep = (line: string) => {
    logs.last.push(line.slice(0, 400));
    if (logs.last.length > 5) logs.last.shift();
  };
  const onData = (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    output = (output + text).slice(-8_000);
    for (const line of text.split('\n')) {
      if (line.includes('"level":40')) {
        logs.warnings++;
        keep(line);
      } else if (line.includes('"level":50') || line.includes('"level":60')) {
        logs.errors++;
        keep(line);
      }
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);

  const stop = async (graceMs = 15_000) => {
    if (exited) return;
    child.kill('SIGTERM');
    const killed = await Promise.race([exit.then(() => false), sleep(graceMs).then(() => true)]);
    if (killed && !exited) {
      child.kill('SIGKILL');
      await exit;
    }
  };
  onCleanup('stop server', () => stop());

  const url = `http://127.0.0.1:${port}`;
  const until = performance.now() + 60_000;
  for (;;) {
    if (exited) throw new Error(`the server exited during start-up:\n${output}`);
    try {
      const response = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(1_000) });
      if (response.status === 200) break;
    } catch {
      // not listening yet
    }
    if (performance.now() > until) throw new Error(`the server was not ready within 60 s:\n${output}`);
    await sleep(100);
  }
  return { pid: child.pid as number, port, url, appSecret, apiToken, logs, stop };
}
