import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { z } from 'zod';
import { normalizeText, tokenize } from './normalizeText.js';

/** What the slot parser needs to know about one thing the business sells. */
export interface CatalogItem {
  id: string;
  name: string;
  /** Variant kinds and their values, e.g. `{ size: ['S', 'M', 'L'] }`. */
  variants?: Record<string, string[]>;
}

/** The business as the intent layer sees it: what it sells and its clock's time zone. */
export interface Catalog {
  items: CatalogItem[];
  timeZone: string;
}

const synonymsSchema = z.object({
  items: z.record(z.string(), z.array(z.string())),
  variants: z.record(z.string(), z.array(z.string())),
});

const SYNONYMS_FILE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'catalogSynonyms.yaml');
let synonyms: z.infer<typeof synonymsSchema> | null = null;
function loadSynonyms() {
  synonyms ??= synonymsSchema.parse(parse(readFileSync(SYNONYMS_FILE, 'utf8')));
  return synonyms;
}

interface Business {
  timezone: string;
  services: { id: string; name: string }[];
  products: { id: string; name: string; variants?: unknown }[];
  quotes: { id: string; name: string }[];
}

/** The catalog of a business profile (services, products with their variants, quotes). */
export function catalogFromBusiness(business: Business): Catalog {
  const variantsOf = (value: unknown): Record<string, string[]> | undefined => {
    const parsed = z.record(z.string(), z.array(z.string())).safeParse(value);
    return parsed.success ? parsed.data : undefined;
  };
  return {
    timeZone: business.timezone,
    items: [
      ...business.services.map(({ id, name }) => ({ id, name })),
      ...business.products.map(({ id, name, variants }) => ({ id, name, variants: variantsOf(variants) })),
      ...business.quotes.map(({ id, name }) => ({ id, name })),
    ],
  };
}

function editDistanceAtMostOne(a: string, b: string): boolean {
  if (Math.abs(a.length - b.length) > 1) return false;
  let i = 0;
  let j = 0;
  let edits = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      i++;
      j++;
      continue;
    }
    if (++edits > 1) return false;
    if (a.length > b.length) i++;
    else if (b.length > a.length) j++;
    else if (a[i] === b[j + 1] && a[i + 1] === b[j]) {
      // A swap of two neighbouring letters is one typo.
      i += 2;
      j += 2;
    } else {
      i++;
      j++;
    }
  }
  return edits + (a.length - i) + (b.length - j) <= 1;
}

/** A written word matches a catalog word exactly, as a plural or inflection, or with one typo. */
function wordMatches(written: string, wanted: string): boolean {
  if (written === wanted) return true;
  if (wanted.length >= 4 && written.startsWith(wanted) && written.length - wanted.length <= 2) return true;
  return wanted.length >= 5 && editDistanceAtMostOne(written, wanted);
}

/** Where a phrase occurs in the words, as consecutive matching words. */
function findPhrase(words: string[], phrase: string[]): number {
  for (let i = 0; i + phrase.length <= words.length; i++) {
    if (phrase.every((p, k) => wordMatches(words[i + k] as string, p))) return i;
  }
  return -1;
}

interface CompiledCatalog {
  phrases: { item: CatalogItem; words: string[]; length: number }[];
  variantNames: Map<string, string[][]>;
}
const compiled = new WeakMap<Catalog, CompiledCatalog>();

/** Names and synonyms as normalized words, once per catalog. */
function compile(catalog: Catalog): CompiledCatalog {
  let result = compiled.get(catalog);
  if (result) return result;
  const { items: itemSynonyms, variants: variantSynonyms } = loadSynonyms();
  const phrases = catalog.items.flatMap((item) =>
    [item.name, ...(itemSynonyms[item.id] ?? [])]
      .map((phrase) => tokenize(normalizeText(phrase)))
      .filter((words) => words.length > 0)
      .map((words) => ({ item, words, length: words.join(' ').length })),
  );
  const variantNames = new Map<string, string[][]>();
  for (const value of catalog.items.flatMap((i) => Object.values(i.variants ?? {}).flat())) {
    variantNames.set(
      value,
      [value, ...(variantSynonyms[value] ?? [])].map((n) => tokenize(normalizeText(n))),
    );
  }
  result = { phrases, variantNames };
  compiled.set(catalog, result);
  return result;
}

const SIZE_CUE = /\b(size|taglia|misura|taille|talla|tamanho|grosse|gr)\s+([sml])\b/;

/**
 * The catalog item a message names, and a variant value of it, by names and multilingual
 * synonyms; the longest name found wins ("leather wallet" over "wallet").
 */
export function parseCatalog(
  text: string,
  catalog: Catalog,
): { product: string | null; variant: string | null } {
  const normalized = normalizeText(text);
  const words = tokenize(normalized);
  const { phrases, variantNames } = compile(catalog);
  let product: CatalogItem | null = null;
  let bestLength = 0;
  for (const { item, words: phraseWords, length } of phrases) {
    if (length > bestLength && findPhrase(words, phraseWords) >= 0) {
      product = item;
      bestLength = length;
    }
  }

  const candidates = product?.variants
    ? Object.values(product.variants).flat()
    : catalog.items.flatMap((i) => Object.values(i.variants ?? {}).flat());
  let variant: string | null = null;
  const sizeCue = SIZE_CUE.exec(normalized)?.[2];
  for (const value of candidates) {
    if (value.length === 1) {
      const letter = value.toLowerCase();
      const alone = normalized === letter || sizeCue === letter;
      const written = product !== null && new RegExp(`(^|\\s)${value}(\\s|$|[.,!?])`).test(text);
      if (alone || written) variant = value;
    }
    if (variant) break;
    // Colour and size words name a variant only next to a product, or in a short answer.
    if (!product && words.length > 3) continue;
    const names = variantNames.get(value) ?? [];
    if (
      names.some(
        (name) => name.length > 0 && name.every((w) => words.includes(w)) && name.join('').length > 1,
      )
    ) {
      variant = value;
      break;
    }
  }
  return { product: product?.id ?? null, variant };
}
