import { sql } from 'drizzle-orm';
import {
  bigserial,
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  smallint,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';

const createdAt = () => timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow();
const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/** People who write to the business. `wa_id` is the WhatsApp id Meta gives us. */
export const contacts = pgTable('contacts', {
  waId: text('wa_id').primaryKey(),
  name: text('name'),
  locale: text('locale'),
  optedOut: boolean('opted_out').notNull().default(false),
  consentChangedAt: ts('consent_changed_at'),
  consentSource: text('consent_source'),
  createdAt: createdAt(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
});

/** Every opt-in and opt-out, kept so consent can be proven on audit. */
export const consentEvents = pgTable(
  'consent_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    waId: text('wa_id').notNull(),
    action: text('action', { enum: ['opt_in', 'opt_out'] }).notNull(),
    source: text('source').notNull(),
    wording: text('wording'),
    eventId: text('event_id'),
    at: ts('at').notNull(),
  },
  (t) => [index('consent_events_wa_id').on(t.waId, t.at), uniqueIndex('consent_events_event').on(t.eventId)],
);

/** One conversation per (business number, customer). Holds the flow state and the mode. */
export const conversations = pgTable(
  'conversations',
  {
    id: text('id').primaryKey(),
    phoneNumberId: text('phone_number_id').notNull(),
    waId: text('wa_id').notNull(),
    mode: text('mode', { enum: ['bot', 'handoff', 'closed'] })
      .notNull()
      .default('bot'),
    state: jsonb('state'),
    flowVersion: integer('flow_version'),
    handoffReason: text('handoff_reason'),
    lastInboundAt: ts('last_inbound_at'),
    createdAt: createdAt(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [index('conversations_wa_id').on(t.waId)],
);

/**
 * The durable inbox: webhooks, timers and staff actions land here before anything else happens.
 * `external_id` is the dedupe key (wamid, status id + status, provider event id).
 */
export const inboundEvents = pgTable(
  'inbound_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    source: text('source', { enum: ['whatsapp', 'stripe', 'timer', 'staff', 'system'] }).notNull(),
    kind: text('kind').notNull(),
    externalId: text('external_id').notNull(),
    conversationId: text('conversation_id'),
    payload: jsonb('payload').notNull(),
    status: text('status', { enum: ['pending', 'done', 'dead', 'unparsed'] })
      .notNull()
      .default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: ts('next_attempt_at').notNull().defaultNow(),
    lastError: text('last_error'),
    receivedAt: ts('received_at').notNull().defaultNow(),
    processingStartedAt: ts('processing_started_at'),
    processedAt: ts('processed_at'),
    processedBy: text('processed_by'),
  },
  (t) => [
    uniqueIndex('inbound_events_external_id').on(t.externalId),
    index('inbound_events_pending')
      .on(t.conversationId, t.id)
      .where(sql`${t.status} = 'pending'`),
    index('inbound_events_status').on(t.status, t.id),
  ],
);

/** The transcript: what the customer sent and what we sent, with delivery status. */
export const messages = pgTable(
  'messages',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    conversationId: text('conversation_id').notNull(),
    direction: text('direction', { enum: ['in', 'out'] }).notNull(),
    wamid: text('wamid'),
    outboxId: text('outbox_id'),
    type: text('type').notNull(),
    content: jsonb('content').notNull(),
    status: text('status', {
      enum: ['received', 'accepted', 'sent', 'delivered', 'read', 'failed'],
    }).notNull(),
    errorCode: integer('error_code'),
    errorTitle: text('error_title'),
    createdAt: createdAt(),
    statusAt: ts('status_at'),
  },
  (t) => [
    uniqueIndex('messages_wamid').on(t.wamid),
    uniqueIndex('messages_outbox_id').on(t.outboxId),
    index('messages_conversation').on(t.conversationId, t.id),
  ],
);

/**
 * Effects waiting to reach the outside world. The id is derived from (event id, effect index),
 * so a replayed turn writes the same keys and cannot send twice.
 */
export const outbox = pgTable(
  'outbox',
  {
    id: text('id').primaryKey(),
    /** Creation order; messages to one recipient leave in this order. */
    seq: bigserial('seq', { mode: 'number' }).notNull(),
    conversationId: text('conversation_id'),
    recipient: text('recipient'),
    kind: text('kind').notNull(),
    payload: jsonb('payload').notNull(),
    status: text('status', { enum: ['pending', 'sending', 'sent', 'failed'] })
      .notNull()
      .default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: ts('next_attempt_at').notNull().defaultNow(),
    leaseUntil: ts('lease_until'),
    lastError: text('last_error'),
    errorCode: integer('error_code'),
    wamid: text('wamid'),
    ambiguous: boolean('ambiguous').notNull().default(false),
    /** 0: conversation replies, sent first; 1: bulk (broadcasts), sent with what capacity is left. */
    priority: smallint('priority').notNull().default(0),
    createdAt: createdAt(),
    sentAt: ts('sent_at'),
  },
  (t) => [
    index('outbox_pending')
      .on(t.recipient, t.seq)
      .where(sql`${t.status} in ('pending', 'sending')`),
    index('outbox_due')
      .on(t.seq)
      .where(sql`${t.status} = 'pending'`),
    index('outbox_due_by_priority')
      .on(t.priority, t.seq)
      .where(sql`${t.status} = 'pending'`),
    index('outbox_leases')
      .on(t.leaseUntil)
      .where(sql`${t.status} = 'sending'`),
  ],
);

/** Durable timers: when due they become inbound events of their conversation. */
export const timers = pgTable(
  'timers',
  {
    id: text('id').primaryKey(),
    conversationId: text('conversation_id').notNull(),
    name: text('name').notNull(),
    fireAt: ts('fire_at').notNull(),
    payload: jsonb('payload'),
    status: text('status', { enum: ['scheduled', 'fired', 'cancelled'] })
      .notNull()
      .default('scheduled'),
    createdAt: createdAt(),
  },
  (t) => [
    index('timers_due')
      .on(t.fireAt)
      .where(sql`${t.status} = 'scheduled'`),
    index('timers_conversation').on(t.conversationId, t.name),
  ],
);

// ---------------------------------------------------------------------------------------------
// campaigns: click-to-WhatsApp attribution, campaigns, broadcasts, funnel, Conversions API
// ---------------------------------------------------------------------------------------------

/** A marketing campaign: ad ids and/or a ref code mapped to an entry flow. */
export const campaigns = pgTable(
  'campaigns',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    /** Upper-case code carried by our own links as `[ref:CODE]`; null for ad-only campaigns. */
    refCode: text('ref_code'),
    /** Meta ad ids (`referral.source_id`) that belong to this campaign. */
    adIds: jsonb('ad_ids').$type<string[]>().notNull().default([]),
    entryFlow: text('entry_flow').notNull(),
    welcomeText: text('welcome_text'),
    /** Text prefilled in the wa.me link, before the ref marker. */
    prefillText: text('prefill_text'),
    /** Money spent on the campaign, minor units of `cost_currency`. */
    costAmount: integer('cost_amount'),
    costCurrency: text('cost_currency'),
    archived: boolean('archived').notNull().default(false),
    createdAt: createdAt(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [uniqueIndex('campaigns_ref_code').on(t.refCode)],
);

/** One row per visit of a campaign's `/c/:code` redirect link. */
export const campaignClicks = pgTable(
  'campaign_clicks',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    campaignId: text('campaign_id').notNull(),
    at: ts('at').notNull(),
  },
  (t) => [index('campaign_clicks_campaign').on(t.campaignId, t.at)],
);

/**
 * Where a conversation came from: a click-to-WhatsApp ad (`referral`) or one of our own links
 * (`[ref:CODE]`). One row per attributed message; the first one of a conversation is its origin.
 * An ad click opens Meta's 72-hour free entry-point window, stored as `free_window_until`.
 */
export const attributions = pgTable(
  'attributions',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    conversationId: text('conversation_id').notNull(),
    waId: text('wa_id').notNull(),
    campaignId: text('campaign_id'),
    kind: text('kind', { enum: ['ad', 'ref'] }).notNull(),
    refCode: text('ref_code'),
    sourceId: text('source_id'),
    sourceType: text('source_type'),
    sourceUrl: text('source_url'),
    ctwaClid: text('ctwa_clid'),
    headline: text('headline'),
    body: text('body'),
    wamid: text('wamid').notNull(),
    at: ts('at').notNull(),
    freeWindowUntil: ts('free_window_until'),
    /** When a LeadSubmitted event was queued for this attribution (once). */
    leadQueuedAt: ts('lead_queued_at'),
  },
  (t) => [
    uniqueIndex('attributions_wamid').on(t.wamid),
    index('attributions_conversation').on(t.conversationId, t.at),
    index('attributions_campaign').on(t.campaignId, t.at),
    index('attributions_wa_id').on(t.waId, t.at),
  ],
);

