/**
 * Builders for Graph API `POST /{phone-number-id}/messages` request bodies.
 *
 * Every WhatsApp limit is checked here, at build time, so a message Meta would reject cannot be
 * built. Limits come from Meta's OpenAPI spec (`business-messaging-api_v23.0.yaml`) and, where the
 * spec is silent, from Meta's developer documentation; each constant names its source.
 *
 * Lengths are counted in Unicode code points, so an emoji counts as one character, as in Meta's UI.
 */

/** A builder input breaks a WhatsApp limit; the message names the limit and the offending value. */
export class MessageLimitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MessageLimitError';
  }
}

/** Spec `TextMessage_1.body` maxLength. */
const TEXT_BODY_MAX = 4096;
/** Spec `BodyObject.text` maxLength. */
const INTERACTIVE_BODY_MAX = 1024;
/** Spec `HeaderObject.text` maxLength. */
const HEADER_TEXT_MAX = 60;
/** Spec `FooterObject.text` maxLength. */
const FOOTER_TEXT_MAX = 60;
/** Spec `ActionObject.buttons` maxItems. */
const REPLY_BUTTONS_MAX = 3;
/** Spec `reply.title` maxLength. */
const REPLY_BUTTON_TITLE_MAX = 20;
/** Spec `reply.id` maxLength. */
const REPLY_BUTTON_ID_MAX = 256;
/** Spec `ActionObject.button` maxLength. */
const LIST_BUTTON_MAX = 20;
/** Spec `ActionObject.sections` maxItems. */
const LIST_SECTIONS_MAX = 10;
/** Meta's list-message guide: "up to 10 rows for all sections combined" (the spec caps each section only). */
const LIST_ROWS_MAX = 10;
/** Spec `SectionObject.rows[].title` maxLength. */
const LIST_ROW_TITLE_MAX = 24;
/** Spec `SectionObject.rows[].description` maxLength. */
const LIST_ROW_DESCRIPTION_MAX = 72;
/** Spec `SectionObject.rows[].id` maxLength. */
const LIST_ROW_ID_MAX = 200;
/** Spec `SectionObject.title` maxLength. */
const LIST_SECTION_TITLE_MAX = 24;
/** Meta's CTA URL guide: `display_text` maximum 20 characters (not in the spec). */
const CTA_DISPLAY_TEXT_MAX = 20;
/** Meta's changelog raised it from 256 to 512 characters (not in the spec for messages). */
const BIZ_OPAQUE_CALLBACK_DATA_MAX = 512;

/** A media object by uploaded media id or by public http(s) link. */
export type MediaRef = { id: string } | { link: string };

/** Header of a reply-button or CTA URL message: plain text, or one media attachment. */
export type InteractiveHeader =
  string | { image: MediaRef } | { video: MediaRef } | { document: MediaRef & { filename?: string } };

/** Options every message builder accepts. */
export interface SendOptions {
  /** Echoed in status webhooks; put the outbox effect id here so callbacks map straight back. Max 512 characters. */
  bizOpaqueCallbackData?: string;
}

export interface TextOptions extends SendOptions {
  body: string;
  previewUrl?: boolean;
  /** wamid of the message this one quotes. */
  replyTo?: string;
}

export interface ButtonsOptions extends SendOptions {
  body: string;
  buttons: readonly { id: string; title: string }[];
  header?: InteractiveHeader;
  footer?: string;
}

export interface ListOptions extends SendOptions {
  body: string;
  /** Label of the button that opens the list. */
  button: string;
  sections: readonly {
    title?: string;
    rows: readonly { id: string; title: string; description?: string }[];
  }[];
  /** List messages accept only a text header. */
  header?: string;
  footer?: string;
}

export interface CtaUrlOptions extends SendOptions {
  body: string;
  buttonText: string;
  url: string;
  header?: InteractiveHeader;
  footer?: string;
}

export type TemplateParameter = { type: string; [field: string]: unknown };

