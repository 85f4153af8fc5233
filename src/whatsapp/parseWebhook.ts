import { createHash } from 'node:crypto';
import { z } from 'zod';
import { InvalidPayload } from '../server/errors.js';
import {
  MetadataSchema,
  WebhookChangeSchema,
  WebhookEntrySchema,
  WhatsAppContactSchema,
  WhatsAppErrorSchema,
  WhatsAppMessageSchema,
  WhatsAppPaymentStatusSchema,
  WhatsAppStatusSchema,
  type WhatsAppContact,
  type WhatsAppError,
  type WhatsAppMessage,
  type WhatsAppMetadata,
  type WhatsAppPaymentStatus,
  type WhatsAppStatus,
} from './payloads.js';

/** One thing Meta told us, ready to be stored once and handled later. */
export interface InboundItem {
  /** Dedupe key: Meta redelivers the same webhook for days, so the same fact must map to the same key. */
  externalId: string;
  kind: 'message' | 'status' | 'payment_status' | 'error' | 'unparsed' | 'event';
  /** `${phoneNumberId}:${customerWaId}`, or null when the item names no customer. */
  conversationId: string | null;
  payload: Record<string, unknown>;
}

/** `payload` of a `message` item. */
export type InboundMessagePayload = {
  phoneNumberId: string;
  displayPhoneNumber: string;
  contact: { waId: string; name: string | null } | null;
  message: WhatsAppMessage;
};

/** `payload` of a `status` item. */
export type InboundStatusPayload = { phoneNumberId: string; status: WhatsAppStatus };

/** `payload` of a `payment_status` item. */
export type InboundPaymentStatusPayload = { phoneNumberId: string; status: WhatsAppPaymentStatus };

/** `payload` of an `error` item: a `value.errors[]` element, not tied to any message. */
export type InboundErrorPayload = { phoneNumberId: string | null; error: WhatsAppError };

/** `payload` of an `event` item: any change whose `field` is not `messages`. */
export type InboundEventPayload = { field: string; value: Record<string, unknown> };

/** `payload` of an `unparsed` item: kept verbatim so nothing Meta sent is lost. */
export type InboundUnparsedPayload = { phoneNumberId: string | null; raw: unknown; problem: string };

const BUSINESS_ACCOUNT_OBJECT = 'whatsapp_business_account';

// Only the entry's own fields; each change is checked on its own so one bad change loses nothing else.
const EntryHeadSchema = WebhookEntrySchema.extend({ changes: z.array(z.unknown()) });

/**
 * Turns a Meta webhook POST body into one item per message, status, error and event.
 *
 * Walks every entry, every change and every element of `messages[]`, `statuses[]` and `errors[]`
 * (Meta batches several into one delivery), in the order Meta sent them. An element that does
 * not match its schema becomes an `unparsed` item carrying the raw JSON; its siblings still parse.
 *
 * @throws {InvalidPayload} when the body is not an object, has no `entry` array, or its `object`
 *   is not `whatsapp_business_account`.
 * @example
 * const items = parseWebhook(JSON.parse(rawBody));
 * // → [{ kind: 'message', externalId: 'wa:msg:wamid.HBgL…', conversationId: '106540352242922:16505551234',
 * //      payload: { phoneNumberId: '106540352242922', displayPhoneNumber: '15550783881',
 * //                 contact: { waId: '16505551234', name: 'Sheena Nelson' }, message: { type: 'text', … } } }]
 */
export function parseWebhook(body: unknown): InboundItem[] {
  const entries = readEntries(body);
  const items: InboundItem[] = [];
  entries.forEach((rawEntry, entryIndex) => {
    const entry = EntryHeadSchema.safeParse(rawEntry);
    if (!entry.success) {
      items.push(
        unparsedItem(null, rawEntry, describeProblem(entry.error, rawEntry, `entry[${entryIndex}]`)),
      );
      return;
    }
    entry.data.changes.forEach((rawChange, changeIndex) => {
      const change = WebhookChangeSchema.safeParse(rawChange);
      if (!change.success) {
        const where = `entry[${entryIndex}].changes[${changeIndex}]`;
        items.push(unparsedItem(null, rawChange, describeProblem(change.error, rawChange, where)));
        return;
      }
      const { field, value } = change.data;
      if (field === 'messages') items.push(...readMessagesValue(entry.data.id, changeIndex, value));
      else items.push(eventItem(field, value));
    });
  });
  return items;
}

