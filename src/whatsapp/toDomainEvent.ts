import type { DomainEvent } from '../engine/types.js';
import type { WhatsAppMessage } from './payloads.js';

/**
 * Translates one Meta message into the engine's vocabulary. `null` for messages that are
 * recorded in the transcript but ask nothing of the bot (system notices).
 */
export function toDomainEvent(message: WhatsAppMessage): DomainEvent | null {
  switch (message.type) {
    case 'text':
      return { type: 'TextReceived', text: message.text.body };
    case 'interactive': {
      const reply = message.interactive;
      if (reply?.type === 'button_reply')
        return { type: 'ChoiceMade', choiceId: reply.button_reply.id, title: reply.button_reply.title };
      if (reply?.type === 'list_reply')
        return { type: 'ChoiceMade', choiceId: reply.list_reply.id, title: reply.list_reply.title };
      return { type: 'UnsupportedReceived' };
    }
    case 'button':
      return { type: 'ChoiceMade', choiceId: message.button.payload, title: message.button.text };
    case 'image':
    case 'document':
    case 'audio':
    case 'video':
    case 'sticker': {
      const media = (message as Record<string, unknown>)[message.type] as { caption?: string } | undefined;
      return { type: 'MediaReceived', mediaType: message.type, caption: media?.caption ?? null };
    }
    case 'location':
      return {
        type: 'LocationReceived',
        latitude: message.location.latitude,
        longitude: message.location.longitude,
        name: message.location.name ?? null,
      };
    case 'order':
      return {
        type: 'OrderSubmitted',
        catalogId: message.order.catalog_id,
        items: message.order.product_items.map((item) => ({
          productId: item.product_retailer_id,
          quantity: item.quantity,
        })),
      };
    case 'reaction':
      return { type: 'ReactionReceived', emoji: message.reaction.emoji || null };
    case 'system':
      return null;
    default:
      return { type: 'UnsupportedReceived' };
  }
}

/** A short, storable summary of a message for the transcript. */
export function messageContent(message: WhatsAppMessage): Record<string, unknown> {
  const { id: _id, from: _from, timestamp: _timestamp, ...rest } = message as Record<string, unknown>;
  return rest;
}
