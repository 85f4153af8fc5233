import type { Business } from '../business/loadBusiness.js';
import type { ActionSpec, FlowSpec, MessageSpec } from './flowSchema.js';
import type { FormatContext } from './format.js';
import { recognizeYesNo } from './recognizeYesNo.js';
import { findReference } from './references.js';
import { STATE_VERSION, type ConversationState } from './state.js';
import { TASKS } from './tasks/index.js';
import type { TaskInput } from './tasks/task.js';
import { renderText, type TextCatalog, type TextVars } from './texts.js';
import type {
  Clock,
  ConversationFacts,
  DomainEvent,
  Effect,
  EffectDraft,
  Locale,
  Understanding,
} from './types.js';
import { renderWhatsAppTemplate, type WhatsAppTemplateSet } from './whatsappTemplates.js';

/** Flows as loaded and checked by `loadFlows`. */
export interface FlowSet {
  flows: ReadonlyMap<string, FlowSpec>;
  /** Global handlers by trigger, with the flow that declared each. */
  global: ReadonlyMap<string, { flow: string; action: ActionSpec }>;
  /** The flow a new conversation starts in. */
  entry: string;
}

export interface DecideContext {
  flows: FlowSet;
  texts: TextCatalog;
  /** Id of the inbound event being decided; effect ids derive from it. */
  eventId: string;
  defaultLocale: Locale;
  vars: Record<Locale, TextVars>;
  /** The business: catalog, prices, opening hours, currency and time zone. */
  business: Business;
  /** What the store knows that this turn may need (payments, bookings, busy times, invoices). */
  facts: ConversationFacts;
  /** WhatsApp templates for messages that may leave after the 24-hour window. */
  waTemplates: WhatsAppTemplateSet;
}

export interface Decision {
  state: ConversationState;
  effects: Effect[];
}

/** No facts: deeply frozen, so no caller can leak facts into another conversation through it. */
export const EMPTY_FACTS: ConversationFacts = Object.freeze({
  payments: Object.freeze([]),
  bookings: Object.freeze([]),
  busy: Object.freeze([]),
  invoices: Object.freeze([]),
}) as unknown as ConversationFacts;

/** Separates flow, step and option in the ids of buttons and list rows we send. */
const CHOICE_SEPARATOR = '/';
/** Step part of a choice id for buttons sent by a global handler. */
const ANY_STEP = '~';
/** Marks an option computed by a task (a slot, a service): the tap triggers `pick`. */
const PICK_MARK = '=';
const MISUNDERSTOOD_LIMIT = 2;
/** WhatsApp's customer service window. */
const WINDOW_MS = 24 * 60 * 60 * 1000;
/** A flow that keeps moving on entry (a loop between prepares) is a bug; stop it instead of spinning. */
const MAX_MOVES = 12;

const CUSTOMER_EVENTS = new Set<DomainEvent['type']>([
  'TextReceived',
  'ChoiceMade',
  'MediaReceived',
  'LocationReceived',
  'OrderSubmitted',
  'UnsupportedReceived',
]);

/** A computed option, as tasks store them for `choices` messages. */
export interface ChoiceItem {
  id: string;
  title: string;
  description?: string;
}

/**
 * One turn of a conversation: the new state and everything it should cause, as data.
 * Pure: no I/O, no clock reads but `clock`, no randomness; the same inputs give the same effects,
 * ids and references.
 *
 * @example
 * const { state, effects } = decide(null, { type: 'TextReceived', text: 'ciao' }, understanding, clock, ctx);
 */
