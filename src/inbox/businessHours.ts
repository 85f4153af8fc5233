import type { Business } from '../business/loadBusiness.js';

const WEEKDAYS: Record<string, number> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };
const STEP_MS = 15 * 60_000;

function localParts(at: Date, timeZone: string): { day: number; minutes: number } {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    weekday: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(at);
  const get = (type: string) => parts.find((part) => part.type === type)?.value ?? '';
  return { day: WEEKDAYS[get('weekday')] ?? 1, minutes: Number(get('hour')) * 60 + Number(get('minute')) };
}

const toMinutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** Whether the business is open at this instant, in its own time zone. */
export function isOpen(business: Business, at: Date): boolean {
  const { day, minutes } = localParts(at, business.timezone);
  return (business.openingHours[String(day)] ?? []).some(
    ([open, close]) => minutes >= toMinutes(open) && minutes < toMinutes(close),
  );
}

/**
 * The next instant the business opens, to the minute; `at` itself when open now, null when it has
 * no opening hours at all.
 */
export function nextOpening(business: Business, at: Date): Date | null {
  if (isOpen(business, at)) return at;
  // Quarter-hour steps over the next eight days, then back minute by minute to the exact opening.
  const start = Math.ceil(at.getTime() / 60_000) * 60_000;
  for (let t = start; t < start + 8 * 24 * 3_600_000; t += STEP_MS) {
    if (!isOpen(business, new Date(t))) continue;
    let exact = t;
    while (exact - 60_000 > at.getTime() && isOpen(business, new Date(exact - 60_000))) exact -= 60_000;
    return new Date(exact);
  }
  return null;
}

/** "Tuesday 09:00"-style text in the customer's language and the business's time zone. */
export function describeOpening(business: Business, at: Date, locale: string): string {
  return new Intl.DateTimeFormat(locale, {
    timeZone: business.timezone,
    weekday: 'long',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(at);
}
