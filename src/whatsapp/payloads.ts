/**
 * Zod schemas for the webhook POST bodies Meta sends for a WhatsApp Business Account.
 *
 * Strict about what the rest of the app relies on (ids, `from`, `timestamp`, `type`), liberal
 * everywhere else: every object is a loose object, so fields Meta adds later survive parsing and
 * reach storage untouched. Checked against Meta's webhook reference pages and the OpenAPI spec
 * (`business-messaging-api_v23.0.yaml`); where the spec marks a field required but Meta's own
 * examples omit it, the examples win (see the comments on those fields).
 */
import { z } from 'zod';

/** Unix seconds as a string. Not checked for digits: Meta's own payment examples use placeholders. */
const UnixSecondsString = z.string().min(1);

export const WhatsAppErrorSchema = z.looseObject({
  code: z.number().int(),
  title: z.string().optional(),
  message: z.string().optional(),
  error_data: z.looseObject({ details: z.string().optional() }).optional(),
  href: z.string().optional(),
});

export const MetadataSchema = z.looseObject({
  display_phone_number: z.string(),
  phone_number_id: z.string().min(1),
});

export const WhatsAppContactSchema = z.looseObject({
  wa_id: z.string().min(1),
  // The spec requires `profile`, but user_preferences webhooks send contacts without one.
  profile: z.looseObject({ name: z.string() }).optional(),
  /** Business-scoped user id (BSUID), sent alongside `wa_id` since 2025. */
  user_id: z.string().optional(),
  parent_user_id: z.string().optional(),
});

// ---------------------------------------------------------------------------------------------
// Messages (`value.messages[]`)
// ---------------------------------------------------------------------------------------------

const ReferredProductSchema = z.looseObject({
  catalog_id: z.string(),
  product_retailer_id: z.string(),
});

/**
 * Present when the customer replies to (quotes) a message, taps a button on one, or writes via a
 * product's "Message business" button. The spec requires `referred_product`; replies do not send it.
 */
const MessageContextSchema = z.looseObject({
  from: z.string().optional(),
  id: z.string().optional(),
  forwarded: z.boolean().optional(),
  frequently_forwarded: z.boolean().optional(),
  referred_product: ReferredProductSchema.optional(),
});

/** Click-to-WhatsApp ad that started the conversation. */
const ReferralSchema = z.looseObject({
  source_url: z.string().optional(),
  source_id: z.string().optional(),
  source_type: z.string().optional(),
  body: z.string().optional(),
  headline: z.string().optional(),
  media_type: z.string().optional(),
  image_url: z.string().optional(),
  video_url: z.string().optional(),
  thumbnail_url: z.string().optional(),
  /** Ad click id; report it back to Meta for conversions. */
  ctwa_clid: z.string().optional(),
  welcome_message: z.looseObject({ text: z.string() }).optional(),
});

/** Fields every inbound message has, whatever its type. */
const messageBase = {
  id: z.string().min(1),
  from: z.string().min(1),
  timestamp: UnixSecondsString,
  context: MessageContextSchema.optional(),
  referral: ReferralSchema.optional(),
};

const MediaSchema = z.looseObject({
  id: z.string().min(1),
  mime_type: z.string(),
  sha256: z.string().optional(),
  /** Newer payloads include a download URL; it still needs the access token. */
  url: z.string().optional(),
});

export const TextMessageSchema = z.looseObject({
  ...messageBase,
  type: z.literal('text'),
  text: z.looseObject({ body: z.string() }),
});

const ButtonReplySchema = z.looseObject({
  type: z.literal('button_reply'),
  button_reply: z.looseObject({ id: z.string(), title: z.string() }),
});

const ListReplySchema = z.looseObject({
  type: z.literal('list_reply'),
  // The spec requires `description`; rows sent without one come back without one.
  list_reply: z.looseObject({ id: z.string(), title: z.string(), description: z.string().optional() }),
});

/** WhatsApp Flow completion; `response_json` is a JSON string, not an object. */
const NfmReplySchema = z.looseObject({
  type: z.literal('nfm_reply'),
  nfm_reply: z.looseObject({
    response_json: z.string(),
    body: z.string().optional(),
    name: z.string().optional(),
  }),
});

/** Brazil one-click payments: the customer picked a stored payment method. */
const PaymentMethodReplySchema = z.looseObject({
  type: z.literal('payment_method'),
  payment_method: z.looseObject({
    payment_method: z.string(),
    reference_id: z.string(),
    payment_timestamp: z.number().optional(),
    last_four_digits: z.string().optional(),
    credential_id: z.string().optional(),
  }),
});

