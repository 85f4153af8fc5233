import { readFile } from 'node:fs/promises';
import { eq } from 'drizzle-orm';
import type { PaymentEvent, PaymentStatusParser } from '../../src/payments/index.js';
import { inboundEvents, payments } from '../../src/store/index.js';
import type { InboundPaymentStatusPayload } from '../../src/whatsapp/parseWebhook.js';
import { storeKinds, type TestStore } from '../helpers/stores.js';
import {
  applyTurn,
  bodyOf,
  createPaymentsTestApp,
  customerWrites,
  paymentEffect,
  resetPayments,
  sent,
} from './paymentHelpers.js';

/**
 * WhatsApp payment_status webhooks reach the payment layer through the parser the native adapter
 * supplies. This stand-in reads the fixture's fields the way that adapter is expected to.
 */
const parser: PaymentStatusParser = (payload) => {
  const { status } = payload as InboundPaymentStatusPayload;
  const transaction = status.payment.transaction;
  const base = {
    paymentId: status.payment.reference_id,
    providerEventId: `${status.id}:${transaction?.status ?? status.status}`,
    providerRef: transaction?.id ?? null,
    amount: status.payment.amount?.value ?? null,
    currency: status.payment.currency,
    at: new Date(0),
  };
  return [
    transaction?.status === 'success'
      ? ({ type: 'PaymentSucceeded', ...base } as PaymentEvent)
      : ({ type: 'PaymentFailed', reason: transaction?.error?.reason ?? null, ...base } as PaymentEvent),
  ];
};

describe.each(storeKinds)('WhatsApp payment statuses on %s', (_kind, open) => {
  let store: TestStore;
  beforeAll(async () => {
    store = await open();
  });
  afterAll(() => store.close());
  beforeEach(() => resetPayments(store));

  test('a payment_status webhook becomes one event of its payment and one receipt, replays included', async () => {
    const app = await createPaymentsTestApp(store, {}, { parsePaymentStatus: parser });
    try {
      await customerWrites(app);
      await applyTurn(app, [paymentEffect({ amount: 21000, currency: 'INR' })]);
      await app.settle();
      app.graph.sent.length = 0;
      const [payment] = await store.db.select().from(payments);
      const fixture = JSON.parse(await readFile('test/fixtures/whatsapp/payment-status-in-pg.json', 'utf8'));
      const status = fixture.entry[0].changes[0].value.statuses[0];
      Object.assign(status, { recipient_id: '16505551234', status: 'captured', timestamp: '1750000100' });
      Object.assign(status.payment, { reference_id: payment!.id });
      Object.assign(status.payment.transaction, { status: 'success' });
      fixture.entry[0].changes[0].value.metadata.phone_number_id = '106540352242922';
      for (let i = 0; i < 3; i++) await app.post(fixture);
      await app.settle();
      expect((await store.db.select().from(payments))[0]?.status).toBe('succeeded');
      expect(sent(app).map(bodyOf)).toEqual([expect.stringMatching(/Payment received: ₹210\.00/)]);
      const stored = await store.db.select().from(inboundEvents).where(eq(inboundEvents.kind, 'payment'));
      expect(stored.map((e) => [e.source, e.conversationId])).toEqual([
        ['whatsapp', `payment:${payment!.id}`],
      ]);
    } finally {
      await app.close();
    }
  });

  test('with the native provider the pay request lives in the chat: the adapter builds it, also for a retry', async () => {
    const provider = {
      name: 'whatsapp' as const,
      createPayment: async () => ({ providerRef: 'unused', checkoutUrl: null }),
      refund: async () => ({ refundRef: 'r', status: 'succeeded' as const }),
      lookup: async () => [],
    };
    const app = await createPaymentsTestApp(
      store,
      {
        PAYMENTS_PROVIDER: 'whatsapp',
        WHATSAPP_ACCESS_TOKEN: 'live-token',
        WHATSAPP_PHONE_NUMBER_ID: '106540352242922',
        WHATSAPP_PAYMENT_CONFIGURATION: 'bella-upi',
        WHATSAPP_APP_SECRET: 'test-app-secret-0123456789abcdef0123456789',
        API_TOKEN: 'test-api-token-0123456789abcdef',
      },
      {
        provider,
        parsePaymentStatus: parser,
        buildChatRequest: (payment, id) => ({
          type: 'SendText',
          id,
          text: `ORDER ${payment.id} ${payment.amount}`,
        }),
      },
    );
    try {
      await customerWrites(app);
      await applyTurn(app, [paymentEffect({ amount: 21000, currency: 'INR' })]);
      await app.settle();
      const [payment] = await store.db.select().from(payments);
      expect(sent(app).map(bodyOf)).toEqual([`ORDER ${payment!.id} 21000`]);
      app.graph.sent.length = 0;
      const fixture = JSON.parse(await readFile('test/fixtures/whatsapp/payment-status-in-pg.json', 'utf8'));
      const status = fixture.entry[0].changes[0].value.statuses[0];
      Object.assign(status, { recipient_id: '16505551234', status: 'failed', timestamp: '1750000100' });
      Object.assign(status.payment, { reference_id: payment!.id });
      Object.assign(status.payment.transaction, { status: 'failed' });
      fixture.entry[0].changes[0].value.metadata.phone_number_id = '106540352242922';
      await app.post(fixture);
      await app.settle();
      expect(sent(app).map(bodyOf)).toEqual([`ORDER ${payment!.id}.r1 21000`]);
    } finally {
      await app.close();
    }
  });
});
