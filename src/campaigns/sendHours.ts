/** Local `HH:MM` (24 h) of an instant in a time zone. */
function localTime(at: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(at);
  const get = (type: string) => parts.find((part) => part.type === type)?.value ?? '00';
  return `${get('hour')}:${get('minute')}`;
}

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** Whether `at` falls inside the daily sending window `[start, end)` of the business's time zone. */
export function insideSendHours(at: Date, hours: { start: string; end: string }, timeZone: string): boolean {
  const local = minutesOf(localTime(at, timeZone));
  return local >= minutesOf(hours.start) && local < minutesOf(hours.end);
}

/**
 * The earliest instant at or after `now` inside the sending window: `now` itself when inside,
 * otherwise the next local opening time (daylight-saving changes included).
 */
export function nextSendTime(now: Date, hours: { start: string; end: string }, timeZone: string): Date {
  if (insideSendHours(now, hours, timeZone)) return now;
  const local = minutesOf(localTime(now, timeZone));
  const start = minutesOf(hours.start);
  const wait = local < start ? start - local : 24 * 60 - local + start;
  const base = Math.floor(now.getTime() / 60_000) * 60_000 + wait * 60_000;
  // A daylight-saving change in between moves the local clock by an hour: the earliest instant
  // of the three that is inside the window is the opening.
  for (const shift of [-60, 0, 60]) {
    const candidate = new Date(base + shift * 60_000);
    if (candidate.getTime() > now.getTime() && insideSendHours(candidate, hours, timeZone)) return candidate;
  }
  return new Date(base);
}
