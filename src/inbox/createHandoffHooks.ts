import { eq } from 'drizzle-orm';
import type { Business } from '../business/loadBusiness.js';
import { migrateState } from '../engine/state.js';
import { renderText, type TextCatalog, type TextVars } from '../engine/texts.js';
import { LOCALES, type Clock, type Effect, type Locale } from '../engine/types.js';
import {
  contacts,
  insertInboundEvents,
  insertOutbox,
  scheduleTimer,
  type ConversationRow,
  type Db,
  type InboundEventRow,
} from '../store/index.js';
import { describeOpening, isOpen, nextOpening } from './businessHours.js';
import {
  assignHandoff,
  getHandoff,
  markResolved,
  nextInRotation,
  recordHandoffEvent,
  startHandoff,
  type HandoffActor,
} from './handoffRepo.js';
import type { InboxMetrics } from './inboxMetrics.js';

/** Name of the durable timer that checks whether staff picked a handoff up. */
export const PICKUP_TIMER = 'handoff_pickup';
/** Ids of the buttons offered when nobody picked the conversation up. */
export const RESUME_CHOICE = 'inbox/~/resume';
export const WAIT_CHOICE = 'inbox/~/wait';

/** What the event handler calls when a conversation enters or leaves handoff mode. */
export interface HandoffHooks {
  /** Inside the turn's transaction, after the conversation switched to handoff mode. */
  opened(
    tx: Db,
    conversation: ConversationRow,
    effect: { id: string; reason: string },
    by?: string,
  ): Promise<void>;
  /** Inside the turn's transaction, after the conversation went back to the bot. */
  closed(tx: Db, conversation: ConversationRow): Promise<void>;
  /** The pickup timer fired. */
  pickupDue(tx: Db, conversation: ConversationRow, event: InboundEventRow): Promise<void>;
  /** A customer's button tap while staff have the conversation. @returns whether it was ours. */
  customerChoice(
    tx: Db,
    conversation: ConversationRow,
    event: InboundEventRow,
    choiceId: string,
  ): Promise<boolean>;
}

export interface HandoffHookOptions {
  business: Business;
  texts: TextCatalog;
  vars: Record<Locale, TextVars>;
  clock: Clock;
  pickupMinutes: number;
  roundRobin: boolean;
  metrics: InboxMetrics;
}

/**
 * The handoff side of a turn: the queue entry and its events, the after-hours notice, the pickup
 * timer and the way back to the bot. Everything is written in the turn's transaction.
 */
