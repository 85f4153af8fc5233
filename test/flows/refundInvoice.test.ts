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
const order = paymentFacts({
  id: 'pay_ord',
  reference: 'ORD-0000AB',
  purpose: 'order',
  subjectId: 'ord_1',
  amount: 4500,
  description: 'Order ORD-0000AB',
});
const wallet = paymentFacts({
  id: 'pay_w',
  reference: 'ORD-0000CD',
  purpose: 'order',
  subjectId: 'ord_2',
  amount: 6000,
  description: 'Order ORD-0000CD',
  paidAt: '2026-03-09T09:00:00.000Z',
});
const invoices = [
  {
    reference: 'INV-2026-0001',
    amount: 12000,
    currency: 'EUR',
    dueDate: '2026-03-20',
    description: 'Styling course',
    status: 'open' as const,
  },
  {
    reference: 'INV-2026-0002',
    amount: 8990,
    currency: 'EUR',
    dueDate: '2026-03-08',
    description: 'Products',
    status: 'open' as const,
  },
];

describe('refund flow', () => {
  test('happy: by reference, policy and amount stated, refund on an explicit yes, then the flow ends', () => {
    const c = conversation(engine, START, { payments: [order] });
    const confirm = c.say('refund for ORD-0000AB please', understood('refund_request'));
    expect(shown(confirm)[0]).toMatch(/Order ORD-0000AB \(ORD-0000AB\): €45\.00 back[\s\S]*within 14 days/);
    expect(ofType(c.tap('yes'), 'RequestRefund')).toEqual([
      expect.objectContaining({ paymentId: 'pay_ord', amount: 4500 }),
    ]);
    const done = c.payment({ ...order, status: 'refunded', refundedAmount: 4500 });
    // The payment layer confirms the refund to the customer; the flow only ends.
    expect(shown(done)).toEqual([]);
    expect(ofType(done, 'RequestRefund')).toHaveLength(0);
    expect(c.state?.step).toBeNull();
  });

  test('changed mind: several recent payments to choose from, then "no"', () => {
    const c = conversation(engine, START, { payments: [order, wallet] });
    const choose = c.say('I want my money back', understood('refund_request'));
    expect(ofType(choose, 'SendList')[0]?.sections[0]?.rows.map((r) => r.title)).toEqual([
      'ORD-0000AB',
      'ORD-0000CD',
    ]);
    c.pick(1);
    const no = c.tap('no');
    expect(ofType(no, 'RequestRefund')).toHaveLength(0);
  });

  test('cancel at any step', () => {
    const c = conversation(engine, START, { payments: [order] });
    c.say('refund ORD-0000AB', understood('refund_request'));
    expect(c.state?.step).toBe('confirm');
    const cancelled = c.say('cancel', understood('other', {}, { command: 'cancel' }));
    expect(ofType(cancelled, 'RequestRefund')).toHaveLength(0);
    expect(c.state?.step).toBe('menu');
  });

  test('timeout: a customer who walks away is never refunded by a later unrelated "yes"', () => {
    const c = conversation(engine, START, { payments: [order] });
    c.say('refund ORD-0000AB', understood('refund_request'));
    c.advance(3 * 24 * 60 * 60 * 1000);
    c.say('hello again', understood('greeting'));
    expect(ofType(c.say('yes'), 'RequestRefund')).toHaveLength(0);
  });

  test('invalid input: an unknown reference is re-asked; outside the policy window a person is offered', () => {
    const c = conversation(engine, START, { payments: [order] });
    expect(shown(c.say('refund ORD-ZZZZZZ', understood('refund_request')))[0]).toMatch(
      /couldn't find a payment with reference ORD-ZZZZZZ/,
    );
    expect(c.state?.step).toBe('ask');
    const old = conversation(engine, '2026-04-10T10:00:00Z', { payments: [order] });
    const outside = old.say('refund ORD-0000AB', understood('refund_request'));
    expect(shown(outside)).toEqual([
      expect.stringMatching(/more than 14 days old/),
      expect.stringMatching(/talk to a person/),
    ]);
    expect(ofType(old.tap('yes'), 'OpenHandoff')).toEqual([
      expect.objectContaining({ reason: 'refund_outside_policy' }),
    ]);
  });

  test('payment failed: a payment that never went through has nothing to refund', () => {
    const failed = conversation(engine, START, { payments: [{ ...order, status: 'failed', paidAt: null }] });
    expect(shown(failed.say('refund ORD-0000AB', understood('refund_request')))[0]).toMatch(
      /nothing to refund/,
    );
    expect(ofType(failed.say('yes'), 'RequestRefund')).toHaveLength(0);
  });
});