export const InteractiveReplySchema = z.discriminatedUnion('type', [
  ButtonReplySchema,
  ListReplySchema,
  NfmReplySchema,
  PaymentMethodReplySchema,
]);

export const InteractiveMessageSchema = z.looseObject({
  ...messageBase,
  type: z.literal('interactive'),
  /**
   * Absent when Meta could not render the reply; the same change then carries `value.errors[]`
   * (131000 "Unsupported webhook payload"). Treat a missing body as an unsupported message.
   */
  interactive: InteractiveReplySchema.optional(),
});

/** Quick-reply button tapped on a template message. */
export const ButtonMessageSchema = z.looseObject({
  ...messageBase,
  type: z.literal('button'),
  button: z.looseObject({ payload: z.string(), text: z.string() }),
});

export const ImageMessageSchema = z.looseObject({
  ...messageBase,
  type: z.literal('image'),
  image: MediaSchema.extend({ caption: z.string().optional() }),
});

export const DocumentMessageSchema = z.looseObject({
  ...messageBase,
  type: z.literal('document'),
  document: MediaSchema.extend({ caption: z.string().optional(), filename: z.string().optional() }),
});

export const AudioMessageSchema = z.looseObject({
  ...messageBase,
  type: z.literal('audio'),
  /** `voice` is true for a voice note recorded in WhatsApp. */
  audio: MediaSchema.extend({ voice: z.boolean().optional() }),
});

export const VideoMessageSchema = z.looseObject({
  ...messageBase,
  type: z.literal('video'),
  video: MediaSchema.extend({ caption: z.string().optional() }),
});

export const StickerMessageSchema = z.looseObject({
  ...messageBase,
  type: z.literal('sticker'),
  sticker: MediaSchema.extend({ animated: z.boolean().optional() }),
});

export const LocationMessageSchema = z.looseObject({
  ...messageBase,
  type: z.literal('location'),
  // The spec requires name and address; a dropped pin has neither.
  location: z.looseObject({
    latitude: z.number(),
    longitude: z.number(),
    name: z.string().optional(),
    address: z.string().optional(),
    url: z.string().optional(),
  }),
});

const SharedContactSchema = z.looseObject({
  name: z
    .looseObject({
      formatted_name: z.string().optional(),
      first_name: z.string().optional(),
      last_name: z.string().optional(),
    })
    .optional(),
  phones: z
    .array(
      z.looseObject({
        phone: z.string().optional(),
        wa_id: z.string().optional(),
        type: z.string().optional(),
      }),
    )
    .optional(),
  emails: z.array(z.looseObject({ email: z.string().optional(), type: z.string().optional() })).optional(),
  org: z.looseObject({ company: z.string().optional() }).optional(),
});

/** Contact cards the customer shared (not the sender; that is `value.contacts[]`). */
export const ContactsMessageSchema = z.looseObject({
  ...messageBase,
  type: z.literal('contacts'),
  contacts: z.array(SharedContactSchema).min(1),
});

/** Cart sent from the catalog. */
export const OrderMessageSchema = z.looseObject({
  ...messageBase,
  type: z.literal('order'),
  order: z.looseObject({
    catalog_id: z.string(),
    text: z.string().optional(),
    product_items: z.array(
      z.looseObject({
        product_retailer_id: z.string(),
        quantity: z.number(),
        item_price: z.number(),
        currency: z.string(),
      }),
    ),
  }),
});

export const ReactionMessageSchema = z.looseObject({
  ...messageBase,
  type: z.literal('reaction'),
  /** `emoji` is missing (or empty) when the customer removes their reaction. */
  reaction: z.looseObject({ message_id: z.string(), emoji: z.string().optional() }),
});

/** E.g. `user_changed_number`; arrives without `value.contacts`. */
export const SystemMessageSchema = z.looseObject({
  ...messageBase,
  type: z.literal('system'),
  system: z.looseObject({
    type: z.string().optional(),
    body: z.string().optional(),
    wa_id: z.string().optional(),
  }),
});

/** A message WhatsApp cannot deliver to the API (edits, polls...). The spec also lists `unknown`. */
export const UnsupportedMessageSchema = z.looseObject({
  ...messageBase,
  type: z.enum(['unsupported', 'unknown']),
  unsupported: z.looseObject({ type: z.string().optional() }).optional(),
  errors: z.array(WhatsAppErrorSchema).optional(),
});

/** One inbound message; anything with a `type` not listed here fails and is kept as unparsed. */
export const WhatsAppMessageSchema = z.discriminatedUnion('type', [
  TextMessageSchema,
  InteractiveMessageSchema,
  ButtonMessageSchema,
  ImageMessageSchema,
  DocumentMessageSchema,
  AudioMessageSchema,
  VideoMessageSchema,
  StickerMessageSchema,
  LocationMessageSchema,
  ContactsMessageSchema,
  OrderMessageSchema,
  ReactionMessageSchema,
  SystemMessageSchema,
  UnsupportedMessageSchema,
]);

