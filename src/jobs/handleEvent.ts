import type { CampaignHooks } from '../campaigns/createCampaignHooks.js';
import { EMPTY_FACTS, type DecideContext } from '../engine/decide.js';
import { decideWithFacts } from '../engine/decideWithFacts.js';
import { paymentFactsSchema } from '../engine/paymentFactsSchema.js';
import type { HandoffHooks } from '../inbox/createHandoffHooks.js';
import { migrateState } from '../engine/state.js';
import {
  isSendEffect,
  type Clock,
  type ConversationFacts,
  type DomainEvent,
  type Effect,
  type Understanding,
} from '../engine/types.js';
import { logRef, type Logger } from '../logger.js';
import {
  applyPaymentEffects,
  handlePaymentQueueEvent,
  isPaymentEffect,
  isPaymentQueue,
  type PaymentDeps,
} from '../payments/index.js';
import type { Metrics } from '../metrics.js';
import {
  applyDeliveryStatus,
  cancelTimer,
  loadOrCreateConversation,
  recordConsent,
  recordCustomerMessage,
  saveConversation,
  saveTurn,
  scheduleTimer,
  type ConversationRow,
  type Db,
  type InboundEventRow,
} from '../store/index.js';
import type { Understander } from '../understanding/index.js';
import { understandText } from '../understanding/understandText.js';
import type {
  InboundEventPayload,
  InboundMessagePayload,
  InboundStatusPayload,
} from '../whatsapp/parseWebhook.js';
import { messageContent, toDomainEvent } from '../whatsapp/toDomainEvent.js';

export interface HandlerDeps {
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  /** Everything decide() needs but the event id and the facts of the turn. */
  engine: Omit<DecideContext, 'eventId' | 'facts'>;
  /**
   * Loads what the store knows that a turn may need (payments, bookings, busy times, invoices),
   * inside the turn's transaction. Without it, turns see no facts.
   */
  loadFacts?: (db: Db, query: { waId: string; text: string | null; now: Date }) => Promise<ConversationFacts>;
  /** Campaign attribution and funnel tracking around a customer's turn. */
  campaigns?: CampaignHooks;
  /** The intent layer; without it, the offline classifier alone (no catalog slots). */
  understander?: Understander;
  /** The inbox's side of handoffs (queue, events, pickup timer); absent in engine-only setups. */
  handoff?: HandoffHooks;
  /** The payment layer; without it, payment effects and events fail (and are retried). */
  payments?: PaymentDeps;
}

function requirePayments(deps: HandlerDeps): PaymentDeps {
  if (!deps.payments) throw new Error('The payment layer is not configured in this process');
  return deps.payments;
}

/** What a staff action or the system puts in `inbound_events.payload`. */
export type StaffEventPayload =
  | { action: 'release'; closingText: string | null; by?: string }
  | { action: 'takeover'; reason: string; by?: string };

/**
 * Handles one stored inbound event inside the caller's transaction. Throwing rolls the whole turn
 * back (state, outbox, transcript), and the worker retries the event later.
 */
export async function handleEvent(
  tx: Db,
  event: InboundEventRow,
  deps: HandlerDeps,
  /** The understanding of a text message, computed before the transaction (it may call an LLM). */
  understood?: Understanding,
): Promise<void> {
  if (isPaymentQueue(event.conversationId))
    return handlePaymentQueueEvent(tx, event, requirePayments(deps), deps.clock.now());
  switch (event.kind) {
    case 'payment_status':
    case 'payment_request':
      return handlePaymentQueueEvent(tx, event, requirePayments(deps), deps.clock.now());
    case 'payment_update': {
      const parsed = paymentFactsSchema.safeParse(event.payload);
      if (!parsed.success)
        throw new Error(`payment_update payload is not PaymentFacts: ${parsed.error.message}`);
      const conversation = await requireConversation(tx, event.conversationId);
      // Staff have the conversation: the payment layer already told the customer; the flow waits.
      if (conversation.mode !== 'bot') return;
      return runTurn(tx, conversation, event, { type: 'PaymentUpdated', payment: parsed.data }, null, deps);
    }
    case 'message':
      return handleMessage(tx, event, event.payload as InboundMessagePayload, deps, understood);
    case 'status':
      return handleStatus(tx, event.payload as InboundStatusPayload, event.conversationId as string);
    case 'timer': {
      const payload = event.payload as { name: string; payload: unknown };
      const conversation = await requireConversation(tx, event.conversationId);
      if (payload.name === 'handoff_pickup') return deps.handoff?.pickupDue(tx, conversation, event);
      if (conversation.mode !== 'bot') return;
      return runTurn(
        tx,
        conversation,
        event,
        { type: 'TimerFired', name: payload.name, payload: payload.payload },
        null,
        deps,
      );
    }
    case 'staff':
      return handleStaff(tx, event, event.payload as StaffEventPayload, deps);
    case 'error':
      deps.logger.warn(
        { eventId: event.id, error: (event.payload as { error?: { code?: number; title?: string } }).error },
        'Meta reported an error in a webhook',
      );
      return;
    case 'event':
      return deps.campaigns?.onWebhookEvent(tx, event.payload as InboundEventPayload);
    default:
      // Template and preference updates are stored for the features that read them.
      return;
  }
}

