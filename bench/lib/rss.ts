import { readFileSync } from 'node:fs';

export interface RssSampler {
  /** Resident set size in kB, now. */
  now(): number;
  /** First sample, highest, and a sample taken now. */
  finish(): { startKb: number; peakKb: number; endKb: number; samples: number };
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

/** Samples a process's RSS every `everyMs` until finished. */
export function sampleRss(pid: number, everyMs = 200): RssSampler {
  const startKb = readRssKb(pid);
  let peakKb = startKb;
  let samples = 1;
  const timer = setInterval(() => {
    const kb = readRssKb(pid);
    samples++;
    if (kb > peakKb || !Number.isFinite(peakKb)) peakKb = kb;
  }, everyMs);
  timer.unref();
  return {
    now: () => readRssKb(pid),
    finish() {
      clearInterval(timer);
      const endKb = readRssKb(pid);
      if (endKb > peakKb) peakKb = endKb;
      return { startKb, peakKb, endKb, samples: samples + 1 };
    },
  };
}