export type TemplateComponent =
  | { type: 'header' | 'body'; parameters: readonly TemplateParameter[] }
  | { type: 'button'; sub_type: string; index: number | string; parameters: readonly TemplateParameter[] };

export interface TemplateOptions extends SendOptions {
  name: string;
  /** Locale code such as `en_US`, or the full language object. */
  language: string | { code: string; policy?: 'deterministic' };
  components?: readonly TemplateComponent[];
}

type GraphEnvelope = {
  messaging_product: 'whatsapp';
  recipient_type: 'individual';
  to: string;
  biz_opaque_callback_data?: string;
};

type GraphHeader =
  | { type: 'text'; text: string }
  | { type: 'image'; image: MediaRef }
  | { type: 'video'; video: MediaRef }
  | { type: 'document'; document: MediaRef & { filename?: string } };

type GraphInteractiveCommon = { header?: GraphHeader; body: { text: string }; footer?: { text: string } };

export type GraphTextMessage = GraphEnvelope & {
  type: 'text';
  text: { body: string; preview_url: boolean };
  context?: { message_id: string };
};

export type GraphButtonsMessage = GraphEnvelope & {
  type: 'interactive';
  interactive: GraphInteractiveCommon & {
    type: 'button';
    action: { buttons: { type: 'reply'; reply: { id: string; title: string } }[] };
  };
};

export type GraphListMessage = GraphEnvelope & {
  type: 'interactive';
  interactive: GraphInteractiveCommon & {
    type: 'list';
    action: {
      button: string;
      sections: { title?: string; rows: { id: string; title: string; description?: string }[] }[];
    };
  };
};

export type GraphCtaUrlMessage = GraphEnvelope & {
  type: 'interactive';
  interactive: GraphInteractiveCommon & {
    type: 'cta_url';
    action: { name: 'cta_url'; parameters: { display_text: string; url: string } };
  };
};

export type GraphTemplateMessage = GraphEnvelope & {
  type: 'template';
  template: {
    name: string;
    language: { code: string; policy?: 'deterministic' };
    components?: TemplateComponent[];
  };
};

/**
 * Read receipt (optionally with a typing indicator). Posted to the same `/messages` endpoint, but
 * Meta answers `{ "success": true }` instead of a wamid, so it is not a {@link GraphMessage}.
 */
export type GraphMarkRead = {
  messaging_product: 'whatsapp';
  status: 'read';
  message_id: string;
  typing_indicator?: { type: 'text' };
};

/** A message body for `POST /{phone-number-id}/messages`; Meta answers with its wamid. */
export type GraphMessage =
  | GraphTextMessage
  | GraphButtonsMessage
  | GraphListMessage
  | GraphCtaUrlMessage
  | GraphTemplateMessage
  | GraphOrderDetailsMessage
  | GraphOrderStatusMessage;

/**
 * A plain text message.
 *
 * @throws {MessageLimitError} when the body is empty or longer than 4096 characters.
 * @example
 * buildText('16505551234', { body: 'Your table is booked for 8pm.', replyTo: 'wamid.HBgL…' });
 */
export function buildText(to: string, options: TextOptions): GraphTextMessage {
  checkLength('text body', options.body, TEXT_BODY_MAX);
  return {
    ...envelope(to, options),
    type: 'text',
    text: { body: options.body, preview_url: options.previewUrl ?? false },
    ...(options.replyTo === undefined
      ? {}
      : { context: { message_id: nonEmpty('replyTo', options.replyTo) } }),
  };
}

/**
 * A message with 1–3 reply buttons; the tapped button comes back as an `interactive.button_reply`.
 *
 * @throws {MessageLimitError} on more than 3 buttons, a title over 20 characters, an id over 256,
 *   duplicate ids or titles, or a body/header/footer over its limit.
 * @example
 * buildButtons('16505551234', {
 *   body: 'Shall I book it?',
 *   buttons: [{ id: 'book:yes', title: 'Yes, book it' }, { id: 'book:no', title: 'No thanks' }],
 * });
 */
