import type { Effect } from '../engine/types.js';
import { loadOrCreateConversation, type Db, type InboundEventRow } from '../store/index.js';
import { requestPayment } from './applyPaymentEffect.js';
import { applyPaymentEvent } from './applyPaymentEvent.js';
import type { PaymentDeps } from './deps.js';
import { decideRefund } from './refunds.js';
import { revivePaymentEvent, storePaymentEvents } from './storePaymentEvents.js';

/** Inbound event kinds the payment layer handles (see handleEvent). */
export const PAYMENT_EVENT_KINDS = [
  'payment',
  'payment_status',
  'refund_decision',
  'payment_request',
] as const;

/** True for the queue of one payment's own events (`payment:<id>`). */
export const isPaymentQueue = (conversationId: string | null) =>
  conversationId?.startsWith('payment:') ?? false;

/** What staff put in a `refund_decision` event. */
export interface RefundDecisionPayload {
  refundId: string;
  decision: 'approve' | 'reject';
  staff: string;
  note: string | null;
}

/** What staff put in a `payment_request` event: a payment link sent by hand from the inbox. */
export type PaymentRequestPayload = Omit<Extract<Effect, { type: 'RequestPayment' }>, 'type' | 'id'>;

/** The RequestPayment effect id of a staff `payment_request` event (its payment and link message derive from it). */
export const paymentLinkEffectId = (eventId: number | string) => `evt-${eventId}:0`;

/**
 * Handles one stored event of the payment layer inside the worker's transaction: provider
 * statements, expiry timers, WhatsApp payment statuses, staff refund decisions and staff payment
 * requests.
 */
export async function handlePaymentQueueEvent(
  tx: Db,
  event: InboundEventRow,
  deps: PaymentDeps,
  now: Date,
): Promise<void> {
  switch (event.kind) {
    case 'payment':
      await applyPaymentEvent(tx, revivePaymentEvent(event.payload), event.externalId, deps, now);
      return;
    case 'timer': {
      const { name, payload } = event.payload as { name: string; payload: { paymentId: string } };
      if (name !== 'payment_expiry') return;
      await applyPaymentEvent(
        tx,
        {
          type: 'PaymentExpired',
          paymentId: payload.paymentId,
          providerEventId: `expiry:${payload.paymentId}`,
          providerRef: null,
          amount: null,
          currency: null,
          at: now,
        },
        event.externalId,
        deps,
        now,
      );
      return;
    }
    case 'payment_status': {
      if (!deps.parsePaymentStatus) {
        deps.logger.warn(
          { eventId: event.id },
          'WhatsApp payment status kept: no parser for native payments',
        );
        return;
      }
      // Re-queued on each payment's own queue, so they apply in order with that payment's other events.
      await storePaymentEvents(tx, 'whatsapp', deps.parsePaymentStatus(event.payload), now);
      return;
    }
    case 'refund_decision': {
      const payload = event.payload as RefundDecisionPayload;
      await decideRefund(tx, payload, deps, now);
      return;
    }
    case 'payment_request': {
      const [phoneNumberId, waId] = (event.conversationId ?? '').split(':');
      if (!phoneNumberId || !waId) throw new Error(`payment_request without a customer conversation`);
      const conversation = await loadOrCreateConversation(
        tx,
        event.conversationId as string,
        phoneNumberId,
        waId,
      );
      const payload = event.payload as PaymentRequestPayload;
      await requestPayment(
        tx,
        conversation,
        { type: 'RequestPayment', id: paymentLinkEffectId(event.id), ...payload },
        deps,
        now,
      );
      return;
    }
  }
}