function readEntries(body: unknown): unknown[] {
  if (!isRecord(body)) {
    throw new InvalidPayload(`Webhook body must be a JSON object, got ${describeType(body)}`);
  }
  if (body.object !== BUSINESS_ACCOUNT_OBJECT) {
    throw new InvalidPayload(
      `Webhook "object" is ${JSON.stringify(body.object) ?? 'missing'}, expected "${BUSINESS_ACCOUNT_OBJECT}"; ` +
        'subscribe this URL to the WhatsApp Business Account webhook in the Meta app dashboard',
    );
  }
  if (!Array.isArray(body.entry)) {
    throw new InvalidPayload(`Webhook body has no "entry" array (got ${describeType(body.entry)})`);
  }
  return body.entry;
}

/** A `field: "messages"` change: inbound messages, delivery statuses and account-level errors. */
function readMessagesValue(
  entryId: string,
  changeIndex: number,
  value: Record<string, unknown>,
): InboundItem[] {
  const { messages, statuses, errors } = value;
  if (messages === undefined && statuses === undefined && errors === undefined) {
    // E.g. group or future sub-events on the messages field: keep them rather than drop them.
    return [eventItem('messages', value)];
  }
  const metadataResult = MetadataSchema.safeParse(value.metadata);
  const metadata = metadataResult.success ? metadataResult.data : null;
  const metadataProblem = metadataResult.success
    ? ''
    : describeProblem(metadataResult.error, value.metadata, 'metadata');
  const contacts = listOf(value.contacts).flatMap((raw) => {
    const contact = WhatsAppContactSchema.safeParse(raw);
    return contact.success ? [contact.data] : [];
  });

  const items: InboundItem[] = [];
  for (const raw of listOf(messages)) items.push(messageItem(raw, metadata, metadataProblem, contacts));
  for (const raw of listOf(statuses)) items.push(statusItem(raw, metadata, metadataProblem));
  listOf(errors).forEach((raw) => items.push(errorItem(raw, metadata, entryId, changeIndex)));
  for (const [key, field] of Object.entries({ messages, statuses, errors })) {
    if (field !== undefined && !Array.isArray(field)) {
      items.push(unparsedItem(metadata?.phone_number_id ?? null, field, `${key}: expected an array`));
    }
  }
  return items;
}

function messageItem(
  raw: unknown,
  metadata: WhatsAppMetadata | null,
  metadataProblem: string,
  contacts: WhatsAppContact[],
): InboundItem {
  const rawId = stringAt(raw, 'id');
  const rawFrom = stringAt(raw, 'from');
  const fallbackId = rawId === null ? undefined : `wa:msg:${rawId}`;
  if (metadata === null) return unparsedItem(null, raw, metadataProblem, fallbackId);
  const phoneNumberId = metadata.phone_number_id;

  const parsed = WhatsAppMessageSchema.safeParse(raw);
  if (!parsed.success) {
    const conversationId = rawFrom === null ? null : `${phoneNumberId}:${rawFrom}`;
    return unparsedItem(phoneNumberId, raw, describeProblem(parsed.error, raw), fallbackId, conversationId);
  }
  const message = parsed.data;
  const sender = contacts.find((contact) => contact.wa_id === message.from) ?? contacts[0];
  const payload: InboundMessagePayload = {
    phoneNumberId,
    displayPhoneNumber: metadata.display_phone_number,
    contact: sender ? { waId: sender.wa_id, name: sender.profile?.name ?? null } : null,
    message,
  };
  return {
    // Meta retries for days; the wamid is the one stable key for a message.
    externalId: `wa:msg:${message.id}`,
    kind: 'message',
    conversationId: `${phoneNumberId}:${message.from}`,
    payload,
  };
}

