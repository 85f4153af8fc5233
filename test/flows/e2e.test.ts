import { eq } from 'drizzle-orm';
import request from 'supertest';
import { loadConfig } from '../../src/config.js';
import { createApp, type App } from '../../src/createApp.js';
import { EMPTY_FACTS } from '../../src/engine/decide.js';
import type { ConversationFacts, PaymentFacts } from '../../src/engine/types.js';
import { createLogger } from '../../src/logger.js';
import { conversations, inboundEvents, insertInboundEvents, timers } from '../../src/store/index.js';
import { signBody } from '../../src/whatsapp/verifySignature.js';
import { buttonReply, listReply, metaWebhook, text } from '../fixtures/metaWebhook.js';
import { resetStore, storeKinds, type TestStore } from '../helpers/stores.js';
import { API_TOKEN, APP_SECRET, manualClock, recordingGraph } from '../helpers/testApp.js';

/**
 * Each commerce flow driven through the real webhook (signed Meta payloads) to the Graph stub,
 * up to the payment request the payment layer takes over, and back from a payment update.
 */

const CUSTOMER = '16505551234';
const CONVERSATION = `106540352242922:${CUSTOMER}`;

type Sent = {
  type: string;
  text?: { body: string };
  template?: { name: string; language: { code: string } };
  interactive?: {
    type: string;
    body: { text: string };
    action: {
      buttons?: { reply: { id: string; title: string } }[];
      sections?: { rows: { id: string; title: string }[] }[];
      parameters?: { url?: string };
    };
  };
};

async function flowApp(store: TestStore, facts: ConversationFacts) {
  const clock = manualClock();
  const graph = recordingGraph();
  const queries: { waId: string; text: string | null }[] = [];
  const app: App = await createApp({
    config: loadConfig({ LOG_LEVEL: 'silent', DATA_DIR: '/tmp/wca-test-unused' }),
    store,
    logger: createLogger('silent'),
    secrets: { appSecret: APP_SECRET, apiToken: API_TOKEN, accessToken: 'test-access-token' },
    clock,
    graph,
    startLoops: false,
    loadFacts: async (_db, query) => {
      queries.push({ waId: query.waId, text: query.text });
      return facts;
    },
  });
  const sent = () => graph.sent as unknown as Sent[];
  // Messages carry the moment they were written, so the 24-hour window follows the test clock.
  const now = () => String(Math.floor(clock.now().getTime() / 1000));
  const last = () => sent().at(-1) as Sent;
  const body = (m: Sent | undefined) => m?.text?.body ?? m?.interactive?.body.text ?? m?.template?.name ?? '';
  let payments = 0;
  const bodiesFrom = (from: number) => sent().slice(from).map(body);
  return {
    app,
    clock,
    queries,
    sent,
    last,
    body,
    async say(words: string) {
      const raw = JSON.stringify(metaWebhook({ messages: [text(words, { timestamp: now() })] }));
      await app.receive(raw, signBody(raw, APP_SECRET));
      await app.settle();
      return body(last());
    },
    /** Taps the button or list row of the last message whose id ends with `suffix`. */
    async tap(suffix: string) {
      const m = last();
      const buttons = m.interactive?.action.buttons?.map((b) => b.reply) ?? [];
      const rows = m.interactive?.action.sections?.flatMap((s) => s.rows) ?? [];
      const option = [...buttons, ...rows].find((o) => o.id.endsWith(suffix));
      if (!option) throw new Error(`No option ending ${suffix} in ${JSON.stringify(m)}`);
      const part =
        m.interactive?.type === 'list'
          ? listReply(option.id, option.title, { timestamp: now() })
          : buttonReply(option.id, option.title, { timestamp: now() });
      const raw = JSON.stringify(metaWebhook({ messages: [part] }));
      await app.receive(raw, signBody(raw, APP_SECRET));
      await app.settle();
      return body(last());
    },
    /** The customer-visible texts of every message sent after the first `from`. */
    bodiesFrom,
    /** Acts on the sandbox page of the last payment link sent; returns the messages that follow. */
    async payLink(action: 'pay' | 'decline' | 'expire') {
      const url = [...sent()].reverse().find((m) => m.interactive?.action.parameters?.url)?.interactive
        ?.action.parameters?.url;
      if (!url) throw new Error('no payment link was sent');
      const from = sent().length;
      const res = await request(app.http).post(`${new URL(url).pathname}/${action}`);
      expect(res.status).toBe(303);
      await app.settle();
      return bodiesFrom(from);
    },
    /** The payment layer reports a payment change into the conversation's inbox. */
    async paymentUpdate(payment: PaymentFacts) {
      await insertInboundEvents(
        store.db,
        [
          {
            source: 'system',
            kind: 'payment_update',
            externalId: `payment:test-${++payments}`,
            conversationId: CONVERSATION,
            payload: payment,
          },
        ],
        clock.now(),
      );
      await app.settle();
      return body(last());
    },
    async state() {
      const [row] = await store.db.select().from(conversations).where(eq(conversations.id, CONVERSATION));
      return row?.state as { flow: string; step: string | null; vars: Record<string, unknown> };
    },
  };
}

