import { NUMBER_WORDS } from './slotText.js';

/** A span of the slot text a parser consumed, so later parsers do not read it again. */
export interface Span {
  start: number;
  end: number;
}

const WEEKDAYS: Record<string, number> = {};
const addWeekdays = (names: string[][]) =>
  names.forEach((aliases, index) => aliases.forEach((alias) => (WEEKDAYS[alias] = index + 1)));
// ISO weekday numbers: 1 = Monday … 7 = Sunday.
addWeekdays([
  ['lunedi', 'monday', 'mon', 'lundi', 'lunes', 'segunda', 'segunda feira', 'montag'],
  ['martedi', 'tuesday', 'tue', 'tues', 'mardi', 'martes', 'terca', 'terca feira', 'dienstag'],
  ['mercoledi', 'wednesday', 'wed', 'mercredi', 'miercoles', 'quarta', 'quarta feira', 'mittwoch'],
  ['giovedi', 'thursday', 'thu', 'thur', 'thurs', 'jeudi', 'jueves', 'quinta', 'quinta feira', 'donnerstag'],
  ['venerdi', 'friday', 'fri', 'vendredi', 'viernes', 'sexta', 'sexta feira', 'freitag'],
  ['sabato', 'saturday', 'sat', 'samedi', 'sabado', 'samstag', 'sonnabend'],
  ['domenica', 'sunday', 'sun', 'dimanche', 'domingo', 'sonntag'],
]);

const MONTHS: Record<string, number> = {};
[
  ['gennaio', 'january', 'jan', 'janvier', 'enero', 'janeiro', 'januar', 'jaenner', 'janner'],
  ['febbraio', 'february', 'feb', 'fevrier', 'febrero', 'fevereiro', 'februar'],
  ['marzo', 'march', 'mar', 'mars', 'marco', 'marz', 'maerz'],
  ['aprile', 'april', 'apr', 'avril', 'abril'],
  ['maggio', 'may', 'mai', 'mayo', 'maio'],
  ['giugno', 'june', 'jun', 'juin', 'junio', 'junho', 'juni'],
  ['luglio', 'july', 'jul', 'juillet', 'julio', 'julho', 'juli'],
  ['agosto', 'august', 'aug', 'aout'],
  ['settembre', 'september', 'sep', 'sept', 'septembre', 'septiembre', 'setembro'],
  ['ottobre', 'october', 'oct', 'octobre', 'octubre', 'outubro', 'oktober', 'okt'],
  ['novembre', 'november', 'nov', 'noviembre', 'novembro'],
  ['dicembre', 'december', 'dec', 'decembre', 'diciembre', 'dezembro', 'dezember', 'dez'],
].forEach((aliases, index) => aliases.forEach((alias) => (MONTHS[alias] = index + 1)));

const RELATIVE_DAYS: [RegExp, number][] = [
  [
    /\b(dopodomani|day after tomorrow|apres demain|pasado manana|depois de amanha|ubermorgen|uebermorgen)\b/g,
    2,
  ],
  [/\b(oggi|today|tonight|stasera|aujourd hui|ce soir|hoy|esta noche|hoje|heute)\b/g, 0],
  [/\b(domani|tomorrow|tmrw|tmr|demain|manana|amanha|morgen)\b/g, 1],
];
const NEXT_WORDS = /^(prossim[oa]|next|prochain[e]?|proxim[oa]|que viene|nachsten?|kommenden?)$/;

const alternation = (words: string[]) =>
  words
    .sort((a, b) => b.length - a.length)
    .map((w) => w.replace(/ /g, '[ -]'))
    .join('|');
const WEEKDAY_PATTERN = new RegExp(`\\b(${alternation(Object.keys(WEEKDAYS))})\\b`, 'g');
const MONTH_NAMES = alternation(Object.keys(MONTHS));
const DAY_MONTH = new RegExp(
  `\\b(\\d{1,2})(?:st|nd|rd|th|er|o|º)?\\.?\\s+(?:(?:de|of)\\s+)?(${MONTH_NAMES})\\.?(?:\\s+(?:de\\s+)?(\\d{4}))?\\b`,
);
const MONTH_DAY = new RegExp(`\\b(${MONTH_NAMES})\\.?\\s+(\\d{1,2})(?:st|nd|rd|th)?\\b(?:,?\\s+(\\d{4}))?`);

