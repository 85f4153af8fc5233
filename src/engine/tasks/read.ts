import { addDays, localDate } from '../format.js';
import type { Intent, Understanding } from '../types.js';
import type { TaskInput } from './task.js';
import { foldText } from '../foldText.js';

/** Intents that mean "I want something else now", not an answer to the question asked. */
const SWITCHING: readonly Intent[] = [
  'refund_request',
  'book_appointment',
  'reschedule_or_cancel_booking',
  'invoice_payment',
  'talk_to_human',
  'opt_out',
  'opt_in',
  'order_status_or_tracking',
  'pay_or_payment_link_request',
  'payment_problem',
  'ask_price_or_quote',
];

/** True when the customer's words ask for another flow rather than answer this step. */
export function wantsSomethingElse(understanding: Understanding | null): boolean {
  return (
    understanding !== null && (understanding.command !== null || SWITCHING.includes(understanding.intent))
  );
}

const NUMBER_WORDS: Record<string, number> = {};
for (const [n, words] of Object.entries({
  1: 'one uno una un eins ein eine um uma',
  2: 'two due deux dos dois duas zwei',
  3: 'three tre trois tres drei',
  4: 'four quattro quatre cuatro quatro vier',
  5: 'five cinque cinq cinco funf',
  6: 'six sei seis sechs',
  7: 'seven sette sept siete sete sieben',
  8: 'eight otto huit ocho oito acht',
  9: 'nine nove neuf nueve neun',
  10: 'ten dieci dix diez dez zehn',
})) {
  for (const word of words.split(' ')) NUMBER_WORDS[word] = Number(n);
}

/** A count from the slots, a digit run or a number word (1–10) in the six languages. */
export function readCount(input: TaskInput): number | null {
  const slots = input.understanding?.slots;
  if (slots?.people != null) return slots.people;
  if (slots?.number != null) return slots.number;
  if (!input.text) return null;
  const words = foldText(input.text);
  const digits = /(?:^|\s)(\d{1,3})(?:\s|$)/.exec(words);
  if (digits) return Number(digits[1]);
  for (const word of words.split(' ')) if (word in NUMBER_WORDS) return NUMBER_WORDS[word] as number;
  return null;
}

const RELATIVE_DAYS: [number, string[]][] = [
  [0, ['today', 'oggi', 'aujourd hui', 'hoy', 'hoje', 'heute']],
  [1, ['tomorrow', 'domani', 'demain', 'manana', 'amanha', 'morgen']],
  [2, ['dopodomani', 'apres demain', 'pasado manana', 'depois de amanha', 'ubermorgen']],
];

const isValidDate = (y: number, m: number, d: number) => {
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
};
const pad = (n: number) => String(n).padStart(2, '0');

/**
 * A local date (YYYY-MM-DD) from the slots or the text: 2026-06-20, 20/06[/2026], 20.06., 20-06-2026,
 * or today / tomorrow / the day after in the six languages. Day-first, as in every locale we serve
 * but English (US), whose customers book in Europe. A date without a year is the next one to come.
 * @returns 'invalid' for something date-like that is not a date (31/02).
 */
export function readDate(input: TaskInput): string | 'invalid' | null {
  const slot = input.understanding?.slots.date;
  if (slot) return slot;
  if (!input.text) return null;
  const today = localDate(input.now, input.business.timezone);
  // Words first: in "domani alle 10.05" the numbers are a time, not the 10th of May.
  const words = ` ${foldText(input.text)} `;
  // Longest phrases first, so "pasado mañana" is not read as "mañana".
  for (const [offset, phrases] of [...RELATIVE_DAYS].reverse()) {
    if (phrases.some((p) => words.includes(` ${p} `))) return addDays(today, offset);
  }
  const iso = /\b(\d{4})-(\d{2})-(\d{2})\b/.exec(input.text);
  if (iso) {
    const [y, m, d] = [Number(iso[1]), Number(iso[2]), Number(iso[3])];
    return isValidDate(y, m, d) ? `${y}-${pad(m)}-${pad(d)}` : 'invalid';
  }
  // A month above 12 means the numbers were a time ("10.30"), not a date.
  const dmy = [...input.text.matchAll(/\b(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{2,4}))?\b/g)].find(
    (m) => Number(m[2]) >= 1 && Number(m[2]) <= 12,
  );
  if (dmy) {
    const d = Number(dmy[1]);
    const m = Number(dmy[2]);
    let y = dmy[3] ? Number(dmy[3]) : Number(today.slice(0, 4));
    if (y < 100) y += 2000;
    if (!isValidDate(y, m, d)) return 'invalid';
    let date = `${y}-${pad(m)}-${pad(d)}`;
    if (!dmy[3] && date < today) date = `${y + 1}-${pad(m)}-${pad(d)}`;
    return date;
  }
  return null;
}

/** A time of day (HH:MM) from the slots or the text ("10:30", "10.30", "10h30", "3pm"). */
export function readTime(input: TaskInput): string | null {
  const slot = input.understanding?.slots.time;
  if (slot) return slot;
  if (!input.text) return null;
  const hm = /\b([01]?\d|2[0-3])[:.h]([0-5]\d)\b/.exec(input.text);
  if (hm) return `${pad(Number(hm[1]))}:${hm[2]}`;
  const ampm = /\b(1[0-2]|0?[1-9])\s?(am|pm)\b/i.exec(input.text);
  if (ampm) {
    const h = (Number(ampm[1]) % 12) + ((ampm[2] as string).toLowerCase() === 'pm' ? 12 : 0);
    return `${pad(h)}:00`;
  }
  return null;
}

/**
 * A catalog entry the customer means: the tapped option, the understood product slot, or a name
 * (catalog or translated) contained in the text.
 */
export function readCatalogId(
  input: TaskInput,
  entries: readonly { id: string; name: string }[],
): string | null {
  const ids = new Set(entries.map((e) => e.id));
  if (input.picked && ids.has(input.picked)) return input.picked;
  const slot = input.understanding?.slots.product;
  if (slot && ids.has(slot)) return slot;
  if (!input.text) return null;
  const words = ` ${foldText(input.text)} `;
  for (const entry of entries) {
    const names = [entry.name, input.catalogName(entry.id, entry.name), entry.id.replace(/-/g, ' ')];
    if (names.some((name) => words.includes(` ${foldText(name)} `))) return entry.id;
  }
  return null;
}
