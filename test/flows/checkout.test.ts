import {
  conversation,
  loadEngine,
  ofType,
  paymentFacts,
  shown,
  understood,
  type EngineContext,
} from './harness.js';

let engine: EngineContext;
beforeAll(async () => {
  engine = await loadEngine();
});
const START = '2026-03-10T10:00:00Z';
const ADDRESS = 'Anna Rossi, Via Roma 12, 20121 Milano';

function bracelet() {
  const c = conversation(engine, START);
  c.say('I want to buy something', understood('place_order_or_checkout'));
  c.pick(0); // engraved bracelet
  c.tap('=M');
  return c;
}

describe('checkout flow', () => {
  test('happy: variant, engraving, cart, delivery, itemised summary, payment on yes, confirmation', () => {
    const c = bracelet();
    expect(c.state?.step).toBe('engraving');
    const cart = c.say('Forever yours');
    expect(shown(cart)[0]).toMatch(/1 × Engraved bracelet \(M, “Forever yours”\) — €45\.00\nTotal: €45\.00/);
    c.tap('more');
    c.pick(1); // wallet
    c.tap('=brown');
    c.tap('checkout');
    const summary = c.say(ADDRESS);
    expect(shown(summary)[0]).toMatch(
      /Engraved bracelet[\s\S]*Leather wallet \(brown\) — €60\.00[\s\S]*Via Roma 12[\s\S]*Total: €105\.00/,
    );
    const [payment] = ofType(c.tap('yes'), 'RequestPayment');
    expect(payment).toMatchObject({ purpose: 'order', amount: 10500, currency: 'EUR' });
    expect(payment?.items).toEqual([
      { name: 'Engraved bracelet (M, “Forever yours”)', quantity: 1, amount: 4500 },
      { name: 'Leather wallet (brown)', quantity: 1, amount: 6000 },
    ]);
    const paid = c.payment(
      paymentFacts({
        purpose: 'order',
        subjectId: payment!.subjectId,
        reference: payment!.reference,
        amount: 10500,
      }),
    );
    // The payment layer sends the receipt; the flow only ends.
    expect(shown(paid)).toEqual([]);
    expect(ofType(paid, 'RequestPayment')).toHaveLength(0);
    expect(c.state?.step).toBeNull();
  });

  test('a catalog order message becomes the cart, in the business language until the customer writes', () => {
    const c = conversation(engine, START);
    const order = c.send({
      event: {
        type: 'OrderSubmitted',
        catalogId: 'cat',
        items: [
          { productId: 'gift-card', quantity: 2 },
          { productId: 'leather-wallet:black', quantity: 1 },
          { productId: 'unknown-sku', quantity: 1 },
        ],
      },
    });
    expect(shown(order)[1]).toMatch(
      /2 × Buono regalo — 100,00\s€\n1 × Portafoglio in pelle \(nero\) — 60,00\s€\nTotale: 160,00\s€/,
    );
  });

  test('changed mind: "not now" at the summary never charges and keeps the cart', () => {
    const c = bracelet();
    c.say('Love');
    c.tap('checkout');
    c.say(ADDRESS);
    const no = c.tap('no');
    expect(ofType(no, 'RequestPayment')).toHaveLength(0);
    expect(c.state?.vars.cart).toHaveLength(1);
    // Asking a question midway and coming back: the step asks again.
    const c2 = bracelet();
    const status = c2.say('where is my order?', understood('order_status_or_tracking'));
    expect(shown(status)).toEqual([
      expect.stringMatching(/any orders or payments/),
      expect.stringMatching(/what should we engrave/),
    ]);
    expect(c2.state?.step).toBe('engraving');
  });

  test('cancel at the delivery step', () => {
    const c = bracelet();
    c.say('Love');
    c.tap('checkout');
    const cancelled = c.say('cancel', understood('other', {}, { command: 'cancel' }));
    expect(ofType(cancelled, 'RequestPayment')).toHaveLength(0);
    expect(c.state?.step).toBe('menu');
  });

  test('invalid input: engraving over 20 characters and a short address are re-asked', () => {
    const c = bracelet();
    const long = c.say('To my dearest love forever');
    expect(shown(long)[0]).toBe('That text has 26 characters; the limit is 20. Please write a shorter text.');
    expect(c.state?.step).toBe('engraving');
    c.say('💍 Forever 💍');
    c.tap('checkout');
    expect(shown(c.say('Milano'))[0]).toMatch(/full delivery address/);
  });

  test('timeout: an expired link ends the flow silently and a later yes never charges again', () => {
    const c = bracelet();
    c.say('Love');
    c.tap('checkout');
    c.say(ADDRESS);
    const [payment] = ofType(c.tap('yes'), 'RequestPayment');
    const expired = c.payment(
      paymentFacts({
        purpose: 'order',
        subjectId: payment!.subjectId,
        reference: payment!.reference,
        status: 'expired',
        paidAt: null,
      }),
    );
    expect(payment).toMatchObject({ purpose: 'order', amount: 4500 });
    // The payment layer sends a fresh link for the same order; the flow only ends.
    expect(shown(expired)).toEqual([]);
    expect(ofType(expired, 'RequestPayment')).toHaveLength(0);
    expect(c.state?.step).toBeNull();
    expect(ofType(c.say('yes'), 'RequestPayment')).toHaveLength(0);
  });
});

test('a price question midway is answered from the catalog, then the step asks again', async () => {
  const c = conversation(engine, START);
  c.say('I want to buy something', understood('place_order_or_checkout'));
  c.pick(2); // gift card: no variants, straight to the cart
  c.tap('checkout');
  const answer = c.say(
    'how much is the leather wallet?',
    understood('ask_price_or_quote', { product: 'leather-wallet' }),
  );
  expect(shown(answer)).toEqual([
    'Leather wallet costs €60.00.',
    expect.stringMatching(/^Where should we deliver\?/),
  ]);
  expect(c.state?.step).toBe('delivery');
});
