import type { Intent } from '../engine/types.js';

/**
 * High-precision patterns on normalized text, checked before the trained model. Only cues that
 * mean one thing in every context belong here: unsubscribing shares most characters with
 * subscribing, so the model alone confuses them.
 */
const RULES: [Intent, RegExp][] = [
  [
    'opt_out',
    /\b(unsu[bs]\w*|un ?subscri\w*|disiscri\w*|desiscri\w*|desinscri\w*|desabonn\w*|desabon\w*|(darme|darse|dar|doy|dame) de baja|desuscri\w*|desinscrev\w*|descadastr\w*|abmeld\w*|abbestell\w*|austragen|opt ?out)\b/,
  ],
  [
    'opt_out',
    // "cancel my gym subscription" is not about us; cancelling a newsletter or our messages is.
    /\b(cancel\w*|annull\w*|stop\w*|disdic\w*|sospend\w*|kundig\w*|beend\w*|end|anul\w*|arret\w*|desactiv\w*)\b.{0,30}\b(newsletter|mailing list|promo\w*|notifich\w*|notifications?|nachrichten|mensajes|mensagens|messages|messaggi)\b/,
  ],
];

/** References that name what the customer is talking about when they write little else. */
const REFERENCE_INTENTS: [Intent, RegExp][] = [
  ['invoice_payment', /^\W*(?:\w+\W+){0,3}inv ?\d{4} ?\d{1,6}\b/],
  ['order_status_or_tracking', /^\W*(?:\w+\W+){0,3}ord ?\d{4} ?\d{1,6}\b/],
];

/** The intent a rule is sure of, or null. */
export function ruleIntent(normalized: string): Intent | null {
  for (const [intent, pattern] of RULES) if (pattern.test(normalized)) return intent;
  return null;
}

/** For a message the model calls `other`: a bare invoice or order reference says what it is about. */
export function referenceIntent(normalized: string): Intent | null {
  if (normalized.split(' ').length > 6) return null;
  for (const [intent, pattern] of REFERENCE_INTENTS) if (pattern.test(normalized)) return intent;
  return null;
}
