import { sql } from 'drizzle-orm';
import { loadConfig, type Env } from '../../src/config.js';
import { createApp, type AppOptions } from '../../src/createApp.js';
import { signBody } from '../../src/whatsapp/verifySignature.js';
import type { Effect } from '../../src/engine/types.js';
import { applyEffects } from '../../src/jobs/handleEvent.js';
import { createLogger } from '../../src/logger.js';
import { getConversation, type Db } from '../../src/store/index.js';
import type { GraphMessage } from '../../src/whatsapp/builders.js';
import { metaWebhook, text } from '../fixtures/metaWebhook.js';
import { resetStore, type TestStore } from '../helpers/stores.js';
import { APP_SECRET, API_TOKEN, manualClock, recordingGraph, type TestApp } from '../helpers/testApp.js';

export const CUSTOMER = '16505551234';
export const CONVERSATION = `106540352242922:${CUSTOMER}`;

/** Empties the foundation's tables and the payment layer's. */
export async function resetPayments(store: TestStore): Promise<void> {
  await resetStore(store);
  await store.db.execute(
    sql`TRUNCATE payments, payment_transitions, refunds, bookings, invoice_orders, payment_reminders RESTART IDENTITY`,
  );
}

/** The customer writes (opening the 24-hour window); what the bot answered is forgotten. */
export async function customerWrites(
  app: TestApp,
  words = 'hello',
  from = CUSTOMER,
  phoneNumberId?: string,
): Promise<void> {
  const timestamp = String(Math.floor(app.clock.now().getTime() / 1000));
  await app.post(metaWebhook({ from, phoneNumberId, messages: [text(words, { timestamp })] }));
  await app.settle();
  app.graph.sent.length = 0;
}

/** Applies effects as a flow turn would, in one transaction. */
export async function applyTurn(
  app: TestApp,
  effects: Effect[],
  conversationId = CONVERSATION,
): Promise<void> {
  const conversation = await getConversation(app.store.db, conversationId);
  if (!conversation) throw new Error(`no conversation ${conversationId}`);
  await app.store.db.transaction((tx) =>
    applyEffects(tx as unknown as Db, conversation, effects, {
      clock: app.clock,
      logger: createLogger('silent'),
      metrics: app.metrics,
      engine: {} as never,
      payments: app.payments.deps,
    }),
  );
}

let effects = 0;
/** A RequestPayment effect as a flow would emit it (€45 bracelet by default). */
export function paymentEffect(over: Partial<Extract<Effect, { type: 'RequestPayment' }>> = {}) {
  effects++;
  return {
    type: 'RequestPayment' as const,
    id: `evt-${9000 + effects}:0`,
    purpose: 'order' as const,
    subjectId: `ORD-${effects}`,
    reference: `ORD-${effects}`,
    amount: 4500,
    currency: 'EUR',
    description: 'Engraved bracelet (M)',
    items: [{ name: 'Engraved bracelet (M)', quantity: 1, amount: 4500 }],
    ...over,
  };
}

type Sent = GraphMessage & {
  text?: { body: string };
  interactive?: { type: string; body: { text: string }; action: { parameters?: { url: string } } };
  template?: { name: string; components?: { type: string; parameters: { text: string }[] }[] };
};
export const sent = (app: TestApp) => app.graph.sent as Sent[];

/** The text a customer reads in a sent message, whatever its kind. */
export function bodyOf(message: Sent): string {
  if (message.type === 'text') return message.text?.body ?? '';
  if (message.type === 'interactive') return message.interactive?.body.text ?? '';
  if (message.type === 'template')
    return `[${message.template?.name}] ${(message.template?.components ?? [])
      .flatMap((c) => c.parameters.map((p) => p.text))
      .join(' | ')}`;
  return '';
}

/** The `/pay/<token>` link of a sent message. */
export function linkOf(message: Sent): string {
  const url = message.interactive?.action.parameters?.url;
  if (!url) throw new Error(`no link in ${JSON.stringify(message)}`);
  return url;
}

/** Like createTestApp, with a payment provider or a WhatsApp payment status parser of the test's own. */
export async function createPaymentsTestApp(
  store: TestStore,
  env: Env,
  payments: AppOptions['payments'],
): Promise<TestApp> {
  const clock = manualClock();
  const graph = recordingGraph();
  const core = await createApp({
    config: loadConfig({ LOG_LEVEL: 'silent', DATA_DIR: '/tmp/wca-test-unused', ...env }),
    store,
    logger: createLogger('silent'),
    secrets: { appSecret: APP_SECRET, apiToken: API_TOKEN, accessToken: 'test-access-token' },
    clock,
    graph,
    startLoops: false,
    payments,
  });
  return Object.assign(core, {
    graph,
    clock,
    post: (body: unknown) => {
      const raw = JSON.stringify(body);
      return core.receive(raw, signBody(raw, APP_SECRET));
    },
    staff: async () => undefined,
  });
}
