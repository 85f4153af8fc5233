import { and, eq, sql } from 'drizzle-orm';
import type { Effect } from '../engine/types.js';
import { logRef } from '../logger.js';
import { backoffMs } from '../jobs/backoff.js';
import { refunds, type ConversationRow, type Db, type PaymentRow, type RefundRow } from '../store/index.js';
import { queueChatMessage } from './chatMessage.js';
import type { PaymentDeps } from './deps.js';
import { formatAmount } from './format.js';
import {
  committedRefunds,
  findRefundsToProcess,
  getPayment,
  getRefund,
  lockPayment,
} from './paymentsRepo.js';
import { PROVIDER_DEADLINE_MS, withDeadline } from './paymentMetrics.js';
import { storePaymentEvents } from './storePaymentEvents.js';

type RequestRefundEffect = Extract<Effect, { type: 'RequestRefund' }>;

/** After this many failed provider calls a refund stays approved with its error, for staff. */
const REFUND_MAX_ATTEMPTS = 8;

/** A refund status the customer hears about, and the text that says it. */
const REFUND_TEXTS = {
  requested: 'payments.refund.requested',
  approved: 'payments.refund.processing',
  rejected: 'payments.refund.rejected',
} as const;

/** Queues the chat message for a refund's new status. */
export async function notifyRefund(
  tx: Db,
  payment: PaymentRow,
  refund: { id: string; amount: number },
  status: keyof typeof REFUND_TEXTS | 'outside_window' | 'deposit' | 'nothing',
  deps: PaymentDeps,
  now: Date,
  messageId = `refund:${refund.id}:${status}`,
) {
  const amount = formatAmount(refund.amount, payment.currency, payment.locale);
  const key =
    status in REFUND_TEXTS ? REFUND_TEXTS[status as keyof typeof REFUND_TEXTS] : `payments.refund.${status}`;
  const vars = { amount, reference: payment.reference, count: String(deps.config.refundWindowDays) };
  const text = (deps.texts[payment.locale as keyof typeof deps.texts]?.[key] ?? '').replace(
    /\{(\w+)\}/g,
    (_, name: string) => vars[name as keyof typeof vars] ?? '',
  );
  await queueChatMessage(
    tx,
    deps,
    {
      id: messageId,
      conversationId: payment.conversationId,
      recipient: payment.waId,
      locale: payment.locale,
      text: [{ key, vars }],
      template: { name: 'payment_refund_update', params: [amount, payment.reference, text] },
    },
    now,
  );
}

/**
 * A customer's refund request from a flow, checked against the policy: only the customer's own
 * paid payments, within the window, deposits only if refundable; above the approval limit it
 * waits for staff (requested), otherwise it is approved at once. Approved refunds go to the
 * provider (processing) and end refunded when it confirms.
 */
export async function requestRefund(
  tx: Db,
  conversation: ConversationRow,
  effect: RequestRefundEffect,
  deps: PaymentDeps,
  now: Date,
): Promise<RefundRow | null> {
  const id = `refund_${effect.id}`;
  const existing = await getRefund(tx, id);
  if (existing) return existing;
  const payment = await lockPayment(tx, effect.paymentId);
  if (!payment || payment.waId !== conversation.waId) {
    deps.logger.warn(
      { conversation: logRef(conversation.id) },
      'RequestRefund for a payment of someone else',
    );
    return null;
  }
  const refusal = (status: 'outside_window' | 'deposit' | 'nothing') =>
    notifyRefund(tx, payment, { id, amount: effect.amount }, status, deps, now, `${effect.id}:refund`);
  if (payment.status !== 'succeeded' && payment.status !== 'partially_refunded') {
    await refusal('nothing');
    return null;
  }
  if (payment.purpose === 'deposit' && !deps.config.depositsRefundable) {
    await refusal('deposit');
    return null;
  }
  const windowEnd =
    (payment.paidAt ?? payment.createdAt).getTime() + deps.config.refundWindowDays * 86_400_000;
  if (now.getTime() > windowEnd) {
    await refusal('outside_window');
    return null;
  }
  const left = payment.amount - (await committedRefunds(tx, payment.id));
  const amount = Math.min(effect.amount > 0 ? effect.amount : left, left);
  if (amount <= 0) {
    await refusal('nothing');
    return null;
  }
  const status = amount > deps.config.refundMaxWithoutApproval ? 'requested' : 'approved';
  const [refund] = await tx
    .insert(refunds)
    .values({
      id,
      paymentId: payment.id,
      amount,
      status,
      reason: effect.reason.slice(0, 500),
      requestedBy: 'customer',
      idempotencyKey: id,
      createdAt: now,
      updatedAt: now,
    })
    .returning();
  await notifyRefund(tx, payment, refund as RefundRow, status, deps, now);
  return refund as RefundRow;
}