// ---------------------------------------------------------------------------------------------
// Statuses (`value.statuses[]`)
// ---------------------------------------------------------------------------------------------

/** Delivery status of a message we sent. */
export const WhatsAppStatusSchema = z.looseObject({
  id: z.string().min(1),
  // `played` is not in the spec's enum but Meta's status reference lists it for voice messages.
  status: z.enum(['sent', 'delivered', 'read', 'failed', 'played']),
  timestamp: UnixSecondsString,
  recipient_id: z.string().min(1),
  /** Echo of what we put in the send request; we round-trip our outbox effect id here. */
  biz_opaque_callback_data: z.string().optional(),
  conversation: z
    .looseObject({
      id: z.string(),
      expiration_timestamp: z.string().optional(),
      origin: z.looseObject({ type: z.string() }).optional(),
    })
    .optional(),
  pricing: z
    .looseObject({
      billable: z.boolean().optional(),
      pricing_model: z.string().optional(),
      category: z.string().optional(),
      type: z.string().optional(),
    })
    .optional(),
  errors: z.array(WhatsAppErrorSchema).optional(),
});

const PaymentAmountSchema = z.looseObject({ value: z.number(), offset: z.number() });

/** India payment-gateway status (`type: "payment"`), sent on the `messages` field. */
export const WhatsAppPaymentStatusSchema = z.looseObject({
  id: z.string().min(1),
  type: z.literal('payment'),
  /** Order-level status; Meta documents it only as a placeholder, so any non-empty string. */
  status: z.string().min(1),
  timestamp: UnixSecondsString,
  recipient_id: z.string().min(1),
  payment: z.looseObject({
    reference_id: z.string().min(1),
    amount: PaymentAmountSchema.optional(),
    currency: z.string().optional(),
    transaction: z
      .looseObject({
        id: z.string().optional(),
        pg_transaction_id: z.string().optional(),
        type: z.string().optional(),
        status: z.string(),
        method: z.looseObject({ type: z.string().optional() }).optional(),
        error: z.looseObject({ code: z.string().optional(), reason: z.string().optional() }).optional(),
      })
      .optional(),
    refunds: z
      .array(z.looseObject({ id: z.string(), status: z.string(), amount: PaymentAmountSchema.optional() }))
      .optional(),
  }),
});

// ---------------------------------------------------------------------------------------------
// Envelope
// ---------------------------------------------------------------------------------------------

/** `value` of a change with `field: "messages"`. */
export const MessagesValueSchema = z.looseObject({
  messaging_product: z.literal('whatsapp').optional(),
  metadata: MetadataSchema,
  contacts: z.array(WhatsAppContactSchema).optional(),
  messages: z.array(WhatsAppMessageSchema).optional(),
  statuses: z.array(z.union([WhatsAppPaymentStatusSchema, WhatsAppStatusSchema])).optional(),
  errors: z.array(WhatsAppErrorSchema).optional(),
});

export const WebhookChangeSchema = z.looseObject({
  field: z.string().min(1),
  value: z.record(z.string(), z.unknown()),
});

export const WebhookEntrySchema = z.looseObject({
  /** WhatsApp Business Account id. */
  id: z.string().min(1),
  time: z.number().optional(),
  changes: z.array(WebhookChangeSchema),
});

export const WebhookEnvelopeSchema = z.looseObject({
  object: z.literal('whatsapp_business_account'),
  entry: z.array(WebhookEntrySchema),
});

export type WhatsAppError = z.infer<typeof WhatsAppErrorSchema>;
export type WhatsAppMetadata = z.infer<typeof MetadataSchema>;
export type WhatsAppContact = z.infer<typeof WhatsAppContactSchema>;
export type WhatsAppInteractiveReply = z.infer<typeof InteractiveReplySchema>;
export type WhatsAppMessage = z.infer<typeof WhatsAppMessageSchema>;
export type WhatsAppStatus = z.infer<typeof WhatsAppStatusSchema>;
export type WhatsAppPaymentStatus = z.infer<typeof WhatsAppPaymentStatusSchema>;
export type WhatsAppMessagesValue = z.infer<typeof MessagesValueSchema>;
export type WebhookChange = z.infer<typeof WebhookChangeSchema>;
export type WebhookEntry = z.infer<typeof WebhookEntrySchema>;
export type WebhookEnvelope = z.infer<typeof WebhookEnvelopeSchema>;
