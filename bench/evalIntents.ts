/**
 * Intent accuracy on a labelled JSONL file (`{"text","intent","lang"}` per line): accuracy and
 * macro-F1 per language, precision/recall/F1 per intent, and the most frequent confusions.
 *
 *   npm run eval:intents -- [file.jsonl] [--half even|odd] [--llm]
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import { classifyIntent, getIntentModel } from '../src/understanding/classifyIntent.js';
import { normalizeText } from '../src/understanding/normalizeText.js';

const lineSchema = z.object({ text: z.string(), intent: z.string(), lang: z.string() });
type Line = z.infer<typeof lineSchema>;

const args = process.argv.slice(2);
const file =
  args.find((a) => !a.startsWith('--') && !['even', 'odd'].includes(a)) ??
  '../shared/datasets/intents-dev.jsonl';
const halfIndex = args.indexOf('--half');
const half = halfIndex >= 0 ? args[halfIndex + 1] : undefined;

const lines: Line[] = readFileSync(file, 'utf8')
  .split('\n')
  .map((raw, i) => ({ raw: raw.trim(), number: i + 1 }))
  .filter(({ raw, number }) => raw && (!half || (half === 'even' ? number % 2 === 0 : number % 2 === 1)))
  .map(({ raw, number }) => {
    const parsed = lineSchema.safeParse(JSON.parse(raw));
    if (!parsed.success) throw new Error(`${file}:${number}: ${parsed.error.issues[0]?.message}`);
    return parsed.data;
  });

const trainStart = performance.now();
getIntentModel();
const trainMs = performance.now() - trainStart;

const start = performance.now();
const predictions = lines.map((line) => classifyIntent(normalizeText(line.text)).intent as string);
const perMessageMs = (performance.now() - start) / lines.length;

interface Scores {
  accuracy: number;
  macroF1: number;
  macroF1Gold: number;
  perIntent: Map<string, { p: number; r: number; f1: number; support: number }>;
}

function score(gold: string[], predicted: string[]): Scores {
  const labels = [...new Set([...gold, ...predicted])].sort();
  const perIntent = new Map<string, { p: number; r: number; f1: number; support: number }>();
  for (const label of labels) {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    gold.forEach((g, i) => {
      const p = predicted[i];
      if (g === label && p === label) tp++;
      else if (p === label) fp++;
      else if (g === label) fn++;
    });
    const p = tp + fp ? tp / (tp + fp) : 0;
    const r = tp + fn ? tp / (tp + fn) : 0;
    perIntent.set(label, { p, r, f1: p + r ? (2 * p * r) / (p + r) : 0, support: tp + fn });
  }
  const all = [...perIntent.values()];
  const inGold = [...perIntent.entries()].filter(([label]) => gold.includes(label)).map(([, s]) => s);
  return {
    accuracy: gold.filter((g, i) => g === predicted[i]).length / gold.length,
    macroF1: all.reduce((sum, s) => sum + s.f1, 0) / all.length,
    macroF1Gold: inGold.reduce((sum, s) => sum + s.f1, 0) / inGold.length,
    perIntent,
  };
}

const pct = (x: number) => (100 * x).toFixed(1).padStart(5);
console.log(`file: ${file}${half ? ` (${half} lines)` : ''}, ${lines.length} lines`);
console.log(
  `offline classifier: trained in ${trainMs.toFixed(0)} ms, ${perMessageMs.toFixed(3)} ms per message\n`,
);
console.log('lang   lines  accuracy  macro-F1  macro-F1 (gold intents only)');
const languages = [...new Set(lines.map((l) => l.lang))].sort();
for (const lang of [...languages, 'all']) {
  const idx = lines.flatMap((l, i) => (lang === 'all' || l.lang === lang ? [i] : []));
  const s = score(
    idx.map((i) => (lines[i] as Line).intent),
    idx.map((i) => predictions[i] as string),
  );
  console.log(
    `${lang.padEnd(5)} ${String(idx.length).padStart(6)}   ${pct(s.accuracy)}     ${pct(s.macroF1)}     ${pct(s.macroF1Gold)}`,
  );
}

const overall = score(
  lines.map((l) => l.intent),
  predictions,
);
console.log('\nintent                         support  precision  recall    F1');
for (const [label, s] of overall.perIntent) {
  console.log(
    `${label.padEnd(30)} ${String(s.support).padStart(7)}    ${pct(s.p)}   ${pct(s.r)}  ${pct(s.f1)}`,
  );
}

const confusions = new Map<string, { count: number; examples: string[] }>();
lines.forEach((line, i) => {
  const predicted = predictions[i] as string;
  if (predicted === line.intent) return;
  const key = `${line.intent} → ${predicted}`;
  const entry = confusions.get(key) ?? { count: 0, examples: [] };
  entry.count++;
  if (entry.examples.length < (args.includes('--verbose') ? 50 : 2))
    entry.examples.push(`[${line.lang}] ${line.text}`);
  confusions.set(key, entry);
});
console.log('\ntop confusions (gold → predicted)');
for (const [key, { count, examples }] of [...confusions]
  .sort((a, b) => b[1].count - a[1].count)
  .slice(0, 12)) {
  console.log(`${String(count).padStart(4)}  ${key}`);
  for (const example of examples) console.log(`        ${example}`);
}