export function createHandoffHooks(options: HandoffHookOptions): HandoffHooks {
  const { business, texts, vars, clock, metrics } = options;

  async function localeOf(tx: Db, conversation: ConversationRow): Promise<Locale> {
    const rows = await tx
      .select({ locale: contacts.locale })
      .from(contacts)
      .where(eq(contacts.waId, conversation.waId));
    const stored = rows[0]?.locale ?? migrateState(conversation.state)?.locale ?? null;
    return (LOCALES as readonly string[]).includes(stored ?? '')
      ? (stored as Locale)
      : business.defaultLocale;
  }

  const say = (locale: Locale, key: string, extra: TextVars = {}) =>
    renderText(texts, locale, key, { ...vars[locale], ...extra });

  async function send(tx: Db, conversation: ConversationRow, effects: Effect[]) {
    await insertOutbox(
      tx,
      effects.map((effect) => ({
        id: effect.id,
        conversationId: conversation.id,
        recipient: conversation.waId,
        kind: effect.type,
        payload: effect,
      })),
      clock.now(),
    );
  }

  return {
    async opened(tx, conversation, effect, by) {
      const now = clock.now();
      const actor: HandoffActor = by ? { staffId: by } : { by: 'bot' };
      await startHandoff(tx, conversation.id, effect.reason, now, actor);
      metrics.handoffEvents.inc({ type: 'started' });
      let assignee = by ?? null;
      if (!assignee && options.roundRobin) assignee = await nextInRotation(tx);
      if (assignee && (await assignHandoff(tx, conversation.id, assignee, now, null))) {
        await recordHandoffEvent(tx, {
          conversationId: conversation.id,
          type: 'assigned',
          actor: by ? { staffId: by } : { by: 'system' },
          at: now,
          detail: { to: assignee, ...(by ? {} : { roundRobin: true }) },
        });
        metrics.handoffEvents.inc({ type: 'assigned' });
      }
      // A staff member who takes the conversation over writes to the customer themselves.
      if (by) return;
      const opening = nextOpening(business, now);
      if (!isOpen(business, now) && opening) {
        const locale = await localeOf(tx, conversation);
        await send(tx, conversation, [
          {
            type: 'SendText',
            id: `${effect.id}:after-hours`,
            text: say(locale, 'handoff.after_hours', { when: describeOpening(business, opening, locale) }),
          },
        ]);
      }
      // Nobody is there at night: the pickup clock starts when the business opens.
      const from = opening ?? now;
      await scheduleTimer(tx, {
        id: `${effect.id}:pickup`,
        conversationId: conversation.id,
        name: PICKUP_TIMER,
        fireAt: new Date(from.getTime() + options.pickupMinutes * 60_000),
        payload: { startedAt: now.toISOString() },
      });
    },

    async closed(tx, conversation) {
      const now = clock.now();
      await markResolved(tx, conversation.id, now);
      await recordHandoffEvent(tx, {
        conversationId: conversation.id,
        type: 'bot_resumed',
        actor: { by: 'bot' },
        at: now,
      });
      metrics.handoffEvents.inc({ type: 'bot_resumed' });
    },

    async pickupDue(tx, conversation, event) {
      if (conversation.mode !== 'handoff') return;
      const handoff = await getHandoff(tx, conversation.id);
      const payload = (event.payload as { payload?: { startedAt?: string } }).payload;
      // A later handoff has its own timer; someone already answering needs no apology.
      if (!handoff || handoff.status !== 'waiting' || handoff.startedAt.toISOString() !== payload?.startedAt)
        return;
      const locale = await localeOf(tx, conversation);
      await send(tx, conversation, [
        {
          type: 'SendButtons',
          id: `evt-${event.id}:0`,
          body: say(locale, 'handoff.pickup_timeout'),
          buttons: [
            { id: RESUME_CHOICE, title: say(locale, 'handoff.back_to_bot') },
            { id: WAIT_CHOICE, title: say(locale, 'handoff.keep_waiting') },
          ],
        },
      ]);
      await recordHandoffEvent(tx, {
        conversationId: conversation.id,
        type: 'pickup_timeout',
        actor: { by: 'system' },
        at: clock.now(),
        detail: { waitedMinutes: Math.round((clock.now().getTime() - handoff.startedAt.getTime()) / 60_000) },
      });
      metrics.handoffEvents.inc({ type: 'pickup_timeout' });
    },

    async customerChoice(tx, conversation, event, choiceId) {
      if (choiceId !== RESUME_CHOICE && choiceId !== WAIT_CHOICE) return false;
      if (conversation.mode !== 'handoff') return true;
      if (choiceId === WAIT_CHOICE) {
        const locale = await localeOf(tx, conversation);
        await send(tx, conversation, [
          { type: 'SendText', id: `evt-${event.id}:0`, text: say(locale, 'handoff.still_waiting') },
        ]);
        return true;
      }
      const handoff = await getHandoff(tx, conversation.id);
      if (handoff?.status === 'assigned') {
        // Someone took it in the meantime: they answer, the bot stays quiet.
        return true;
      }
      const now = clock.now();
      await markResolved(tx, conversation.id, now);
      await recordHandoffEvent(tx, {
        conversationId: conversation.id,
        type: 'resolved',
        actor: { by: 'customer' },
        at: now,
        detail: { choice: 'back_to_bot' },
      });
      metrics.handoffEvents.inc({ type: 'resolved' });
      // The release queues behind this message, through the same door as a staff release.
      await insertInboundEvents(
        tx,
        [
          {
            source: 'system',
            kind: 'staff',
            externalId: `customer-resume:${event.id}`,
            conversationId: conversation.id,
            payload: { action: 'release', closingText: null },
          },
        ],
        now,
      );
      return true;
    },
  };
}
