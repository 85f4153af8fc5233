import { eq } from 'drizzle-orm';
import { renderText, type TextVars } from '../engine/texts.js';
import { LOCALES, type Locale, type SendEffect } from '../engine/types.js';
import { CUSTOMER_WINDOW_MS } from '../jobs/outboxSender.js';
import { conversations, insertOutbox, type Db } from '../store/index.js';
import type { PaymentDeps } from './deps.js';

/** A payment message: free-form inside the 24-hour window, an approved utility template outside. */
export interface ChatMessage {
  /** Outbox id; derived from what caused the message, so a replay writes it once. */
  id: string;
  conversationId: string;
  recipient: string;
  locale: string;
  /** Text key under templates/<locale>.yaml and its values. */
  text: { key: string; vars: TextVars }[];
  /** A pay link shown as a button. */
  link?: { url: string; token: string };
  /** The template of templates/payment-templates.yaml used outside the window. */
  template: { name: string; params: string[] };
}

export const asLocale = (value: string | null | undefined, fallback: Locale): Locale =>
  (LOCALES as readonly string[]).includes(value ?? '') ? (value as Locale) : fallback;

/** Meta's template language code for one of our locales (Portuguese templates are per country). */
const templateLanguage = (locale: Locale) => (locale === 'pt' ? 'pt_PT' : locale);

/** Queues a pay request built by the provider's adapter (WhatsApp native), as it is. */
export async function queueChatRequest(
  tx: Db,
  payment: { conversationId: string; waId: string },
  effect: SendEffect,
  now: Date,
): Promise<void> {
  await insertOutbox(
    tx,
    [
      {
        id: effect.id,
        conversationId: payment.conversationId,
        recipient: payment.waId,
        kind: effect.type,
        payload: effect,
      },
    ],
    now,
  );
}

/** Renders a payment message for its conversation's window and queues it in the caller's transaction. */
export async function queueChatMessage(tx: Db, deps: PaymentDeps, message: ChatMessage, now: Date) {
  const locale = asLocale(message.locale, deps.business.defaultLocale);
  const [conversation] = await tx
    .select({ lastInboundAt: conversations.lastInboundAt })
    .from(conversations)
    .where(eq(conversations.id, message.conversationId));
  const last = conversation?.lastInboundAt ?? null;
  const open = last !== null && now.getTime() - last.getTime() < CUSTOMER_WINDOW_MS;
  let effect: SendEffect;
  if (open) {
    const body = message.text.map(({ key, vars }) => renderText(deps.texts, locale, key, vars)).join('\n\n');
    effect = message.link
      ? {
          type: 'SendCtaUrl',
          id: message.id,
          body,
          buttonText: renderText(deps.texts, locale, 'payments.link.button', {}),
          url: message.link.url,
        }
      : { type: 'SendText', id: message.id, text: body };
  } else {
    effect = {
      type: 'SendTemplate',
      id: message.id,
      name: message.template.name,
      language: templateLanguage(locale),
      components: [
        { type: 'body', parameters: message.template.params.map((text) => ({ type: 'text', text })) },
        ...(message.link
          ? [
              {
                type: 'button',
                sub_type: 'url',
                index: '0',
                parameters: [{ type: 'text', text: message.link.token }],
              },
            ]
          : []),
      ],
    };
  }
  await insertOutbox(
    tx,
    [
      {
        id: message.id,
        conversationId: message.conversationId,
        recipient: message.recipient,
        kind: effect.type,
        payload: effect,
      },
    ],
    now,
  );
}
