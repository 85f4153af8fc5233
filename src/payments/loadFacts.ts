import { and, desc, eq, gt, gte, inArray, lt, or } from 'drizzle-orm';
import type { ConversationFacts } from '../engine/types.js';
import { bookings, type Db } from '../store/index.js';
import { findInvoices } from './invoices.js';
import { recentPayments, toBookingFacts, toInvoiceFacts, toPaymentFacts } from './paymentsRepo.js';

/** How far ahead the calendar is loaded for flows that offer slots. */
const BUSY_DAYS = 21;
const RECENT_DAYS = 30;
const REFERENCE = /\bINV-[A-Z0-9]+(?:-[A-Z0-9]+)*\b/gi;

/**
 * What the store knows that a turn may need, loaded before decide() so decide() stays pure: the
 * customer's payments of the last 30 days and their current bookings, busy intervals of the next
 * 21 days (held and confirmed bookings of everyone), the customer's invoices and any invoice
 * named by reference (INV-…) in the text.
 *
 * @example const facts = await loadFacts(tx, { waId: '393331234567', text: 'pay INV-2026-0001', now });
 */
export async function loadFacts(
  db: Db,
  input: { waId: string; text: string | null; now: Date; publicBaseUrl?: string },
): Promise<ConversationFacts> {
  const { waId, now } = input;
  const references = [...new Set([...(input.text ?? '').matchAll(REFERENCE)].map((m) => m[0].toUpperCase()))];
  const horizon = new Date(now.getTime() + BUSY_DAYS * 86_400_000);
  const active = or(
    eq(bookings.status, 'confirmed'),
    and(eq(bookings.status, 'held'), gt(bookings.holdExpiresAt, now)),
  );
  const [payments, own, busy, invoices] = await Promise.all([
    recentPayments(db, waId, new Date(now.getTime() - RECENT_DAYS * 86_400_000)),
    db
      .select()
      .from(bookings)
      .where(and(eq(bookings.waId, waId), gte(bookings.end, new Date(now.getTime() - 86_400_000))))
      .orderBy(desc(bookings.start))
      .limit(20),
    db
      .select({ start: bookings.start, end: bookings.end })
      .from(bookings)
      .where(
        and(
          lt(bookings.start, horizon),
          gt(bookings.end, now),
          inArray(bookings.status, ['held', 'confirmed']),
          active,
        ),
      )
      .orderBy(bookings.start),
    findInvoices(db, waId, references),
  ]);
  return {
    payments: payments.map((p) => toPaymentFacts(p, input.publicBaseUrl ?? '')),
    bookings: own.map(toBookingFacts),
    busy: busy.map((b) => ({ start: b.start.toISOString(), end: b.end.toISOString() })),
    invoices: invoices.map(toInvoiceFacts),
  };
}
