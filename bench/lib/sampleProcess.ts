import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

export interface ProcessSampler {
  /** First sample, highest, and a sample taken now (kB); CPU time used since the start (ms). */
  finish(): { startKb: number; peakKb: number; endKb: number; cpuMs: number; wallMs: number };
}

/** Reads VmRSS of a process from /proc (Linux), in kB; NaN when it is gone. */
export function readRssKb(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return match ? Number(match[1]) : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** CPU time (user + system, all threads) a process has used, in ms; NaN when it is gone. */
export function readCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may contain spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    // USER_HZ is 100 on Linux.
    return ticks * 10;
  } catch {
    return Number.NaN;
  }
}

/**
 * Samples a process's RSS every `everyMs` and its CPU time at start and end, until finished.
 */
export function sampleProcess(pid: number, everyMs = 200): ProcessSampler {
  const startKb = readRssKb(pid);
  const startCpu = readCpuMs(pid);
  const startWall = performance.now();
  let peakKb = startKb;
  const timer = setInterval(() => {
    const kb = readRssKb(pid);
    if (kb > peakKb || !Number.isFinite(peakKb)) peakKb = kb;
  }, everyMs);
  timer.unref();
  return {
    finish() {
      clearInterval(timer);
      const endKb = readRssKb(pid);
      if (endKb > peakKb) peakKb = endKb;
      return {
        startKb,
        peakKb,
        endKb,
        cpuMs: readCpuMs(pid) - startCpu,
        wallMs: performance.now() - startWall,
      };
    },
  };
}

/** Jiffies (1/100 s) the whole machine spent busy and in total, from /proc/stat. */
function readMachineTicks(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const values = line.trim().split(/\s+/).slice(1).map(Number);
  const total = values.reduce((sum, value) => sum + value, 0);
  const idle = (values[3] ?? 0) + (values[4] ?? 0);
  return { busy: total - idle, total };
}

/** CPU ms used so far by every process named `postgres` (all backends and the server's helpers). */
function readPostgresCpuMs(): number {
  let sum = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) !== 'postgres') continue;
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      sum += (Number(fields[11]) + Number(fields[12])) * 10;
    } catch {
      // the process ended meanwhile
    }
  }
  return sum;
}

export interface CpuShares {
  /** Cores' worth of CPU used over the interval by each party; `cores` is what the machine has. */
  machine: number;
  server: number;
  postgres: number;
  bench: number;
  other: number;
  cores: number;
}

/**
 * Who used the machine's CPUs between start and finish: the server, PostgreSQL (every backend,
 * whatever database), this bench process (load generator and Graph stub) and everything else.
 */
export function sampleCpuShares(serverPid: number): { finish(): CpuShares } {
  const machine0 = readMachineTicks();
  const server0 = readCpuMs(serverPid);
  const postgres0 = readPostgresCpuMs();
  const bench0 = process.cpuUsage();
  const wall0 = performance.now();
  return {
    finish() {
      const wallMs = performance.now() - wall0;
      const machine1 = readMachineTicks();
      const cores = availableParallelism();
      const machineMs =
        ((machine1.busy - machine0.busy) / (machine1.total - machine0.total)) * wallMs * cores;
      const server = readCpuMs(serverPid) - server0;
      const postgres = readPostgresCpuMs() - postgres0;
      const benchUsage = process.cpuUsage(bench0);
      const bench = (benchUsage.user + benchUsage.system) / 1000;
      const other = Math.max(0, machineMs - server - postgres - bench);
      return {
        machine: machineMs / wallMs,
        server: server / wallMs,
        postgres: postgres / wallMs,
        bench: bench / wallMs,
        other: other / wallMs,
        cores,
      };
    },
  };
}

/** Fraction of the machine's CPUs busy over `ms`, before a bench starts anything. */
export async function measureIdleMachine(ms = 1_000): Promise<number> {
  const before = readMachineTicks();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const after = readMachineTicks();
  return (after.busy - before.busy) / Math.max(1, after.total - before.total);
}

/** A summary row: ["1.93 of 2 cores busy", "server 0.80, PostgreSQL 0.85, bench 0.25, other 0.03"]. */
export function describeCpuShares(shares: CpuShares): [string, string] {
  const f = (value: number) => value.toFixed(2);
  return [
    `${f(shares.machine)} of ${shares.cores} busy`,
    `server ${f(shares.server)}, PostgreSQL ${f(shares.postgres)}, bench (load + stub) ${f(shares.bench)}, other ${f(shares.other)}`,
  ];
}
