/**
 * A phone number as WhatsApp ids write it: digits only, country code first. Accepts `+`, spaces,
 * dots, dashes, brackets and a leading `00`.
 * @returns the digits, or null when it cannot be an international number (8 to 15 digits).
 */
export function normalizePhone(input: string): string | null {
  const trimmed = input.trim();
  if (!/^\+?[\d\s().-]+$/.test(trimmed)) return null;
  let digits = trimmed.replace(/\D/g, '');
  if (!trimmed.startsWith('+') && digits.startsWith('00')) digits = digits.slice(2);
  if (digits.startsWith('0')) return null;
  return /^\d{8,15}$/.test(digits) ? digits : null;
}
