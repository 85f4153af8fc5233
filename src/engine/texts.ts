import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { FORMATS, formatValue, type Format, type FormatContext } from './format.js';
import { LOCALES, type Locale } from './types.js';

/** Customer-facing texts: locale → dotted key → text with `{placeholders}`. */
export type TextCatalog = Record<Locale, Record<string, string>>;

/** Placeholders every text may use; each is filled per conversation. Flow texts may also use the values their steps compute (checked by `loadFlows`). */
export const TEXT_VARIABLES = [
  'business',
  'hours',
  'name',
  // Payment messages: formatted amounts and dates, references, links.
  'amount',
  'reference',
  'description',
  'when',
  'balance',
  'limit',
  'count',
  'due',
] as const;
export type TextVars = Partial<Record<(typeof TEXT_VARIABLES)[number], string>>;

/** `{name}` or `{name:format}`. */
export const PLACEHOLDER = /\{(\w+)(?::(\w+))?\}/g;

/** The placeholders of a text, in order of appearance. */
export function placeholdersOf(text: string): { name: string; format: Format | undefined }[] {
  return [...text.matchAll(PLACEHOLDER)].map(([, name, format]) => ({
    name: name as string,
    format: format as Format | undefined,
  }));
}

const nested: z.ZodType<unknown> = z.lazy(() => z.union([z.string(), z.record(z.string(), nested)]));

function flatten(value: unknown, prefix: string, into: Record<string, string>): void {
  if (typeof value === 'string') into[prefix] = value;
  else
    for (const [key, inner] of Object.entries(value as Record<string, unknown>))
      flatten(inner, prefix ? `${prefix}.${key}` : key, into);
}

/**
 * Reads templates/<locale>.yaml for every supported locale. Every key of the default locale must
 * exist in every other, so no customer ever sees a missing text.
 * @throws {Error} naming the file and the missing or malformed keys.
 */
export async function loadTexts(dir: string, defaultLocale: Locale = 'en'): Promise<TextCatalog> {
  const catalog = {} as TextCatalog;
  for (const locale of LOCALES) {
    const file = path.join(dir, `${locale}.yaml`);
    const parsed = nested.safeParse(parse(await readFile(file, 'utf8')));
    if (!parsed.success || typeof parsed.data !== 'object') {
      throw new Error(`${file}: expected nested keys with text values`);
    }
    const flat: Record<string, string> = {};
    flatten(parsed.data, '', flat);
    for (const [key, text] of Object.entries(flat)) {
      for (const { name, format } of placeholdersOf(text)) {
        if (format !== undefined && !(FORMATS as readonly string[]).includes(format)) {
          throw new Error(`${file}: ${key} uses {${name}:${format}}; known formats: ${FORMATS.join(', ')}`);
        }
      }
    }
    catalog[locale] = flat;
  }
  const reference = Object.keys(catalog[defaultLocale]);
  for (const locale of LOCALES) {
    const missing = reference.filter((key) => !(key in catalog[locale]));
    if (missing.length > 0)
      throw new Error(`${path.join(dir, `${locale}.yaml`)}: missing ${missing.join(', ')}`);
  }
  return catalog;
}

const NO_FORMAT: FormatContext = { currency: 'EUR', timeZone: 'UTC' };

/**
 * Renders one text for a locale; placeholders without a value render as empty text. Amounts and
 * dates are formatted for the locale, in the business's currency and time zone.
 * @throws {Error} when the key does not exist (flows are checked at load, so this means a bug).
 * @example renderText(texts, 'it', 'quote.offer', { amount: 24000 }, { currency: 'EUR', timeZone: 'Europe/Rome' })
 */
export function renderText(
  catalog: TextCatalog,
  locale: Locale,
  key: string,
  vars: Readonly<Record<string, unknown>>,
  format: FormatContext = NO_FORMAT,
): string {
  const text = catalog[locale][key];
  if (text === undefined) throw new Error(`No text "${key}" for locale ${locale}`);
  return text.replace(PLACEHOLDER, (_, name: string, kind: string | undefined) =>
    formatValue(vars[name], kind as Format | undefined, locale, format),
  );
}
