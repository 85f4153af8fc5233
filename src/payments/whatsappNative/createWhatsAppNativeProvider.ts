import axios, { type AxiosInstance } from 'axios';
import { z } from 'zod';
import type { Clock, Effect, OrderPaymentSettings, OrderStatus } from '../../engine/types.js';
import { MessageLimitError } from '../../whatsapp/builders.js';
import { buildSendEffect } from '../../whatsapp/buildSendEffect.js';
import { codeForHttpStatus, PaymentProviderError } from '../errors.js';
import type { CreatePaymentInput, CreatedPayment, PaymentEvent, PaymentProvider } from '../port.js';
import { minorUnitsFromOffset } from './minorUnits.js';
import { classify, refundEvent, timeOf } from './parseWhatsAppPaymentStatus.js';

export type SendOrderDetails = Extract<Effect, { type: 'SendOrderDetails' }>;
export type SendOrderStatus = Extract<Effect, { type: 'SendOrderStatus' }>;

export interface WhatsAppNativeProviderOptions {
  graph: {
    graphUrl: string;
    apiVersion: string;
    phoneNumberId: string;
    accessToken: string;
    timeoutMs: number;
  };
  /** `WHATSAPP_PAYMENT_CONFIGURATION`: the payment configuration's name in WhatsApp Manager (India). */
  paymentConfiguration: string;
  /** `IN`: payment gateway or UPI through the configuration; `BR`: Pix, payment link or boleto per order. */
  country: 'IN' | 'BR';
  /** India: `upi` (UPI intent) or the gateway behind the configuration; default `upi`. */
  indiaMethod?: 'upi' | 'razorpay' | 'payu' | 'billdesk' | 'zaakpay';
  goodsType?: 'digital-goods' | 'physical-goods';
  /** Retries of a lookup on no answer, 429 and 5xx; default 2. */
  maxRetries?: number;
  /** First retry delay, doubled each time; default 250 ms. */
  retryDelayMs?: number;
  clock?: Clock;
}

/** What the payment layer knows when it asks for a native pay request. */
export interface PayRequestInput {
  /** The outbox effect id (derive it from the RequestPayment effect's id, so a replay repeats it). */
  effectId: string;
  /** Our payment id; becomes the order's `reference_id` (1–35 of `A–Z a–z 0–9 _ - .`). */
  paymentId: string;
  amount: number;
  currency: string;
  /** What is paid for; the order's single line when there are no items. */
  description: string;
  items: { name: string; quantity: number; amount: number }[];
  expiresAt: Date;
  /** Customer-facing texts, from templates/<locale>.yaml. */
  body: string;
  footer?: string;
  /** Shown with the expiry on the order card ("Pay within 2 hours to keep your slot"). */
  expirationText?: string;
  /** Brazil: at least one way to pay — a link (e.g. the `/pay/:token` page) or PSP-issued Pix / boleto codes. */
  brazil?: {
    paymentLink?: string;
    pix?: Extract<OrderPaymentSettings, { kind: 'br' }>['pix'];
    boleto?: { digitableLine: string };
  };
}

export interface WhatsAppNativeProvider extends PaymentProvider {
  readonly name: 'whatsapp';
  /**
   * The `order_details` message that is the pay request; enqueue it like any send effect.
   * @throws {PaymentProviderError} (`invalid_request`) when WhatsApp would refuse the order.
   */
  buildPayRequest(payment: PayRequestInput): SendOrderDetails;
  /** An `order_status` message that updates the order card (processing, completed, canceled…). */
  buildOrderStatus(
    referenceId: string,
    status: OrderStatus,
    message: { effectId: string; body: string; footer?: string; description?: string; paidAt?: Date },
  ): SendOrderStatus;
}

const SYSTEM_CLOCK: Clock = { now: () => new Date() };
const MIN_EXPIRY_SECONDS = 300;

