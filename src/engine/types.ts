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
  | { type: 'StaffReleased'; closingText: string | null };

/** What the intent layer understood of a customer's words. Never amounts or links. */
export interface Understanding {
  intent: Intent;
  /** Explicit keyword commands, which always win over intents. */
  command: Command | null;
  /** Detected language of the text, when confident. */
  language: Locale | null;
}

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
  | { type: 'Track'; id: string; name: string; props: Record<string, string | number | boolean> };

export type SendEffect = Extract<Effect, { type: `Send${string}` }>;
export type EffectType = Effect['type'];

/** Distributes Omit over a union, so each variant keeps its own fields. */
export type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
export type EffectDraft = DistributiveOmit<Effect, 'id'>;

export const isSendEffect = (effect: Effect): effect is SendEffect => effect.type.startsWith('Send');
