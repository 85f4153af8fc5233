import type { Business } from '../business/loadBusiness.js';
import type { PaymentsConfig } from '../config.js';
import type { TextCatalog } from '../engine/texts.js';
import type { SendEffect } from '../engine/types.js';
import type { Db, PaymentRow } from '../store/index.js';
import type { Logger } from '../logger.js';
import type { PaymentMetrics } from './paymentMetrics.js';
import type { PaymentEvent, PaymentProvider } from './port.js';

/**
 * Turns the payload of a WhatsApp `payment_status` inbound event (see whatsapp/parseWebhook.ts,
 * `InboundPaymentStatusPayload`) into payment events. Supplied by the WhatsApp-native adapter.
 */
export type PaymentStatusParser = (payload: unknown) => PaymentEvent[];

/**
 * Builds the pay request that lives in the chat for a provider without a hosted checkout (the
 * WhatsApp-native `order_details` message), with the given outbox id; null sends the
 * `/pay/<token>` link instead. Supplied by the WhatsApp-native adapter.
 */
export type ChatPaymentRequestBuilder = (payment: PaymentRow, id: string) => SendEffect | null;

/** Everything the payment layer needs from the rest of the product. */
export interface PaymentDeps {
  config: Readonly<PaymentsConfig>;
  /** Links are `${publicBaseUrl}/pay/<token>`. */
  publicBaseUrl: string;
  business: Business;
  texts: TextCatalog;
  provider: PaymentProvider;
  /** WhatsApp payment_status payloads → payment events; without one they are kept but not applied. */
  parsePaymentStatus: PaymentStatusParser | null;
  /** In-chat pay requests (WhatsApp native); without one, customers get the link. */
  buildChatRequest: ChatPaymentRequestBuilder | null;
  logger: Logger;
  metrics: PaymentMetrics;
  /** Told inside the transaction when a payment succeeds (campaign revenue, Conversions API). */
  onSucceeded: ((tx: Db, payment: PaymentRow) => Promise<void>) | null;
}
