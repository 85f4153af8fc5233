import { and, desc, eq, gt, gte, inArray, isNull, lt, lte, or, sql } from 'drizzle-orm';
import type { BookingFacts, InvoiceFacts, PaymentFacts, PaymentStatus } from '../engine/types.js';
import {
  bookings,
  invoiceOrders,
  paymentTransitions,
  payments,
  queryRows,
  refunds,
  type BookingRow,
  type Db,
  type InvoiceOrderRow,
  type PaymentRow,
  type RefundRow,
} from '../store/index.js';

export type NewPayment = typeof payments.$inferInsert;

/** Inserts a payment; false when one with this id exists (a replayed request). */
export async function insertPayment(db: Db, row: NewPayment): Promise<boolean> {
  const inserted = await db
    .insert(payments)
    .values(row)
    .onConflictDoNothing({ target: payments.id })
    .returning({ id: payments.id });
  return inserted.length === 1;
}

export async function getPayment(db: Db, id: string): Promise<PaymentRow | null> {
  const [row] = await db.select().from(payments).where(eq(payments.id, id));
  return row ?? null;
}

/** Reads a payment and locks its row until the transaction ends. */
export async function lockPayment(tx: Db, id: string): Promise<PaymentRow | null> {
  const [row] = await tx.select().from(payments).where(eq(payments.id, id)).for('update');
  return row ?? null;
}

export async function getPaymentByToken(db: Db, token: string): Promise<PaymentRow | null> {
  const [row] = await db.select().from(payments).where(eq(payments.token, token));
  return row ?? null;
}

/** Payments a customer asked for since `since`, not counting fresh links for the same request. */
export async function countPaymentsSince(db: Db, waId: string, since: Date): Promise<number> {
  const rows = await queryRows<{ n: string | number }>(
    db,
    sql`SELECT count(*) AS n FROM payments
        WHERE wa_id = ${waId} AND retry_of IS NULL AND created_at >= ${since.toISOString()}::timestamptz`,
  );
  return Number(rows[0]?.n ?? 0);
}

/**
 * Records one transition, keyed by the event that caused it.
 * @returns false when that event was already recorded (a replay).
 */
export async function recordTransition(
  tx: Db,
  row: {
    paymentId: string;
    from: string;
    to: string;
    refundedAmount: number;
    sourceEventId: string;
    at: Date;
  },
): Promise<boolean> {
  const inserted = await tx
    .insert(paymentTransitions)
    .values(row)
    .onConflictDoNothing({ target: paymentTransitions.sourceEventId })
    .returning({ id: paymentTransitions.id });
  return inserted.length === 1;
}

export async function updatePayment(
  tx: Db,
  id: string,
  patch: Partial<
    Pick<PaymentRow, 'status' | 'refundedAmount' | 'paidAt' | 'providerRef' | 'checkoutUrl' | 'lastCheckedAt'>
  >,
): Promise<void> {
  await tx
    .update(payments)
    .set({ ...patch, updatedAt: sql`clock_timestamp()` })
    .where(eq(payments.id, id));
}

/** Stores a payment's checkout unless one is stored already; returns the stored one. */
export async function recordCheckout(
  db: Db,
  id: string,
  providerRef: string,
  checkoutUrl: string | null,
): Promise<string | null> {
  await db
    .update(payments)
    .set({ providerRef, checkoutUrl, updatedAt: sql`clock_timestamp()` })
    .where(and(eq(payments.id, id), isNull(payments.checkoutUrl)));
  const [row] = await db
    .select({ checkoutUrl: payments.checkoutUrl })
    .from(payments)
    .where(eq(payments.id, id));
  return row?.checkoutUrl ?? null;
}

/** Payments still waiting for news that no one has asked the provider about for `olderThan`. */
export async function findPaymentsToReconcile(db: Db, olderThan: Date, limit: number): Promise<PaymentRow[]> {
  return db
    .select()
    .from(payments)
    .where(
      and(
        inArray(payments.status, ['created', 'pending']),
        lt(payments.createdAt, olderThan),
        or(isNull(payments.lastCheckedAt), lt(payments.lastCheckedAt, olderThan)),
      ),
    )
    .orderBy(payments.createdAt)
    .limit(limit);
}

export async function listTransitions(db: Db, paymentId: string) {
  return db
    .select()
    .from(paymentTransitions)
    .where(eq(paymentTransitions.paymentId, paymentId))
    .orderBy(paymentTransitions.id);
}

// ─── Bookings ───

