import { describeOpeningHours, loadBusiness } from '../../src/business/loadBusiness.js';
import { decide, type DecideContext, type Decision } from '../../src/engine/decide.js';
import { loadFlows } from '../../src/engine/loadFlows.js';
import { migrateState, type ConversationState } from '../../src/engine/state.js';
import { loadTexts, type TextVars } from '../../src/engine/texts.js';
import {
  EMPTY_SLOTS,
  LOCALES,
  type ConversationFacts,
  type DomainEvent,
  type Effect,
  type Locale,
  type PaymentFacts,
  type Slots,
  type Understanding,
} from '../../src/engine/types.js';
import { loadWhatsAppTemplates } from '../../src/engine/whatsappTemplates.js';

export type EngineContext = Omit<DecideContext, 'eventId' | 'facts'>;

/** Flows, texts, business and WhatsApp templates as the app loads them. */
export async function loadEngine(): Promise<EngineContext> {
  const business = await loadBusiness('seed/bella-studio.yaml');
  const texts = await loadTexts('templates');
  const vars = Object.fromEntries(
    LOCALES.map((l) => [l, { business: business.name, hours: describeOpeningHours(business, l) }]),
  ) as Record<Locale, TextVars>;
  const waTemplates = await loadWhatsAppTemplates('templates/whatsapp-templates.yaml', texts, {
    currency: business.currency,
    timeZone: business.timezone,
  });
  const flows = await loadFlows('flows', texts, vars, { waTemplates });
  return { flows, texts, vars, business, waTemplates, defaultLocale: business.defaultLocale };
}

/** What the intent layer would say; tests build it directly until the classifier is wired. */
export function understood(
  intent: Understanding['intent'] = 'other',
  slots: Partial<Slots> = {},
  extra: Partial<Omit<Understanding, 'slots' | 'intent'>> = {},
): Understanding {
  return { intent, command: null, language: 'en', slots: { ...EMPTY_SLOTS, ...slots }, ...extra };
}

export type Turn =
  | { say: string; u?: Understanding; at?: string }
  | { tap: string; at?: string }
  | { event: DomainEvent; at?: string };

/**
 * A conversation played turn by turn through decide(), with state round-tripped through JSON
 * between turns as the store does, facts that the test can change, and a clock it moves.
 */
export function conversation(engine: EngineContext, start: string, facts: Partial<ConversationFacts> = {}) {
  let state: ConversationState | null = null;
  let now = new Date(start);
  let turn = 0;
  let last: Decision | null = null;
  const current: ConversationFacts = {
    payments: [...(facts.payments ?? [])],
    bookings: [...(facts.bookings ?? [])],
    busy: [...(facts.busy ?? [])],
    invoices: [...(facts.invoices ?? [])],
  };
  const api = {
    facts: current,
    get state() {
      return state;
    },
    get now() {
      return now;
    },
    advance(ms: number) {
      now = new Date(now.getTime() + ms);
    },
    setNow(iso: string) {
      now = new Date(iso);
    },
    /** Sends one event; returns the effects of the turn. */
    send(input: Turn): Effect[] {
      if (input.at) now = new Date(input.at);
      let event: DomainEvent;
      let understanding: Understanding | null = null;
      if ('say' in input) {
        event = { type: 'TextReceived', text: input.say };
        understanding = input.u ?? understood();
      } else if ('tap' in input) {
        event = { type: 'ChoiceMade', choiceId: input.tap, title: input.tap };
      } else event = input.event;
      const decision = decide(
        state,
        event,
        understanding,
        { now: () => now },
        {
          ...engine,
          facts: JSON.parse(JSON.stringify(current)) as ConversationFacts,
          eventId: `evt-${1000 + ++turn}`,
        },
      );
      state = migrateState(JSON.parse(JSON.stringify(decision.state)));
      expect(state).toEqual(decision.state);
      last = decision;
      return decision.effects;
    },
    say(text: string, u?: Understanding) {
      return api.send({ say: text, ...(u ? { u } : {}) });
    },
    /** Taps the button or row whose id ends with `/<option>` in the last turn's messages. */
    tap(option: string) {
      const ids = (last?.effects ?? []).flatMap(choiceIds);
      const id = ids.find((i) => i.endsWith(`/${option}`));
      if (!id) throw new Error(`No option "${option}" among ${ids.join(', ')}`);
      return api.send({ tap: id });
    },
    /** Taps the n-th computed option (slot, service, product) of the last turn. */
    pick(index = 0) {
      const ids = (last?.effects ?? []).flatMap(choiceIds).filter((i) => i.split('/')[2]?.startsWith('='));
      const id = ids[index];
      if (!id) throw new Error(`No computed option ${index} among ${ids.join(', ')}`);
      return api.send({ tap: id });
    },
    choices: () => (last?.effects ?? []).flatMap(choiceIds),
    payment(payment: PaymentFacts) {
      return api.send({ event: { type: 'PaymentUpdated', payment } });
    },
    timer(name: string, key: string | null = null) {
      return api.send({
        event: { type: 'TimerFired', name: key ? `${name}:${key}` : name, payload: { key } },
      });
    },
  };
  return api;
}

function choiceIds(effect: Effect): string[] {
  if (effect.type === 'SendButtons') return effect.buttons.map((b) => b.id);
  if (effect.type === 'SendList') return effect.sections.flatMap((s) => s.rows.map((r) => r.id));
  return [];
}

/** The customer-visible texts of a turn, in order. */
export function shown(effects: Effect[]): string[] {
  return effects.flatMap((e) =>
    e.type === 'SendText'
      ? [e.text]
      : e.type === 'SendButtons' || e.type === 'SendList' || e.type === 'SendCtaUrl'
        ? [e.body]
        : e.type === 'SendTemplate'
          ? [`template:${e.name}`]
          : [],
  );
}

export const ofType = <T extends Effect['type']>(effects: Effect[], type: T) =>
  effects.filter((e): e is Extract<Effect, { type: T }> => e.type === type);

/** A payment as the payment layer reports it. */
export function paymentFacts(overrides: Partial<PaymentFacts>): PaymentFacts {
  return {
    id: 'pay_1',
    reference: 'ORD-TEST',
    purpose: 'order',
    subjectId: null,
    status: 'succeeded',
    amount: 1000,
    refundedAmount: 0,
    currency: 'EUR',
    description: 'Test',
    link: 'http://localhost:3000/pay/tok',
    createdAt: '2026-03-10T09:00:00.000Z',
    paidAt: '2026-03-10T09:05:00.000Z',
    ...overrides,
  };
}
