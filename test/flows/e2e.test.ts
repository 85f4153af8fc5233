import { eq } from 'drizzle-orm';
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
    expect(await t.tap('/yes')).toMatch(/Your slot is held.*€10\.00 deposit \(booking BKG-/);
    const state = await t.state();
    const booking = state.vars.booking as { id: string; reference: string };
    expect(state.step).toBe('awaiting');
    expect(t.queries.every((q) => q.waId === CUSTOMER)).toBe(true);
    const confirmed = await t.paymentUpdate(
      payment({ purpose: 'deposit', subjectId: booking.id, reference: booking.reference, amount: 1000 }),
    );
    expect(confirmed).toMatch(/is confirmed: Haircut on Tuesday, June 17 at 09:00 AM/);
    const [reminder] = await store.db
      .select()
      .from(timers)
      .where(eq(timers.name, `booking-reminder:${booking.reference}`));
    expect(reminder?.fireAt.toISOString()).toBe('2025-06-16T07:00:00.000Z');
  });

  test('quote: people and date → quote; no answer for a day → the follow-up template', async () => {
    await start();
    await t.say('Hi');
    expect(await t.tap('/quote')).toMatch(/How many people/);
    await t.say('4');
    expect(await t.say('20/06/2026')).toMatch(/Total: €420\.00[\s\S]*confirm and pay €420\.00/);
    t.clock.advance(24 * 60 * 60 * 1000 + 1000);
    await t.app.settle();
    expect(t.last().template).toMatchObject({ name: 'quote_followup', language: { code: 'en' } });
    expect(await t.say('yes')).toMatch(/preparing the payment link for €420\.00 \(quote QUO-/);
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
    expect(await t.tap('/yes')).toMatch(/payment link for €45\.00 \(order ORD-/);
    const order = (await t.state()).vars.order as { id: string; reference: string };
    expect(
      await t.paymentUpdate(payment({ subjectId: order.id, reference: order.reference, amount: 4500 })),
    ).toMatch(/is paid \(€45\.00\)/);
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
    expect(await t.tap('/yes')).toMatch(/link di pagamento per 120,00\s€ \(fattura INV-2026-0001\)/);
    expect(
      await t.paymentUpdate(
        payment({
          purpose: 'invoice',
          subjectId: 'INV-2026-0001',
          reference: 'INV-2026-0001',
          amount: 12000,
        }),
      ),
    ).toMatch(/La fattura INV-2026-0001 è pagata/);
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

  test('refund: from the menu, the recent payment, yes, refunded', async () => {
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
    expect(await t.paymentUpdate({ ...paid, status: 'refunded', refundedAmount: 4500 })).toMatch(
      /has been issued/,
    );
  });
});
