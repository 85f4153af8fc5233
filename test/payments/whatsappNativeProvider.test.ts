import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CreatePaymentInput } from '../../src/payments/port.js';
import {
  createWhatsAppNativeProvider,
  type PayRequestInput,
  type WhatsAppNativeProviderOptions,
} from '../../src/payments/whatsappNative/createWhatsAppNativeProvider.js';
import { parseWhatsAppPaymentStatus } from '../../src/payments/whatsappNative/parseWhatsAppPaymentStatus.js';
import { buildSendEffect } from '../../src/whatsapp/buildSendEffect.js';
import { parseWebhook, type InboundPaymentStatusPayload } from '../../src/whatsapp/parseWebhook.js';

const FIXTURES = new URL('../fixtures/whatsapp/', import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- fixtures are raw JSON we index freely
type Json = any;
const fixture = (name: string): Json => JSON.parse(readFileSync(new URL(name, FIXTURES), 'utf8'));

/** A local Graph API answering lookups from a queue: `{ status, body, delayMs }` per request. */
let graph: {
  url: string;
  server: Server;
  replies: { status: number; body: unknown; delayMs?: number }[];
  seen: { path: string; auth: string | undefined }[];
};
beforeAll(async () => {
  const replies: typeof graph.replies = [];
  const seen: typeof graph.seen = [];
  const server = createServer((req, res) => {
    seen.push({ path: req.url ?? '', auth: req.headers.authorization });
    const next = replies.shift() ?? {
      status: 404,
      body: { error: { code: 100, message: 'no reply queued' } },
    };
    const timer = setTimeout(() => {
      if (res.destroyed) return;
      res.writeHead(next.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(next.body));
    }, next.delayMs ?? 0);
    res.on('close', () => clearTimeout(timer));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  graph = { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, replies, seen };
});
afterAll(async () => {
  graph.server.closeAllConnections();
  await new Promise((resolve) => graph.server.close(resolve));
});
beforeEach(() => {
  graph.replies.length = 0;
  graph.seen.length = 0;
});
const reply = (status: number, body: unknown, delayMs?: number) =>
  graph.replies.push({ status, body, ...(delayMs === undefined ? {} : { delayMs }) });
const NOW = new Date('2026-03-01T10:00:00Z');
const options = (overrides: Partial<WhatsAppNativeProviderOptions> = {}): WhatsAppNativeProviderOptions => ({
  graph: {
    graphUrl: graph.url,
    apiVersion: 'v23.0',
    phoneNumberId: '106540352242922',
    accessToken: 'tok',
    timeoutMs: 500,
  },
  paymentConfiguration: 'bella-upi',
  country: 'IN',
  retryDelayMs: 5,
  clock: { now: () => NOW },
  ...overrides,
});

const payRequest = (overrides: Partial<PayRequestInput> = {}): PayRequestInput => ({
  effectId: 'evt42:1',
  paymentId: 'pay_01',
  amount: 150000,
  currency: 'INR',
  description: 'Bridal package, 2 people',
  items: [
    { name: 'Bridal package', quantity: 1, amount: 120000 },
    { name: 'Extra person', quantity: 1, amount: 30000 },
  ],
  expiresAt: new Date(NOW.getTime() + 2 * 3_600_000),
  body: 'Here is your order. Tap to review and pay.',
  expirationText: 'Pay within 2 hours',
  ...overrides,
});

const createInput = (overrides: Partial<CreatePaymentInput> = {}): CreatePaymentInput => ({
  paymentId: 'pay_01',
  reference: 'QUO-9',
  amount: 150000,
  currency: 'INR',
  description: 'Bridal package',
  items: [],
  locale: 'en',
  customerWaId: '919876543210',
  expiresAt: new Date(NOW.getTime() + 3_600_000),
  returnUrl: '/pay/x',
  ...overrides,
});

const lookupPath = '/v23.0/106540352242922/payments/bella-upi/pay_01';
const withReference = (body: Json) =>
  JSON.parse(JSON.stringify(body).replaceAll('<your_reference_id>', 'pay_01'));

describe('WhatsApp native provider', () => {
  test('createPayment names the order by our payment id and has no checkout page', async () => {
    const wa = createWhatsAppNativeProvider(options());
    await expect(wa.createPayment(createInput())).resolves.toEqual({
      providerRef: 'pay_01',
      checkoutUrl: null,
    });
    await expect(wa.createPayment(createInput({ currency: 'EUR' }))).rejects.toMatchObject({
      code: 'invalid_request',
      message: 'Payment pay_01: WhatsApp payments in IN take INR, not EUR',
    });
    await expect(wa.createPayment(createInput({ paymentId: 'pay/with/slashes' }))).rejects.toMatchObject({
      code: 'invalid_request',
      message: expect.stringContaining('reference_id'),
    });
  });

  test('buildPayRequest: India UPI order_details with items, expiry and our ids', () => {
    const wa = createWhatsAppNativeProvider(options());
    const effect = wa.buildPayRequest(payRequest());
    expect(effect).toMatchObject({ type: 'SendOrderDetails', id: 'evt42:1' });
    const body = buildSendEffect('919876543210', effect, { bizOpaqueCallbackData: effect.id });
    expect(body).toEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: '919876543210',
      biz_opaque_callback_data: 'evt42:1',
      type: 'interactive',
      interactive: {
        type: 'order_details',
        body: { text: 'Here is your order. Tap to review and pay.' },
        action: {
          name: 'review_and_pay',
          parameters: {
            reference_id: 'pay_01',
            type: 'digital-goods',
            payment_type: 'upi',
            payment_configuration: 'bella-upi',
            currency: 'INR',
            total_amount: { value: 150000, offset: 100 },
            order: {
              status: 'pending',
              expiration: {
                timestamp: String(NOW.getTime() / 1000 + 7200),
                description: 'Pay within 2 hours',
              },
              items: [
                {
                  retailer_id: 'item-1',
                  name: 'Bridal package',
                  amount: { value: 120000, offset: 100 },
                  quantity: 1,
                },
                {
                  retailer_id: 'item-2',
                  name: 'Extra person',
                  amount: { value: 30000, offset: 100 },
                  quantity: 1,
                },
              ],
              subtotal: { value: 150000, offset: 100 },
            },
          },
        },
      },
    });
  });

  test('buildPayRequest: India payment gateway and Brazil payment link settings come from the config', () => {
    const gateway = createWhatsAppNativeProvider(options({ indiaMethod: 'razorpay' }));
    expect(gateway.buildPayRequest(payRequest()).order.payment).toEqual({
      kind: 'payment_gateway',
      gateway: 'razorpay',
      configurationName: 'bella-upi',
    });
    const brazil = createWhatsAppNativeProvider(options({ country: 'BR', paymentConfiguration: '' }));
    const effect = brazil.buildPayRequest(
      payRequest({ currency: 'BRL', brazil: { paymentLink: 'https://wa.example.com/pay/tok' } }),
    );
    const body = buildSendEffect('5511999999999', effect) as Json;
    expect(body.interactive.action.parameters).toMatchObject({
      payment_type: 'br',
      currency: 'BRL',
      payment_settings: [{ type: 'payment_link', payment_link: { uri: 'https://wa.example.com/pay/tok' } }],
    });
    expect(() => brazil.buildPayRequest(payRequest({ currency: 'BRL' }))).toThrow(
      'Brazil order has no way to pay',
    );
  });

  test('buildPayRequest refuses an order WhatsApp would refuse, before it reaches the outbox', () => {
    const wa = createWhatsAppNativeProvider(options());
    expect(() => wa.buildPayRequest(payRequest({ amount: 100 }))).toThrow(
      'items add up to 150000 but the amount to charge is 100',
    );
    expect(() => wa.buildPayRequest(payRequest({ expiresAt: new Date(NOW.getTime() + 60_000) }))).toThrow(
      'at least 5 minutes',
    );
    expect(() => wa.buildPayRequest(payRequest({ body: 'x'.repeat(1025) }))).toThrow(
      expect.objectContaining({ code: 'invalid_request' }) as unknown as Error,
    );
    const single = wa.buildPayRequest(payRequest({ items: [] }));
    expect(single.order.items).toEqual([
      { retailerId: 'item-1', name: 'Bridal package, 2 people', quantity: 1, amount: 150000 },
    ]);
  });

  test('buildOrderStatus updates the card; in Brazil it also shows the captured payment', () => {
    const india = createWhatsAppNativeProvider(options());
    expect(india.buildOrderStatus('pay_01', 'completed', { effectId: 'e:0', body: 'Paid, thanks!' })).toEqual(
      {
        type: 'SendOrderStatus',
        id: 'e:0',
        body: 'Paid, thanks!',
        referenceId: 'pay_01',
        status: 'completed',
      },
    );
    const brazil = createWhatsAppNativeProvider(options({ country: 'BR', paymentConfiguration: '' }));
    expect(
      brazil.buildOrderStatus('pay_01', 'processing', { effectId: 'e:1', body: 'Pago', paidAt: NOW }).payment,
    ).toEqual({ status: 'captured', timestamp: NOW.getTime() / 1000 });
  });

  test('refund is not offered by WhatsApp and says where to refund', async () => {
    const wa = createWhatsAppNativeProvider(options());
    await expect(
      wa.refund({
        paymentId: 'pay_01',
        providerRef: 'pay_01',
        amount: 100,
        currency: 'INR',
        idempotencyKey: 'k',
      }),
    ).rejects.toMatchObject({
      code: 'not_supported',
      retriable: false,
      message: expect.stringContaining('refund it in your payment gateway dashboard'),
    });
  });

  test('India needs a payment configuration name', () => {
    expect(() => createWhatsAppNativeProvider(options({ paymentConfiguration: ' ' }))).toThrow(
      'WHATSAPP_PAYMENT_CONFIGURATION is required for India',
    );
  });
});

describe('WhatsApp payment lookup', () => {
  test('captured → PaymentSucceeded with the amount in minor units', async () => {
    reply(200, withReference(fixture('payment-lookup-in-captured.json')));
    const events = await createWhatsAppNativeProvider(options()).lookup({
      paymentId: 'pay_01',
      providerRef: 'pay_01',
    });
    expect(events).toEqual([
      {
        type: 'PaymentSucceeded',
        paymentId: 'pay_01',
        providerRef: 'pay_01',
        providerEventId: 'wa:lookup:pay_01:captured:<order_id>:success',
        amount: 1000,
        currency: 'INR',
        at: new Date(1772129215 * 1000),
      },
    ]);
    expect(graph.seen).toEqual([{ path: lookupPath, auth: 'Bearer tok' }]);
  });

  test('a failed attempt on a still-pending order → PaymentFailed with the gateway’s reason', async () => {
    reply(200, withReference(fixture('payment-lookup-in-failed-attempt.json')));
    const events = await createWhatsAppNativeProvider(options()).lookup({
      paymentId: 'pay_01',
      providerRef: 'pay_01',
    });
    expect(events).toMatchObject([{ type: 'PaymentFailed', reason: 'incorrect_pin', amount: 1000 }]);
  });

  test('refunds in the answer add PaymentRefunded with the total of the successful ones', async () => {
    const body = withReference(fixture('payment-lookup-in-captured.json'));
    body.payments[0].refunds = [
      { id: 'rf1', status: 'success', amount: { value: 300, offset: 100 } },
      { id: 'rf2', status: 'pending', amount: { value: 200, offset: 100 } },
      { id: 'rf3', status: 'success', amount: { value: 100, offset: 100 } },
    ];
    reply(200, body);
    const events = await createWhatsAppNativeProvider(options()).lookup({
      paymentId: 'pay_01',
      providerRef: 'pay_01',
    });
    expect(events.map((e) => e.type)).toEqual(['PaymentSucceeded', 'PaymentRefunded']);
    expect(events[1]).toMatchObject({ refundRef: 'rf3', refundedAmount: 400 });
  });

  test('5xx and 429 are retried; a 5xx that persists is a retriable error', async () => {
    reply(500, { error: { code: 1, message: 'An unknown error occurred' } });
    reply(429, { error: { code: 80007, message: 'Rate limit' } });
    reply(200, withReference(fixture('payment-lookup-in-captured.json')));
    const wa = createWhatsAppNativeProvider(options());
    await expect(wa.lookup({ paymentId: 'pay_01', providerRef: 'pay_01' })).resolves.toHaveLength(1);
    for (let i = 0; i < 3; i++) reply(503, {});
    await expect(wa.lookup({ paymentId: 'pay_01', providerRef: 'pay_01' })).rejects.toMatchObject({
      code: 'unavailable',
      retriable: true,
      httpStatus: 503,
    });
    expect(graph.seen).toHaveLength(6);
    expect(graph.replies).toHaveLength(0);
  });

  test('a refused token and an unknown configuration are not retried', async () => {
    reply(401, { error: { code: 190, message: 'Error validating access token' } });
    const wa = createWhatsAppNativeProvider(options());
    await expect(wa.lookup({ paymentId: 'pay_01', providerRef: 'pay_01' })).rejects.toMatchObject({
      code: 'authentication',
      message: expect.stringContaining('WHATSAPP_ACCESS_TOKEN'),
    });
    reply(400, { error: { code: 100, message: 'Invalid parameter' } });
    await expect(wa.lookup({ paymentId: 'pay_01', providerRef: 'pay_01' })).rejects.toMatchObject({
      code: 'rejected',
      retriable: false,
      message: expect.stringContaining('WHATSAPP_PAYMENT_CONFIGURATION'),
    });
  });

  test('a Graph API that does not answer in time is a retriable timeout, after the retries', async () => {
    reply(200, {}, 1000);
    reply(200, {}, 1000);
    const wa = createWhatsAppNativeProvider(options({ maxRetries: 1 }));
    await expect(wa.lookup({ paymentId: 'pay_01', providerRef: 'pay_01' })).rejects.toMatchObject({
      code: 'timeout',
      retriable: true,
      message: expect.stringContaining('did not answer within 500 ms'),
    });
  });

  test('an answer in another shape is an error, not a silent "nothing happened"', async () => {
    reply(200, { data: [] });
    await expect(
      createWhatsAppNativeProvider(options()).lookup({ paymentId: 'pay_01', providerRef: 'pay_01' }),
    ).rejects.toMatchObject({ code: 'rejected', message: expect.stringContaining('unexpected shape') });
  });

  test('Brazil has no lookup API', async () => {
    const wa = createWhatsAppNativeProvider(options({ country: 'BR', paymentConfiguration: '' }));
    await expect(wa.lookup({ paymentId: 'pay_01', providerRef: 'pay_01' })).rejects.toMatchObject({
      code: 'not_supported',
    });
  });
});

describe('payment_status webhooks', () => {
  const RECEIVED = new Date('2026-03-01T10:05:00Z');
  const paymentStatusPayload = (edit: (status: Json) => void = () => {}): InboundPaymentStatusPayload => {
    const body = fixture('payment-status-in-pg.json');
    edit(body.entry[0].changes[0].value.statuses[0]);
    const [item] = parseWebhook(body);
    expect(item?.kind).toBe('payment_status');
    return item?.payload as InboundPaymentStatusPayload;
  };

  test('Meta’s example verbatim: its placeholder statuses are unknown, its successful refund is reported', () => {
    const events = parseWhatsAppPaymentStatus(paymentStatusPayload(), RECEIVED);
    expect(events).toEqual([
      {
        type: 'PaymentRefunded',
        paymentId: '[REFERENCE_ID]',
        providerRef: '[REFERENCE_ID]',
        providerEventId:
          'wa:payment:gBGGFlB5YjhvAgnhuF1qIUvCo7A:[TRANSACTION_STATUS]:success/failed:refunds:[REFUND-ID]',
        refundRef: '[REFUND-ID]',
        refundedAmount: 100,
        amount: 21000,
        currency: 'INR',
        at: RECEIVED,
      },
    ]);
  });

  test('captured / success → PaymentSucceeded, with Meta’s times and the amount in paise', () => {
    const payload = paymentStatusPayload((status) => {
      status.status = 'captured';
      status.timestamp = '1772360000';
      status.payment.reference_id = 'pay_01';
      status.payment.transaction.status = 'success';
      status.payment.transaction.updated_timestamp = 1772359990;
      delete status.payment.transaction.error;
      delete status.payment.refunds;
    });
    expect(parseWhatsAppPaymentStatus(payload, RECEIVED)).toEqual([
      {
        type: 'PaymentSucceeded',
        paymentId: 'pay_01',
        providerRef: 'pay_01',
        providerEventId: 'wa:payment:gBGGFlB5YjhvAgnhuF1qIUvCo7A:captured:success',
        amount: 21000,
        currency: 'INR',
        at: new Date(1772359990 * 1000),
      },
    ]);
  });

  test('failed → PaymentFailed with the reason; pending → PaymentPending', () => {
    const failed = paymentStatusPayload((status) => {
      status.status = 'pending';
      status.payment.transaction.status = 'failed';
      delete status.payment.refunds;
    });
    expect(parseWhatsAppPaymentStatus(failed, RECEIVED)).toMatchObject([
      { type: 'PaymentFailed', reason: 'pg-generated-descriptive-reason', paymentId: '[REFERENCE_ID]' },
    ]);
    const pending = paymentStatusPayload((status) => {
      status.status = 'pending';
      status.payment.transaction.status = 'pending';
      delete status.payment.refunds;
    });
    expect(parseWhatsAppPaymentStatus(pending, RECEIVED)).toMatchObject([{ type: 'PaymentPending' }]);
  });

  test('a captured order with refunds reports both, each with its own event id', () => {
    const payload = paymentStatusPayload((status) => {
      status.status = 'captured';
      status.payment.transaction.status = 'success';
      status.payment.refunds.push({ id: 'rf2', status: 'success', amount: { value: 2000, offset: 100 } });
    });
    const events = parseWhatsAppPaymentStatus(payload, RECEIVED);
    expect(events.map((e) => e.type)).toEqual(['PaymentSucceeded', 'PaymentRefunded']);
    expect(events[1]).toMatchObject({ refundedAmount: 2100, refundRef: 'rf2' });
    expect(new Set(events.map((e) => e.providerEventId)).size).toBe(2);
  });

  test('an unknown status without refunds is NotSupported, never dropped', () => {
    const payload = paymentStatusPayload((status) => {
      status.status = 'on_hold';
      status.payment.transaction.status = 'authorized';
      delete status.payment.refunds;
    });
    expect(parseWhatsAppPaymentStatus(payload, RECEIVED)).toEqual([
      {
        type: 'NotSupported',
        providerEventId: 'wa:payment:gBGGFlB5YjhvAgnhuF1qIUvCo7A:on_hold:authorized',
        description: expect.stringContaining('"on_hold" (transaction "authorized")'),
      },
    ]);
  });
});