export function buildButtons(to: string, options: ButtonsOptions): GraphButtonsMessage {
  checkCount('reply buttons', options.buttons.length, 1, REPLY_BUTTONS_MAX);
  const ids = new Set<string>();
  const titles = new Set<string>();
  const buttons = options.buttons.map(({ id, title }) => {
    checkLength('reply button title', title, REPLY_BUTTON_TITLE_MAX);
    checkId('reply button id', id, REPLY_BUTTON_ID_MAX);
    // The spec says titles "must be unique" as well; a duplicate makes the reply ambiguous.
    checkUnique('reply button id', id, ids);
    checkUnique('reply button title', title, titles);
    return { type: 'reply' as const, reply: { id, title } };
  });
  return {
    ...envelope(to, options),
    type: 'interactive',
    interactive: {
      type: 'button',
      ...interactiveCommon(options.body, options.header, options.footer),
      action: { buttons },
    },
  };
}

/**
 * A list message: a button that opens up to 10 rows, grouped in up to 10 sections.
 *
 * @throws {MessageLimitError} on more than 10 rows in total, a row title over 24 characters, a
 *   description over 72, duplicate row ids across sections, a missing section title when there is
 *   more than one section, or a body/header/footer/button label over its limit.
 * @example
 * buildList('16505551234', {
 *   body: 'Pick a time',
 *   button: 'See times',
 *   sections: [{ rows: [{ id: 'slot:18', title: '6 pm' }, { id: 'slot:20', title: '8 pm' }] }],
 * });
 */
export function buildList(to: string, options: ListOptions): GraphListMessage {
  checkLength('list button label', options.button, LIST_BUTTON_MAX);
  checkCount('list sections', options.sections.length, 1, LIST_SECTIONS_MAX);
  const totalRows = options.sections.reduce((sum, section) => sum + section.rows.length, 0);
  checkCount('list rows (all sections together)', totalRows, 1, LIST_ROWS_MAX);
  const ids = new Set<string>();
  const sections = options.sections.map((section, index) => {
    if (section.title === undefined) {
      if (options.sections.length > 1) {
        throw new MessageLimitError(
          `list section ${index + 1} has no title; WhatsApp requires a title on every section when there is more than one`,
        );
      }
    } else {
      checkLength('list section title', section.title, LIST_SECTION_TITLE_MAX);
    }
    const rows = section.rows.map(({ id, title, description }) => {
      checkLength('list row title', title, LIST_ROW_TITLE_MAX);
      checkId('list row id', id, LIST_ROW_ID_MAX);
      checkUnique('list row id', id, ids);
      if (description === undefined) return { id, title };
      checkLength('list row description', description, LIST_ROW_DESCRIPTION_MAX, 0);
      return { id, title, description };
    });
    return section.title === undefined ? { rows } : { title: section.title, rows };
  });
  return {
    ...envelope(to, options),
    type: 'interactive',
    interactive: {
      type: 'list',
      ...interactiveCommon(options.body, options.header, options.footer),
      action: { button: options.button, sections },
    },
  };
}

/**
 * A message with one button that opens a URL, so the customer never sees a raw link.
 *
 * @throws {MessageLimitError} when the button text is empty or over 20 characters, the url is not
 *   http(s), or a body/header/footer is over its limit.
 * @example
 * buildCtaUrl('16505551234', { body: 'Pay the deposit to confirm.', buttonText: 'Pay deposit', url: 'https://pay.example.com/d/42' });
 */
export function buildCtaUrl(to: string, options: CtaUrlOptions): GraphCtaUrlMessage {
  checkLength('CTA button text', options.buttonText, CTA_DISPLAY_TEXT_MAX);
  checkHttpUrl('CTA url', options.url);
  return {
    ...envelope(to, options),
    type: 'interactive',
    interactive: {
      type: 'cta_url',
      ...interactiveCommon(options.body, options.header, options.footer),
      action: { name: 'cta_url', parameters: { display_text: options.buttonText, url: options.url } },
    },
  };
}