/** Funnel steps a conversation reached that the transcript alone does not show (quote/cart). */
export const funnelMarks = pgTable(
  'funnel_marks',
  {
    conversationId: text('conversation_id').notNull(),
    stage: text('stage', { enum: ['cart'] }).notNull(),
    at: ts('at').notNull(),
  },
  (t) => [uniqueIndex('funnel_marks_key').on(t.conversationId, t.stage)],
);

/** A template broadcast: draft → confirmed (sending) ⇄ paused → done | cancelled. */
export const broadcasts = pgTable('broadcasts', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  campaignId: text('campaign_id'),
  templateName: text('template_name').notNull(),
  /** Variable name → where its value comes from (fixed text, a contact field or a CSV column). */
  variables: jsonb('variables').notNull(),
  audience: jsonb('audience').notNull(),
  /** Contacts who received a marketing message this recently are skipped. */
  frequencyCapHours: integer('frequency_cap_hours').notNull(),
  status: text('status', { enum: ['draft', 'sending', 'paused', 'done', 'cancelled'] })
    .notNull()
    .default('draft'),
  createdAt: createdAt(),
  confirmedAt: ts('confirmed_at'),
  finishedAt: ts('finished_at'),
});

/**
 * One row per candidate recipient of a broadcast, with why it was excluded or where its message
 * is. `waiting` rows are queued into the outbox a little at a time, so pause and cancel act at once.
 */