const AmountSchema = z.looseObject({ value: z.number(), offset: z.number() });
/** `GET /{phone-number-id}/payments/{configuration}/{reference-id}` (Meta's India payments guide). */
const LookupSchema = z.looseObject({
  payments: z.array(
    z.looseObject({
      reference_id: z.string(),
      status: z.string(),
      amount: AmountSchema.optional(),
      currency: z.string().optional(),
      transactions: z
        .array(
          z.looseObject({
            id: z.string().optional(),
            pg_transaction_id: z.string().optional(),
            status: z.string(),
            created_timestamp: z.unknown().optional(),
            updated_timestamp: z.unknown().optional(),
            error: z.looseObject({ code: z.string().optional(), reason: z.string().optional() }).optional(),
          }),
        )
        .optional(),
      refunds: z
        .array(
          z.looseObject({
            id: z.string(),
            status: z.string(),
            amount: AmountSchema.optional(),
            created_timestamp: z.unknown().optional(),
            updated_timestamp: z.unknown().optional(),
          }),
        )
        .optional(),
    }),
  ),
});

/**
 * WhatsApp's own payments (`order_details`) as a {@link PaymentProvider}. The pay request is a
 * message, so `createPayment` only checks that WhatsApp will take the order and names it by our
 * payment id; the payment layer sends `buildPayRequest(...)` through the outbox. Status arrives
 * as `payment_status` webhooks (see `parseWhatsAppPaymentStatus`); `lookup` asks Meta's payment
 * lookup API (India; Brazil has none). Refunds are made in the payment gateway, not through
 * WhatsApp: `refund` explains that.
 *
 * @example
 * const wa = createWhatsAppNativeProvider({ graph, paymentConfiguration: 'bella-upi', country: 'IN' });
 * await wa.createPayment(input);                    // { providerRef: input.paymentId, checkoutUrl: null }
 * const effect = wa.buildPayRequest({ effectId, paymentId, … }); // enqueue with the turn's other effects
 */