function statusItem(raw: unknown, metadata: WhatsAppMetadata | null, metadataProblem: string): InboundItem {
  const rawId = stringAt(raw, 'id');
  const rawStatus = stringAt(raw, 'status');
  const rawRecipient = stringAt(raw, 'recipient_id');
  // Not `wa:msg:<id>`: that id is our outbound wamid, and one message has several statuses.
  const fallbackId = rawId === null ? undefined : `wa:status:${rawId}:${rawStatus ?? ''}`;
  if (metadata === null) return unparsedItem(null, raw, metadataProblem, fallbackId);
  const phoneNumberId = metadata.phone_number_id;
  const unparsed = (error: z.ZodError) =>
    unparsedItem(
      phoneNumberId,
      raw,
      describeProblem(error, raw),
      fallbackId,
      rawRecipient === null ? null : `${phoneNumberId}:${rawRecipient}`,
    );

  if (isRecord(raw) && raw.type === 'payment') {
    const parsed = WhatsAppPaymentStatusSchema.safeParse(raw);
    if (!parsed.success) return unparsed(parsed.error);
    const status = parsed.data;
    const payload: InboundPaymentStatusPayload = { phoneNumberId, status };
    return {
      externalId: `wa:payment:${status.id}:${status.status}:${status.payment.transaction?.status ?? ''}`,
      kind: 'payment_status',
      conversationId: `${phoneNumberId}:${status.recipient_id}`,
      payload,
    };
  }

  const parsed = WhatsAppStatusSchema.safeParse(raw);
  if (!parsed.success) return unparsed(parsed.error);
  const status = parsed.data;
  const payload: InboundStatusPayload = { phoneNumberId, status };
  return {
    externalId: `wa:status:${status.id}:${status.status}`,
    kind: 'status',
    conversationId: `${phoneNumberId}:${status.recipient_id}`,
    payload,
  };
}

function errorItem(
  raw: unknown,
  metadata: WhatsAppMetadata | null,
  entryId: string,
  changeIndex: number,
): InboundItem {
  const phoneNumberId = metadata?.phone_number_id ?? null;
  const parsed = WhatsAppErrorSchema.safeParse(raw);
  if (!parsed.success) return unparsedItem(phoneNumberId, raw, describeProblem(parsed.error, raw));
  const payload: InboundErrorPayload = { phoneNumberId, error: parsed.data };
  return {
    // Errors carry no id of their own; the same delivery always hashes to the same key.
    externalId: `wa:error:${sha256(JSON.stringify([entryId, changeIndex, raw]))}`,
    kind: 'error',
    conversationId: null,
    payload,
  };
}

function eventItem(field: string, value: Record<string, unknown>): InboundItem {
  const payload: InboundEventPayload = { field, value };
  return {
    externalId: `wa:event:${field}:${sha256(JSON.stringify(value))}`,
    kind: 'event',
    conversationId: eventConversationId(value),
    payload,
  };
}

/**
 * A conversation only when the event names exactly one customer (e.g. `user_preferences`, whose
 * elements and `contacts[]` carry the same `wa_id`); account-wide events have none.
 */
function eventConversationId(value: Record<string, unknown>): string | null {
  const metadata = MetadataSchema.safeParse(value.metadata);
  if (!metadata.success) return null;
  const waIds = new Set<string>();
  for (const field of Object.values(value)) {
    for (const element of listOf(field)) {
      const waId = stringAt(element, 'wa_id');
      if (waId !== null) waIds.add(waId);
    }
  }
  const [only] = waIds;
  return waIds.size === 1 && only !== undefined ? `${metadata.data.phone_number_id}:${only}` : null;
}

function unparsedItem(
  phoneNumberId: string | null,
  raw: unknown,
  problem: string,
  externalId = `wa:unparsed:${sha256(JSON.stringify(raw) ?? 'undefined')}`,
  conversationId: string | null = null,
): InboundItem {
  const payload: InboundUnparsedPayload = { phoneNumberId, raw, problem };
  return { externalId, kind: 'unparsed', conversationId, payload };
}

/** First zod issue as one short line, e.g. `text.body: Invalid input: expected string, received undefined`. */
function describeProblem(error: z.ZodError, raw: unknown, prefix?: string): string {
  const [first, ...rest] = error.issues;
  if (first === undefined) return `${prefix ?? '(root)'}: does not match the schema`;
  const where =
    [prefix, ...first.path.map(String)].filter((part) => part !== undefined).join('.') || '(root)';
  const what =
    first.code === 'invalid_union' && first.discriminator !== undefined
      ? `unknown ${first.discriminator} ${JSON.stringify(valueAt(raw, first.path)) ?? 'undefined'}`
      : first.message;
  const more = rest.length > 0 ? ` (and ${rest.length} more)` : '';
  return `${where}: ${what}${more}`;
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let current = raw;
  for (const key of path) {
    if (!isRecord(current) && !Array.isArray(current)) return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

function listOf(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function stringAt(value: unknown, key: string): string | null {
  if (!isRecord(value)) return null;
  const field = value[key];
  return typeof field === 'string' && field !== '' ? field : null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (value === undefined) return 'nothing';
  return /^[aeiou]/.test(typeof value) ? `an ${typeof value}` : `a ${typeof value}`;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
