import { tokenize } from './normalizeText.js';

/** A labelled example: a normalized text and its class. */
export interface Example {
  text: string;
  label: string;
}

/** A trained text classifier: tf-idf over word, word-pair and character n-gram features, softmax weights. */
export interface IntentModel {
  labels: readonly string[];
  /** Class probabilities for a normalized text, in `labels` order; all equal when nothing is known. */
  predict(normalized: string): { probabilities: Float64Array; known: number };
}

export interface TrainOptions {
  epochs?: number;
  learningRate?: number;
  l2?: number;
  seed?: number;
}

const NUMBER = /^\d+(?:\.\d+)?$/;

/**
 * Features of a normalized text. Character n-grams inside word boundaries carry typos and
 * inflections ("reservation", "reservierung", "rezervation" share most of them); words and
 * word pairs carry the precise cues.
 */
export function extractFeatures(normalized: string): Map<string, number> {
  const counts = new Map<string, number>();
  const add = (feature: string) => counts.set(feature, (counts.get(feature) ?? 0) + 1);
  const words = tokenize(normalized).map((w) => (NUMBER.test(w) ? '#' : w));
  for (let i = 0; i < words.length; i++) {
    const word = words[i] as string;
    add(`w:${word}`);
    if (i > 0) add(`b:${words[i - 1]}_${word}`);
    if (word.length < 3 || word === '#') continue;
    const padded = `^${word}$`;
    for (let n = 3; n <= 5; n++) {
      for (let j = 0; j + n <= padded.length; j++) add(`c:${padded.slice(j, j + n)}`);
    }
  }
  if (words.length <= 2) add(`len:${words.length}`);
  return counts;
}

/** Deterministic pseudo-random numbers, so training gives the same model on every start. */
export function mulberry32(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface SparseVector {
  indices: Int32Array;
  values: Float64Array;
}

/**
 * Trains a multinomial logistic regression with plain SGD in a seeded order.
 * Same examples and options → the same weights, bit for bit.
 */
export function trainIntentModel(examples: Example[], options: TrainOptions = {}): IntentModel {
  const { epochs = 8, learningRate = 0.5, l2 = 1e-5, seed = 7 } = options;
  const labels = [...new Set(examples.map((e) => e.label))].sort();
  const labelIndex = new Map(labels.map((l, i) => [l, i]));
  const vocabulary = new Map<string, number>();
  const documentFrequency: number[] = [];
  const featureCounts = examples.map((e) => extractFeatures(e.text));
  for (const counts of featureCounts) {
    for (const feature of counts.keys()) {
      let index = vocabulary.get(feature);
      if (index === undefined) {
        index = vocabulary.size;
        vocabulary.set(feature, index);
        documentFrequency.push(0);
      }
      documentFrequency[index] = (documentFrequency[index] as number) + 1;
    }
  }
  const idf = Float64Array.from(documentFrequency, (df) => Math.log((1 + examples.length) / (1 + df)) + 1);

  const vectorize = (counts: Map<string, number>): SparseVector => {
    const pairs: [number, number][] = [];
    for (const [feature, count] of counts) {
      const index = vocabulary.get(feature);
      if (index !== undefined) pairs.push([index, (1 + Math.log(count)) * (idf[index] as number)]);
    }
    const norm = Math.hypot(...pairs.map(([, v]) => v)) || 1;
    return {
      indices: Int32Array.from(pairs, ([i]) => i),
      values: Float64Array.from(pairs, ([, v]) => v / norm),
    };
  };

  const k = labels.length;
  const weights = new Float64Array(vocabulary.size * k);
  const bias = new Float64Array(k);
  const scores = new Float64Array(k);

  const softmax = (x: SparseVector) => {
    for (let c = 0; c < k; c++) scores[c] = bias[c] as number;
    for (let j = 0; j < x.indices.length; j++) {
      const base = (x.indices[j] as number) * k;
      const v = x.values[j] as number;
      for (let c = 0; c < k; c++) scores[c] = (scores[c] as number) + v * (weights[base + c] as number);
    }
    let max = -Infinity;
    for (let c = 0; c < k; c++) max = Math.max(max, scores[c] as number);
    let sum = 0;
    for (let c = 0; c < k; c++) {
      scores[c] = Math.exp((scores[c] as number) - max);
      sum += scores[c] as number;
    }
    for (let c = 0; c < k; c++) scores[c] = (scores[c] as number) / sum;
    return scores;
  };

  const data = featureCounts.map((counts, i) => ({
    x: vectorize(counts),
    y: labelIndex.get((examples[i] as Example).label) as number,
  }));
  const random = mulberry32(seed);
  const order = data.map((_, i) => i);
  for (let epoch = 0; epoch < epochs; epoch++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j] as number, order[i] as number];
    }
    const rate = learningRate / (1 + epoch * 0.3);
    for (const index of order) {
      const { x, y } = data[index] as { x: SparseVector; y: number };
      const p = softmax(x);
      for (let c = 0; c < k; c++) {
        const gradient = (p[c] as number) - (c === y ? 1 : 0);
        bias[c] = (bias[c] as number) - rate * gradient;
        for (let j = 0; j < x.indices.length; j++) {
          const w = (x.indices[j] as number) * k + c;
          weights[w] = (weights[w] as number) * (1 - rate * l2) - rate * gradient * (x.values[j] as number);
        }
      }
    }
  }

  return {
    labels,
    predict(normalized) {
      const features = extractFeatures(normalized);
      const x = vectorize(features);
      // Known words: seen in training, or most of their character n-grams seen (a typo of a known
      // word). Gibberish shares a few n-grams by chance and must not count.
      let known = 0;
      for (const word of tokenize(normalized)) {
        if (vocabulary.has(`w:${NUMBER.test(word) ? '#' : word}`)) {
          known++;
          continue;
        }
        if (word.length < 3) continue;
        const grams = extractFeatures(word);
        let seen = 0;
        let total = 0;
        for (const gram of grams.keys()) {
          if (!gram.startsWith('c:')) continue;
          total++;
          if (vocabulary.has(gram)) seen++;
        }
        if (total > 0 && seen / total >= 0.5) known++;
      }
      return { probabilities: Float64Array.from(softmax(x)), known };
    },
  };
}

/**
 * The same text with one typo in one longer word (a letter dropped, doubled or swapped with the
 * next), the way people type on a phone. Training on both teaches the character features that a
 * misspelt word still means the same.
 */
export function withTypo(normalized: string, random: () => number): string {
  const words = tokenize(normalized);
  const candidates = words.flatMap((w, i) => (w.length >= 4 && !NUMBER.test(w) ? [i] : []));
  if (candidates.length === 0) return normalized;
  const index = candidates[Math.floor(random() * candidates.length)] as number;
  const word = words[index] as string;
  const at = 1 + Math.floor(random() * (word.length - 2));
  const kind = Math.floor(random() * 3);
  words[index] =
    kind === 0
      ? word.slice(0, at) + word.slice(at + 1)
      : kind === 1
        ? word.slice(0, at) + word[at] + word.slice(at)
        : word.slice(0, at) + word[at + 1] + word[at] + word.slice(at + 2);
  return words.join(' ');
}
