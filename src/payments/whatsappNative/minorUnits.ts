/** How many decimals a currency's minor unit has (2 for INR and BRL, 0 for JPY). */
export function currencyDecimals(currency: string): number {
  try {
    return (
      new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ??
      2
    );
  } catch {
    return 2;
  }
}

/**
 * Meta's `{ value, offset }` (amount = value / offset) as integer minor units of `currency`, or
 * null when it is missing or does not land on a whole minor unit.
 *
 * @example minorUnitsFromOffset({ value: 21000, offset: 100 }, 'INR') // → 21000 (₹210.00)
 */
export function minorUnitsFromOffset(
  amount: { value: number; offset: number } | undefined,
  currency: string | null | undefined,
): number | null {
  if (!amount || !Number.isFinite(amount.value) || !Number.isFinite(amount.offset) || amount.offset <= 0) {
    return null;
  }
  const minor = (amount.value * 10 ** currencyDecimals(currency ?? 'INR')) / amount.offset;
  return Number.isInteger(minor) ? minor : null;
}