/** Held (and not yet lapsed) or confirmed bookings overlapping [start, end). */
export async function findOverlappingBookings(
  db: Db,
  start: Date,
  end: Date,
  now: Date,
  exceptId?: string,
): Promise<BookingRow[]> {
  return db
    .select()
    .from(bookings)
    .where(
      and(
        lt(bookings.start, end),
        gt(bookings.end, start),
        or(
          eq(bookings.status, 'confirmed'),
          and(eq(bookings.status, 'held'), gt(bookings.holdExpiresAt, now)),
        ),
        exceptId ? sql`${bookings.id} <> ${exceptId}` : undefined,
      ),
    );
}

/** Serialises calendar changes, so two conversations can never hold the same slot. */
export async function lockCalendar(tx: Db): Promise<void> {
  await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtextextended('payments:calendar', 0))`);
}

export async function getBooking(db: Db, id: string): Promise<BookingRow | null> {
  const [row] = await db.select().from(bookings).where(eq(bookings.id, id));
  return row ?? null;
}

export async function updateBooking(
  tx: Db,
  id: string,
  patch: Partial<Pick<BookingRow, 'status' | 'balance' | 'depositPaymentId' | 'holdExpiresAt'>>,
): Promise<void> {
  await tx
    .update(bookings)
    .set({ ...patch, updatedAt: sql`clock_timestamp()` })
    .where(eq(bookings.id, id));
}

/**
 * Releases held slots whose hold ended without a deposit request (a flow that held and never
 * asked); holds with a deposit are released by their payment's expiry, which tells the customer.
 * @returns how many were released.
 */
export async function releaseLapsedHolds(db: Db, now: Date): Promise<number> {
  const released = await db
    .update(bookings)
    .set({ status: 'released', updatedAt: sql`clock_timestamp()` })
    .where(
      and(eq(bookings.status, 'held'), isNull(bookings.depositPaymentId), lt(bookings.holdExpiresAt, now)),
    )
    .returning({ id: bookings.id });
  return released.length;
}

// ─── Refunds ───

export async function getRefund(db: Db, id: string): Promise<RefundRow | null> {
  const [row] = await db.select().from(refunds).where(eq(refunds.id, id));
  return row ?? null;
}

/** Money already refunded or on its way for a payment (requested ones are not counted). */
export async function committedRefunds(db: Db, paymentId: string): Promise<number> {
  const rows = await queryRows<{ total: string | number | null }>(
    db,
    sql`SELECT coalesce(sum(amount), 0) AS total FROM refunds
        WHERE payment_id = ${paymentId} AND status IN ('approved', 'processing', 'refunded')`,
  );
  return Number(rows[0]?.total ?? 0);
}

/** Approved refunds the provider has not accepted yet, due now. */
export async function findRefundsToProcess(db: Db, now: Date, limit: number): Promise<RefundRow[]> {
  return db
    .select()
    .from(refunds)
    .where(
      and(
        eq(refunds.status, 'approved'),
        isNull(refunds.providerRef),
        or(isNull(refunds.nextAttemptAt), lte(refunds.nextAttemptAt, now)),
      ),
    )
    .orderBy(refunds.createdAt)
    .limit(limit);
}

// ─── Invoices ───

export async function getInvoice(db: Db, reference: string): Promise<InvoiceOrderRow | null> {
  const [row] = await db.select().from(invoiceOrders).where(eq(invoiceOrders.reference, reference));
  return row ?? null;
}

// ─── Facts for flows ───

export function toPaymentFacts(row: PaymentRow, publicBaseUrl: string): PaymentFacts {
  return {
    id: row.id,
    reference: row.reference,
    purpose: row.purpose,
    subjectId: row.subjectId,
    status: row.status as PaymentStatus,
    amount: row.amount,
    refundedAmount: row.refundedAmount,
    currency: row.currency,
    description: row.description,
    link: row.provider === 'whatsapp' ? null : `${publicBaseUrl}/pay/${row.token}`,
    createdAt: row.createdAt.toISOString(),
    paidAt: row.paidAt?.toISOString() ?? null,
  };
}

export function toBookingFacts(row: BookingRow): BookingFacts {
  return {
    id: row.id,
    reference: row.reference,
    serviceId: row.serviceId,
    start: row.start.toISOString(),
    end: row.end.toISOString(),
    status: row.status,
    depositPaymentId: row.depositPaymentId,
    balance: row.balance,
  };
}

export function toInvoiceFacts(row: InvoiceOrderRow): InvoiceFacts {
  return {
    reference: row.reference,
    amount: row.amount,
    currency: row.currency,
    dueDate: row.dueDate,
    description: row.description,
    status: row.status,
  };
}

export async function recentPayments(db: Db, waId: string, since: Date, limit = 20): Promise<PaymentRow[]> {
  return db
    .select()
    .from(payments)
    .where(and(eq(payments.waId, waId), gte(payments.createdAt, since)))
    .orderBy(desc(payments.createdAt))
    .limit(limit);
}