/** `<phone number id>:<customer wa_id>`, as the webhook parser builds it. */
function conversationKey(id: string | null): { id: string; phoneNumberId: string; waId: string } {
  const [phoneNumberId, waId] = (id ?? '').split(':');
  if (!id || !phoneNumberId || !waId) throw new Error(`Event has no usable conversation id: ${id}`);
  return { id, phoneNumberId, waId };
}

async function requireConversation(tx: Db, id: string | null): Promise<ConversationRow> {
  const key = conversationKey(id);
  return loadOrCreateConversation(tx, key.id, key.phoneNumberId, key.waId);
}

async function handleMessage(
  tx: Db,
  event: InboundEventRow,
  payload: InboundMessagePayload,
  deps: HandlerDeps,
  understood: Understanding | undefined,
) {
  const { message, contact } = payload;
  const at = new Date(Number(message.timestamp) * 1000);
  const key = conversationKey(event.conversationId);
  const { conversation, attributed } = await recordCustomerMessage(tx, {
    conversationId: key.id,
    phoneNumberId: key.phoneNumberId,
    waId: key.waId,
    name: contact?.name ?? null,
    message: { wamid: message.id, type: message.type, content: messageContent(message), at },
  });

  const campaign = await deps.campaigns?.beforeTurn(tx, { conversation, message, at });
  const domainEvent = campaign?.event ?? toDomainEvent(message);
  if (!domainEvent) return;
  if (
    conversation.mode === 'handoff' &&
    domainEvent.type === 'ChoiceMade' &&
    (await deps.handoff?.customerChoice(tx, conversation, event, domainEvent.choiceId))
  )
    return;
  const words = campaign ? campaign.words : domainEvent.type === 'TextReceived' ? domainEvent.text : null;
  // The worker understood the raw text ahead of the transaction; a campaign marker changes the words.
  const understanding =
    words === null
      ? null
      : ((campaign ? null : understood) ??
        deps.understander?.understandOffline(words) ??
        understandText(words));
  // Staff have the conversation: the bot stays silent, except that opting out or in always works.
  const onlyIf =
    conversation.mode === 'bot'
      ? undefined
      : (effects: Effect[]) => effects.some((e) => e.type === 'RecordConsent');
  await runTurn(tx, conversation, event, domainEvent, understanding, deps, onlyIf);
  await deps.campaigns?.afterTurn(tx, { conversation, message, at, attributed });
}

async function handleStatus(tx: Db, payload: InboundStatusPayload, conversationId: string) {
  const { status } = payload;
  if (status.status === 'played') return;
  const at = new Date(Number(status.timestamp) * 1000);
  const outboxId = status.biz_opaque_callback_data ?? null;
  const error = status.errors?.[0];
  await applyDeliveryStatus(tx, {
    wamid: status.id,
    outboxId,
    conversationId,
    status: status.status,
    at,
    errorCode: error?.code ?? null,
    errorTitle: error ? (error.title ?? error.message ?? null) : null,
  });
  if (error?.code === 131050) {
    await recordConsent(tx, {
      waId: status.recipient_id,
      action: 'opt_out',
      source: 'meta_error_131050',
      wording: error.title ?? null,
      eventId: `status:${status.id}:131050`,
      at,
    });
  }
}

