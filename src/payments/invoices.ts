import { and, eq, inArray, sql } from 'drizzle-orm';
import { parse } from 'csv-parse/sync';
import { z } from 'zod';
import type { Business } from '../business/loadBusiness.js';
import { invoiceOrders, type Db, type InvoiceOrderRow } from '../store/index.js';
import { localParts, parseAmount } from './format.js';

const CURRENCIES = new Set(Intl.supportedValuesOf('currency'));
const isCurrency = (code: string) => CURRENCIES.has(code);

const isDate = (text: string) => {
  const at = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(at.getTime()) && at.toISOString().slice(0, 10) === text;
};

/** An invoice payment order, as the API accepts it. Amounts in minor units. */
export const invoiceInput = z.object({
  reference: z
    .string()
    .trim()
    .toUpperCase()
    .regex(/^[A-Z0-9][A-Z0-9-]{2,39}$/, {
      message: 'expected a reference of 3–40 letters, digits and dashes, such as INV-2026-0003',
    }),
  phone: z
    .string()
    .transform((v) => v.replace(/[\s().-]/g, '').replace(/^\+/, ''))
    .pipe(
      z
        .string()
        .regex(/^\d{6,15}$/, { message: 'expected a phone number in international form, 6 to 15 digits' }),
    ),
  amount: z
    .number({ message: 'expected the amount in minor units (cents), a whole number' })
    .int({ message: 'expected the amount in minor units (cents), a whole number' })
    .positive({ message: 'expected an amount greater than 0' }),
  currency: z
    .string()
    .trim()
    .toUpperCase()
    .refine((c) => /^[A-Z]{3}$/.test(c) && isCurrency(c), {
      message: 'expected an ISO 4217 currency code such as EUR',
    }),
  dueDate: z.string().trim().refine(isDate, { message: 'expected a date as YYYY-MM-DD' }),
  description: z.string().trim().min(1, { message: 'expected a description' }).max(200, {
    message: 'expected a description of at most 200 characters',
  }),
});
export type InvoiceInput = z.infer<typeof invoiceInput>;

/**
 * Creates an invoice order. The same reference with the same content again is accepted and
 * changes nothing (a retried request); with other content it is refused.
 * @returns the order and whether it was created now, or a conflict message.
 */
export async function createInvoice(
  db: Db,
  input: InvoiceInput,
  now: Date,
): Promise<{ invoice: InvoiceOrderRow; created: boolean } | { conflict: string }> {
  const [inserted] = await db
    .insert(invoiceOrders)
    .values({
      reference: input.reference,
      waId: input.phone,
      amount: input.amount,
      currency: input.currency,
      dueDate: input.dueDate,
      description: input.description,
      createdAt: now,
      updatedAt: now,
    })
    .onConflictDoNothing({ target: invoiceOrders.reference })
    .returning();
  if (inserted) return { invoice: inserted, created: true };
  const [existing] = await db
    .select()
    .from(invoiceOrders)
    .where(eq(invoiceOrders.reference, input.reference));
  const same =
    existing &&
    existing.waId === input.phone &&
    existing.amount === input.amount &&
    existing.currency === input.currency &&
    existing.dueDate === input.dueDate &&
    existing.description === input.description;
  if (same) return { invoice: existing, created: false };
  return { conflict: `Invoice ${input.reference} already exists with other details` };
}

/** One row of an import report. Line numbers count the header as line 1. */
export interface ImportRow {
  line: number;
  reference: string | null;
  outcome: 'created' | 'would_create' | 'unchanged' | 'skipped';
  problems: string[];
}

const COLUMNS = ['reference', 'phone', 'amount', 'currency', 'due_date', 'description'] as const;

/**
 * Imports invoice orders from CSV (reference, phone, amount, currency, due date, description;
 * amounts as decimals such as 89.90). Each row is checked whole: a bad row is skipped entirely
 * and reported with what is wrong; good rows are written together, in one transaction. Without
 * `confirm` nothing is written: the report is a preview.
 *
 * @throws {Error} with a message for the caller when the CSV cannot be read or lacks columns.
 */