export const broadcastRecipients = pgTable(
  'broadcast_recipients',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    broadcastId: text('broadcast_id').notNull(),
    /** Normalised digits; for invalid numbers, what was given. */
    waId: text('wa_id').notNull(),
    name: text('name'),
    locale: text('locale'),
    /** CSV columns for this recipient. */
    fields: jsonb('fields').$type<Record<string, string>>().notNull().default({}),
    state: text('state', { enum: ['excluded', 'waiting', 'queued', 'cancelled'] }).notNull(),
    reason: text('reason'),
    outboxId: text('outbox_id'),
    queuedAt: ts('queued_at'),
  },
  (t) => [
    index('broadcast_recipients_state').on(t.broadcastId, t.state, t.id),
    uniqueIndex('broadcast_recipients_outbox').on(t.outboxId),
  ],
);

/** Conversions API events, one per (attribution, event): what was sent to Meta and how it went. */
export const capiEvents = pgTable(
  'capi_events',
  {
    id: text('id').primaryKey(),
    campaignId: text('campaign_id'),
    conversationId: text('conversation_id').notNull(),
    eventName: text('event_name', { enum: ['LeadSubmitted', 'Purchase'] }).notNull(),
    ctwaClid: text('ctwa_clid').notNull(),
    value: integer('value'),
    currency: text('currency'),
    status: text('status', { enum: ['queued', 'sent', 'failed'] })
      .notNull()
      .default('queued'),
    error: text('error'),
    createdAt: createdAt(),
    sentAt: ts('sent_at'),
  },
  (t) => [index('capi_events_campaign').on(t.campaignId, t.createdAt)],
);

/* ----------------------------------------------------------------------------------------- */
/* Handoff inbox: staff accounts, sessions, invites, handoffs, notes, staff replies            */
/* ----------------------------------------------------------------------------------------- */

/** People who work the inbox. No password hash until an invited person sets one. */
export const staffUsers = pgTable(
  'staff_users',
  {
    id: text('id').primaryKey(),
    email: text('email').notNull(),
    name: text('name').notNull(),
    role: text('role', { enum: ['admin', 'agent'] }).notNull(),
    passwordHash: text('password_hash'),
    active: boolean('active').notNull().default(true),
    /** Last time round-robin gave this person a conversation. */
    lastAssignedAt: ts('last_assigned_at'),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('staff_users_email').on(t.email)],
);

/** Signed-in browsers. Only a SHA-256 of the cookie value is stored. */
export const staffSessions = pgTable(
  'staff_sessions',
  {
    idHash: text('id_hash').primaryKey(),
    userId: text('user_id').notNull(),
    csrfToken: text('csrf_token').notNull(),
    createdAt: createdAt(),
    lastSeenAt: ts('last_seen_at').notNull(),
    expiresAt: ts('expires_at').notNull(),
  },
  (t) => [index('staff_sessions_user').on(t.userId)],
);

