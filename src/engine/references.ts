/**
 * References customers see and type back: QUO-…, ORD-…, BKG-… derived from the inbound event
 * that created the thing, and invoice numbers such as INV-2026-0001.
 */

const PATTERN = /\b(INV-\d{4}-\d{3,6}|(?:ORD|BKG|QUO)-[0-9A-Z]{4,10})\b/i;

/** The first reference in a text, upper-cased, or null. */
export function findReference(text: string): string | null {
  const match = PATTERN.exec(text);
  return match ? (match[1] as string).toUpperCase() : null;
}

// Crockford's base32: no I, L, O or U, so a reference read aloud or retyped is hard to get wrong.
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

function fnv1a(value: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < value.length; i++) {
    hash ^= value.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/**
 * A reference for something created while handling `eventId`. Stored events have numeric ids
 * (`evt-123`): the number is encoded, so two events never share a reference; a check character
 * catches a mistyped one. Other ids (tests, replays) fall back to a hash.
 * @example makeReference('ORD', 'evt-1234') // 'ORD-0016J-…'
 */
export function makeReference(prefix: 'QUO' | 'ORD' | 'BKG', eventId: string): string {
  const numeric = /(\d+)$/.exec(eventId)?.[1];
  let n = numeric && numeric.length <= 15 ? Number(numeric) : fnv1a(eventId);
  let code = '';
  do {
    code = (ALPHABET[n % 32] as string) + code;
    n = Math.floor(n / 32);
  } while (n > 0);
  const check = ALPHABET[fnv1a(`${prefix}${code}`) % 32] as string;
  return `${prefix}-${code.padStart(5, '0')}${check}`;
}
