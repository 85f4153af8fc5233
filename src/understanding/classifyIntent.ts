import type { Intent } from '../engine/types.js';
import { mulberry32, trainIntentModel, withTypo, type IntentModel } from './intentModel.js';
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
/**
 * Intents that lead straight to a price or a payment, and pleasantries in long messages (greetings
 * and goodbyes are short), need more certainty: starting a money flow on a guess costs more than
 * asking again.
 */
const MIN_CAREFUL_CONFIDENCE = 0.6;
const MONEY_INTENTS: ReadonlySet<Intent> = new Set(['ask_price_or_quote', 'pay_or_payment_link_request']);

let model: IntentModel | null = null;

/** The classifier trained from `corpus/`, built once per process on first use (about a second). */
export function getIntentModel(): IntentModel {
  if (!model) {
    const random = mulberry32(11);
    const examples = loadCorpus().map((line) => ({ text: normalizeText(line.text), label: line.intent }));
    model = trainIntentModel([
      ...examples,
      ...examples.map((e) => ({ text: withTypo(e.text, random), label: e.label })),
    ]);
  }
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
  // Greetings and goodbyes are short; a long message the model only half-thinks is one is about something else.
  const pleasantry =
    (intent === 'greeting' || intent === 'thanks_or_bye') && normalized.split(' ').length > 6;
  const threshold = pleasantry || MONEY_INTENTS.has(intent) ? MIN_CAREFUL_CONFIDENCE : MIN_CONFIDENCE;
  if (intent === 'other' || confidence < threshold) {
    const referenced = referenceIntent(normalized);
    if (referenced) return { intent: referenced, confidence: 1 };
    if (intent !== 'other') return { intent: 'other', confidence: 1 - confidence };
  }
  return { intent, confidence };
}