/** One-time links that let an invited person set a password. Only a hash of the token is stored. */
export const staffInvites = pgTable('staff_invites', {
  tokenHash: text('token_hash').primaryKey(),
  userId: text('user_id').notNull(),
  createdBy: text('created_by'),
  expiresAt: ts('expires_at').notNull(),
  usedAt: ts('used_at'),
  createdAt: createdAt(),
});

/** The current (or last) handoff of each conversation: who has it and since when. */
export const handoffs = pgTable(
  'handoffs',
  {
    conversationId: text('conversation_id').primaryKey(),
    status: text('status', { enum: ['waiting', 'assigned', 'resolved'] }).notNull(),
    reason: text('reason').notNull(),
    assigneeId: text('assignee_id'),
    startedAt: ts('started_at').notNull(),
    assignedAt: ts('assigned_at'),
    firstReplyAt: ts('first_reply_at'),
    resolvedAt: ts('resolved_at'),
    tags: jsonb('tags').$type<string[]>().notNull().default([]),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [index('handoffs_status').on(t.status, t.startedAt), index('handoffs_assignee').on(t.assigneeId)],
);

/** Who did what to a handoff and when: started, assigned, resolved, bot resumed, pickup timeout. */
export const handoffEvents = pgTable(
  'handoff_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    conversationId: text('conversation_id').notNull(),
    type: text('type', {
      enum: ['started', 'assigned', 'unassigned', 'resolved', 'bot_resumed', 'pickup_timeout'],
    }).notNull(),
    /** Staff user id; null for the bot, the customer or the system (see `detail.by`). */
    actorId: text('actor_id'),
    detail: jsonb('detail').notNull().default({}),
    at: ts('at').notNull(),
  },
  (t) => [
    index('handoff_events_conversation').on(t.conversationId, t.id),
    index('handoff_events_at').on(t.at),
  ],
);

/** Private notes staff leave on a conversation; the customer never sees them. */
export const conversationNotes = pgTable(
  'conversation_notes',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    conversationId: text('conversation_id').notNull(),
    authorId: text('author_id').notNull(),
    text: text('text').notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('conversation_notes_conversation').on(t.conversationId, t.id)],
);

/** Which staff member wrote an outbound message (joined to `messages` by outbox id). */
export const staffReplies = pgTable(
  'staff_replies',
  {
    outboxId: text('outbox_id').primaryKey(),
    conversationId: text('conversation_id').notNull(),
    staffId: text('staff_id').notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('staff_replies_conversation').on(t.conversationId)],
);

export type StaffUserRow = typeof staffUsers.$inferSelect;
export type HandoffRow = typeof handoffs.$inferSelect;

export type InboundEventRow = typeof inboundEvents.$inferSelect;
export type OutboxRow = typeof outbox.$inferSelect;
export type ConversationRow = typeof conversations.$inferSelect;
export type MessageRow = typeof messages.$inferSelect;
export type CampaignRow = typeof campaigns.$inferSelect;
export type AttributionRow = typeof attributions.$inferSelect;
export type BroadcastRow = typeof broadcasts.$inferSelect;
export type BroadcastRecipientRow = typeof broadcastRecipients.$inferSelect;

// ─── Payments: payment records, their transitions, refunds, bookings and invoice orders ───

/**
 * One request for money. The id derives from the RequestPayment effect id, so a replayed turn
 * cannot create a second payment; the token is the unguessable part of the `/pay/<token>` link.
 */