async function handleStaff(tx: Db, event: InboundEventRow, payload: StaffEventPayload, deps: HandlerDeps) {
  const conversation = await requireConversation(tx, event.conversationId);
  if (payload.action === 'takeover') {
    if (conversation.mode === 'handoff') return;
    await applyEffects(
      tx,
      conversation,
      [{ type: 'OpenHandoff', id: `evt-${event.id}:0`, reason: payload.reason }],
      deps,
      payload.by,
    );
    return;
  }
  if (conversation.mode !== 'handoff') return;
  await runTurn(
    tx,
    conversation,
    event,
    { type: 'StaffReleased', closingText: payload.closingText },
    null,
    deps,
  );
}

async function runTurn(
  tx: Db,
  conversation: ConversationRow,
  event: InboundEventRow,
  domainEvent: DomainEvent,
  understanding: Understanding | null,
  deps: HandlerDeps,
  onlyIf?: (effects: Effect[]) => boolean,
) {
  const state = migrateState(conversation.state);
  const { loadFacts } = deps;
  const decision = await decideWithFacts(
    state,
    domainEvent,
    understanding,
    deps.clock,
    { ...deps.engine, eventId: `evt-${event.id}` },
    async () =>
      loadFacts
        ? loadFacts(tx, {
            waId: conversation.waId,
            text: domainEvent.type === 'TextReceived' ? domainEvent.text : null,
            now: deps.clock.now(),
          })
        : EMPTY_FACTS,
  );
  if (onlyIf && !onlyIf(decision.effects)) return;
  // Round-trip through JSON so anything that would not survive storage fails here, not later.
  const stored = JSON.parse(JSON.stringify(decision.state)) as unknown;
  await applyEffects(tx, conversation, decision.effects, deps, undefined, {
    state: stored,
    flowVersion: decision.state.flowVersion,
  });
}

/**
 * Writes a turn's effects: the new state, sends to the outbox and the customer's language in one
 * statement, then everything else straight into the store.
 */
export async function applyEffects(
  tx: Db,
  conversation: ConversationRow,
  effects: Effect[],
  deps: HandlerDeps,
  /** The staff member whose action caused these effects, if any. */
  by?: string,
  /** The conversation's state after the turn, saved before the effects that follow. */
  state?: { state: unknown; flowVersion: number | null },
): Promise<void> {
  const locales = effects.flatMap((effect) => (effect.type === 'SetLocale' ? [effect.locale] : []));
  await saveTurn(tx, {
    conversationId: conversation.id,
    waId: conversation.waId,
    ...(state ? { state } : {}),
    outbox: effects.filter(isSendEffect).map((effect) => ({
      id: effect.id,
      conversationId: conversation.id,
      recipient: conversation.waId,
      kind: effect.type,
      payload: effect,
    })),
    locale: locales.at(-1) ?? null,
    now: deps.clock.now(),
  });
  for (const effect of effects) {
    switch (effect.type) {
      case 'ScheduleTimer':
        await scheduleTimer(tx, {
          id: effect.id,
          conversationId: conversation.id,
          name: effect.name,
          fireAt: new Date(effect.at),
          payload: effect.payload,
        });
        break;
      case 'CancelTimer':
        await cancelTimer(tx, conversation.id, effect.name);
        break;
      case 'OpenHandoff':
        await saveConversation(tx, conversation.id, { mode: 'handoff', handoffReason: effect.reason });
        deps.metrics.handoffs.inc({ reason: effect.reason });
        await deps.handoff?.opened(tx, conversation, effect, by);
        deps.logger.info(
          { conversation: logRef(conversation.id), reason: effect.reason },
          'conversation handed to staff',
        );
        break;
      case 'CloseHandoff':
        await saveConversation(tx, conversation.id, { mode: 'bot', handoffReason: null });
        await deps.handoff?.closed(tx, conversation);
        break;
      case 'RecordConsent':
        await recordConsent(tx, {
          waId: conversation.waId,
          action: effect.action,
          source: effect.source,
          wording: effect.wording,
          eventId: effect.id,
          at: deps.clock.now(),
        });
        break;
      case 'Track':
        deps.logger.info(
          { conversation: logRef(conversation.id), name: effect.name, props: effect.props },
          'tracked',
        );
        break;
      default:
        break;
    }
  }
  if (effects.some(isPaymentEffect))
    await applyPaymentEffects(tx, conversation, effects, requirePayments(deps), deps.clock.now());
}