/**
 * An approved template message, the only kind allowed outside the 24-hour customer service window.
 * Components are passed through as Meta defines them; template content is checked by Meta at approval.
 *
 * @throws {MessageLimitError} when the name or language code is empty.
 * @example
 * buildTemplate('16505551234', {
 *   name: 'booking_reminder',
 *   language: 'en_US',
 *   components: [{ type: 'body', parameters: [{ type: 'text', text: 'Sheena' }] }],
 * });
 */
export function buildTemplate(to: string, options: TemplateOptions): GraphTemplateMessage {
  const language =
    typeof options.language === 'string' ? { code: options.language } : { ...options.language };
  nonEmpty('template name', options.name);
  nonEmpty('template language code', language.code);
  return {
    ...envelope(to, options),
    type: 'template',
    template: {
      name: options.name,
      language,
      ...(options.components === undefined ? {} : { components: [...options.components] }),
    },
  };
}

/**
 * Marks an inbound message (and everything before it) as read, optionally showing "typing…" for
 * up to 25 seconds or until we reply. Takes no `bizOpaqueCallbackData`: a read receipt is not a
 * message and gets no status webhooks to echo it in.
 *
 * @throws {MessageLimitError} when the message id is empty.
 * @example
 * buildMarkRead('wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=', { typing: true });
 */
export function buildMarkRead(messageId: string, options: { typing?: boolean } = {}): GraphMarkRead {
  return {
    messaging_product: 'whatsapp',
    status: 'read',
    message_id: nonEmpty('message id', messageId),
    ...(options.typing ? { typing_indicator: { type: 'text' as const } } : {}),
  };
}

function envelope(to: string, options: SendOptions): GraphEnvelope {
  nonEmpty('recipient "to"', to);
  const data = options.bizOpaqueCallbackData;
  if (data !== undefined) checkLength('bizOpaqueCallbackData', data, BIZ_OPAQUE_CALLBACK_DATA_MAX);
  return {
    messaging_product: 'whatsapp',
    recipient_type: 'individual',
    to,
    ...(data === undefined ? {} : { biz_opaque_callback_data: data }),
  };
}

function interactiveCommon(body: string, header: InteractiveHeader | undefined, footer: string | undefined) {
  checkLength('interactive body', body, INTERACTIVE_BODY_MAX);
  if (footer !== undefined) checkLength('footer text', footer, FOOTER_TEXT_MAX);
  return {
    ...(header === undefined ? {} : { header: buildHeader(header) }),
    body: { text: body },
    ...(footer === undefined ? {} : { footer: { text: footer } }),
  };
}

function buildHeader(header: InteractiveHeader): GraphHeader {
  if (typeof header === 'string') {
    checkLength('header text', header, HEADER_TEXT_MAX);
    return { type: 'text', text: header };
  }
  if ('image' in header) return { type: 'image', image: checkMedia('header image', header.image) };
  if ('video' in header) return { type: 'video', video: checkMedia('header video', header.video) };
  return { type: 'document', document: checkMedia('header document', header.document) };
}

function checkMedia<T extends MediaRef>(what: string, media: T): T {
  if ('link' in media) checkHttpUrl(`${what} link`, media.link);
  else nonEmpty(`${what} id`, media.id);
  return media;
}

function checkLength(what: string, value: string, max: number, min = 1): void {
  const length = [...value].length;
  if (min > 0 && value.trim() === '') {
    throw new MessageLimitError(`${what} is empty; WhatsApp requires at least ${min} character`);
  }
  if (length > max) {
    throw new MessageLimitError(
      `${what} ${quote(value)} is ${length} characters; WhatsApp allows at most ${max}`,
    );
  }
}

function checkId(what: string, id: string, max: number): void {
  checkLength(what, id, max);
  if (id !== id.trim()) {
    throw new MessageLimitError(`${what} ${quote(id)} has leading or trailing spaces; WhatsApp rejects them`);
  }
}

