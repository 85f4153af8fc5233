import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface ChaosServerOptions {
  port: number;
  /** Added to this process's environment (DATABASE_URL, WHATSAPP_*, ...). */
  env: Record<string, string>;
  /** stdout and stderr of the server are appended here. */
  logFile: string;
}

export interface ChaosServer {
  readonly pid: number;
  readonly url: string;
  /** Resolves once `GET /readyz` answers 200. @throws when the process exits or `timeoutMs` passes first. */
  ready(timeoutMs: number): Promise<void>;
  /** Sends `signal` (SIGKILL unless told) and resolves when the process has gone. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly hasExited: boolean;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

/** Whatever happens to this process, no server it started outlives it. */
function installExitHook() {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

/**
 * Starts the real server (`src/main.ts` through tsx's loader) as a process of its own, so it can be
 * SIGKILLed like a crashed container. The loader runs inside that one process (`node --import tsx`,
 * what the `tsx` command runs in its child), so the pid killed is the server itself and is the pid
 * the worker writes into `inbound_events.processed_by`.
 *
 * @example const server = spawnChaosServer({ port, env, logFile }); await server.ready(60_000);
 */
export function spawnChaosServer(options: ChaosServerOptions): ChaosServer {
  installExitHook();
  const log = openSync(options.logFile, 'a');
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, ...options.env, PORT: String(options.port) },
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  if (child.pid === undefined) throw new Error('could not start the server process');
  live.add(child);
  let hasExited = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      hasExited = true;
      live.delete(child);
      resolve({ code, signal });
    });
  });
  const url = `http://127.0.0.1:${options.port}`;
  return {
    pid: child.pid,
    url,
    exited,
    get hasExited() {
      return hasExited;
    },
    async ready(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        if (hasExited) throw new Error(`server ${child.pid} exited before it was ready`);
        try {
          const response = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2_000) });
          await response.arrayBuffer();
          if (response.status === 200) return;
        } catch {
          // Not listening yet.
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error(`server ${child.pid} was not ready within ${timeoutMs} ms (see ${options.logFile})`);
    },
    async kill(signal = 'SIGKILL') {
      if (!hasExited) child.kill(signal);
      await exited;
    },
  };
}