export function decide(
  state: ConversationState | null,
  event: DomainEvent,
  understanding: Understanding | null,
  clock: Clock,
  ctx: DecideContext,
): Decision {
  const effects: Effect[] = [];
  const emit = (draft: EffectDraft) => {
    effects.push({ ...draft, id: `${ctx.eventId}:${effects.length}` } as Effect);
  };
  const now = clock.now();
  let s = settle(state, ctx.flows);
  const firstContact = state === null;
  // A customer's message opens WhatsApp's window; a timer or payment turn sees when they last wrote.
  if (CUSTOMER_EVENTS.has(event.type)) s = { ...s, lastInboundAt: now.toISOString() };
  const windowOpen = s.lastInboundAt !== null && now.getTime() - Date.parse(s.lastInboundAt) < WINDOW_MS;

  const current = s.step ? ctx.flows.flows.get(s.flow)?.steps[s.step] : undefined;
  // Free text a step asked for (a name, an address, an engraving) is data, not the customer's language.
  const answersFreeText =
    event.type === 'TextReceived' &&
    current?.on?.text !== undefined &&
    !understanding?.command &&
    understanding?.intent === 'other';
  if (understanding?.language && understanding.language !== s.locale && !answersFreeText) {
    s = { ...s, locale: understanding.language };
    emit({ type: 'SetLocale', locale: understanding.language });
  }
  const locale = s.locale ?? ctx.defaultLocale;
  const format: FormatContext = { currency: ctx.business.currency, timeZone: ctx.business.timezone };
  const values = (extra?: Record<string, unknown>) => ({ ...s.vars, ...extra, ...ctx.vars[locale] });
  const text = (key: string, extra?: Record<string, unknown>) =>
    renderText(ctx.texts, locale, key, values(extra), format);

  const say = (messages: MessageSpec[] | undefined, owner: string) => {
    for (const message of messages ?? []) {
      emit(
        renderMessage(message, owner, text, {
          items: (name) => (Array.isArray(s.vars[name]) ? (s.vars[name] as ChoiceItem[]) : []),
          notify: (name) => {
            const template = ctx.waTemplates.byName.get(name)?.[locale];
            const key = ctx.waTemplates.textKeys.get(name);
            if (!template || !key) throw new Error(`No WhatsApp template "${name}"`);
            return windowOpen
              ? { type: 'SendText', text: text(key) }
              : renderWhatsAppTemplate(template, locale, values(), format);
          },
        }),
      );
    }
  };

  const customerText = event.type === 'TextReceived' ? event.text : null;
  let picked: string | null = null;
  let moves = 0;

  const taskInput = (params: ActionSpec['with']): TaskInput => ({
    event,
    understanding,
    text: customerText,
    picked,
    vars: s.vars,
    with: params ?? {},
    business: ctx.business,
    facts: ctx.facts,
    now,
    eventId: ctx.eventId,
    locale,
    flow: s.flow,
    step: s.step,
    render: text,
    catalogName: (id, fallback) =>
      ctx.texts[locale][`catalog.${id}`] === undefined ? fallback : text(`catalog.${id}`),
  });

  const enter = (flowId: string, stepId: string) => {
    const flow = ctx.flows.flows.get(flowId) as FlowSpec;
    s = { ...s, flow: flowId, step: stepId, flowVersion: flow.version };
    if (++moves > MAX_MOVES) throw new Error(`Flow ${flowId} keeps moving on entry (at step ${stepId})`);
    const step = flow.steps[stepId];
    const owner = `${flowId}${CHOICE_SEPARATOR}${stepId}`;
    if (step?.prepare) {
      const before = moves;
      run(step.prepare, flowId, owner);
      if (moves !== before) return;
    }
    say(step?.say, owner);
  };

  /** Runs an action; false when its task answered `none` and nothing handles that. */
  const run = (action: ActionSpec, flowId: string, owner: string): boolean => {
    let outcome: string | null = null;
    let taskEffects: EffectDraft[] = [];
    if (action.do) {
      const task = TASKS[action.do];
      if (!task) throw new Error(`No task "${action.do}"`);
      const result = task.run(taskInput(action.with));
      outcome = result.outcome;
      if (outcome === 'none' && !action.then?.none) return false;
      if (result.vars) s = { ...s, vars: mergeVars(s.vars, result.vars) };
      taskEffects = result.effects ?? [];
    }
    say(action.say, owner);
    taskEffects.forEach(emit);
    if (action.consent) {
      emit({
        type: 'RecordConsent',
        action: action.consent,
        source: event.type === 'ChoiceMade' ? 'whatsapp_button' : 'whatsapp_keyword',
        wording:
          event.type === 'TextReceived' ? event.text : event.type === 'ChoiceMade' ? event.title : null,
      });
    }
    for (const name of [action.cancelTimer ?? []].flat()) emit({ type: 'CancelTimer', name });
    for (const timer of [action.timer ?? []].flat()) {
      const key = timer.keyVar ? s.vars[timer.keyVar] : undefined;
      const base = timer.atVar ? Date.parse(String(s.vars[timer.atVar])) : now.getTime();
      if (Number.isNaN(base)) continue;
      const at = timer.atVar
        ? base - (timer.beforeMinutes ?? 0) * 60_000
        : base + (timer.afterMinutes as number) * 60_000;
      // A reminder whose moment has already passed would fire at once and confuse; skip it.
      if (at <= now.getTime()) continue;
      emit({
        type: 'ScheduleTimer',
        name: key === undefined ? timer.name : `${timer.name}:${String(key)}`,
        at: new Date(at).toISOString(),
        payload: { flow: flowId, key: key ?? null },
      });
    }
    if (action.handoff) {
      emit({ type: 'OpenHandoff', reason: action.handoff });
      s = { ...s, step: null };
    }
    const before = moves;
    const branch = outcome === null ? undefined : action.then?.[outcome];
    if (branch) run(branch, flowId, owner);
    if (moves !== before) return true;
    if (action.goto) {
      const [targetFlow, targetStep] = action.goto.includes('.')
        ? action.goto.split('.')
        : [flowId, action.goto];
      enter(targetFlow as string, targetStep as string);
    } else if (action.flow) {
      enter(action.flow, (ctx.flows.flows.get(action.flow) as FlowSpec).start);
    } else if (action.end) {
      s = { ...s, step: null };
      moves++;
    } else if (action.resume) {
      const current = s.step ? ctx.flows.flows.get(s.flow)?.steps[s.step] : undefined;
      if (current) say(current.say, `${s.flow}${CHOICE_SEPARATOR}${s.step}`);
      else enter(ctx.flows.entry, (ctx.flows.flows.get(ctx.flows.entry) as FlowSpec).start);
    }
    return true;
  };

  if (event.type === 'StaffReleased') {
    emit({ type: 'CloseHandoff' });
    if (event.closingText) emit({ type: 'SendText', text: event.closingText });
    s = { ...s, step: null, misunderstood: 0 };
    const released = ctx.flows.global.get('staff_released');
    if (released) run(released.action, released.flow, `${released.flow}${CHOICE_SEPARATOR}${ANY_STEP}`);
    return { state: s, effects };
  }
  if (event.type === 'ReactionReceived') return { state: s, effects };
  const campaignFlow = event.type === 'CampaignEntered' ? ctx.flows.flows.get(event.flow) : undefined;
  if (event.type === 'CampaignEntered' && campaignFlow) {
    if (event.welcomeText) emit({ type: 'SendText', text: event.welcomeText });
    s = { ...s, misunderstood: 0 };
    enter(campaignFlow.id, campaignFlow.start);
    return { state: s, effects };
  }

  let step = s.step ? ctx.flows.flows.get(s.flow)?.steps[s.step] : undefined;
  let triggers: string[] = [];
  if (event.type === 'ChoiceMade') {
    const [flowId, stepId, option] = event.choiceId.split(CHOICE_SEPARATOR);
    const flow = flowId ? ctx.flows.flows.get(flowId) : undefined;
    if (option && flow && stepId && stepId !== ANY_STEP && flow.steps[stepId]) {
      // A tap on an older message moves the conversation back to where that message was sent.
      s = { ...s, flow: flowId as string, step: stepId, flowVersion: flow.version };
      step = flow.steps[stepId];
    }
    if (option?.startsWith(PICK_MARK)) {
      picked = option.slice(PICK_MARK.length);
      triggers = ['pick'];
    } else triggers = option ? [`choice:${option}`] : [];
  } else if (event.type === 'TextReceived') {
    const answer = recognizeYesNo(event.text);
    const reference = understanding?.slots.reference ?? findReference(event.text);
    triggers = [
      ...(understanding?.command ? [`command:${understanding.command}`] : []),
      // A clear yes or no answers the buttons of the step the customer is at.
      ...(answer && step?.on?.[`choice:${answer}`] ? [`choice:${answer}`] : []),
      'text',
      ...(understanding ? [`intent:${understanding.intent}`] : []),
      // A bare reference ("INV-2026-0001") opens what it refers to, unless the words asked for more.
      ...(reference ? [`reference:${reference.slice(0, 3).toLowerCase()}`] : []),
    ];
  } else if (event.type === 'TimerFired') {
    triggers = [`timer:${event.name.split(':')[0]}`];
  } else if (event.type === 'PaymentUpdated') {
    triggers = [
      `payment:${event.payment.purpose}:${event.payment.status}`,
      `payment:${event.payment.status}`,
    ];
  } else if (event.type === 'OrderSubmitted') {
    triggers = ['order'];
  } else if (event.type === 'LocationReceived') {
    triggers = ['location'];
  }

  for (const trigger of triggers) {
    const local = step?.on?.[trigger];
    if (local && run(local, s.flow, `${s.flow}${CHOICE_SEPARATOR}${s.step}`)) {
      s = { ...s, misunderstood: 0 };
      return { state: s, effects };
    }
    const global = trigger === 'text' ? undefined : ctx.flows.global.get(trigger);
    if (global && run(global.action, global.flow, `${global.flow}${CHOICE_SEPARATOR}${ANY_STEP}`)) {
      s = { ...s, misunderstood: 0 };
      return { state: s, effects };
    }
  }

  // The payment layer already told the customer; without a handler the flow just stays put.
  if (event.type === 'TimerFired' || event.type === 'PaymentUpdated') return { state: s, effects };
  const welcome = ctx.flows.global.get('welcome');
  if ((firstContact || s.step === null) && welcome) {
    run(welcome.action, welcome.flow, `${welcome.flow}${CHOICE_SEPARATOR}${ANY_STEP}`);
    return { state: s, effects };
  }

  const misunderstood = s.misunderstood + 1;
  const escalate = ctx.flows.global.get('misunderstood_twice');
  if (misunderstood >= MISUNDERSTOOD_LIMIT && escalate) {
    s = { ...s, misunderstood: 0 };
    run(escalate.action, escalate.flow, `${escalate.flow}${CHOICE_SEPARATOR}${ANY_STEP}`);
    return { state: s, effects };
  }
  s = { ...s, misunderstood };
  const otherwise = step?.otherwise
    ? { flow: s.flow, action: step.otherwise, owner: `${s.flow}${CHOICE_SEPARATOR}${s.step}` }
    : (() => {
        const global = ctx.flows.global.get('otherwise');
        return global && { ...global, owner: `${global.flow}${CHOICE_SEPARATOR}${ANY_STEP}` };
      })();
  if (otherwise) run(otherwise.action, otherwise.flow, otherwise.owner);
  return { state: s, effects };
}