/** Today's local date and weekday in a time zone. */
const formatters = new Map<string, Intl.DateTimeFormat>();

export function localToday(now: Date, timeZone: string): { year: number; month: number; day: number } {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    });
    formatters.set(timeZone, formatter);
  }
  const parts = formatter.formatToParts(now);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  return { year: get('year'), month: get('month'), day: get('day') };
}

const iso = (y: number, m: number, d: number) =>
  `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;

function validDate(y: number, m: number, d: number): string | null {
  if (m < 1 || m > 12 || d < 1 || d > 31) return null;
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCMonth() === m - 1 ? iso(y, m, d) : null;
}

function addDays(today: { year: number; month: number; day: number }, days: number): string {
  const date = new Date(Date.UTC(today.year, today.month - 1, today.day + days));
  return iso(date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate());
}

/** A day and month without a year: this year, or next year once it has passed. */
function upcoming(today: { year: number; month: number; day: number }, month: number, day: number) {
  const thisYear = validDate(today.year, month, day);
  if (thisYear && thisYear >= iso(today.year, today.month, today.day)) return thisYear;
  return validDate(today.year + 1, month, day);
}

/**
 * Finds a calendar date in slot text, relative to `now` in `timeZone`. Numeric dates are read
 * day first (25/12), as customers in Europe write them; ISO dates (2026-12-25) are read as such.
 */
export function parseDate(text: string, now: Date, timeZone: string): { date: string; span: Span } | null {
  const today = localToday(now, timeZone);
  const found = (date: string | null, match: RegExpExecArray | RegExpMatchArray) =>
    date ? { date, span: { start: match.index ?? 0, end: (match.index ?? 0) + match[0].length } } : null;

  let match = /\b(\d{4})-(\d{1,2})-(\d{1,2})\b/.exec(text);
  if (match) return found(validDate(Number(match[1]), Number(match[2]), Number(match[3])), match);

  match = /(?<![\d:.])(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{4}|\d{2}))?(?![\d:])/.exec(text);
  // "15.30" is a time: a dot date needs a year or a trailing dot ("12.10.").
  if (
    match &&
    (match[0].includes('.') ? match[3] !== undefined || text[match.index + match[0].length] === '.' : true)
  ) {
    const [day, month] = [Number(match[1]), Number(match[2])];
    const year = match[3] ? Number(match[3].length === 2 ? `20${match[3]}` : match[3]) : null;
    const date = year === null ? upcoming(today, month, day) : validDate(year, month, day);
    if (date) return found(date, match);
  }

  match = DAY_MONTH.exec(text);
  if (match) {
    const [day, month] = [Number(match[1]), MONTHS[match[2]!.replace(/[ -]/g, ' ')] as number];
    return found(match[3] ? validDate(Number(match[3]), month, day) : upcoming(today, month, day), match);
  }
  match = MONTH_DAY.exec(text);
  if (match && match[1] !== 'may' && match[1] !== 'mar') {
    const [month, day] = [MONTHS[match[1] as string] as number, Number(match[2])];
    return found(match[3] ? validDate(Number(match[3]), month, day) : upcoming(today, month, day), match);
  }

  for (const [pattern, days] of RELATIVE_DAYS) {
    for (const m of text.matchAll(pattern)) {
      // "guten Morgen" and "por la mañana" are mornings, not tomorrow.
      if (days === 1 && /(guten|gute[nr]?|por la|de la|pela|de|esta|this) $/.test(text.slice(0, m.index)))
        continue;
      return found(addDays(today, days), m);
    }
  }

  WEEKDAY_PATTERN.lastIndex = 0;
  match = WEEKDAY_PATTERN.exec(text);
  if (match) {
    const target = WEEKDAYS[match[1]!.replace(/-/g, ' ')] as number;
    const todayIso = new Date(Date.UTC(today.year, today.month - 1, today.day)).getUTCDay() || 7;
    const before = text.slice(0, match.index).trim().split(' ').at(-1) ?? '';
    const after = text
      .slice(match.index + match[0].length)
      .trim()
      .split(' ')
      .slice(0, 2)
      .join(' ');
    const next =
      NEXT_WORDS.test(before) || NEXT_WORDS.test(after.split(' ')[0] ?? '') || /^que viene/.test(after);
    let days = (target - todayIso + 7) % 7;
    if (days === 0 && next) days = 7;
    return found(addDays(today, days), match);
  }
  return null;
}

const NOON = /\b(mezzogiorno|noon|midday|midi|mediodia|meio dia|mittag|mittags)\b/;
const TIME_PREPOSITION =
  /\b(alle|all|a|at|around|verso|vers|a las|as|um|gegen|ab|dalle|after|por volta das|hacia)\s+$/;

function clockTime(hour: number, minute: number): string | null {
  if (hour > 23 || minute > 59) return null;
  return `${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}`;
}

/**
 * Finds a time of day in slot text: "15:30", "15.30", "15h30", "3pm", "3:30 pm", "alle 15",
 * "um 15 Uhr", "a las 5 de la tarde". A bare hour from 1 to 7 after "at/alle/à…" means the
 * afternoon (businesses are rarely open at 3 in the morning); "am" keeps the morning.
 */
export function parseTime(text: string): { time: string; span: Span } | null {
  const found = (time: string | null, match: RegExpExecArray) =>
    time ? { time, span: { start: match.index, end: match.index + match[0].length } } : null;

  let match = /\b(\d{1,2})(?:[:.h](\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)(?![a-z])/.exec(text);
  if (match) {
    let hour = Number(match[1]);
    const pm = match[3]!.startsWith('p');
    if (hour === 12) hour = pm ? 12 : 0;
    else if (pm) hour += 12;
    return found(clockTime(hour, Number(match[2] ?? 0)), match);
  }
  match =
    /(?<![\d/.-])(\d{1,2})[:h](\d{2})(?![\d/])/.exec(text) ??
    /(?<![\d/.-])(\d{1,2})\.(\d{2})(?![\d/.])/.exec(text);
  if (match) return found(clockTime(Number(match[1]), Number(match[2])), match);

  match = /\b(\d{1,2})\s*(?:h|uhr|heures?|hrs|o clock|oclock)(?![a-z])/.exec(text);
  if (match) return found(clockTime(afternoon(Number(match[1]), text, match.index), 0), match);

  const pattern = /\b(\d{1,2}|[a-z]+)\b/g;
  for (let m = pattern.exec(text); m; m = pattern.exec(text)) {
    const before = text.slice(0, m.index);
    if (!TIME_PREPOSITION.test(before)) continue;
    const word = m[1] as string;
    const hour = /^\d+$/.test(word) ? Number(word) : (NUMBER_WORDS[word] ?? null);
    if (hour === null || hour > 23) continue;
    // "a 5 persone" / "at 3 people" are counts, not times.
    if (
      /^\s*(persone?|people|personnes?|personas?|pessoas?|personen|pax|ospiti|guests?)\b/.test(
        text.slice(m.index + word.length),
      )
    )
      continue;
    const half = /^\s*(e mezza|e trenta|and a half|et demie|y media|e meia|30)\b/.test(
      text.slice(m.index + word.length),
    );
    return found(clockTime(afternoon(hour, text, m.index), half ? 30 : 0), m);
  }
  match = NOON.exec(text);
  if (match) return found('12:00', match);
  return null;
}

function afternoon(hour: number, text: string, index: number): number {
  const rest = text.slice(index);
  if (
    /^\S+\s*(del mattino|di mattina|in the morning|du matin|de la manana|da manha|morgens|fruh|am)\b/.test(
      rest,
    )
  )
    return hour;
  if (
    /^\S+\s*(del pomeriggio|di sera|in the (afternoon|evening)|de l apres midi|du soir|de la tarde|de la noche|da tarde|da noite|nachmittags|abends)\b/.test(
      rest,
    )
  )
    return hour < 12 ? hour + 12 : hour;
  return hour >= 1 && hour <= 7 ? hour + 12 : hour;
}
