/**
 * The outbound rate limiter on its own (`src/whatsapp/createSendLimiter.ts`, in-process mode): how
 * many sends per second it lets start when they are all queued at once, with the event loop idle or
 * kept busy by other work. No server, no network. See bench/README.md.
 */
import { createSendLimiter } from '../src/whatsapp/createSendLimiter.js';
import { printSummary, num, ms, target } from './lib/printSummary.js';
import { readFlags } from './lib/readFlags.js';
import { runBench } from './lib/runBench.js';
import { maxInWindow } from './lib/stats.js';

const flags = readFlags('bench:limiter', {
  mps: { default: 1000, help: 'WHATSAPP_MPS given to the limiter' },
  count: { default: 5000, help: 'sends queued at once' },
  'busy-ms': {
    default: '0,0.5,2',
    help: 'ms of other synchronous work per event-loop turn, one run per value',
  },
});
const busyValues = flags['busy-ms'].split(',').map(Number);
if (busyValues.some((value) => !Number.isFinite(value) || value < 0 || value > 50)) {
  console.error('--busy-ms: expected a comma-separated list of numbers from 0 to 50');
  process.exit(64);
}
const timeoutMs = busyValues.length * ((flags.count / flags.mps) * 20 + 10) * 1000;

runBench('bench:limiter', timeoutMs, async () => {
  const rows: [string, string, string?][] = [];
  for (const busyMs of busyValues) {
    const limiter = createSendLimiter({ mps: flags.mps, phoneNumberId: '106540352242922' });
    let stop = false;
    // Stands for everything else the server does between two turns of the event loop.
    const burn = () => {
      if (stop) return;
      const until = performance.now() + busyMs;
      while (performance.now() < until);
      setImmediate(burn);
    };
    if (busyMs > 0) setImmediate(burn);
    const starts: number[] = [];
    await Promise.all(
      Array.from({ length: flags.count }, () =>
        limiter.schedule(async () => {
          starts.push(performance.now());
        }),
      ),
    );
    stop = true;
    await limiter.stop();
    const first = starts[0] as number;
    const spanS = ((starts[starts.length - 1] as number) - first) / 1000;
    const rate = starts.length / spanS;
    const window = maxInWindow(starts, 1000);
    rows.push(
      [
        `busy ${busyMs} ms per loop turn: starts`,
        `${num(rate, 1)} /s`,
        `ratio ${num(rate / flags.mps, 3)}; ${target('≥ 0.95', rate / flags.mps >= 0.95)}`,
      ],
      [
        `busy ${busyMs} ms per loop turn: max in 1 s`,
        num(window.count),
        target(`never > ${flags.mps}`, window.count <= flags.mps),
      ],
      [`busy ${busyMs} ms per loop turn: total`, ms(spanS * 1000)],
    );
  }
  printSummary('bench:limiter summary', [
    [
      `createSendLimiter({ mps: ${flags.mps} }) without Redis, ${num(flags.count)} no-op sends queued at once`,
      rows,
    ],
  ]);
});