export function createWhatsAppNativeProvider(options: WhatsAppNativeProviderOptions): WhatsAppNativeProvider {
  const clock = options.clock ?? SYSTEM_CLOCK;
  const maxRetries = options.maxRetries ?? 2;
  const retryDelayMs = options.retryDelayMs ?? 250;
  const http: AxiosInstance = axios.create({
    baseURL: `${options.graph.graphUrl.replace(/\/+$/, '')}/${options.graph.apiVersion}/${options.graph.phoneNumberId}`,
    timeout: options.graph.timeoutMs,
    headers: { Authorization: `Bearer ${options.graph.accessToken}` },
    validateStatus: () => true,
    maxRedirects: 0,
  });
  const currency = options.country === 'IN' ? 'INR' : 'BRL';
  if (options.country === 'IN' && options.paymentConfiguration.trim() === '') {
    throw new PaymentProviderError(
      'whatsapp',
      'invalid_request',
      'WHATSAPP_PAYMENT_CONFIGURATION is required for India: the payment configuration name from WhatsApp Manager → Payment configurations',
    );
  }

  const invalid = (paymentId: string, message: string) =>
    new PaymentProviderError('whatsapp', 'invalid_request', `Payment ${paymentId}: ${message}`);

  const orderPayment = (input: PayRequestInput): OrderPaymentSettings => {
    if (options.country === 'BR') {
      const brazil = input.brazil ?? {};
      return {
        kind: 'br',
        ...(brazil.pix ? { pix: brazil.pix } : {}),
        ...(brazil.paymentLink ? { paymentLink: brazil.paymentLink } : {}),
        ...(brazil.boleto ? { boleto: brazil.boleto } : {}),
      };
    }
    const method = options.indiaMethod ?? 'upi';
    return method === 'upi'
      ? { kind: 'upi', configurationName: options.paymentConfiguration }
      : { kind: 'payment_gateway', gateway: method, configurationName: options.paymentConfiguration };
  };

  const checkOrder = (
    paymentId: string,
    amount: number,
    currencyGiven: string,
    items: PayRequestInput['items'],
  ) => {
    if (currencyGiven.toUpperCase() !== currency) {
      throw invalid(
        paymentId,
        `WhatsApp payments in ${options.country} take ${currency}, not ${currencyGiven}`,
      );
    }
    if (!/^[A-Za-z0-9_.-]{1,35}$/.test(paymentId)) {
      throw invalid(
        paymentId,
        'the payment id is the order reference_id, which WhatsApp limits to 35 letters, digits, "_", "-" or "."',
      );
    }
    const total = items.reduce((sum, item) => sum + item.amount * item.quantity, 0);
    if (items.length > 0 && total !== amount) {
      throw invalid(
        paymentId,
        `items add up to ${total} but the amount to charge is ${amount} (minor units)`,
      );
    }
  };

  const get = async (path: string, what: string): Promise<unknown> => {
    for (let attempt = 0; ; attempt++) {
      let failure: PaymentProviderError;
      try {
        const response = await http.get(path);
        if (response.status >= 200 && response.status < 300) return response.data;
        failure = graphError(response.status, response.data, what);
      } catch (error) {
        const timedOut =
          axios.isAxiosError(error) && (error.code === 'ECONNABORTED' || error.code === 'ETIMEDOUT');
        const reason = axios.isAxiosError(error) ? (error.code ?? error.message) : String(error);
        failure = new PaymentProviderError(
          'whatsapp',
          timedOut ? 'timeout' : 'network',
          timedOut
            ? `Graph API did not answer within ${options.graph.timeoutMs} ms while trying to ${what} (WHATSAPP_TIMEOUT_MS)`
            : `Could not reach the Graph API to ${what}: ${reason}; check the network or WHATSAPP_GRAPH_URL`,
          { cause: error },
        );
      }
      if (!failure.retriable || attempt >= maxRetries) throw failure;
      await new Promise((resolve) => setTimeout(resolve, retryDelayMs * 2 ** attempt));
    }
  };

  return {
    name: 'whatsapp',

    async createPayment(input: CreatePaymentInput): Promise<CreatedPayment> {
      checkOrder(input.paymentId, input.amount, input.currency, input.items);
      return { providerRef: input.paymentId, checkoutUrl: null };
    },

    buildPayRequest(payment: PayRequestInput): SendOrderDetails {
      checkOrder(payment.paymentId, payment.amount, payment.currency, payment.items);
      const items =
        payment.items.length > 0
          ? payment.items
          : [{ name: [...payment.description].slice(0, 60).join(''), quantity: 1, amount: payment.amount }];
      const expiresAt = Math.floor(payment.expiresAt.getTime() / 1000);
      if (expiresAt - clock.now().getTime() / 1000 < MIN_EXPIRY_SECONDS) {
        throw invalid(payment.paymentId, 'the order must stay payable for at least 5 minutes');
      }
      const effect: SendOrderDetails = {
        type: 'SendOrderDetails',
        id: payment.effectId,
        body: payment.body,
        ...(payment.footer === undefined ? {} : { footer: payment.footer }),
        order: {
          referenceId: payment.paymentId,
          goodsType: options.goodsType ?? 'digital-goods',
          currency,
          items: items.map((item, index) => ({
            retailerId: `item-${index + 1}`,
            name: item.name,
            quantity: item.quantity,
            amount: item.amount,
          })),
          subtotal: payment.amount,
          total: payment.amount,
          expiresAt: new Date(expiresAt * 1000).toISOString(),
          ...(payment.expirationText === undefined ? {} : { expirationDescription: payment.expirationText }),
          payment: orderPayment(payment),
        },
      };
      try {
        // Build it once now, the way the outbox will, so a message WhatsApp would refuse fails here.
        buildSendEffect('0', effect);
      } catch (error) {
        if (error instanceof MessageLimitError) throw invalid(payment.paymentId, error.message);
        throw error;
      }
      return effect;
    },

    buildOrderStatus(referenceId, status, message) {
      return {
        type: 'SendOrderStatus',
        id: message.effectId,
        body: message.body,
        ...(message.footer === undefined ? {} : { footer: message.footer }),
        referenceId,
        status,
        ...(message.description === undefined ? {} : { description: message.description }),
        // Brazil has no payment webhooks: the card shows the payment state only if we say it.
        ...(options.country === 'BR' && message.paidAt
          ? {
              payment: {
                status: 'captured' as const,
                timestamp: Math.floor(message.paidAt.getTime() / 1000),
              },
            }
          : {}),
      };
    },

    async refund(input) {
      throw new PaymentProviderError(
        'whatsapp',
        'not_supported',
        `Payment ${input.paymentId} was paid inside WhatsApp, and WhatsApp has no refund API (the Cloud API spec has none): ` +
          (options.country === 'IN'
            ? 'refund it in your payment gateway dashboard; the gateway reports it back in the payment status webhook'
            : 'refund it with your payment service provider'),
      );
    },

    async lookup(payment): Promise<PaymentEvent[]> {
      if (options.country === 'BR') {
        throw new PaymentProviderError(
          'whatsapp',
          'not_supported',
          `WhatsApp has no payment lookup for Brazil orders (payment ${payment.paymentId}); confirm it with your payment service provider`,
        );
      }
      const reference = payment.providerRef ?? payment.paymentId;
      const data = await get(
        `/payments/${encodeURIComponent(options.paymentConfiguration)}/${encodeURIComponent(reference)}`,
        `look up payment ${payment.paymentId}`,
      );
      const parsed = LookupSchema.safeParse(data);
      if (!parsed.success) {
        throw new PaymentProviderError(
          'whatsapp',
          'rejected',
          `The payment lookup for ${payment.paymentId} answered in an unexpected shape: ${parsed.error.issues[0]?.message ?? 'no payments array'}`,
        );
      }
      return parsed.data.payments
        .filter((found) => found.reference_id === reference)
        .flatMap((found) => eventsFromLookup(found, payment.paymentId, clock.now()));
    },
  };
}

