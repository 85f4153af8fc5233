import { EMPTY_SLOTS, type Slots } from '../engine/types.js';
import { parseCatalog, type Catalog } from './parseCatalog.js';
import { parseDate, parseTime, type Span } from './parseDateTime.js';
import { parseAmount, parseBareNumber, parsePeople, parseReference } from './parseQuantities.js';
import { slotText } from './slotText.js';

export interface SlotContext {
  /** The business's catalog and time zone; without it no product is recognised and dates use UTC. */
  catalog?: Catalog;
  /** Relative dates ("tomorrow", "friday") count from here. */
  now?: Date;
}

/** Blanks a parsed span so the next parser does not read the same characters again. */
const consume = (text: string, span: Span) =>
  text.slice(0, span.start) + ' '.repeat(span.end - span.start) + text.slice(span.end);

/**
 * Every slot a message fills. References and amounts are read first, then dates, times and
 * head counts, so "INV-2026-0001" is not a date and "€50 for 2" not a time.
 *
 * @example parseSlots('domani alle 15 per 3 persone', { now, catalog }).time // '15:00'
 */
export function parseSlots(text: string, context: SlotContext = {}): Slots {
  const now = context.now ?? new Date();
  const timeZone = context.catalog?.timeZone ?? 'UTC';
  let rest = slotText(text);
  const slots: Slots = { ...EMPTY_SLOTS };

  const reference = parseReference(rest);
  if (reference) [slots.reference, rest] = [reference.reference, consume(rest, reference.span)];
  const amount = parseAmount(rest);
  if (amount) [slots.amount, rest] = [amount.amount, consume(rest, amount.span)];
  const date = parseDate(rest, now, timeZone);
  if (date) [slots.date, rest] = [date.date, consume(rest, date.span)];
  const time = parseTime(rest);
  if (time) [slots.time, rest] = [time.time, consume(rest, time.span)];
  const people = parsePeople(rest);
  if (people) slots.people = people.people;
  slots.number = parseBareNumber(rest.replace(/\s+/g, ' ').trim());
  if (context.catalog) Object.assign(slots, parseCatalog(text, context.catalog));
  return slots;
}
