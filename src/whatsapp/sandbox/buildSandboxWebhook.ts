/**
 * Meta-shaped webhook bodies the sandbox emulator sends to the real `/webhooks/whatsapp`, in the
 * shape of the verbatim fixtures in `test/fixtures/whatsapp/` (inbound-text, status-sent...).
 */

/** WhatsApp Business Account id of the sandbox (the webhook's `entry[].id`). */
export const SANDBOX_WABA_ID = '100000000000000';
/** The business's number as the emulator shows it (`metadata.display_phone_number`). */
export const SANDBOX_DISPLAY_PHONE_NUMBER = '15550100001';

/** A delivery status of a message the business sent, as the customer's phone reports it. */
export type SandboxDeliveryStatus = 'sent' | 'delivered' | 'read';

/** What the customer did: typed text, tapped a reply button, or picked a list row. */
export type CustomerInput =
  | { kind: 'text'; text: string }
  | { kind: 'button'; id: string; title: string }
  | { kind: 'list'; id: string; title: string; description?: string };

export interface InboundOptions {
  phoneNumberId: string;
  from: string;
  name: string;
  wamid: string;
  at: Date;
  input: CustomerInput;
  /** wamid of the business message whose button or row was tapped; Meta echoes it in `context`. */
  contextWamid?: string;
}

export interface StatusOptions {
  phoneNumberId: string;
  recipient: string;
  wamid: string;
  status: SandboxDeliveryStatus;
  at: Date;
  /** Echo of the send's `biz_opaque_callback_data` (our outbox id). */
  bizOpaqueCallbackData?: string;
  /** Meta's conversation (billing window) id; one per customer. */
  conversationId: string;
  category: 'service' | 'utility' | 'marketing';
}

const unixSeconds = (at: Date) => String(Math.floor(at.getTime() / 1000));

/**
 * The webhook Meta sends when a customer writes.
 *
 * @example buildInboundWebhook({ phoneNumberId, from: '393331234567', name: 'Ada', wamid, at: new Date(), input: { kind: 'text', text: 'hello' } })
 */
export function buildInboundWebhook(options: InboundOptions): Record<string, unknown> {
  return envelope(options.phoneNumberId, {
    contacts: [{ profile: { name: options.name }, wa_id: options.from }],
    messages: [buildInboundMessage(options)],
  });
}

/** One `messages[]` element of {@link buildInboundWebhook}, as Meta shapes it. */
export function buildInboundMessage(options: InboundOptions): Record<string, unknown> & { type: string } {
  const { input } = options;
  const content =
    input.kind === 'text'
      ? { type: 'text', text: { body: input.text } }
      : input.kind === 'button'
        ? {
            type: 'interactive',
            interactive: { type: 'button_reply', button_reply: { id: input.id, title: input.title } },
          }
        : {
            type: 'interactive',
            interactive: {
              type: 'list_reply',
              list_reply: {
                id: input.id,
                title: input.title,
                ...(input.description === undefined ? {} : { description: input.description }),
              },
            },
          };
  return {
    ...(options.contextWamid
      ? { context: { from: SANDBOX_DISPLAY_PHONE_NUMBER, id: options.contextWamid } }
      : {}),
    from: options.from,
    id: options.wamid,
    timestamp: unixSeconds(options.at),
    ...content,
  };
}

/**
 * The webhook Meta sends when one of the business's messages was sent, delivered or read.
 *
 * @example buildStatusWebhook({ phoneNumberId, recipient, wamid, status: 'delivered', at: new Date(), conversationId, category: 'service' })
 */
export function buildStatusWebhook(options: StatusOptions): Record<string, unknown> {
  const service = options.category === 'service';
  return envelope(options.phoneNumberId, {
    statuses: [
      {
        id: options.wamid,
        status: options.status,
        timestamp: unixSeconds(options.at),
        recipient_id: options.recipient,
        ...(options.bizOpaqueCallbackData === undefined
          ? {}
          : { biz_opaque_callback_data: options.bizOpaqueCallbackData }),
        conversation: {
          id: options.conversationId,
          // Meta names the window's end only on the first status of a conversation; close enough.
          ...(options.status === 'sent'
            ? { expiration_timestamp: unixSeconds(new Date(options.at.getTime() + 24 * 3_600_000)) }
            : {}),
          origin: { type: options.category },
        },
        pricing: {
          billable: !service,
          pricing_model: 'PMP',
          category: options.category,
          type: service ? 'free_customer_service' : 'regular',
        },
      },
    ],
  });
}

function envelope(phoneNumberId: string, value: Record<string, unknown>): Record<string, unknown> {
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: SANDBOX_WABA_ID,
        changes: [
          {
            value: {
              messaging_product: 'whatsapp',
              metadata: {
                display_phone_number: SANDBOX_DISPLAY_PHONE_NUMBER,
                phone_number_id: phoneNumberId,
              },
              ...value,
            },
            field: 'messages',
          },
        ],
      },
    ],
  };
}