type LookupPayment = z.infer<typeof LookupSchema>['payments'][number];

function eventsFromLookup(found: LookupPayment, paymentId: string, now: Date): PaymentEvent[] {
  const transactions = [...(found.transactions ?? [])].sort(
    (a, b) => (timeOf(a.updated_timestamp)?.getTime() ?? 0) - (timeOf(b.updated_timestamp)?.getTime() ?? 0),
  );
  const latest = transactions[transactions.length - 1];
  const eventId = `wa:lookup:${found.reference_id}:${found.status}:${latest?.id ?? ''}:${latest?.status ?? ''}`;
  const base = {
    paymentId,
    providerEventId: eventId,
    providerRef: found.reference_id,
    amount: minorUnitsFromOffset(found.amount, found.currency),
    currency: found.currency ?? null,
    at: timeOf(latest?.updated_timestamp) ?? now,
  };
  const events: PaymentEvent[] = [];
  switch (classify(found.status, latest?.status)) {
    case 'succeeded':
      events.push({ type: 'PaymentSucceeded', ...base });
      break;
    case 'failed':
      events.push({
        type: 'PaymentFailed',
        reason: latest?.error?.reason ?? latest?.error?.code ?? null,
        ...base,
      });
      break;
    case 'pending':
      events.push({ type: 'PaymentPending', ...base });
      break;
    case 'unknown':
      events.push({
        type: 'NotSupported',
        providerEventId: eventId,
        description: `WhatsApp payment lookup status "${found.status}" for reference ${found.reference_id} is not one this product knows`,
      });
  }
  const refunded = refundEvent(found.refunds, base, eventId, found.currency);
  if (refunded) events.push(refunded);
  return events;
}

function graphError(status: number, body: unknown, what: string): PaymentProviderError {
  const error = (
    body as { error?: { code?: number; message?: string; error_data?: { details?: string } } } | null
  )?.error;
  const code = typeof error?.code === 'number' ? error.code : null;
  const detail = error?.error_data?.details ?? error?.message ?? `HTTP ${status}`;
  // Meta answers an expired or wrong token with 190, whatever the HTTP status.
  const kind = code === 190 ? 'authentication' : codeForHttpStatus(status);
  const message =
    kind === 'authentication'
      ? `The Graph API refused WHATSAPP_ACCESS_TOKEN while trying to ${what}: ${detail}`
      : kind === 'rejected'
        ? `The Graph API refused to ${what} (HTTP ${status}${code === null ? '' : `, code ${code}`}): ${detail}; check WHATSAPP_PAYMENT_CONFIGURATION`
        : `The Graph API failed (HTTP ${status}) while trying to ${what}: ${detail}`;
  return new PaymentProviderError('whatsapp', kind, message, {
    httpStatus: status,
    providerCode: code === null ? null : String(code),
  });
}