function mergeVars(vars: Record<string, unknown>, changes: Record<string, unknown>): Record<string, unknown> {
  const merged = { ...vars };
  for (const [key, value] of Object.entries(changes)) {
    if (value === null || value === undefined) delete merged[key];
    else merged[key] = value;
  }
  return merged;
}

/** Fresh state, or stored state fitted to the flows as they are now (a changed flow never strands anyone). */
function settle(state: ConversationState | null, flows: FlowSet): ConversationState {
  const entry = flows.flows.get(flows.entry) as FlowSpec;
  if (!state) {
    return {
      version: STATE_VERSION,
      flow: entry.id,
      step: null,
      flowVersion: entry.version,
      locale: null,
      misunderstood: 0,
      vars: {},
      lastInboundAt: null,
    };
  }
  const flow = flows.flows.get(state.flow);
  if (!flow) return { ...state, flow: entry.id, step: null, flowVersion: entry.version };
  if (flow.version !== state.flowVersion) {
    return {
      ...state,
      step: state.step && flow.steps[state.step] ? state.step : null,
      flowVersion: flow.version,
    };
  }
  return state;
}

/** Where computed options and out-of-window templates come from when rendering a message. */
export interface MessageSources {
  items(name: string): ChoiceItem[];
  notify(name: string): EffectDraft;
}