const payment = (overrides: Partial<PaymentFacts>): PaymentFacts => ({
  id: 'pay_1',
  reference: 'X',
  purpose: 'order',
  subjectId: null,
  status: 'succeeded',
  amount: 0,
  refundedAmount: 0,
  currency: 'EUR',
  description: 'Test',
  link: 'http://localhost:3000/pay/tok',
  createdAt: '2025-06-15T10:00:00.000Z',
  paidAt: '2025-06-15T10:05:00.000Z',
  ...overrides,
});

describe.each(storeKinds)('commerce flows end to end on %s', (_kind, open) => {
  let store: TestStore;
  let t: Awaited<ReturnType<typeof flowApp>>;
  beforeAll(async () => {
    store = await open();
  });
  afterAll(() => store.close());
  afterEach(() => t.app.close());
  const start = async (facts: Partial<ConversationFacts> = {}) => {
    await resetStore(store);
    t = await flowApp(store, { ...EMPTY_FACTS, ...facts });
  };

  test('deposit booking: menu → service → day → slot → yes, then the deposit is paid', async () => {
    await start();
    await t.say('Hello');
    expect(await t.tap('/book')).toBe('Which service would you like to book?');
    expect(await t.tap('/=haircut')).toMatch(/^Haircut: which day/);
    // The clock is Sunday 15 June 2025; Tuesday 17 June is open.
    expect(await t.say('17/06')).toMatch(/Free times on Tuesday, June 17, 2025 for Haircut/);
    const slots = t.last().interactive?.action.sections?.[0]?.rows.map((r) => r.title);
    expect(slots).toEqual(['09:00 AM', '02:00 PM', '06:30 PM', 'Another day']);
    expect(await t.tap('/=2025-06-17T07:00:00.000Z')).toMatch(/Pay the deposit of €10\.00 now\?/);
    const before = t.sent().length;
    await t.tap('/yes');
    const state = await t.state();
    const booking = state.vars.booking as { id: string; reference: string };
    // The flow holds the slot, then the payment layer sends the link for exactly the deposit.
    expect(t.bodiesFrom(before)).toEqual([
      expect.stringMatching(/Your slot is held.*€10\.00 deposit \(booking BKG-/),
      expect.stringMatching(new RegExp(`Reference: ${booking.reference}\nAmount: €10\\.00`)),
    ]);
    expect(state.step).toBe('awaiting');
    expect(t.queries.every((q) => q.waId === CUSTOMER)).toBe(true);
    // One receipt from the payment layer, with what happens next; no second message from the flow.
    expect(await t.payLink('pay')).toEqual([
      `✅ Payment received: €10.00 for ${booking.reference}. Thank you!\n\n` +
        'Your appointment on Jun 17, 2025, 9:00 AM is confirmed. Left to pay at the salon: €25.00.',
    ]);
    expect((await t.state()).step).toBeNull();
    const [reminder] = await store.db
      .select()
      .from(timers)
      .where(eq(timers.name, `booking-reminder:${booking.reference}`));
    expect(reminder?.fireAt.toISOString()).toBe('2025-06-16T07:00:00.000Z');
  });

  test('quote: people and date → quote; the follow-up template; yes; a declined card gets one fresh link', async () => {
    await start();
    await t.say('Hi');
    expect(await t.tap('/quote')).toMatch(/How many people/);
    await t.say('4');
    expect(await t.say('20/06/2026')).toMatch(/Total: €420\.00[\s\S]*confirm and pay €420\.00/);
    t.clock.advance(24 * 60 * 60 * 1000 + 1000);
    await t.app.settle();
    expect(t.last().template).toMatchObject({ name: 'quote_followup', language: { code: 'en' } });
    const before = t.sent().length;
    await t.say('yes');
    const reference = ((await t.state()).vars.quote as { reference: string }).reference;
    expect(t.bodiesFrom(before)).toEqual([
      expect.stringMatching(new RegExp(`preparing the payment link for €420\\.00 \\(quote ${reference}\\)`)),
      expect.stringMatching(new RegExp(`Reference: ${reference}\nAmount: €420\\.00`)),
    ]);
    // A declined card: one message from the payment layer with a fresh link, none from the flow.
    const failed = await t.payLink('decline');
    expect(failed).toEqual([
      expect.stringMatching(
        new RegExp(`^The payment of €420\\.00 for ${reference} did not go through\\. You can try again`),
      ),
    ]);
    expect(t.last().interactive?.action.parameters?.url).toMatch(/\/pay\//);
  });

  test('checkout: product, size, engraving, cart, delivery, summary, yes', async () => {
    await start();
    await t.say('Hello');
    await t.tap('/shop');
    expect(await t.tap('/=engraved-bracelet')).toBe('Engraved bracelet: which size?');
    expect(await t.tap('/=L')).toMatch(/what should we engrave\? Up to 20 characters/);
    expect(await t.say('This text is far too long to engrave')).toMatch(/36 characters; the limit is 20/);
    expect(await t.say('Sempre tua')).toMatch(/1 × Engraved bracelet \(L, “Sempre tua”\) — €45\.00/);
    await t.tap('/checkout');
    expect(await t.say('Anna Rossi, Via Roma 12, 20121 Milano')).toMatch(
      /Total: €45\.00[\s\S]*Confirm and pay €45\.00 now\?/,
    );
    const before = t.sent().length;
    await t.tap('/yes');
    const order = (await t.state()).vars.order as { id: string; reference: string };
    expect(t.bodiesFrom(before)).toEqual([
      expect.stringMatching(new RegExp(`payment link for €45\\.00 \\(order ${order.reference}\\)`)),
      expect.stringMatching(new RegExp(`Reference: ${order.reference}\nAmount: €45\\.00`)),
    ]);
    expect(await t.payLink('pay')).toEqual([
      `✅ Payment received: €45.00 for ${order.reference}. Thank you!\n\n` +
        "We're preparing your order and will keep you posted here.",
    ]);
    expect((await t.state()).step).toBeNull();
  });

  test('invoice: the reference alone, yes, paid', async () => {
    await start({
      invoices: [
        {
          reference: 'INV-2026-0001',
          amount: 12000,
          currency: 'EUR',
          dueDate: '2025-06-25',
          description: 'Styling course',
          status: 'open',
        },
      ],
    });
    // A bare reference carries no language: the business's own (Italian) is used.
    expect(await t.say('INV-2026-0001')).toMatch(/Importo: 120,00\s€\nScadenza mercoledì 25 giugno 2025/);
    expect(t.queries.at(-1)?.text).toBe('INV-2026-0001');
    const before = t.sent().length;
    await t.tap('/yes');
    expect(t.bodiesFrom(before)).toEqual([
      expect.stringMatching(/link di pagamento per 120,00\s€ \(fattura INV-2026-0001\)/),
      expect.stringMatching(/Riferimento: INV-2026-0001\nImporto: 120,00\s€/),
    ]);
    expect(await t.payLink('pay')).toEqual([
      '✅ Pagamento ricevuto: 120,00\u00a0€ per INV-2026-0001. Grazie!\n\nLa fattura INV-2026-0001 è saldata.',
    ]);
    expect((await t.state()).step).toBeNull();
  });

  test('a malformed payment update is refused with the reason and never reaches the customer', async () => {
    await start();
    await t.say('Hello');
    const before = t.sent().length;
    await insertInboundEvents(
      store.db,
      [
        {
          source: 'system',
          kind: 'payment_update',
          externalId: 'payment:bad',
          conversationId: CONVERSATION,
          payload: { status: 'paid?' },
        },
      ],
      t.clock.now(),
    );
    await t.app.settle();
    const [row] = await store.db
      .select()
      .from(inboundEvents)
      .where(eq(inboundEvents.externalId, 'payment:bad'));
    expect(row?.lastError).toMatch(/payment_update payload is not PaymentFacts/);
    expect(t.sent()).toHaveLength(before);
  });

  test('refund: from the menu, the recent payment, yes; the refunded update ends the flow silently', async () => {
    const paid = payment({
      id: 'pay_9',
      reference: 'ORD-0000AB',
      subjectId: 'ord_9',
      amount: 4500,
      description: 'Order ORD-0000AB',
    });
    await start({ payments: [paid] });
    await t.say('Hello');
    expect(await t.tap('/refund')).toMatch(/€45\.00 back to the card[\s\S]*Request the refund of €45\.00\?/);
    expect(await t.tap('/yes')).toMatch(/Refund of €45\.00 requested for ORD-0000AB/);
    // The refund confirmation belongs to the payment layer's refund processing; a refunded update
    // reaching the conversation adds no flow message of its own.
    const before = t.sent().length;
    await t.paymentUpdate({ ...paid, status: 'refunded', refundedAmount: 4500 });
    expect(t.bodiesFrom(before)).toEqual([]);
    expect((await t.state()).step).toBeNull();
  });
});
