import { and, desc, eq, gte, isNotNull, lte, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { FlowSet } from '../engine/decide.js';
import type { Clock, DomainEvent } from '../engine/types.js';
import {
  attributions,
  conversations,
  funnelMarks,
  messages,
  recordConsent,
  type ConversationRow,
  type Db,
} from '../store/index.js';
import type { WhatsAppMessage } from '../whatsapp/payloads.js';
import { queueCapiEvent } from './capi.js';
import { findCampaign } from './campaignsRepo.js';
import { readRefMarker } from './refCode.js';

/** Meta's free entry-point window: 72 hours of free messages after a click-to-WhatsApp ad. */
export const FREE_ENTRY_WINDOW_MS = 72 * 60 * 60 * 1000;

/** Flows whose steps count as "quote or cart" in the funnel. */
export const CART_FLOWS: ReadonlySet<string> = new Set(['quote', 'checkout', 'deposit-booking']);

export interface TurnInput {
  conversation: ConversationRow;
  message: WhatsAppMessage;
  at: Date;
  /**
   * Whether the conversation had an attribution before this message, when the caller knows
   * (the message's own statement reads it); unknown means look it up.
   */
  attributed?: boolean;
}

/** A succeeded payment, as the payment layer hands it over. Amounts in minor units. */
export interface SucceededPayment {
  id: string;
  conversationId: string | null;
  amount: number;
  refundedAmount?: number;
  currency: string;
  paidAt: Date | string | null;
}

/**
 * What the message handler asks of campaigns around a customer's turn, inside its transaction.
 * Kept to three calls so the handler stays about conversations.
 */
export interface CampaignHooks {
  /**
   * Records where a message came from (an ad referral or our `[ref:CODE]` marker). Returns the
   * event to decide instead of the message's own, and the words to understand, or null to go on
   * as usual: a campaign's entry flow for a known campaign, the text without its marker otherwise.
   */
  beforeTurn(tx: Db, input: TurnInput): Promise<{ event: DomainEvent; words: string | null } | null>;
  /** Funnel progress after the turn: quote/cart reached, and the lead event for an engaged ad click. */
  afterTurn(tx: Db, input: TurnInput): Promise<void>;
  /**
   * Call from the payment layer when a payment succeeds, in its transaction: queues a Purchase
   * Conversions API event for a conversation that came from an ad (no-op otherwise or when off).
   */
  onPaymentSucceeded(tx: Db, payment: SucceededPayment): Promise<void>;
  /**
   * A webhook change other than messages (`field` and `value`): Meta's `user_preferences` tell us
   * a customer stopped or resumed marketing messages in WhatsApp; recorded as consent.
   */
  onWebhookEvent(tx: Db, event: { field: string; value: Record<string, unknown> }): Promise<void>;
}

const userPreference = z.object({
  wa_id: z.string().min(1),
  category: z.literal('marketing_messages'),
  value: z.enum(['stop', 'resume']),
  detail: z.string().optional(),
  timestamp: z.coerce.number().int().positive(),
});

export interface CampaignHooksOptions {
  flows: FlowSet;
  clock: Clock;
  /** Conversions API on: queue LeadSubmitted and Purchase events. */
  capiEnabled: boolean;
}

/** Where a message says it came from: an ad's referral, or our `[ref:CODE]` marker in its text. */
function sourceOf(message: WhatsAppMessage) {
  const text = message.type === 'text' ? message.text.body : null;
  return { referral: message.referral, marker: text === null ? null : readRefMarker(text), text };
}

export function createCampaignHooks(options: CampaignHooksOptions): CampaignHooks {
  const { flows, clock } = options;

  async function latestAttribution(tx: Db, conversationId: string, before?: Date) {
    const [row] = await tx
      .select()
      .from(attributions)
      .where(
        and(
          eq(attributions.conversationId, conversationId),
          before ? lte(attributions.at, before) : undefined,
        ),
      )
      .orderBy(desc(attributions.at), desc(attributions.id))
      .limit(1);
    return row ?? null;
  }

  return {
    async beforeTurn(tx, { conversation, message, at }) {
      const { referral, marker, text } = sourceOf(message);
      if (!marker && !referral?.source_id && !referral?.ctwa_clid) return null;

      const campaign = await findCampaign(tx, {
        refCode: marker?.code ?? null,
        adId: referral?.source_id ?? null,
      });
      const fromAd = Boolean(referral && (referral.source_id || referral.ctwa_clid));
      await tx
        .insert(attributions)
        .values({
          conversationId: conversation.id,
          waId: conversation.waId,
          campaignId: campaign?.id ?? null,
          kind: fromAd ? 'ad' : 'ref',
          refCode: marker?.code ?? null,
          sourceId: referral?.source_id ?? null,
          sourceType: referral?.source_type ?? null,
          sourceUrl: referral?.source_url ?? null,
          ctwaClid: referral?.ctwa_clid ?? null,
          headline: referral?.headline ?? null,
          body: referral?.body ?? null,
          wamid: message.id,
          at,
          freeWindowUntil: fromAd ? new Date(at.getTime() + FREE_ENTRY_WINDOW_MS) : null,
        })
        .onConflictDoNothing();

      const words = marker ? marker.text : text;
      if (campaign && flows.flows.has(campaign.entryFlow)) {
        return {
          event: {
            type: 'CampaignEntered',
            campaignId: campaign.id,
            flow: campaign.entryFlow,
            welcomeText: campaign.welcomeText,
          },
          words: words || null,
        };
      }
      if (marker) return { event: { type: 'TextReceived', text: marker.text }, words: marker.text };
      return null;
    },

    async afterTurn(tx, { conversation, message, at, attributed }) {
      const { referral, marker } = sourceOf(message);
      const attributedNow = Boolean(marker || referral?.source_id || referral?.ctwa_clid);
      // Most conversations never came from a campaign: no need to look.
      if (attributed === false && !attributedNow) return;
      const attribution = await latestAttribution(tx, conversation.id);
      if (!attribution) return;
      const [current] = await tx
        .select({ state: conversations.state })
        .from(conversations)
        .where(eq(conversations.id, conversation.id));
      const flow = (current?.state as { flow?: string } | null)?.flow;
      if (message.type === 'order' || (flow && CART_FLOWS.has(flow))) {
        await tx
          .insert(funnelMarks)
          .values({ conversationId: conversation.id, stage: 'cart', at })
          .onConflictDoUpdate({
            target: [funnelMarks.conversationId, funnelMarks.stage],
            set: { at: sql`greatest(${funnelMarks.at}, excluded.at)` },
          });
      }
      if (!options.capiEnabled || !attribution.ctwaClid || attribution.leadQueuedAt) return;
      const chose = message.type === 'interactive' || message.type === 'button';
      let engaged = chose;
      if (!engaged) {
        const [count] = await tx
          .select({ n: sql<number>`count(*)::int` })
          .from(messages)
          .where(
            and(
              eq(messages.conversationId, conversation.id),
              eq(messages.direction, 'in'),
              gte(messages.createdAt, attribution.at),
            ),
          );
        engaged = (count?.n ?? 0) >= 2;
      }
      if (!engaged) return;
      await tx
        .update(attributions)
        .set({ leadQueuedAt: clock.now() })
        .where(eq(attributions.id, attribution.id));
      await queueCapiEvent(
        tx,
        {
          eventId: `capi:lead:${attribution.id}`,
          eventName: 'LeadSubmitted',
          ctwaClid: attribution.ctwaClid,
          eventTime: Math.floor(at.getTime() / 1000),
          value: null,
          currency: null,
          campaignId: attribution.campaignId,
          conversationId: conversation.id,
        },
        clock.now(),
      );
    },

    async onWebhookEvent(tx, { field, value }) {
      if (field !== 'user_preferences' || !Array.isArray(value.user_preferences)) return;
      for (const raw of value.user_preferences) {
        const parsed = userPreference.safeParse(raw);
        if (!parsed.success) continue;
        const preference = parsed.data;
        await recordConsent(tx, {
          waId: preference.wa_id,
          action: preference.value === 'stop' ? 'opt_out' : 'opt_in',
          source: 'meta_user_preferences',
          wording: preference.detail ?? null,
          eventId: `meta:preference:${preference.wa_id}:${preference.value}:${preference.timestamp}`,
          at: new Date(preference.timestamp * 1000),
        });
      }
    },

    async onPaymentSucceeded(tx, payment) {
      if (!options.capiEnabled || !payment.conversationId) return;
      const paidAt = payment.paidAt ? new Date(payment.paidAt) : clock.now();
      const [attribution] = await tx
        .select()
        .from(attributions)
        .where(
          and(
            eq(attributions.conversationId, payment.conversationId),
            isNotNull(attributions.ctwaClid),
            lte(attributions.at, paidAt),
          ),
        )
        .orderBy(desc(attributions.at), desc(attributions.id))
        .limit(1);
      if (!attribution?.ctwaClid) return;
      await queueCapiEvent(
        tx,
        {
          eventId: `capi:purchase:${payment.id}`,
          eventName: 'Purchase',
          ctwaClid: attribution.ctwaClid,
          eventTime: Math.floor(paidAt.getTime() / 1000),
          value: payment.amount - (payment.refundedAmount ?? 0),
          currency: payment.currency,
          campaignId: attribution.campaignId,
          conversationId: payment.conversationId,
        },
        clock.now(),
      );
    },
  };
}
