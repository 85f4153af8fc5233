/**
 * The engine's vocabulary. Flows see these events and return these effects; Meta and payment
 * provider JSON never reach them (translation happens once, in whatsapp/ and payments/).
 */

export type DomainEvent =
  | { type: 'TextReceived'; text: string }
  | { type: 'ChoiceMade'; choiceId: string; title: string }
  | { type: 'MediaReceived'; mediaType: string; caption: string | null }
  | { type: 'LocationReceived'; latitude: number; longitude: number; name: string | null }
  | { type: 'OrderSubmitted'; catalogId: string | null; items: { productId: string; quantity: number }[] }
  | { type: 'ReactionReceived'; emoji: string | null }
  | { type: 'UnsupportedReceived' }
  | { type: 'TimerFired'; name: string; payload: unknown }
  | { type: 'StaffReleased'; closingText: string | null }
  /** A payment this conversation asked for changed status (one event per real change). */
  | { type: 'PaymentUpdated'; payment: PaymentFacts }
  /**
   * The customer arrived through a campaign (an ad click or one of our links): start its entry
   * flow, after its welcome text if it has one. Unknown flows fall back to the usual welcome.
   */
  | { type: 'CampaignEntered'; campaignId: string; flow: string; welcomeText: string | null };

/** Payment states; the payment layer never moves a payment backwards. */
export const PAYMENT_STATUSES = [
  'created',
  'pending',
  'succeeded',
  'failed',
  'expired',
  'partially_refunded',
  'refunded',
] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

/** What a payment is for; `subjectId` names the order, booking, quote or invoice reference. */
export const PAYMENT_PURPOSES = ['order', 'deposit', 'quote', 'invoice', 'link'] as const;
export type PaymentPurpose = (typeof PAYMENT_PURPOSES)[number];

/** A payment as flows see it. Amounts are integer minor units of `currency` (ISO 4217). */
export interface PaymentFacts {
  id: string;
  /** Human reference shown to the customer (ORD-…, BKG-…, QUO-…, INV-…). */
  reference: string;
  purpose: PaymentPurpose;
  subjectId: string | null;
  status: PaymentStatus;
  amount: number;
  refundedAmount: number;
  currency: string;
  description: string;
  /** `${PUBLIC_BASE_URL}/pay/<token>`, null for native WhatsApp pay requests. */
  link: string | null;
  createdAt: string;
  paidAt: string | null;
}

/** A booking as flows see it. Times are ISO instants. */
export interface BookingFacts {
  id: string;
  reference: string;
  serviceId: string;
  start: string;
  end: string;
  status: 'held' | 'confirmed' | 'released' | 'cancelled';
  depositPaymentId: string | null;
  /** What is left to pay at the appointment, minor units. */
  balance: number;
}

/** An invoice payment order as flows see it. */
export interface InvoiceFacts {
  reference: string;
  amount: number;
  currency: string;
  /** Local date, YYYY-MM-DD. */
  dueDate: string;
  description: string;
  status: 'open' | 'paid' | 'cancelled';
}

/**
 * What the store knows that a turn may need, loaded before decide() so decide() stays pure:
 * the customer's recent payments and bookings, busy calendar intervals for the next weeks, and
 * invoices addressed to this customer or named by reference in the message.
 */
export interface ConversationFacts {
  payments: PaymentFacts[];
  bookings: BookingFacts[];
  busy: { start: string; end: string }[];
  invoices: InvoiceFacts[];
}

/** What the intent layer understood of a customer's words. Never amounts or links. */
export interface Understanding {
  intent: Intent;
  /** Explicit keyword commands, which always win over intents. */
  command: Command | null;
  /** Detected language of the text, when confident. */
  language: Locale | null;
  slots: Slots;
  /**
   * A plain "yes" or "no" when the whole message is one ("sì", "ok 👍", "nein danke"); null or
   * absent otherwise. Money steps may take a yes from here or from a button, never from an intent.
   */
  answer?: 'yes' | 'no' | null;
}

/**
 * Values found in the customer's words. Catalog ids only when the text names a catalog item;
 * an amount is only what the customer wrote, never a price to charge.
 */
export interface Slots {
  /** Local calendar date, YYYY-MM-DD. */
  date: string | null;
  /** Local time of day, HH:MM (24 h). */
  time: string | null;
  people: number | null;
  /** Catalog id of a product or service named in the text. */
  product: string | null;
  /** A variant value named in the text (S, M, L, black, brown…). */
  variant: string | null;
  /** An order, booking, quote or invoice reference (ORD-…, BKG-…, QUO-…, INV-2026-0001). */
  reference: string | null;
  /** An amount the customer mentioned, minor units. */
  amount: number | null;
  /** A bare number ("2", "two"), for answers to "how many". */
  number: number | null;
}

export const EMPTY_SLOTS: Slots = Object.freeze({
  date: null,
  time: null,
  people: null,
  product: null,
  variant: null,
  reference: null,
  amount: null,
  number: null,
});

export const INTENTS = [
  'greeting',
  'ask_price_or_quote',
  'place_order_or_checkout',
  'book_appointment',
  'reschedule_or_cancel_booking',
  'pay_or_payment_link_request',
  'payment_problem',
  'refund_request',
  'order_status_or_tracking',
  'invoice_payment',
  'talk_to_human',
  'opt_out',
  'opt_in',
  'thanks_or_bye',
  'other',
] as const;
export type Intent = (typeof INTENTS)[number];

export const COMMANDS = ['stop', 'start', 'help', 'menu', 'cancel'] as const;
export type Command = (typeof COMMANDS)[number];