function checkCount(what: string, count: number, min: number, max: number): void {
  if (count < min || count > max) {
    throw new MessageLimitError(`${what}: ${count} given; WhatsApp allows ${min} to ${max}`);
  }
}

function checkUnique(what: string, value: string, seen: Set<string>): void {
  if (seen.has(value)) {
    throw new MessageLimitError(
      `${what} ${quote(value)} is used more than once; WhatsApp requires each to be unique`,
    );
  }
  seen.add(value);
}

function checkHttpUrl(what: string, url: string): void {
  let protocol: string;
  try {
    protocol = new URL(url).protocol;
  } catch {
    throw new MessageLimitError(
      `${what} ${quote(url)} is not a valid URL; WhatsApp needs an http:// or https:// link`,
    );
  }
  if (protocol !== 'http:' && protocol !== 'https:') {
    throw new MessageLimitError(
      `${what} ${quote(url)} is not an http(s) URL; WhatsApp opens only http:// and https:// links`,
    );
  }
}

function nonEmpty(what: string, value: string): string {
  if (value.trim() === '') throw new MessageLimitError(`${what} is empty`);
  return value;
}

/** The offending value, shortened so a 5000-character body does not flood the log. */
function quote(value: string): string {
  const chars = [...value];
  return JSON.stringify(chars.length > 40 ? `${chars.slice(0, 40).join('')}…` : value);
}

// ---------------------------------------------------------------------------------------------
// Payments: order_details (pay request) and order_status (order card update)
// ---------------------------------------------------------------------------------------------

/**
 * Meta's payments guides (India payment gateway / UPI, Brazil orders): `reference_id` takes
 * English letters, digits, `_`, `-` and `.`, at most 35 characters. The OpenAPI spec has only an
 * example of `order_details`, no schema, so the limits below come from those guides.
 */
const ORDER_REFERENCE_PATTERN = /^[A-Za-z0-9_.-]{1,35}$/;
/** Meta's order_details guides: at most 999 items in one order. */
const ORDER_ITEMS_MAX = 999;
/** Meta's order_status guide: the optional description is at most 120 characters. */
const ORDER_DESCRIPTION_MAX = 120;
/** Every amount in a payments message is `{ value, offset }` with offset 100 (value = amount × 100). */
export const ORDER_AMOUNT_OFFSET = 100;

/** An amount the way Meta's payments messages carry it. */
export type OrderAmount = { value: number; offset: typeof ORDER_AMOUNT_OFFSET };

export interface OrderItemInput {
  retailerId: string;
  name: string;
  quantity: number;
  /** Unit price, minor units (cents, paise, centavos). */
  amount: number;
  /** Discounted unit price, minor units. */
  saleAmount?: number;
}

export type OrderPaymentInput =
  | {
      kind: 'payment_gateway';
      gateway: 'razorpay' | 'payu' | 'billdesk' | 'zaakpay';
      configurationName: string;
      notes?: Record<string, string>;
    }
  | { kind: 'upi'; configurationName: string }
  | {
      kind: 'br';
      pix?: { code: string; merchantName: string; key: string; keyType: string };
      paymentLink?: string;
      boleto?: { digitableLine: string };
    };

export interface OrderDetailsOptions extends SendOptions {
  body: string;
  footer?: string;
  referenceId: string;
  goodsType: 'digital-goods' | 'physical-goods';
  /** `INR` with India settings, `BRL` with Brazil settings. */
  currency: string;
  items: readonly OrderItemInput[];
  subtotal: number;
  tax?: { amount: number; description?: string };
  shipping?: { amount: number; description?: string };
  discount?: { amount: number; description?: string; programName?: string };
  total: number;
  /** Unix seconds after which the order can no longer be paid. */
  expiresAt?: number;
  expirationDescription?: string;
  payment: OrderPaymentInput;
}

type GraphOrderCharge = OrderAmount & { description?: string };

