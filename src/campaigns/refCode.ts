/**
 * Ref codes travel in the text our wa.me links prefill, as `[ref:CODE]`. The customer sends that
 * text as their first message; the marker survives copy, paste and light edits around it
 * (spaces inside the brackets, lower case, `=` for `:`) and is removed before the words are
 * understood.
 */
const MARKER = /\[\s*ref\s*[:=]\s*([A-Za-z0-9][A-Za-z0-9_-]{2,31})\s*\]/i;

/** What a ref code may look like once normalised: 3 to 32 of A–Z, 0–9, `-` and `_`. */
export const REF_CODE = /^[A-Z0-9][A-Z0-9_-]{2,31}$/;

/** Upper-cases and trims a code, so links and lookups agree whatever the customer typed. */
export function normalizeRefCode(code: string): string {
  return code.trim().toUpperCase();
}

/** The marker for a code, as it appears in a prefilled message. */
export function refMarker(code: string): string {
  return `[ref:${normalizeRefCode(code)}]`;
}

/**
 * Finds a ref marker in a customer's text.
 * @returns the normalised code and the text without the marker, or null when there is none.
 * @example readRefMarker('Hi! [ref:spring26]') // → { code: 'SPRING26', text: 'Hi!' }
 */
export function readRefMarker(text: string): { code: string; text: string } | null {
  const match = MARKER.exec(text);
  if (!match) return null;
  const rest = (text.slice(0, match.index) + text.slice(match.index + match[0].length))
    .replace(/\s+/g, ' ')
    .trim();
  return { code: normalizeRefCode(match[1] as string), text: rest };
}
