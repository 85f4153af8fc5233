import { z } from 'zod';
import type { Business } from '../business/loadBusiness.js';

const product = z.looseObject({
  id: z.string(),
  name: z.string(),
  price: z.number().int().nonnegative(),
  /** Variant dimension → allowed values, e.g. `{ size: [S, M, L] }`. */
  variants: z.record(z.string(), z.array(z.string()).min(1)).default({}),
  /** When set, each item carries an engraving text of at most this many characters. */
  engravingMaxLength: z.number().int().positive().optional(),
});
export type Product = z.infer<typeof product>;

const quote = z.looseObject({
  id: z.string(),
  name: z.string(),
  basePrice: z.number().int().nonnegative(),
  perExtraPerson: z.number().int().nonnegative(),
  validDays: z.number().int().positive(),
  maxPeople: z.number().int().positive().default(20),
});
export type QuoteOffer = z.infer<typeof quote>;

export interface Catalog {
  products: Product[];
  quotes: QuoteOffer[];
}

const cache = new WeakMap<Business, Catalog>();

/**
 * The typed view of the business's products and quotes. The business file keeps them open-ended;
 * the flows need prices, variants and engraving limits, checked once.
 * @throws {Error} naming the product or quote that lacks what the flows need.
 */
export function readCatalog(business: Business): Catalog {
  const cached = cache.get(business);
  if (cached) return cached;
  const parse = <T>(schema: z.ZodType<T>, value: unknown, what: string): T => {
    const parsed = schema.safeParse(value);
    if (!parsed.success)
      throw new Error(
        `${what}: ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`,
      );
    return parsed.data;
  };
  const catalog = {
    products: business.products.map((p) => parse(product, p, `product ${p.id}`)),
    quotes: business.quotes.map((q) => parse(quote, q, `quote ${q.id}`)),
  };
  cache.set(business, catalog);
  return catalog;
}