export type GraphOrderDetailsMessage = GraphEnvelope & {
  type: 'interactive';
  interactive: {
    type: 'order_details';
    body: { text: string };
    footer?: { text: string };
    action: {
      name: 'review_and_pay';
      parameters: {
        reference_id: string;
        type: 'digital-goods' | 'physical-goods';
        payment_type?: 'upi' | 'br';
        payment_configuration?: string;
        payment_settings?: Record<string, unknown>[];
        currency: string;
        total_amount: OrderAmount;
        order: {
          status: 'pending';
          expiration?: { timestamp: string; description: string };
          items: {
            retailer_id: string;
            name: string;
            amount: OrderAmount;
            quantity: number;
            sale_amount?: OrderAmount;
          }[];
          subtotal: OrderAmount;
          tax?: GraphOrderCharge;
          shipping?: GraphOrderCharge;
          discount?: GraphOrderCharge & { discount_program_name?: string };
        };
      };
    };
  };
};

export interface OrderStatusOptions extends SendOptions {
  body: string;
  footer?: string;
  referenceId: string;
  status: 'pending' | 'processing' | 'partially-shipped' | 'shipped' | 'completed' | 'canceled';
  description?: string;
  payment?: { status: 'pending' | 'captured' | 'failed'; timestamp: number };
}

export type GraphOrderStatusMessage = GraphEnvelope & {
  type: 'interactive';
  interactive: {
    type: 'order_status';
    body: { text: string };
    footer?: { text: string };
    action: {
      name: 'review_order';
      parameters: {
        reference_id: string;
        order: { status: OrderStatusOptions['status']; description?: string };
        payment?: { status: 'pending' | 'captured' | 'failed'; timestamp: number };
      };
    };
  };
};

/**
 * A native pay request (`order_details`, "Review and pay"): the order's items and totals, and how
 * to pay (India payment gateway or UPI intent through a payment configuration; Brazil Pix dynamic
 * code, payment link or boleto).
 *
 * @throws {MessageLimitError} on a reference_id Meta would refuse, no items or more than 999,
 *   duplicate retailer ids, amounts that are not whole minor units, a subtotal that is not the sum
 *   of the items, a total that is not subtotal + tax + shipping − discount, a currency that does
 *   not match the payment settings, or Brazil settings with no way to pay.
 * @example
 * buildOrderDetails('919876543210', {
 *   body: 'Your order ORD-1001', referenceId: 'pay_01', goodsType: 'digital-goods', currency: 'INR',
 *   items: [{ retailerId: 'gift-card', name: 'Gift card', quantity: 1, amount: 50000 }],
 *   subtotal: 50000, total: 50000, payment: { kind: 'upi', configurationName: 'shop-upi' },
 * });
 */
