import { readFileSync } from 'node:fs';
import type { SendEffect } from '../../src/engine/types.js';
import { buildSendEffect } from '../../src/whatsapp/buildSendEffect.js';
import {
  buildOrderDetails,
  buildOrderStatus,
  MessageLimitError,
  type OrderDetailsOptions,
} from '../../src/whatsapp/builders.js';

const FIXTURES = new URL('../fixtures/whatsapp/', import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- fixtures are raw JSON we index freely
type Json = any;
const fixture = (name: string): Json => JSON.parse(readFileSync(new URL(name, FIXTURES), 'utf8'));

const upiOrder: OrderDetailsOptions = {
  body: 'your-text-body-content',
  footer: 'your-text-footer-content',
  referenceId: 'unique-reference-id',
  goodsType: 'digital-goods',
  currency: 'INR',
  items: [{ retailerId: '1234567', name: 'bread', quantity: 1, amount: 1500, saleAmount: 1000 }],
  subtotal: 1000,
  tax: { amount: 100, description: 'optional_text' },
  shipping: { amount: 100, description: 'optional_text' },
  discount: { amount: 100, description: 'optional_text', programName: 'optional_text' },
  total: 1100,
  payment: { kind: 'upi', configurationName: 'my-payment-config-name' },
};

describe('order_details builder against Meta’s examples', () => {
  test('India UPI: the spec’s "Send Order Details Message" example (without its optional header image)', () => {
    const expected = fixture('send-order-details-in-upi.json');
    delete expected.interactive.header;
    expect(buildOrderDetails('{{Recipient-WA-Phone-Number}}', upiOrder)).toEqual(expected);
  });

  test('India payment gateway: payment_settings and expiration in the shape of the Razorpay example', () => {
    const example = fixture('send-interactive-order-details-in-razorpay.json').interactive.action.parameters;
    const built = buildOrderDetails('919876543210', {
      ...upiOrder,
      expiresAt: 1_772_200_000,
      expirationDescription: 'cancellation-explanation',
      payment: {
        kind: 'payment_gateway',
        gateway: 'razorpay',
        configurationName: 'payment-config-id',
        notes: { key1: 'value1' },
      },
    }).interactive.action.parameters;
    const { receipt: _receipt, ...razorpay } = example.payment_settings[0].payment_gateway.razorpay;
    expect(built.payment_settings).toEqual([
      {
        ...example.payment_settings[0],
        payment_gateway: { ...example.payment_settings[0].payment_gateway, razorpay },
      },
    ]);
    expect(built).not.toHaveProperty('payment_type');
    expect(Object.keys(built.order.expiration ?? {})).toEqual(Object.keys(example.order.expiration));
    expect(built.order.expiration).toEqual({
      timestamp: '1772200000',
      description: 'cancellation-explanation',
    });
  });

  test('Meta’s own Razorpay example does not add up, and would be refused', () => {
    const example = fixture('send-interactive-order-details-in-razorpay.json').interactive.action.parameters;
    const item = example.order.items[0];
    expect(() =>
      buildOrderDetails('919876543210', {
        ...upiOrder,
        items: [
          {
            retailerId: item.retailer_id,
            name: item.name,
            quantity: item.quantity,
            amount: item.amount.value,
            saleAmount: item.sale_amount.value,
          },
        ],
        subtotal: example.order.subtotal.value,
        total: example.total_amount.value,
      }),
    ).toThrow('order subtotal 20000 is not the sum of its items (100)');
  });

  test('Brazil payment link: Meta’s orders example', () => {
    const expected = fixture('send-order-details-br-payment-link.json');
    const built = buildOrderDetails('<PHONE_NUMBER>', {
      body: 'Your message content',
      referenceId: 'unique-reference-id',
      goodsType: 'digital-goods',
      currency: 'BRL',
      items: [{ retailerId: '1234567', name: 'Cake', quantity: 1, amount: 50000 }],
      subtotal: 50000,
      tax: { amount: 0, description: 'optional text' },
      total: 50000,
      payment: { kind: 'br', paymentLink: 'https://my-payment-link-url' },
    });
    // Meta's Brazil examples leave out messaging_product, which every send needs.
    expect(built).toEqual({ messaging_product: 'whatsapp', ...expected });
  });

  test('Brazil boleto and Pix settings match Meta’s boleto and Pix template examples', () => {
    const boleto = fixture('send-order-details-br-boleto-simplified.json').interactive.action.parameters;
    const pix = fixture('send-template-order-details-br-pix.json').template.components[0].parameters[0].action
      .order_details;
    const pixSettings = pix.payment_settings[0].pix_dynamic_code;
    const built = buildOrderDetails('<PHONE_NUMBER>', {
      body: 'Pague aqui',
      referenceId: 'unique-reference-id',
      goodsType: 'digital-goods',
      currency: 'BRL',
      items: [{ retailerId: '1234567', name: 'Cake', quantity: 1, amount: 50000 }],
      subtotal: 50000,
      total: 50000,
      payment: {
        kind: 'br',
        pix: {
          code: pixSettings.code,
          merchantName: pixSettings.merchant_name,
          key: pixSettings.key,
          keyType: pixSettings.key_type,
        },
        boleto: { digitableLine: boleto.payment_settings[0].boleto.digitable_line },
      },
    }).interactive.action.parameters;
    expect(built.payment_type).toBe('br');
    expect(built.payment_settings).toEqual([...pix.payment_settings, ...boleto.payment_settings]);
    expect(built.total_amount).toEqual(pix.total_amount);
  });
});

describe('order_details validation', () => {
  const refuse = (overrides: Partial<OrderDetailsOptions>) => () =>
    buildOrderDetails('919876543210', { ...upiOrder, ...overrides });

  test('reference_id: only letters, digits, _ - . and at most 35 characters', () => {
    expect(refuse({ referenceId: 'pay 1' })).toThrow(MessageLimitError);
    expect(refuse({ referenceId: 'x'.repeat(36) })).toThrow('1 to 35 English letters');
    expect(refuse({ referenceId: '' })).toThrow('reference_id');
    expect(() => buildOrderDetails('1', { ...upiOrder, referenceId: 'pay_01J9Z.ab-c' })).not.toThrow();
  });

  test('totals: subtotal is the sum of the items, total is subtotal + tax + shipping − discount', () => {
    expect(refuse({ total: 1200 })).toThrow(
      'order total 1200 is not subtotal + tax + shipping − discount (1000 + 100 + 100 − 100 = 1100)',
    );
    expect(refuse({ subtotal: 1500, total: 1600 })).toThrow(
      'order subtotal 1500 is not the sum of its items (1000)',
    );
    expect(refuse({ items: [{ retailerId: 'a', name: 'bread', quantity: 1, amount: 10.5 }] })).toThrow(
      'is not a whole, non-negative number of minor units',
    );
  });

  test('items: at least one, at most 999, unique retailer ids, whole quantities', () => {
    const item = { retailerId: 'a', name: 'bread', quantity: 1, amount: 1 };
    expect(refuse({ items: [] })).toThrow('order items: 0 given; WhatsApp allows 1 to 999');
    const many = Array.from({ length: 1000 }, (_, i) => ({ ...item, retailerId: `r${i}` }));
    expect(refuse({ items: many, subtotal: 1000, total: 1100 })).toThrow('1000 given');
    expect(refuse({ items: [item, item], subtotal: 2, total: 102 })).toThrow('"a" is used more than once');
    expect(refuse({ items: [{ ...item, quantity: 0 }], subtotal: 0, total: 100 })).toThrow('quantity 0');
  });

  test('currency must match the payment settings; Brazil needs a way to pay', () => {
    expect(refuse({ currency: 'EUR' })).toThrow('order currency "EUR" cannot be paid with UPI; use INR');
    expect(refuse({ payment: { kind: 'br', paymentLink: 'https://x.test' } })).toThrow('use BRL');
    expect(refuse({ currency: 'BRL', payment: { kind: 'br' } })).toThrow('Brazil order has no way to pay');
    expect(refuse({ currency: 'BRL', payment: { kind: 'br', paymentLink: 'ftp://x' } })).toThrow('http(s)');
  });
});

describe('order_status builder', () => {
  test('India: the spec’s "Send Order Status Message" example', () => {
    const expected = fixture('send-order-status-in-processing.json');
    // Meta's placeholder reference is longer than the 35 characters a real one may have.
    expected.interactive.action.parameters.reference_id = 'unique-reference-id';
    expect(
      buildOrderStatus('{{Recipient-WA-Phone-Number}}', {
        body: 'your-text-body-content',
        referenceId: 'unique-reference-id',
        status: 'processing',
        description: 'optional-text',
      }),
    ).toEqual(expected);
  });

  test('Brazil: the order status example with the captured payment', () => {
    expect(
      buildOrderStatus('<PHONE_NUMBER>', {
        body: 'your-mandatory-text-body-content',
        footer: 'your-optional-text-footer-content',
        referenceId: 'unique-reference-id',
        status: 'processing',
        payment: { status: 'captured', timestamp: 1722445231 },
      }),
    ).toEqual({ messaging_product: 'whatsapp', ...fixture('send-order-status-br-captured.json') });
  });

  test('description over 120 characters is refused', () => {
    expect(() =>
      buildOrderStatus('1', {
        body: 'b',
        referenceId: 'r',
        status: 'canceled',
        description: 'x'.repeat(121),
      }),
    ).toThrow('WhatsApp allows at most 120');
  });
});

describe('send effects', () => {
  test('SendOrderDetails and SendOrderStatus map to Graph bodies, with the outbox id echoed', () => {
    const details: SendEffect = {
      type: 'SendOrderDetails',
      id: 'evt1:0',
      body: 'Your order',
      order: {
        referenceId: 'pay_1',
        goodsType: 'digital-goods',
        currency: 'INR',
        items: [{ retailerId: 'item-1', name: 'Gift card', quantity: 1, amount: 50000 }],
        subtotal: 50000,
        total: 50000,
        expiresAt: '2026-03-01T12:00:00.000Z',
        expirationDescription: 'Pay within 2 hours',
        payment: { kind: 'upi', configurationName: 'shop' },
      },
    };
    const built = buildSendEffect('919876543210', details, { bizOpaqueCallbackData: 'evt1:0' });
    expect(built).toMatchObject({
      to: '919876543210',
      biz_opaque_callback_data: 'evt1:0',
      interactive: {
        type: 'order_details',
        action: {
          parameters: {
            reference_id: 'pay_1',
            total_amount: { value: 50000, offset: 100 },
            order: { expiration: { timestamp: '1772366400', description: 'Pay within 2 hours' } },
          },
        },
      },
    });
    const status: SendEffect = {
      type: 'SendOrderStatus',
      id: 'evt2:0',
      body: 'Paid, thank you',
      referenceId: 'pay_1',
      status: 'completed',
    };
    expect(buildSendEffect('919876543210', status)).toMatchObject({
      interactive: { type: 'order_status', action: { parameters: { order: { status: 'completed' } } } },
    });
  });
});
