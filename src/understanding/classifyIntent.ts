import type { Intent } from '../engine/types.js';
import { trainIntentModel, type IntentModel } from './intentModel.js';
import { referenceIntent, ruleIntent } from './intentRules.js';
import { loadCorpus } from './loadCorpus.js';
import { normalizeText } from './normalizeText.js';

export interface IntentGuess {
  intent: Intent;
  /** Probability the model gives the intent (1 for a rule). */
  confidence: number;
}

/** Below this the model's best in-scope guess is not trusted and the message counts as `other`. */
const MIN_CONFIDENCE = 0.35;

let model: IntentModel | null = null;

/** The classifier trained from `corpus/`, built once per process on first use (about a second). */
export function getIntentModel(): IntentModel {
  model ??= trainIntentModel(
    loadCorpus().map((line) => ({ text: normalizeText(line.text), label: line.intent })),
  );
  return model;
}

/**
 * Classifies a normalized text into the closed intent set. Deterministic.
 * @example classifyIntent(normalizeText('vorrei prenotare un taglio')) // { intent: 'book_appointment', … }
 */
export function classifyIntent(normalized: string): IntentGuess {
  if (!normalized) return { intent: 'other', confidence: 1 };
  const ruled = ruleIntent(normalized);
  if (ruled) return { intent: ruled, confidence: 1 };
  const trained = getIntentModel();
  const { probabilities, known } = trained.predict(normalized);
  if (known === 0) return { intent: 'other', confidence: 1 };
  let best = 0;
  for (let c = 1; c < probabilities.length; c++) {
    if ((probabilities[c] as number) > (probabilities[best] as number)) best = c;
  }
  const intent = trained.labels[best] as Intent;
  const confidence = probabilities[best] as number;
  if (intent === 'other' || confidence < MIN_CONFIDENCE) {
    const referenced = referenceIntent(normalized);
    if (referenced) return { intent: referenced, confidence: 1 };
    if (intent !== 'other') return { intent: 'other', confidence: 1 - confidence };
  }
  return { intent, confidence };
}
