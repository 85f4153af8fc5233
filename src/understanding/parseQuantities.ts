import type { Span } from './parseDateTime.js';
import { numberValue } from './slotText.js';

const REFERENCE =
  /\b(inv|ord|bkg|quo)[\s_-]?(\d{4})[\s_-]?(\d{1,6})\b|\b(inv|ord|bkg|quo)[\s_-]([a-z0-9]{3,12})\b/;

/** An order, booking, quote or invoice reference, upper-cased: "inv 2026 1" → "INV-2026-0001". */
export function parseReference(text: string): { reference: string; span: Span } | null {
  const match = REFERENCE.exec(text);
  if (!match) return null;
  const span = { start: match.index, end: match.index + match[0].length };
  if (match[1]) {
    return { reference: `${match[1].toUpperCase()}-${match[2]}-${match[3]!.padStart(4, '0')}`, span };
  }
  if (!/\d/.test(match[5] as string)) return null;
  return { reference: `${match[4]!.toUpperCase()}-${match[5]!.toUpperCase()}`, span };
}

const CURRENCY = '(?:€|\\$|£|eur|euros?|usd|dollars?|gbp|pounds?|chf)';
const AMOUNT_NUMBER = '(\\d{1,3}(?:[.,\\s]\\d{3})*(?:[.,]\\d{1,2})?|\\d+(?:[.,]\\d{1,2})?)';
const AMOUNT_AFTER = new RegExp(`${CURRENCY}\\s?${AMOUNT_NUMBER}(?![\\d])`);
const AMOUNT_BEFORE = new RegExp(`(?<![\\d.,])${AMOUNT_NUMBER}\\s?${CURRENCY}(?![a-z])`);

/** "1.234,56", "1,234.56", "89,90", "50" → minor units. */
function toMinorUnits(raw: string): number | null {
  let value = raw.replace(/\s/g, '');
  const lastSeparator = Math.max(value.lastIndexOf('.'), value.lastIndexOf(','));
  if (lastSeparator >= 0 && value.length - lastSeparator - 1 <= 2) {
    value = `${value.slice(0, lastSeparator).replace(/[.,]/g, '')}.${value.slice(lastSeparator + 1)}`;
  } else {
    value = value.replace(/[.,]/g, '');
  }
  const amount = Math.round(Number(value) * 100);
  return Number.isSafeInteger(amount) ? amount : null;
}

/** An amount the customer wrote with a currency ("€50", "89,90 euro"), in minor units. */
export function parseAmount(text: string): { amount: number; span: Span } | null {
  for (const [pattern, group] of [
    [AMOUNT_AFTER, 1],
    [AMOUNT_BEFORE, 1],
  ] as const) {
    const match = pattern.exec(text);
    if (!match) continue;
    const amount = toMinorUnits(match[group] as string);
    if (amount !== null) return { amount, span: { start: match.index, end: match.index + match[0].length } };
  }
  return null;
}

const PEOPLE_NOUN =
  '(?:persone?|people|persons?|pax|guests?|ospiti|adulti|adults?|personnes?|invites?|personas?|invitados?|pessoas?|convidados?|personen|gaste|leute)';
const COUNT = '(\\d{1,3}|[a-z]+)';
const PEOPLE_PATTERNS = [
  new RegExp(`\\b${COUNT}\\s+${PEOPLE_NOUN}\\b`),
  new RegExp(
    `\\b(?:siamo|saremo|siamo in|we are|we re|there are|there will be|nous sommes|on est|on sera|somos|seremos|wir sind|wir kommen zu)\\s+(?:in\\s+)?${COUNT}\\b`,
  ),
  new RegExp(
    `\\b(?:party of|group of|table for|tavolo per|un gruppo di|gruppo di|une table pour|un groupe de|groupe de|mesa para|un grupo de|grupo de|uma mesa para|um grupo de|tisch fur|eine gruppe von|gruppe von|for|per|pour|para|fur)\\s+${COUNT}\\b(?!\\s*(?:[:h.]\\d|pm|am|uhr|heures?|o clock|minut|ore|hours?|days?|giorni|jours|dias|tage|weeks?|settiman|semaines?|semanas?|wochen?|months?|mes|mois|monat|anni|years?|euro|€|\\$))`,
  ),
];
const GERMAN_GROUPS: Record<string, number> = {
  'zu zweit': 2,
  'zu dritt': 3,
  'zu viert': 4,
  'zu funft': 5,
  'zu sechst': 6,
  'zu siebt': 7,
  'zu acht': 8,
  'zu neunt': 9,
  'zu zehnt': 10,
};

/** How many people a message talks about ("for 3 people", "siamo in 4", "zu viert"). */
export function parsePeople(text: string): { people: number; span: Span } | null {
  for (const [phrase, people] of Object.entries(GERMAN_GROUPS)) {
    const index = text.indexOf(phrase);
    if (index >= 0) return { people, span: { start: index, end: index + phrase.length } };
  }
  for (const [i, pattern] of PEOPLE_PATTERNS.entries()) {
    const match = pattern.exec(text);
    if (!match) continue;
    // "for one person" counts; bare "for a"/"per un" are articles, not counts, except before a noun.
    const people = numberValue(match[1] as string, i === 0);
    if (people !== null && people > 0 && people <= 100) {
      return { people, span: { start: match.index, end: match.index + match[0].length } };
    }
  }
  return null;
}

/**
 * A bare number ("2", "two", "due") when it is the only number left and the message is short
 * or the number is written in digits; the answer to "how many".
 */
export function parseBareNumber(text: string): number | null {
  const tokens = text.split(/[\s,;!?]+/).filter(Boolean);
  const values = tokens.map((t) => numberValue(t.replace(/[.:]+$/, ''), tokens.length === 1));
  const numbers = values.filter((v): v is number => v !== null);
  if (numbers.length !== 1) return null;
  const index = values.findIndex((v) => v !== null);
  const digits = /^\d+$/.test((tokens[index] as string).replace(/[.:]+$/, ''));
  return digits || tokens.length <= 4 ? (numbers[0] as number) : null;
}