export function buildOrderDetails(to: string, options: OrderDetailsOptions): GraphOrderDetailsMessage {
  checkLength('interactive body', options.body, INTERACTIVE_BODY_MAX);
  if (options.footer !== undefined) checkLength('footer text', options.footer, FOOTER_TEXT_MAX);
  checkOrderReference(options.referenceId);
  const payment = orderPaymentParameters(options.payment, options.currency);
  checkCount('order items', options.items.length, 1, ORDER_ITEMS_MAX);
  const retailerIds = new Set<string>();
  let itemsTotal = 0;
  const items = options.items.map((item) => {
    checkId('order item retailer_id', item.retailerId, 100);
    checkUnique('order item retailer_id', item.retailerId, retailerIds);
    checkLength('order item name', item.name, 60);
    if (!Number.isInteger(item.quantity) || item.quantity < 1) {
      throw new MessageLimitError(
        `order item ${quote(item.retailerId)} has quantity ${item.quantity}; WhatsApp needs a whole number of at least 1`,
      );
    }
    const amount = orderAmount(`order item ${quote(item.retailerId)} amount`, item.amount);
    if (item.saleAmount !== undefined && item.saleAmount > item.amount) {
      throw new MessageLimitError(
        `order item ${quote(item.retailerId)} sale amount ${item.saleAmount} is above its amount ${item.amount}`,
      );
    }
    itemsTotal += (item.saleAmount ?? item.amount) * item.quantity;
    return {
      retailer_id: item.retailerId,
      name: item.name,
      amount,
      quantity: item.quantity,
      ...(item.saleAmount === undefined
        ? {}
        : { sale_amount: orderAmount(`order item ${quote(item.retailerId)} sale amount`, item.saleAmount) }),
    };
  });
  if (itemsTotal !== options.subtotal) {
    throw new MessageLimitError(
      `order subtotal ${options.subtotal} is not the sum of its items (${itemsTotal}); WhatsApp shows both to the customer`,
    );
  }
  const tax = options.tax?.amount ?? 0;
  const shipping = options.shipping?.amount ?? 0;
  const discount = options.discount?.amount ?? 0;
  const expected = options.subtotal + tax + shipping - discount;
  if (options.total !== expected) {
    throw new MessageLimitError(
      `order total ${options.total} is not subtotal + tax + shipping − discount (${options.subtotal} + ${tax} + ${shipping} − ${discount} = ${expected})`,
    );
  }
  if (options.total <= 0) throw new MessageLimitError(`order total ${options.total} must be above zero`);
  const charge = (what: string, value: { amount: number; description?: string } | undefined) =>
    value === undefined
      ? undefined
      : {
          ...orderAmount(`order ${what}`, value.amount),
          ...(value.description === undefined ? {} : { description: value.description }),
        };
  let expiration: { timestamp: string; description: string } | undefined;
  if (options.expiresAt !== undefined) {
    if (!Number.isInteger(options.expiresAt) || options.expiresAt <= 0) {
      throw new MessageLimitError(`order expiration ${options.expiresAt} is not a Unix time in seconds`);
    }
    const description = options.expirationDescription ?? '';
    if (description !== '') checkLength('order expiration description', description, ORDER_DESCRIPTION_MAX);
    expiration = { timestamp: String(options.expiresAt), description };
  }
  const taxCharge = charge('tax', options.tax);
  const shippingCharge = charge('shipping', options.shipping);
  const discountCharge = charge('discount', options.discount);
  return {
    ...envelope(to, options),
    type: 'interactive',
    interactive: {
      type: 'order_details',
      body: { text: options.body },
      ...(options.footer === undefined ? {} : { footer: { text: options.footer } }),
      action: {
        name: 'review_and_pay',
        parameters: {
          reference_id: options.referenceId,
          type: options.goodsType,
          ...payment,
          currency: options.currency,
          total_amount: orderAmount('order total', options.total),
          order: {
            status: 'pending',
            ...(expiration ? { expiration } : {}),
            items,
            subtotal: orderAmount('order subtotal', options.subtotal),
            ...(taxCharge ? { tax: taxCharge } : {}),
            ...(shippingCharge ? { shipping: shippingCharge } : {}),
            ...(discountCharge
              ? {
                  discount: {
                    ...discountCharge,
                    ...(options.discount?.programName
                      ? { discount_program_name: options.discount.programName }
                      : {}),
                  },
                }
              : {}),
          },
        },
      },
    },
  };
}

/**
 * An `order_status` message: updates the order card of an earlier `order_details` message
 * (processing, shipped, completed, canceled…) and posts a bubble that refers to it.
 *
 * @throws {MessageLimitError} on a reference_id Meta would refuse, or a body, footer or
 *   description over its limit.
 * @example
 * buildOrderStatus('919876543210', { body: 'Payment received, preparing your order', referenceId: 'pay_01', status: 'processing' });
 */
