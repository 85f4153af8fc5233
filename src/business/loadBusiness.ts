import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { z } from 'zod';
import { LOCALES, type Locale } from '../engine/types.js';

const time = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, { message: 'expected HH:MM' });
const minorUnits = z.number().int().nonnegative();

const businessSchema = z.object({
  name: z.string().min(1),
  city: z.string().optional(),
  timezone: z.string().refine((tz) => Intl.supportedValuesOf('timeZone').includes(tz) || tz === 'UTC', {
    message: 'expected an IANA time zone such as Europe/Rome',
  }),
  currency: z.string().regex(/^[A-Z]{3}$/, { message: 'expected an ISO 4217 code such as EUR' }),
  defaultLocale: z.enum(LOCALES),
  locales: z.array(z.enum(LOCALES)).min(1),
  openingHours: z.record(z.string().regex(/^[1-7]$/), z.array(z.tuple([time, time]))),
  services: z
    .array(
      z.object({
        id: z.string(),
        name: z.string(),
        durationMinutes: z.number().int().positive(),
        price: minorUnits,
        deposit: minorUnits,
      }),
    )
    .default([]),
  products: z.array(z.looseObject({ id: z.string(), name: z.string(), price: minorUnits })).default([]),
  quotes: z.array(z.looseObject({ id: z.string(), name: z.string() })).default([]),
  invoices: z
    .array(z.object({ reference: z.string(), amount: minorUnits, dueInDays: z.number().int() }))
    .default([]),
  limits: z.object({
    maxPaymentAmount: minorUnits,
    maxPaymentsPerCustomerPerDay: z.number().int().positive(),
  }),
});

export type Business = z.infer<typeof businessSchema>;

/**
 * Reads the business profile (name, time zone, currency, languages, hours, catalog).
 * @throws {Error} naming the file and each bad field.
 */
export async function loadBusiness(file: string): Promise<Business> {
  const parsed = businessSchema.safeParse(parse(await readFile(file, 'utf8')));
  if (!parsed.success) {
    throw new Error(
      `${file}:\n${parsed.error.issues.map((i) => `  - ${i.path.join('.')}: ${i.message}`).join('\n')}`,
    );
  }
  return parsed.data;
}

/** "Tuesday–Saturday 09:00–19:00"-style text in the customer's language. */
export function describeOpeningHours(business: Business, locale: Locale): string {
  // 2024-01-01 was a Monday: day n of the ISO week is January n.
  const dayName = (isoDay: number) =>
    new Intl.DateTimeFormat(locale, { weekday: 'long', timeZone: 'UTC' }).format(
      new Date(Date.UTC(2024, 0, isoDay)),
    );
  const groups: { from: number; to: number; ranges: string }[] = [];
  for (let day = 1; day <= 7; day++) {
    const ranges = business.openingHours[String(day)];
    if (!ranges?.length) continue;
    const text = ranges.map(([open, close]) => `${open}–${close}`).join(', ');
    const last = groups.at(-1);
    if (last && last.to === day - 1 && last.ranges === text) last.to = day;
    else groups.push({ from: day, to: day, ranges: text });
  }
  const list = new Intl.ListFormat(locale, { type: 'conjunction' });
  return list.format(
    groups.map(
      (g) => `${g.from === g.to ? dayName(g.from) : `${dayName(g.from)}–${dayName(g.to)}`} ${g.ranges}`,
    ),
  );
}