describe('invoice payment flow', () => {
  test('happy: the reference alone gives amount and due date; yes asks for exactly that', () => {
    const c = conversation(engine, START, { invoices });
    const confirm = c.say('INV-2026-0001');
    expect(shown(confirm)[0]).toMatch(
      /INV-2026-0001: Styling course\nAmount: €120\.00\nDue by Friday, March 20, 2026/,
    );
    expect(ofType(c.say('ok 👍'), 'RequestPayment')).toEqual([
      expect.objectContaining({
        purpose: 'invoice',
        subjectId: 'INV-2026-0001',
        reference: 'INV-2026-0001',
        amount: 12000,
      }),
    ]);
    const paid = c.payment(
      paymentFacts({
        purpose: 'invoice',
        subjectId: 'INV-2026-0001',
        reference: 'INV-2026-0001',
        amount: 12000,
      }),
    );
    // The payment layer sends the receipt ("Invoice … is now settled."); the flow only ends.
    expect(shown(paid)).toEqual([]);
    expect(ofType(paid, 'RequestPayment')).toHaveLength(0);
    expect(c.state?.step).toBeNull();
  });

  test('changed mind: an overdue invoice says so, and "no" never charges', () => {
    const c = conversation(engine, START, { invoices });
    expect(shown(c.say('pay INV-2026-0002', understood('invoice_payment')))[0]).toMatch(
      /It was due on Sunday, March 8, 2026/,
    );
    expect(ofType(c.say('no'), 'RequestPayment')).toHaveLength(0);
  });

  test('invalid input and cancel: an unknown reference is re-asked, cancel leaves', () => {
    const u = conversation(engine, START, { invoices });
    u.say('I want to pay an invoice', understood('invoice_payment'));
    expect(shown(u.say('INV-2026-0099'))[0]).toMatch(/couldn't find invoice INV-2026-0099/);
    expect(u.state?.step).toBe('ask');
    u.say('cancel', understood('other', {}, { command: 'cancel' }));
    expect(u.state?.step).toBe('menu');
  });

  test('timeout: an expired payment link ends the flow silently without a new request', () => {
    const c = conversation(engine, START, { invoices });
    c.say('INV-2026-0001');
    c.tap('yes');
    const expired = c.payment(
      paymentFacts({
        purpose: 'invoice',
        subjectId: 'INV-2026-0001',
        reference: 'INV-2026-0001',
        status: 'expired',
        paidAt: null,
      }),
    );
    // The payment layer sends a fresh link for the same invoice; the flow only ends.
    expect(shown(expired)).toEqual([]);
    expect(ofType(expired, 'RequestPayment')).toHaveLength(0);
    expect(c.state?.step).toBeNull();
  });

  test('payment failed: the flow says nothing and a later yes never charges again', () => {
    const c = conversation(engine, START, { invoices });
    c.say('INV-2026-0001');
    c.tap('yes');
    const failed = c.payment(
      paymentFacts({
        purpose: 'invoice',
        subjectId: 'INV-2026-0001',
        reference: 'INV-2026-0001',
        status: 'failed',
        paidAt: null,
      }),
    );
    expect(shown(failed)).toEqual([]);
    expect(ofType(failed, 'RequestPayment')).toHaveLength(0);
    expect(c.state?.step).toBeNull();
    expect(ofType(c.say('yes'), 'RequestPayment')).toHaveLength(0);
  });
});
