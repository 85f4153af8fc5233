/**
 * The payment port: what every provider (Stripe Checkout, WhatsApp native order_details, the
 * sandbox pay page) offers the rest of the product. Provider JSON never leaves its adapter;
 * everything else speaks this vocabulary.
 */

/** A provider's statement about one payment, as found in a webhook or a lookup. */
export type PaymentEvent =
  | ({ type: 'PaymentSucceeded' } & PaymentEventBase)
  | ({ type: 'PaymentFailed'; reason: string | null } & PaymentEventBase)
  | ({ type: 'PaymentExpired' } & PaymentEventBase)
  | ({ type: 'PaymentPending' } & PaymentEventBase)
  | ({
      type: 'PaymentRefunded';
      refundRef: string;
      /** Total refunded so far on this payment, minor units. */
      refundedAmount: number;
    } & PaymentEventBase)
  | { type: 'NotSupported'; providerEventId: string; description: string };

export interface PaymentEventBase {
  /** Our payment id, round-tripped through the provider (Stripe metadata, order reference_id). */
  paymentId: string;
  /** Dedupe key: the provider's event id, or a stable id built from the status it reports. */
  providerEventId: string;
  /** Session id, transaction id: the provider's handle for the payment. */
  providerRef: string | null;
  amount: number | null;
  currency: string | null;
  at: Date;
}

export interface CreatePaymentInput {
  paymentId: string;
  reference: string;
  amount: number;
  currency: string;
  description: string;
  items: { name: string; quantity: number; amount: number }[];
  locale: string;
  customerWaId: string;
  expiresAt: Date;
  /** Where the provider sends the customer back to. */
  returnUrl: string;
}

export interface CreatedPayment {
  providerRef: string;
  /** Hosted checkout to redirect `/pay/:token` to; null when the payment lives in the chat. */
  checkoutUrl: string | null;
  /**
   * When the provider will stop accepting this payment, when that differs from what was asked
   * (Stripe keeps a Checkout Session open 30 minutes to 24 hours, whatever we ask).
   */
  expiresAt?: Date;
}

export interface RefundInput {
  paymentId: string;
  providerRef: string;
  amount: number;
  currency: string;
  /** Same key on a retry, so the provider refunds once. */
  idempotencyKey: string;
  /**
   * Total refunded on this payment once this refund succeeds, minor units. Stripe records it on the
   * refund, so a later `refund.updated` can report the running total; keep it the same on a retry.
   */
  refundedTotal?: number;
}

export interface RefundResult {
  refundRef: string;
  status: 'pending' | 'succeeded' | 'failed';
}

export interface PaymentProvider {
  readonly name: 'stripe' | 'whatsapp' | 'sandbox';
  /** @throws PaymentProviderError when the provider refuses or cannot be reached after retries. */
  createPayment(input: CreatePaymentInput): Promise<CreatedPayment>;
  refund(input: RefundInput): Promise<RefundResult>;
  /** What the provider says now; used by reconciliation when a webhook never came. */
  lookup(payment: { paymentId: string; providerRef: string | null }): Promise<PaymentEvent[]>;
}