export const payments = pgTable(
  'payments',
  {
    id: text('id').primaryKey(),
    reference: text('reference').notNull(),
    conversationId: text('conversation_id').notNull(),
    waId: text('wa_id').notNull(),
    purpose: text('purpose', { enum: ['order', 'deposit', 'quote', 'invoice', 'link'] }).notNull(),
    subjectId: text('subject_id'),
    amount: integer('amount').notNull(),
    currency: text('currency').notNull(),
    refundedAmount: integer('refunded_amount').notNull().default(0),
    description: text('description').notNull(),
    items: jsonb('items').notNull().default([]),
    status: text('status', {
      enum: ['created', 'pending', 'succeeded', 'failed', 'expired', 'partially_refunded', 'refunded'],
    })
      .notNull()
      .default('created'),
    provider: text('provider', { enum: ['stripe', 'whatsapp', 'sandbox'] }).notNull(),
    providerRef: text('provider_ref'),
    checkoutUrl: text('checkout_url'),
    token: text('token').notNull(),
    locale: text('locale').notNull(),
    /** The payment this one replaces after a failure or expiry ("a fresh link"). */
    retryOf: text('retry_of'),
    expiresAt: ts('expires_at').notNull(),
    paidAt: ts('paid_at'),
    lastCheckedAt: ts('last_checked_at'),
    createdAt: createdAt(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('payments_token').on(t.token),
    index('payments_wa_id').on(t.waId, t.createdAt),
    index('payments_open')
      .on(t.createdAt)
      .where(sql`${t.status} in ('created', 'pending')`),
    index('payments_reference').on(t.reference),
  ],
);

/** Every status change of a payment, with the event that caused it; a source event counts once. */
export const paymentTransitions = pgTable(
  'payment_transitions',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    paymentId: text('payment_id').notNull(),
    from: text('from').notNull(),
    to: text('to').notNull(),
    refundedAmount: integer('refunded_amount').notNull().default(0),
    sourceEventId: text('source_event_id').notNull(),
    at: ts('at').notNull(),
  },
  (t) => [
    uniqueIndex('payment_transitions_source').on(t.sourceEventId),
    index('payment_transitions_payment').on(t.paymentId, t.id),
  ],
);

/** A refund request and its way through approval and the provider. */
export const refunds = pgTable(
  'refunds',
  {
    id: text('id').primaryKey(),
    paymentId: text('payment_id').notNull(),
    amount: integer('amount').notNull(),
    status: text('status', {
      enum: ['requested', 'approved', 'processing', 'refunded', 'rejected'],
    }).notNull(),
    reason: text('reason').notNull(),
    requestedBy: text('requested_by').notNull(),
    decidedBy: text('decided_by'),
    decisionNote: text('decision_note'),
    providerRef: text('provider_ref'),
    idempotencyKey: text('idempotency_key').notNull(),
    lastError: text('last_error'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: ts('next_attempt_at'),
    createdAt: createdAt(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('refunds_idempotency_key').on(t.idempotencyKey),
    index('refunds_payment').on(t.paymentId),
    index('refunds_status').on(t.status, t.createdAt),
  ],
);

/** Booked time at the business; a held slot blocks the calendar until its deposit is paid or the hold ends. */
export const bookings = pgTable(
  'bookings',
  {
    id: text('id').primaryKey(),
    reference: text('reference').notNull(),
    waId: text('wa_id').notNull(),
    conversationId: text('conversation_id').notNull(),
    serviceId: text('service_id').notNull(),
    start: ts('start').notNull(),
    end: ts('end').notNull(),
    status: text('status', { enum: ['held', 'confirmed', 'released', 'cancelled'] }).notNull(),
    holdExpiresAt: ts('hold_expires_at'),
    depositPaymentId: text('deposit_payment_id'),
    price: integer('price').notNull(),
    deposit: integer('deposit').notNull().default(0),
    balance: integer('balance').notNull(),
    createdAt: createdAt(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    index('bookings_active')
      .on(t.start)
      .where(sql`${t.status} in ('held', 'confirmed')`),
    index('bookings_wa_id').on(t.waId, t.start),
    uniqueIndex('bookings_reference').on(t.reference),
  ],
);

/** An invoice the business wants paid through the chat; the customer names it by reference. */
export const invoiceOrders = pgTable(
  'invoice_orders',
  {
    reference: text('reference').primaryKey(),
    waId: text('wa_id').notNull(),
    amount: integer('amount').notNull(),
    currency: text('currency').notNull(),
    /** Local date in the business time zone, YYYY-MM-DD. */
    dueDate: text('due_date').notNull(),
    description: text('description').notNull(),
    status: text('status', { enum: ['open', 'paid', 'cancelled'] })
      .notNull()
      .default('open'),
    paymentId: text('payment_id'),
    paidAt: ts('paid_at'),
    createdAt: createdAt(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [index('invoice_orders_wa_id').on(t.waId), index('invoice_orders_status').on(t.status, t.dueDate)],
);

/** Reminders already sent, one row per (subject, step), so a reminder goes out once. */
export const paymentReminders = pgTable('payment_reminders', {
  id: text('id').primaryKey(),
  subject: text('subject').notNull(),
  sentAt: ts('sent_at').notNull(),
});

export type PaymentRow = typeof payments.$inferSelect;
export type RefundRow = typeof refunds.$inferSelect;
export type BookingRow = typeof bookings.$inferSelect;
export type InvoiceOrderRow = typeof invoiceOrders.$inferSelect;
