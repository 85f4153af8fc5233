import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { LOCALES, type Locale } from './types.js';

/** Customer-facing texts: locale → dotted key → text with `{placeholders}`. */
export type TextCatalog = Record<Locale, Record<string, string>>;

/** Placeholders a text may use; each is filled per conversation. */
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
      for (const [, variable] of text.matchAll(/\{(\w+)\}/g)) {
        if (!(TEXT_VARIABLES as readonly string[]).includes(variable as string)) {
          throw new Error(
            `${file}: ${key} uses {${variable}}; known placeholders: ${TEXT_VARIABLES.join(', ')}`,
          );
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

/**
 * Renders one text for a locale; placeholders without a value render as empty text.
 * @throws {Error} when the key does not exist (flows are checked at load, so this means a bug).
 */
export function renderText(catalog: TextCatalog, locale: Locale, key: string, vars: TextVars): string {
  const text = catalog[locale][key];
  if (text === undefined) throw new Error(`No text "${key}" for locale ${locale}`);
  return text.replace(/\{(\w+)\}/g, (_, variable: string) => vars[variable as keyof TextVars] ?? '');
}
