import type { InboundPaymentStatusPayload } from '../../whatsapp/parseWebhook.js';
import type { PaymentEvent } from '../port.js';
import { minorUnitsFromOffset } from './minorUnits.js';

/** One entry of a payment's `refunds[]`, in a webhook or a lookup answer. */
export interface WhatsAppRefund {
  id: string;
  status: string;
  amount?: { value: number; offset: number } | undefined;
  updated_timestamp?: unknown;
  created_timestamp?: unknown;
}

/**
 * Translates a stored `payment_status` item (India payment gateway / UPI status webhook, see
 * {@link InboundPaymentStatusPayload}) into payment events.
 *
 * The transaction decides: `success` (or an order `captured`) → PaymentSucceeded, `failed` →
 * PaymentFailed with the gateway's reason, `pending` → PaymentPending. Successful entries of
 * `refunds[]` add a PaymentRefunded with the running total. A status this product does not know
 * becomes NotSupported, so nothing is silently dropped. The payment id is the order's
 * `reference_id`, which the WhatsApp provider sets to our payment id.
 *
 * `receivedAt` stands in for Meta's timestamps when they are missing or not numbers.
 *
 * @example
 * if (row.kind === 'payment_status') events = parseWhatsAppPaymentStatus(row.payload as InboundPaymentStatusPayload, row.receivedAt);
 */
export function parseWhatsAppPaymentStatus(
  payload: InboundPaymentStatusPayload,
  receivedAt: Date,
): PaymentEvent[] {
  const { status } = payload;
  const { payment } = status;
  const transaction = payment.transaction;
  const eventId = `wa:payment:${status.id}:${status.status}:${transaction?.status ?? ''}`;
  const at = timeOf(transaction?.['updated_timestamp']) ?? timeOf(status.timestamp) ?? receivedAt;
  const base = {
    paymentId: payment.reference_id,
    providerEventId: eventId,
    providerRef: payment.reference_id,
    amount: minorUnitsFromOffset(payment.amount, payment.currency),
    currency: payment.currency ?? null,
    at,
  };
  const events: PaymentEvent[] = [];
  const outcome = classify(status.status, transaction?.status);
  if (outcome === 'succeeded') events.push({ type: 'PaymentSucceeded', ...base });
  else if (outcome === 'failed') {
    events.push({ type: 'PaymentFailed', reason: failureReason(transaction?.error), ...base });
  } else if (outcome === 'pending') events.push({ type: 'PaymentPending', ...base });
  else if (!payment.refunds?.length) {
    events.push({
      type: 'NotSupported',
      providerEventId: eventId,
      description: `WhatsApp payment status "${status.status}" (transaction "${transaction?.status ?? 'none'}") for reference ${payment.reference_id} is not one this product knows`,
    });
  }
  const refunded = refundEvent(payment.refunds, base, eventId, payment.currency);
  if (refunded) events.push(refunded);
  return events;
}

/** What a WhatsApp order status and its latest transaction status mean together. */
export function classify(
  orderStatus: string,
  transactionStatus: string | undefined,
): 'succeeded' | 'failed' | 'pending' | 'unknown' {
  const order = orderStatus.toLowerCase();
  const transaction = transactionStatus?.toLowerCase();
  if (transaction === 'success' || order === 'captured' || order === 'completed') return 'succeeded';
  if (transaction === 'failed' || order === 'failed') return 'failed';
  if (transaction === 'pending' || order === 'pending') return 'pending';
  return 'unknown';
}

/** PaymentRefunded with the total of the successful refunds, or null when there is none. */
export function refundEvent(
  refunds: WhatsAppRefund[] | undefined,
  base: Omit<Extract<PaymentEvent, { type: 'PaymentSucceeded' }>, 'type' | 'providerEventId'>,
  eventIdPrefix: string,
  currency: string | undefined,
): PaymentEvent | null {
  const succeeded = (refunds ?? []).filter((refund) => refund.status.toLowerCase() === 'success');
  if (succeeded.length === 0) return null;
  let total = 0;
  for (const refund of succeeded) {
    const amount = minorUnitsFromOffset(refund.amount, currency);
    // A refund without a readable amount cannot be totalled; better no event than a wrong total.
    if (amount === null) return null;
    total += amount;
  }
  const latest = succeeded[succeeded.length - 1] as WhatsAppRefund;
  return {
    type: 'PaymentRefunded',
    ...base,
    providerEventId: `${eventIdPrefix}:refunds:${succeeded.map((refund) => refund.id).join(',')}`,
    refundRef: latest.id,
    refundedAmount: total,
    at: timeOf(latest.updated_timestamp) ?? timeOf(latest.created_timestamp) ?? base.at,
  };
}

function failureReason(error: { code?: string; reason?: string } | undefined): string | null {
  if (!error) return null;
  return error.reason ?? error.code ?? null;
}

/** Unix seconds (number or digit string) as a Date; Meta's examples also use placeholder words. */
export function timeOf(value: unknown): Date | null {
  const seconds =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && /^\d+$/.test(value)
        ? Number(value)
        : NaN;
  return Number.isFinite(seconds) && seconds > 0 ? new Date(seconds * 1000) : null;
}