export async function importInvoicesCsv(
  db: Db,
  csv: string,
  options: { confirm: boolean; now: Date; maxRows?: number },
): Promise<{ rows: ImportRow[]; created: number; skipped: number; confirmed: boolean }> {
  let records: Record<string, string>[];
  try {
    records = parse(csv, {
      columns: (header: string[]) =>
        header.map((h) =>
          h
            .trim()
            .toLowerCase()
            .replace(/[\s-]+/g, '_'),
        ),
      skip_empty_lines: true,
      trim: true,
      bom: true,
      relax_column_count: true,
    }) as Record<string, string>[];
  } catch (error) {
    throw new CsvError(`The CSV cannot be read: ${(error as Error).message}`);
  }
  if (records.length === 0) throw new CsvError('The CSV has no rows under its header');
  const missing = COLUMNS.filter((c) => !(c in (records[0] as object)));
  if (missing.length > 0)
    throw new CsvError(
      `The CSV lacks the column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (expected: reference, phone, amount, currency, due date, description)`,
    );
  if (records.length > (options.maxRows ?? 5_000))
    throw new CsvError(
      `The CSV has ${records.length} rows; import at most ${options.maxRows ?? 5_000} at once`,
    );

  const rows: ImportRow[] = [];
  const good: { row: ImportRow; input: InvoiceInput }[] = [];
  const seen = new Set<string>();
  records.forEach((record, index) => {
    const row: ImportRow = {
      line: index + 2,
      reference: record.reference || null,
      outcome: 'skipped',
      problems: [],
    };
    rows.push(row);
    const currency = (record.currency ?? '').trim().toUpperCase();
    const amount = isCurrency(currency) ? parseAmount(record.amount ?? '', currency) : null;
    const parsed = invoiceInput.safeParse({
      reference: record.reference ?? '',
      phone: record.phone ?? '',
      amount: amount ?? Number.NaN,
      currency,
      dueDate: record.due_date ?? '',
      description: record.description ?? '',
    });
    if (!parsed.success) {
      row.problems = parsed.error.issues.map((issue) =>
        issue.path[0] === 'amount' && amount === null
          ? `amount: expected a decimal amount such as 89.90${isCurrency(currency) ? '' : ' (and a valid currency)'}`
          : `${String(issue.path[0] === 'dueDate' ? 'due date' : issue.path[0])}: ${issue.message}`,
      );
      return;
    }
    if (seen.has(parsed.data.reference)) {
      row.problems = [`reference: ${parsed.data.reference} appears twice in this file`];
      return;
    }
    seen.add(parsed.data.reference);
    row.reference = parsed.data.reference;
    good.push({ row, input: parsed.data });
  });

  const existing = good.length
    ? await db
        .select()
        .from(invoiceOrders)
        .where(
          inArray(
            invoiceOrders.reference,
            good.map((g) => g.input.reference),
          ),
        )
    : [];
  const byReference = new Map(existing.map((e) => [e.reference, e]));
  const toInsert: InvoiceInput[] = [];
  for (const { row, input } of good) {
    const known = byReference.get(input.reference);
    if (known) {
      const same =
        known.waId === input.phone &&
        known.amount === input.amount &&
        known.currency === input.currency &&
        known.dueDate === input.dueDate &&
        known.description === input.description;
      if (same) row.outcome = 'unchanged';
      else row.problems = [`reference: ${input.reference} already exists with other details`];
      continue;
    }
    row.outcome = options.confirm ? 'created' : 'would_create';
    toInsert.push(input);
  }
  if (options.confirm && toInsert.length > 0) {
    await db.transaction(async (tx) => {
      await tx.insert(invoiceOrders).values(
        toInsert.map((input) => ({
          reference: input.reference,
          waId: input.phone,
          amount: input.amount,
          currency: input.currency,
          dueDate: input.dueDate,
          description: input.description,
          createdAt: options.now,
          updatedAt: options.now,
        })),
      );
    });
  }
  return {
    rows,
    created: options.confirm ? toInsert.length : 0,
    skipped: rows.filter((r) => r.outcome === 'skipped').length,
    confirmed: options.confirm,
  };
}

/** A CSV the import cannot use at all (unreadable, missing columns, too many rows). */
export class CsvError extends Error {}

/** The demo business's invoices (seed/bella-studio.yaml), addressed to the sandbox's first customer. */
export async function seedDemoInvoices(db: Db, business: Business, waId: string, now: Date): Promise<void> {
  const today = localParts(now, business.timezone).date;
  const addDays = (date: string, days: number) =>
    new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
  const descriptions: Record<string, string> = {};
  for (const invoice of business.invoices)
    descriptions[invoice.reference] = `${business.name} ${invoice.reference}`;
  if (business.invoices.length === 0) return;
  await db
    .insert(invoiceOrders)
    .values(
      business.invoices.map((invoice) => ({
        reference: invoice.reference,
        waId,
        amount: invoice.amount,
        currency: business.currency,
        dueDate: addDays(today, invoice.dueInDays),
        description: descriptions[invoice.reference] as string,
        createdAt: now,
        updatedAt: now,
      })),
    )
    .onConflictDoNothing({ target: invoiceOrders.reference });
}

/** Open invoices of a customer and invoices named by reference. */
export async function findInvoices(db: Db, waId: string, references: string[]): Promise<InvoiceOrderRow[]> {
  return db
    .select()
    .from(invoiceOrders)
    .where(
      references.length
        ? sql`(${and(eq(invoiceOrders.waId, waId), inArray(invoiceOrders.status, ['open', 'paid']))}) OR ${inArray(invoiceOrders.reference, references)}`
        : and(eq(invoiceOrders.waId, waId), inArray(invoiceOrders.status, ['open', 'paid'])),
    )
    .orderBy(invoiceOrders.dueDate)
    .limit(20);
}