/** Reply buttons allow 3 options with titles up to 20 characters; lists 10 rows up to 24. */
const BUTTONS_MAX = 3;
const BUTTON_TITLE_MAX = 20;
const ROWS_MAX = 10;
const ROW_TITLE_MAX = 24;
const ROW_DESCRIPTION_MAX = 72;

const clip = (value: string, max: number) =>
  [...value].length > max ? `${[...value].slice(0, max - 1).join('')}…` : value;

/** Turns a message spec into a send effect with rendered texts and choice ids that route back here. */
export function renderMessage(
  message: MessageSpec,
  owner: string,
  text: (key: string) => string,
  sources: MessageSources = { items: () => [], notify: (name) => ({ type: 'SendText', text: name }) },
): EffectDraft {
  const choiceId = (option: string) => `${owner}${CHOICE_SEPARATOR}${option}`;
  if ('text' in message) return { type: 'SendText', text: text(message.text) };
  if ('notify' in message) return sources.notify(message.notify);
  if ('buttons' in message) {
    const { body, footer, options } = message.buttons;
    return {
      type: 'SendButtons',
      body: text(body),
      buttons: options.map((option) => ({ id: choiceId(option.id), title: text(option.title) })),
      ...(footer ? { footer: text(footer) } : {}),
    };
  }
  if ('choices' in message) {
    const { body, button, footer, from, extra } = message.choices;
    const options: ChoiceItem[] = [
      ...sources.items(from).map((item) => ({ ...item, id: choiceId(`${PICK_MARK}${item.id}`) })),
      ...(extra ?? []).map((option) => ({ id: choiceId(option.id), title: text(option.title) })),
    ];
    if (options.length === 0) return { type: 'SendText', text: text(body) };
    const fitsButtons =
      options.length <= BUTTONS_MAX &&
      options.every((o) => [...o.title].length <= BUTTON_TITLE_MAX && !o.description);
    if (fitsButtons && options.length > 0) {
      return {
        type: 'SendButtons',
        body: text(body),
        buttons: options.map((o) => ({ id: o.id, title: o.title })),
        ...(footer ? { footer: text(footer) } : {}),
      };
    }
    return {
      type: 'SendList',
      body: text(body),
      button: text(button),
      sections: [
        {
          rows: options.slice(0, ROWS_MAX).map((o) => ({
            id: o.id,
            title: clip(o.title, ROW_TITLE_MAX),
            ...(o.description ? { description: clip(o.description, ROW_DESCRIPTION_MAX) } : {}),
          })),
        },
      ],
      ...(footer ? { footer: text(footer) } : {}),
    };
  }
  if ('list' in message) {
    const { body, button, footer, sections } = message.list;
    return {
      type: 'SendList',
      body: text(body),
      button: text(button),
      sections: sections.map((section) => ({
        ...(section.title ? { title: text(section.title) } : {}),
        rows: section.rows.map((row) => ({
          id: choiceId(row.id),
          title: text(row.title),
          ...(row.description ? { description: text(row.description) } : {}),
        })),
      })),
      ...(footer ? { footer: text(footer) } : {}),
    };
  }
  return {
    type: 'SendCtaUrl',
    body: text(message.cta.body),
    buttonText: text(message.cta.button),
    url: message.cta.url,
  };
}