export const LOCALES = ['it', 'en', 'fr', 'es', 'pt', 'de'] as const;
export type Locale = (typeof LOCALES)[number];

export interface Clock {
  now(): Date;
}

export interface ReplyButton {
  id: string;
  title: string;
}
export interface ListSection {
  title?: string;
  rows: { id: string; title: string; description?: string }[];
}

/** Everything observable a turn can cause. Ids derive from (event id, index), so replays repeat them. */
export type Effect =
  | { type: 'SendText'; id: string; text: string }
  | { type: 'SendButtons'; id: string; body: string; buttons: ReplyButton[]; footer?: string }
  | { type: 'SendList'; id: string; body: string; button: string; sections: ListSection[]; footer?: string }
  | { type: 'SendCtaUrl'; id: string; body: string; buttonText: string; url: string }
  | {
      type: 'SendTemplate';
      id: string;
      name: string;
      language: string;
      components: unknown[];
    }
  | { type: 'ScheduleTimer'; id: string; name: string; at: string; payload: unknown }
  | { type: 'CancelTimer'; id: string; name: string }
  | { type: 'OpenHandoff'; id: string; reason: string }
  | { type: 'CloseHandoff'; id: string }
  | {
      type: 'RecordConsent';
      id: string;
      action: 'opt_in' | 'opt_out';
      source: string;
      wording: string | null;
    }
  | { type: 'SetLocale'; id: string; locale: Locale }
  | { type: 'Track'; id: string; name: string; props: Record<string, string | number | boolean> }
  /**
   * Ask for money after the customer's explicit yes. The payment layer creates the payment
   * (id derived from this effect's id, so a replay cannot create two) and sends the link or the
   * native pay request itself; amounts come from the catalog, the order or the invoice.
   */
  | {
      type: 'RequestPayment';
      id: string;
      purpose: PaymentPurpose;
      subjectId: string | null;
      reference: string;
      amount: number;
      currency: string;
      description: string;
      items: { name: string; quantity: number; amount: number }[];
    }
  /** Ask the payment layer for a refund; above the policy limit it waits for staff approval. */
  | { type: 'RequestRefund'; id: string; paymentId: string; amount: number; reason: string }
  /** Hold a slot for a booking until its deposit is paid or the hold expires. */
  | {
      type: 'HoldSlot';
      id: string;
      bookingId: string;
      reference: string;
      serviceId: string;
      start: string;
      end: string;
      price: number;
      deposit: number;
    }
  /** Cancel a held or confirmed booking (the slot becomes free). */
  | { type: 'CancelBooking'; id: string; bookingId: string }
  /** A native WhatsApp pay request (`order_details`); built by the payment layer, never by flows. */
  | { type: 'SendOrderDetails'; id: string; body: string; footer?: string; order: OrderDetails }
  /** Updates the customer's order card of an earlier `order_details` message. */
  | {
      type: 'SendOrderStatus';
      id: string;
      body: string;
      footer?: string;
      referenceId: string;
      status: OrderStatus;
      /** Why, shown on the card (e.g. the reason for a cancellation). */
      description?: string;
      /** Brazil: the payment state to show, since Meta learns nothing from the PSP there. */
      payment?: { status: 'pending' | 'captured' | 'failed'; timestamp: number };
    }
  /**
   * Move a booking to a new time within policy; its deposit stays with it. The flow checked the
   * slot against the calendar facts; the payment layer re-checks and refuses a clash.
   */
  | { type: 'RescheduleBooking'; id: string; bookingId: string; start: string; end: string };

/** Statuses an order card can show. */
export const ORDER_STATUSES = [
  'pending',
  'processing',
  'partially-shipped',
  'shipped',
  'completed',
  'canceled',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** A native pay request. Amounts are integer minor units of `currency`; Meta's offset format is built at send time. */
export interface OrderDetails {
  /** Unique per order and round-tripped in payment webhooks: our payment id. */
  referenceId: string;
  goodsType: 'digital-goods' | 'physical-goods';
  currency: string;
  items: { retailerId: string; name: string; quantity: number; amount: number; saleAmount?: number }[];
  subtotal: number;
  tax?: { amount: number; description?: string };
  shipping?: { amount: number; description?: string };
  discount?: { amount: number; description?: string; programName?: string };
  total: number;
  /** ISO instant after which the customer can no longer pay. */
  expiresAt?: string;
  expirationDescription?: string;
  payment: OrderPaymentSettings;
}

/** How the customer pays: India payment gateway or UPI intent, or Brazil's Pix / payment link / boleto. */
export type OrderPaymentSettings =
  | {
      kind: 'payment_gateway';
      gateway: 'razorpay' | 'payu' | 'billdesk' | 'zaakpay';
      configurationName: string;
      /** Razorpay only: key/value notes shown in the Razorpay dashboard. */
      notes?: Record<string, string>;
    }
  | { kind: 'upi'; configurationName: string }
  | {
      kind: 'br';
      pix?: {
        code: string;
        merchantName: string;
        key: string;
        keyType: 'CPF' | 'CNPJ' | 'EMAIL' | 'PHONE' | 'EVP';
      };
      paymentLink?: string;
      boleto?: { digitableLine: string };
    };

export type SendEffect = Extract<Effect, { type: `Send${string}` }>;
export type EffectType = Effect['type'];

/** Distributes Omit over a union, so each variant keeps its own fields. */
export type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
export type EffectDraft = DistributiveOmit<Effect, 'id'>;

export const isSendEffect = (effect: Effect): effect is SendEffect => effect.type.startsWith('Send');