export function buildOrderStatus(to: string, options: OrderStatusOptions): GraphOrderStatusMessage {
  checkLength('interactive body', options.body, INTERACTIVE_BODY_MAX);
  if (options.footer !== undefined) checkLength('footer text', options.footer, FOOTER_TEXT_MAX);
  checkOrderReference(options.referenceId);
  if (options.description !== undefined) {
    checkLength('order status description', options.description, ORDER_DESCRIPTION_MAX);
  }
  if (
    options.payment !== undefined &&
    (!Number.isInteger(options.payment.timestamp) || options.payment.timestamp <= 0)
  ) {
    throw new MessageLimitError(
      `order payment timestamp ${options.payment.timestamp} is not a Unix time in seconds`,
    );
  }
  return {
    ...envelope(to, options),
    type: 'interactive',
    interactive: {
      type: 'order_status',
      body: { text: options.body },
      ...(options.footer === undefined ? {} : { footer: { text: options.footer } }),
      action: {
        name: 'review_order',
        parameters: {
          reference_id: options.referenceId,
          order: {
            status: options.status,
            ...(options.description === undefined ? {} : { description: options.description }),
          },
          ...(options.payment === undefined ? {} : { payment: { ...options.payment } }),
        },
      },
    },
  };
}

function checkOrderReference(referenceId: string): void {
  if (!ORDER_REFERENCE_PATTERN.test(referenceId)) {
    throw new MessageLimitError(
      `order reference_id ${quote(referenceId)} is not accepted; WhatsApp allows 1 to 35 English letters, digits, "_", "-" and "."`,
    );
  }
}

function orderAmount(what: string, minorUnits: number): OrderAmount {
  if (!Number.isInteger(minorUnits) || minorUnits < 0) {
    throw new MessageLimitError(`${what} ${minorUnits} is not a whole, non-negative number of minor units`);
  }
  // Offset 100 means value = amount × 100, which for INR and BRL (two decimals) is the minor units.
  return { value: minorUnits, offset: ORDER_AMOUNT_OFFSET };
}

function orderPaymentParameters(
  payment: OrderPaymentInput,
  currency: string,
): Pick<
  GraphOrderDetailsMessage['interactive']['action']['parameters'],
  'payment_type' | 'payment_configuration' | 'payment_settings'
> {
  const expectCurrency = (wanted: string, settings: string) => {
    if (currency !== wanted) {
      throw new MessageLimitError(
        `order currency ${quote(currency)} cannot be paid with ${settings}; use ${wanted}`,
      );
    }
  };
  switch (payment.kind) {
    case 'payment_gateway': {
      expectCurrency('INR', `India payment gateway ${payment.gateway}`);
      nonEmpty('payment configuration name', payment.configurationName);
      const gateway: Record<string, unknown> = {
        type: payment.gateway,
        configuration_name: payment.configurationName,
      };
      if (payment.gateway === 'razorpay' && payment.notes) gateway.razorpay = { notes: { ...payment.notes } };
      return { payment_settings: [{ type: 'payment_gateway', payment_gateway: gateway }] };
    }
    case 'upi':
      expectCurrency('INR', 'UPI');
      return {
        payment_type: 'upi',
        payment_configuration: nonEmpty('payment configuration name', payment.configurationName),
      };
    case 'br': {
      expectCurrency('BRL', 'Brazil payment settings');
      const settings: Record<string, unknown>[] = [];
      if (payment.pix) {
        settings.push({
          type: 'pix_dynamic_code',
          pix_dynamic_code: {
            code: nonEmpty('Pix code', payment.pix.code),
            merchant_name: nonEmpty('Pix merchant name', payment.pix.merchantName),
            key: nonEmpty('Pix key', payment.pix.key),
            key_type: payment.pix.keyType,
          },
        });
      }
      if (payment.paymentLink !== undefined) {
        checkHttpUrl('payment link', payment.paymentLink);
        settings.push({ type: 'payment_link', payment_link: { uri: payment.paymentLink } });
      }
      if (payment.boleto) {
        settings.push({
          type: 'boleto',
          boleto: { digitable_line: nonEmpty('boleto digitable line', payment.boleto.digitableLine) },
        });
      }
      if (settings.length === 0) {
        throw new MessageLimitError(
          'Brazil order has no way to pay: give a Pix code, a payment link or a boleto',
        );
      }
      return { payment_type: 'br', payment_settings: settings };
    }
  }
}