/** Staff issue a refund directly (they are the approval): approved at once. */
export async function issueRefund(
  tx: Db,
  input: { paymentId: string; amount: number | null; reason: string; staff: string; key: string },
  deps: PaymentDeps,
  now: Date,
): Promise<{ refund: RefundRow | null; problem: string | null }> {
  const id = `refund_staff_${input.key}`;
  const existing = await getRefund(tx, id);
  if (existing) return { refund: existing, problem: null };
  const payment = await lockPayment(tx, input.paymentId);
  if (!payment) return { refund: null, problem: 'not_found' };
  if (payment.status !== 'succeeded' && payment.status !== 'partially_refunded')
    return { refund: null, problem: `payment is ${payment.status}; only paid payments can be refunded` };
  const left = payment.amount - (await committedRefunds(tx, payment.id));
  const amount = input.amount ?? left;
  if (amount <= 0 || amount > left)
    return { refund: null, problem: `amount must be between 1 and ${left} (what is left to refund)` };
  const [refund] = await tx
    .insert(refunds)
    .values({
      id,
      paymentId: payment.id,
      amount,
      status: 'approved',
      reason: input.reason,
      requestedBy: input.staff,
      decidedBy: input.staff,
      idempotencyKey: id,
      createdAt: now,
      updatedAt: now,
    })
    .returning();
  await notifyRefund(tx, payment, refund as RefundRow, 'approved', deps, now);
  return { refund: refund as RefundRow, problem: null };
}

/**
 * Staff approve or reject a refund waiting for approval. Approving checks again what is left to
 * refund, since other refunds may have happened meanwhile.
 */
export async function decideRefund(
  tx: Db,
  input: { refundId: string; decision: 'approve' | 'reject'; staff: string; note: string | null },
  deps: PaymentDeps,
  now: Date,
): Promise<{ refund: RefundRow | null; problem: string | null }> {
  const [refund] = await tx.select().from(refunds).where(eq(refunds.id, input.refundId)).for('update');
  if (!refund) return { refund: null, problem: 'not_found' };
  const target = input.decision === 'approve' ? 'approved' : 'rejected';
  if (refund.status === target) return { refund, problem: null };
  if (refund.status !== 'requested')
    return { refund, problem: `refund is already ${refund.status}; only requested refunds can be decided` };
  const payment = (await lockPayment(tx, refund.paymentId)) as PaymentRow;
  if (input.decision === 'approve') {
    const left = payment.amount - (await committedRefunds(tx, payment.id));
    if (refund.amount > left) return { refund, problem: `only ${left} is left to refund on this payment` };
  }
  const [updated] = await tx
    .update(refunds)
    .set({ status: target, decidedBy: input.staff, decisionNote: input.note, updatedAt: now })
    .where(eq(refunds.id, refund.id))
    .returning();
  await notifyRefund(tx, payment, refund, target, deps, now);
  return { refund: updated as RefundRow, problem: null };
}

/**
 * Carries out approved refunds at the provider, each with its own idempotency key, so a retry
 * after a crash refunds once. A completed refund becomes a PaymentRefunded event of its payment.
 * @returns how many refunds were attempted.
 */
export async function processRefunds(db: Db, deps: PaymentDeps, now: Date, limit = 20): Promise<number> {
  const due = await findRefundsToProcess(db, now, limit);
  for (const refund of due) {
    const payment = await getPayment(db, refund.paymentId);
    if (!payment) continue;
    try {
      const result = await withDeadline('refund', PROVIDER_DEADLINE_MS, () =>
        deps.provider.refund({
          paymentId: payment.id,
          providerRef: payment.providerRef ?? '',
          amount: refund.amount,
          currency: payment.currency,
          idempotencyKey: refund.idempotencyKey,
        }),
      );
      if (result.status === 'failed') throw new Error('the provider declined the refund');
      await db.transaction(async (tx) => {
        const t = tx as unknown as Db;
        await t
          .update(refunds)
          .set({ status: 'processing', providerRef: result.refundRef, lastError: null, updatedAt: now })
          .where(eq(refunds.id, refund.id));
        if (result.status === 'succeeded') {
          const total = await refundedTotal(t, payment.id, refund.id);
          await storePaymentEvents(
            t,
            deps.provider.name,
            [
              {
                type: 'PaymentRefunded',
                paymentId: payment.id,
                providerEventId: `refund:${refund.id}`,
                providerRef: null,
                refundRef: result.refundRef,
                refundedAmount: total,
                amount: refund.amount,
                currency: payment.currency,
                at: now,
              },
            ],
            now,
          );
        }
      });
    } catch (error) {
      deps.metrics.providerErrors.inc({ operation: 'refund' });
      const attempts = refund.attempts + 1;
      const message = error instanceof Error ? error.message : String(error);
      await db
        .update(refunds)
        .set({
          attempts,
          lastError: message.slice(0, 1000),
          nextAttemptAt:
            attempts < REFUND_MAX_ATTEMPTS
              ? new Date(now.getTime() + backoffMs(attempts))
              : new Date(8.64e15),
          updatedAt: now,
        })
        .where(eq(refunds.id, refund.id));
      deps.logger.warn(
        { refund: refund.id, attempt: attempts, err: message },
        'refund failed at the provider',
      );
    }
  }
  return due.length;
}

/** What the payment will have refunded once this refund completes. */
async function refundedTotal(db: Db, paymentId: string, refundId: string): Promise<number> {
  const [row] = await db
    .select({ total: sql<string>`coalesce(sum(${refunds.amount}), 0)` })
    .from(refunds)
    .where(
      and(
        eq(refunds.paymentId, paymentId),
        sql`(${refunds.status} = 'refunded' OR ${refunds.id} = ${refundId})`,
      ),
    );
  return Number(row?.total ?? 0);
}
