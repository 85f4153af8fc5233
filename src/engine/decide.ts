import type { ActionSpec, FlowSpec, MessageSpec } from './flowSchema.js';
import { STATE_VERSION, type ConversationState } from './state.js';
import { renderText, type TextCatalog, type TextVars } from './texts.js';
import type { Clock, DomainEvent, Effect, EffectDraft, Locale, Understanding } from './types.js';

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
}

export interface Decision {
  state: ConversationState;
  effects: Effect[];
}

/** Separates flow, step and option in the ids of buttons and list rows we send. */
const CHOICE_SEPARATOR = '/';
/** Step part of a choice id for buttons sent by a global handler. */
const ANY_STEP = '~';
const MISUNDERSTOOD_LIMIT = 2;

/**
 * One turn of a conversation: the new state and everything it should cause, as data.
 * Pure: no I/O, no clock reads, no randomness; the same inputs give the same effects and ids.
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
  let s = settle(state, ctx.flows);
  const firstContact = state === null;

  if (understanding?.language && understanding.language !== s.locale) {
    s = { ...s, locale: understanding.language };
    emit({ type: 'SetLocale', locale: understanding.language });
  }
  const locale = s.locale ?? ctx.defaultLocale;
  const text = (key: string) => renderText(ctx.texts, locale, key, ctx.vars[locale]);

  const say = (messages: MessageSpec[] | undefined, owner: string) => {
    for (const message of messages ?? []) emit(renderMessage(message, owner, text));
  };

  const enter = (flowId: string, stepId: string) => {
    const flow = ctx.flows.flows.get(flowId) as FlowSpec;
    s = { ...s, flow: flowId, step: stepId, flowVersion: flow.version };
    say(flow.steps[stepId]?.say, `${flowId}${CHOICE_SEPARATOR}${stepId}`);
  };

  const run = (action: ActionSpec, flowId: string, owner: string) => {
    say(action.say, owner);
    if (action.consent) {
      emit({
        type: 'RecordConsent',
        action: action.consent,
        source: event.type === 'ChoiceMade' ? 'whatsapp_button' : 'whatsapp_keyword',
        wording:
          event.type === 'TextReceived' ? event.text : event.type === 'ChoiceMade' ? event.title : null,
      });
    }
    if (action.cancelTimer) emit({ type: 'CancelTimer', name: action.cancelTimer });
    if (action.timer) {
      const at = new Date(clock.now().getTime() + action.timer.afterMinutes * 60_000);
      emit({
        type: 'ScheduleTimer',
        name: action.timer.name,
        at: at.toISOString(),
        payload: { flow: flowId },
      });
    }
    if (action.handoff) {
      emit({ type: 'OpenHandoff', reason: action.handoff });
      s = { ...s, step: null };
    }
    if (action.goto) {
      const [targetFlow, targetStep] = action.goto.includes('.')
        ? action.goto.split('.')
        : [flowId, action.goto];
      enter(targetFlow as string, targetStep as string);
    } else if (action.flow) {
      enter(action.flow, (ctx.flows.flows.get(action.flow) as FlowSpec).start);
    } else if (action.end) {
      s = { ...s, step: null };
    }
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

  let triggers: string[] = [];
  if (event.type === 'ChoiceMade') {
    const [flowId, stepId, option] = event.choiceId.split(CHOICE_SEPARATOR);
    const flow = flowId ? ctx.flows.flows.get(flowId) : undefined;
    if (option && flow && stepId && stepId !== ANY_STEP && flow.steps[stepId]) {
      // A tap on an older message moves the conversation back to where that message was sent.
      s = { ...s, flow: flowId as string, step: stepId, flowVersion: flow.version };
    }
    triggers = option ? [`choice:${option}`] : [];
  } else if (event.type === 'TextReceived' && understanding) {
    triggers = [
      ...(understanding.command ? [`command:${understanding.command}`] : []),
      `intent:${understanding.intent}`,
    ];
  } else if (event.type === 'TimerFired') {
    triggers = [`timer:${event.name}`];
  } else if (event.type === 'PaymentUpdated') {
    triggers = [`payment:${event.payment.status}`];
  }

  const step = s.step ? ctx.flows.flows.get(s.flow)?.steps[s.step] : undefined;
  for (const trigger of triggers) {
    const local = step?.on?.[trigger];
    if (local) {
      s = { ...s, misunderstood: 0 };
      run(local, s.flow, `${s.flow}${CHOICE_SEPARATOR}${s.step}`);
      return { state: s, effects };
    }
    const global = ctx.flows.global.get(trigger);
    if (global) {
      s = { ...s, misunderstood: 0 };
      run(global.action, global.flow, `${global.flow}${CHOICE_SEPARATOR}${ANY_STEP}`);
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

/** Turns a message spec into a send effect with rendered texts and choice ids that route back here. */
export function renderMessage(
  message: MessageSpec,
  owner: string,
  text: (key: string) => string,
): EffectDraft {
  const choiceId = (option: string) => `${owner}${CHOICE_SEPARATOR}${option}`;
  if ('text' in message) return { type: 'SendText', text: text(message.text) };
  if ('buttons' in message) {
    const { body, footer, options } = message.buttons;
    return {
      type: 'SendButtons',
      body: text(body),
      buttons: options.map((option) => ({ id: choiceId(option.id), title: text(option.title) })),
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
