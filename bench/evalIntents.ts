/**
 * Intent accuracy on a labelled JSONL file (`{"text","intent","lang"}` per line): accuracy and
 * macro-F1 per language, precision/recall/F1 per intent, the most frequent confusions, and the
 * time per message. Runs the offline classifier always, and the LLM path too when
 * `OPENAI_API_KEY` is set.
 *
 *   npm run eval:intents -- [file.jsonl] [--half even|odd] [--examples N] [--no-llm]
 *
 * `--half even|odd` scores only the even or odd line numbers, so one half can be looked at while
 * developing and the other kept unseen. Macro-F1 is shown two ways: over every intent that is in
 * the gold labels or the predictions (a prediction of an intent the file never uses counts as a
 * class with F1 0, as scikit-learn does), and over the gold intents only.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { loadBusiness } from '../src/business/loadBusiness.js';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { getIntentModel } from '../src/understanding/classifyIntent.js';
import { getLanguageModel } from '../src/understanding/detectLanguage.js';
import { catalogFromBusiness, createUnderstander, understandText } from '../src/understanding/index.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const lineSchema = z.object({ text: z.string(), intent: z.string(), lang: z.string() });
type Line = z.infer<typeof lineSchema>;

const args = process.argv.slice(2);
const option = (name: string) => {
  const index = args.indexOf(name);
  return index >= 0 ? args[index + 1] : undefined;
};
const half = option('--half');
if (half !== undefined && half !== 'even' && half !== 'odd') throw new Error('--half expects even or odd');
const examplesPerConfusion = Number(option('--examples') ?? 2);
const optionValues = new Set([half, option('--examples')]);
const file =
  args.find((a) => !a.startsWith('--') && !optionValues.has(a)) ??
  path.join(ROOT, '..', 'shared', 'datasets', 'intents-dev.jsonl');

const lines: Line[] = readFileSync(file, 'utf8')
  .split('\n')
  .map((raw, i) => ({ raw: raw.trim(), number: i + 1 }))
  .filter(({ raw, number }) => raw && (!half || (half === 'even') === (number % 2 === 0)))
  .map(({ raw, number }) => {
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      throw new Error(`${file}:${number}: not JSON`);
    }
    const parsed = lineSchema.safeParse(json);
    if (!parsed.success) throw new Error(`${file}:${number}: ${parsed.error.issues[0]?.message}`);
    return parsed.data;
  });

interface IntentScore {
  p: number;
  r: number;
  f1: number;
  support: number;
}

function score(gold: string[], predicted: string[]) {
  const labels = [...new Set([...gold, ...predicted])].sort();
  const perIntent = new Map<string, IntentScore>();
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
  const mean = (scores: IntentScore[]) => scores.reduce((sum, s) => sum + s.f1, 0) / (scores.length || 1);
  return {
    accuracy: gold.filter((g, i) => g === predicted[i]).length / gold.length,
    macroF1: mean([...perIntent.values()]),
    macroF1Gold: mean([...perIntent].filter(([label]) => gold.includes(label)).map(([, s]) => s)),
    perIntent,
  };
}

const pct = (x: number) => (100 * x).toFixed(1).padStart(5);

function report(title: string, predictions: string[]) {
  console.log(`\n=== ${title}`);
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
  console.log('\nintent                         support  precision  recall     F1');
  for (const [label, s] of overall.perIntent) {
    console.log(
      `${label.padEnd(30)} ${String(s.support).padStart(7)}     ${pct(s.p)}   ${pct(s.r)}  ${pct(s.f1)}`,
    );
  }
  const confusions = new Map<string, { count: number; examples: string[] }>();
  lines.forEach((line, i) => {
    const predicted = predictions[i] as string;
    if (predicted === line.intent) return;
    const key = `${line.intent} → ${predicted}`;
    const entry = confusions.get(key) ?? { count: 0, examples: [] };
    entry.count++;
    if (entry.examples.length < examplesPerConfusion) entry.examples.push(`[${line.lang}] ${line.text}`);
    confusions.set(key, entry);
  });
  console.log('\ntop confusions (gold → predicted)');
  for (const [key, { count, examples }] of [...confusions]
    .sort((a, b) => b[1].count - a[1].count)
    .slice(0, 10)) {
    console.log(`${String(count).padStart(4)}  ${key}`);
    for (const example of examples) console.log(`        ${example}`);
  }
}

const business = await loadBusiness(path.join(ROOT, 'seed', 'bella-studio.yaml'));
const catalog = catalogFromBusiness(business);
const now = new Date();

const trainStart = performance.now();
getIntentModel();
getLanguageModel();
const trainMs = performance.now() - trainStart;

const offline = lines.map((line) => understandText(line.text, { catalog, now }));
// Timed on a second pass, once the JIT has compiled the hot paths, as in a running server.
const timings = lines.map((line) => {
  const started = performance.now();
  understandText(line.text, { catalog, now });
  return performance.now() - started;
});
const sorted = [...timings].sort((a, b) => a - b);
const quantile = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
const perMessageMs = timings.reduce((sum, t) => sum + t, 0) / timings.length;
const languageRight = offline.filter((u, i) => u.language === lines[i]?.lang).length;
const languageNull = offline.filter((u) => u.language === null).length;

console.log(`file: ${file}${half ? ` (${half} line numbers only)` : ''}, ${lines.length} lines`);
console.log(
  `offline: trained in ${trainMs.toFixed(0)} ms; per message (intent, language and slots): mean ${(perMessageMs * 1000).toFixed(0)} µs, p50 ${(quantile(0.5) * 1000).toFixed(0)} µs, p99 ${(quantile(0.99) * 1000).toFixed(0)} µs`,
);
console.log(
  `language: ${pct(languageRight / lines.length)} % right, ${pct(languageNull / lines.length)} % not announced, ${pct(1 - (languageRight + languageNull) / lines.length)} % wrong`,
);
report(
  'offline classifier',
  offline.map((u) => u.intent),
);

const config = loadConfig({ ...process.env, LOG_LEVEL: 'silent' });
if (config.openai.apiKey && !args.includes('--no-llm')) {
  const understander = createUnderstander({
    config,
    catalog,
    clock: { now: () => now },
    logger: createLogger('silent'),
    business: { name: business.name, city: business.city },
  });
  const llm: string[] = new Array<string>(lines.length);
  let next = 0;
  const llmStarted = performance.now();
  // A few requests at a time: fast enough for a few thousand lines, gentle on rate limits.
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      for (let i = next++; i < lines.length; i = next++) {
        llm[i] = (await understander.understand((lines[i] as Line).text)).intent;
      }
    }),
  );
  console.log(
    `\nLLM ${config.openai.model}: ${((performance.now() - llmStarted) / lines.length).toFixed(0)} ms per message (4 at a time, fallbacks included)`,
  );
  report(`LLM path (${config.openai.model}, offline on failure)`, llm);
}
