import { describeMachine } from './runBench.js';
import type { Distribution } from './stats.js';

export type Row = [label: string, value: string, note?: string];

export const ms = (value: number) => (Number.isFinite(value) ? `${value.toFixed(1)} ms` : 'n/a');
export const num = (value: number, digits = 0) =>
  Number.isFinite(value)
    ? value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : 'n/a';
export const mb = (kb: number) => (Number.isFinite(kb) ? `${(kb / 1024).toFixed(1)} MB` : 'n/a');

/** "target ≤ 25 ms: met" — a target is printed next to its figure, never asserted. */
export function target(description: string, met: boolean): string {
  return `target ${description}: ${met ? 'met' : 'MISSED'}`;
}

/** The four usual figures of a latency distribution as rows. */
export function latencyRows(
  label: string,
  d: Distribution,
  notes: Partial<Record<'p50' | 'p99', string>> = {},
): Row[] {
  return [
    [`${label} p50`, ms(d.p50), notes.p50],
    [`${label} p90`, ms(d.p90)],
    [`${label} p99`, ms(d.p99), notes.p99],
    [`${label} max`, ms(d.max)],
  ];
}

/** Prints an aligned block; sections are separated by a blank line and titled. */
export function printSummary(title: string, sections: [heading: string, rows: Row[]][]): void {
  const width = Math.max(...sections.flatMap(([, rows]) => rows.map(([label]) => label.length)));
  const valueWidth = Math.max(...sections.flatMap(([, rows]) => rows.map(([, value]) => value.length)));
  const lines = ['', `===== ${title} =====`, `Machine: ${describeMachine()}`];
  for (const [heading, rows] of sections) {
    lines.push(heading);
    for (const [label, value, note] of rows) {
      lines.push(`  ${label.padEnd(width)}  ${value.padStart(valueWidth)}${note ? `   ${note}` : ''}`);
    }
  }
  lines.push('='.repeat(title.length + 12), '');
  console.log(lines.join('\n'));
}
