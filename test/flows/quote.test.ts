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

/** Greets, opens the quote from the menu, answers 3 people and a date. */
function toOffer() {
  const c = conversation(engine, START);
  c.say('hi', understood('greeting'));
  c.tap('quote');
  c.say('3', understood('other', { number: 3 }));
  const offer = c.say('20/06/2026');
  return { c, offer };
}

describe('quote flow', () => {
  test('happy: people and date give a catalog price with a reference; yes asks for exactly that amount', () => {
    const { c, offer } = toOffer();
    // €150 for the first person + 2 × €90.
    expect(shown(offer).at(-1)).toMatch(
      /QUO-\w+[\s\S]*3 people[\s\S]*€330\.00[\s\S]*Valid until Tuesday, March 17, 2026/,
    );
    expect(ofType(offer, 'ScheduleTimer').map((t) => [t.name, t.at])).toEqual([
      ['quote-followup', '2026-03-11T10:00:00.000Z'],
      ['quote-expiry', '2026-03-17T10:00:00.000Z'],
    ]);
    expect(ofType(offer, 'RequestPayment')).toHaveLength(0);
    const yes = c.say('yes');
    const [payment] = ofType(yes, 'RequestPayment');
    const reference = (c.state?.vars.quote as { reference: string }).reference;
    expect(payment).toMatchObject({
      purpose: 'quote',
      amount: 33000,
      currency: 'EUR',
      subjectId: reference,
      reference,
    });
    expect(payment?.description).toMatch(/Bridal package/);
    expect(ofType(yes, 'CancelTimer').map((t) => t.name)).toEqual(['quote-followup']);
    const paid = c.payment(
      paymentFacts({ purpose: 'quote', subjectId: reference, reference, amount: 33000 }),
    );
    // The payment layer sends the receipt; the flow only stops the follow-up and the expiry.
    expect(shown(paid)).toEqual([]);
    expect(ofType(paid, 'CancelTimer').map((t) => t.name)).toEqual(['quote-followup', 'quote-expiry']);
    expect(ofType(paid, 'RequestPayment')).toHaveLength(0);
    expect(c.state?.step).toBeNull();
  });

  test('changed mind: "change details" recomputes; "no" never charges and keeps the quote valid', () => {
    const { c } = toOffer();
    c.tap('change');
    c.say('2 people', understood('other', { people: 2 }));
    const second = c.say('21/06/2026');
    expect(shown(second).at(-1)).toMatch(/2 people[\s\S]*€240\.00/);
    const no = c.tap('no');
    expect(ofType(no, 'RequestPayment')).toHaveLength(0);
    expect(shown(no)[0]).toMatch(/nothing has been charged.*valid until/);
    expect(ofType(no, 'CancelTimer').map((t) => t.name)).toEqual(['quote-followup', 'quote-expiry']);
    // Switching flow midway: a refund request leaves the quote.
    const c2 = toOffer().c;
    const refund = c2.say('actually I want a refund', understood('refund_request'));
    expect(c2.state?.flow).toBe('refund');
    expect(ofType(refund, 'RequestPayment')).toHaveLength(0);
  });

  test('cancel at any step goes back to the menu without charging', () => {
    const c = conversation(engine, START);
    c.say('hi', understood('greeting'));
    c.tap('quote');
    const cancelled = c.say('cancel', understood('other', {}, { command: 'cancel' }));
    expect(shown(cancelled)[0]).toMatch(/cancelled\. Nothing has been charged/);
    expect(c.state?.step).toBe('menu');
  });

  test('timeout: one follow-up after 24 h (a template outside the window), a written yes still works, then expiry', () => {
    const { c } = toOffer();
    c.setNow('2026-03-11T10:00:00Z');
    const followup = c.timer('quote-followup');
    expect(followup).toEqual([
      expect.objectContaining({
        type: 'SendTemplate',
        name: 'quote_followup',
        language: 'en',
        components: [
          {
            type: 'body',
            parameters: [
              { type: 'text', text: 'Bella Studio' },
              { type: 'text', text: expect.stringMatching(/^QUO-/) },
              { type: 'text', text: '€330.00' },
              { type: 'text', text: 'Tuesday, March 17, 2026' },
            ],
          },
        ],
      }),
    ]);
    // Silence never charges: the expiry ends the quote.
    c.setNow('2026-03-17T10:00:00Z');
    const expired = c.timer('quote-expiry');
    expect(shown(expired)).toEqual(['template:quote_expired']);
    expect(ofType(expired, 'RequestPayment')).toHaveLength(0);
    const late = c.say('yes');
    expect(ofType(late, 'RequestPayment')).toHaveLength(0);
  });

  test('a written yes after the follow-up asks for payment', () => {
    const { c } = toOffer();
    c.setNow('2026-03-10T20:00:00Z');
    const followup = c.timer('quote-followup');
    expect(shown(followup)[0]).toMatch(/still valid until/);
    expect(ofType(c.say('sì', understood('other', {}, { language: 'it' })), 'RequestPayment')).toHaveLength(
      1,
    );
  });

  test('invalid input gets a clear re-ask', () => {
    const c = conversation(engine, START);
    c.say('hi', understood('greeting'));
    c.tap('quote');
    expect(shown(c.say('0', understood('other', { number: 0 })))[0]).toMatch(/number from 1 to 20/);
    c.say('3', understood('other', { number: 3 }));
    expect(shown(c.say('31/02/2026'))[0]).toMatch(/couldn't read that date/);
    expect(shown(c.say('01/01/2026'))[0]).toMatch(/already passed|couldn't read/);
    expect(c.state?.step).toBe('date');
  });

  test('payment failed: the flow says nothing and ends; a later yes never charges again', () => {
    const { c } = toOffer();
    c.say('yes');
    const reference = (c.state?.vars.quote as { reference: string }).reference;
    const failed = c.payment(
      paymentFacts({ purpose: 'quote', subjectId: reference, reference, status: 'failed', paidAt: null }),
    );
    // The payment layer sends the fresh link (or the "write to us" message); the flow only ends.
    expect(shown(failed)).toEqual([]);
    expect(ofType(failed, 'RequestPayment')).toHaveLength(0);
    expect(c.state?.step).toBeNull();
    expect(ofType(c.say('yes'), 'RequestPayment')).toHaveLength(0);
  });
});

test('a quote above the payment limit goes to a person instead of a payment link', async () => {
  const c = conversation(engine, START);
  c.say('hi', understood('greeting'));
  c.tap('quote');
  c.say('12', understood('other', { number: 12 }));
  const offer = c.say('20/06/2026');
  // €150 + 11 × €90 = €1,140, above the €1,000 per-payment limit.
  expect(shown(offer)[0]).toMatch(/€1,140\.00 is more than we can take online/);
  expect(ofType(offer, 'OpenHandoff')).toHaveLength(1);
  expect(ofType(offer, 'RequestPayment')).toHaveLength(0);
});
