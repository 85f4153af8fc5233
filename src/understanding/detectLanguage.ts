import type { Locale } from '../engine/types.js';
import { trainIntentModel, type IntentModel } from './intentModel.js';
import { loadCorpus } from './loadCorpus.js';

/** Below this the language is not announced: a wrong switch of language is worse than none. */
const MIN_CONFIDENCE = 0.6;

/** Lowercase with accents kept: "ã", "ñ", "ß" and "è" are strong language cues. */
const languageText = (text: string) =>
  text
    .normalize('NFC')
    .toLowerCase()
    .replace(/[’'`´]/g, ' ')
    .replace(/[^\p{L}\s]/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();

let model: IntentModel | null = null;

/** The language identifier, trained once per process from the same corpus, labelled by file. */
export function getLanguageModel(): IntentModel {
  model ??= trainIntentModel(
    loadCorpus()
      .map((line) => ({ text: languageText(line.text), label: line.locale }))
      // Words every language shares ("ok", "hello", "M") would only teach noise.
      .filter((example) => example.text.length >= 4),
    { epochs: 8 },
  );
  return model;
}

/**
 * The language a text is written in, among the six the product speaks; null when the text is too
 * short or mixed to tell ("ok", "2", "si").
 * @example detectLanguage('Vorrei prenotare un taglio') // 'it'
 */
export function detectLanguage(text: string): Locale | null {
  const cleaned = languageText(text);
  if (cleaned.replace(/\s/g, '').length < 2) return null;
  const trained = getLanguageModel();
  const { probabilities, known } = trained.predict(cleaned);
  if (known === 0) return null;
  let best = 0;
  for (let c = 1; c < probabilities.length; c++) {
    if ((probabilities[c] as number) > (probabilities[best] as number)) best = c;
  }
  return (probabilities[best] as number) >= MIN_CONFIDENCE ? (trained.labels[best] as Locale) : null;
}
