import { createHash, randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { eq, sql } from 'drizzle-orm';
import express, { type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import type { Clock } from '../engine/types.js';
import { CUSTOMER_WINDOW_MS } from '../jobs/outboxSender.js';
import type { StaffEventPayload } from '../jobs/handleEvent.js';
import type { Logger } from '../logger.js';
import { paymentLinkEffectId, type PaymentRequestPayload } from '../payments/handlePaymentQueueEvent.js';
import { Conflict, InvalidPayload, NotFound } from '../server/errors.js';
import {
  contacts,
  getConversation,
  inboundEvents,
  insertInboundEvents,
  insertOutbox,
  queryRows,
  staffReplies,
  type ConversationRow,
  type Db,
  type StaffUserRow,
} from '../store/index.js';
import type { ChangeFeed } from './createChangeFeed.js';
import type { InboxHub } from './createInboxHub.js';
import { principalOf, requireRole, staffOf } from './createStaffAuth.js';
import { Forbidden, NotSignedIn } from './errors.js';
import {
  addNote,
  assignHandoff,
  countQueue,
  getHandoff,
  listHandoffEvents,
  listNotes,
  listQueue,
  listTranscript,
  markFirstReply,
  markResolved,
  nextInRotation,
  queueItems,
  recordHandoffEvent,
  setTags,
  unassignHandoff,
} from './handoffRepo.js';
import type { InboxMetrics } from './inboxMetrics.js';
import type { QuickReply } from './loadQuickReplies.js';
import { renderTemplateBody, type WhatsAppTemplate } from './loadWhatsAppTemplates.js';
import { staffAdminRoutes } from './staffAdminRoutes.js';
import { paymentLinkBody, preparePaymentLink, type PaymentLinkOptions } from './inboxPayments.js';
import { jsonBody } from '../server/jsonBody.js';

/** Extra contact-panel sections other modules contribute (payments, orders), keyed by section name. */
export type ContactSections = (db: Db, conversation: ConversationRow) => Promise<Record<string, unknown>>;

export interface InboxApiOptions {
  db: Db;
  clock: Clock;
  logger: Logger;
  hub: InboxHub;
  feed: ChangeFeed;
  metrics: InboxMetrics;
  templates: WhatsAppTemplate[];
  quickReplies: QuickReply[];
  publicBaseUrl: string;
  inviteTtlMs: number;
  onEventStored(): void;
  onOutboxStored(): void;
  contactSections?: ContactSections;
  /** Staff payment links through the payment layer; without it the route answers 404. */
  paymentLinks?: PaymentLinkOptions;
}

const tabQuery = z.object({
  tab: z.enum(['waiting', 'mine', 'all', 'resolved']).default('waiting'),
  limit: z.coerce.number().int().min(1).max(200).default(100),
});
const replyBody = z.strictObject({
  text: z.string().trim().min(1, { message: 'write a message' }).max(4096),
});
const templateBody = z.strictObject({
  name: z.string().min(1).max(512),
  language: z.string().min(2).max(10),
  values: z.array(z.string().trim().min(1, { message: 'fill in every variable' }).max(1024)).max(20),
});
const assignBody = z.union([
  z.strictObject({ staffId: z.string().min(1).max(100) }),
  z.strictObject({ roundRobin: z.literal(true) }),
]);
const noteBody = z.strictObject({ text: z.string().trim().min(1, { message: 'write a note' }).max(4000) });
const tagsBody = z.strictObject({
  tags: z
    .array(
      z
        .string()
        .trim()
        .toLowerCase()
        .regex(/^[\p{L}\p{N}][\p{L}\p{N} _-]{0,29}$/u, {
          message: 'tags are 1–30 letters, digits, spaces, - or _',
        }),
    )
    .max(20),
});
const resolveBody = z.strictObject({
  closingText: z.string().trim().max(4096).nullable().default(null),
});
const eventsQuery = z.object({
  conversationId: z.string().max(200).optional(),
  before: z.coerce.number().int().positive().optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

/** Whether a free-form message may be sent now, and until when. */
export function windowOf(
  conversation: ConversationRow,
  now: Date,
): { open: boolean; closesAt: string | null } {
  if (!conversation.lastInboundAt) return { open: false, closesAt: null };
  const closes = conversation.lastInboundAt.getTime() + CUSTOMER_WINDOW_MS;
  return { open: now.getTime() < closes, closesAt: new Date(closes).toISOString() };
}

/**
 * The inbox's JSON API under `/api/inbox`, behind the API auth (token or staff session + CSRF).
 * Writes commit first, then tell the change feed, so a live update never shows what could still
 * roll back.
 */
export function inboxApiRouter(options: InboxApiOptions): Router {
  const { db, clock, hub, feed, metrics } = options;
  const router = express.Router();
  router.use(jsonBody('100kb'));
  router.use((_req, res, next) => next(res.locals.principal ? undefined : new NotSignedIn()));

  const load = async (id: string) => {
    const conversation = await getConversation(db, id);
    if (!conversation) throw new NotFound(`No conversation ${id}`);
    return conversation;
  };
  const idParam = (req: Request) => z.string().min(1).max(200).parse(req.params.id);

  /** The open handoff this staff member may act on; refusals say who has it. */
  async function ownedHandoff(conversation: ConversationRow, user: StaffUserRow, allowAdmin: boolean) {
    if (conversation.mode !== 'handoff')
      throw new Conflict('not_in_handoff', 'The bot has this conversation: take it over first');
    const handoff = await getHandoff(db, conversation.id);
    if (!handoff || handoff.status === 'resolved')
      throw new Conflict(
        'not_in_handoff',
        'This handoff is resolved; the bot is taking the conversation back',
      );
    if (handoff.assigneeId === user.id) return handoff;
    if (allowAdmin && user.role === 'admin') return handoff;
    if (handoff.assigneeId === null)
      throw new Conflict('not_assigned', 'Nobody has taken this conversation yet: take it first');
    const [owner] = await queueItems(db, [conversation.id]);
    throw new Forbidden(
      'owned_by_other',
      `${owner?.handoff?.assignee?.name ?? 'Another staff member'} has this conversation; ask them or an admin to assign it to you`,
    );
  }

  const idempotentId = (req: Request, scope: string) => {
    const key = req.get('idempotency-key');
    if (key !== undefined && (key.length < 1 || key.length > 200))
      throw new InvalidPayload('Idempotency-Key must be 1 to 200 characters');
    return `staff-${createHash('sha256')
      .update(`${scope}\n${key ?? randomUUID()}`)
      .digest('hex')
      .slice(0, 32)}`;
  };

  router.get('/me', (_req, res) => {
    const principal = principalOf(res);
    if (principal.kind === 'token') return void res.json({ kind: 'token' });
    const { user } = principal;
    res.json({
      kind: 'staff',
      user: { id: user.id, email: user.email, name: user.name, role: user.role },
      csrfToken: principal.csrfToken,
    });
  });

  router.get('/queue', async (req, res) => {
    const query = tabQuery.parse(req.query);
    const principal = principalOf(res);
    const me = principal.kind === 'staff' ? principal.user.id : null;
    if (query.tab === 'mine' && !me) throw new InvalidPayload('tab=mine needs a staff session');
    const [items, counts] = await Promise.all([
      listQueue(db, query.tab, me, query.limit),
      countQueue(db, me),
    ]);
    res.json({ tab: query.tab, items, counts, now: clock.now().toISOString() });
  });

  router.get('/conversations/:id', async (req, res) => {
    const conversation = await load(idParam(req));
    const [summary] = await queueItems(db, [conversation.id]);
    const [messages, notes, events, contactRows, referral, extra] = await Promise.all([
      listTranscript(db, conversation.id),
      listNotes(db, conversation.id),
      listHandoffEvents(db, { conversationId: conversation.id, limit: 50 }),
      db.select().from(contacts).where(eq(contacts.waId, conversation.waId)),
      queryRows<{ referral: unknown }>(
        db,
        sql`SELECT content->'referral' AS referral FROM messages
            WHERE conversation_id = ${conversation.id} AND direction = 'in' AND content ? 'referral'
            ORDER BY id LIMIT 1`,
      ),
      options.contactSections?.(db, conversation) ?? Promise.resolve({}),
    ]);
    const contact = contactRows[0];
    res.json({
      conversation: summary,
      window: windowOf(conversation, clock.now()),
      messages,
      notes,
      events,
      contact: {
        waId: conversation.waId,
        name: contact?.name ?? null,
        locale: contact?.locale ?? null,
        optedOut: contact?.optedOut ?? false,
        consentChangedAt: contact?.consentChangedAt?.toISOString() ?? null,
        consentSource: contact?.consentSource ?? null,
        firstSeenAt: contact?.createdAt.toISOString() ?? null,
        campaign: referral[0]?.referral ?? null,
        sections: extra,
      },
      now: clock.now().toISOString(),
    });
  });

  router.post('/conversations/:id/take', async (req, res) => {
    const user = staffOf(res);
    const conversation = await load(idParam(req));
    if (conversation.mode !== 'handoff') {
      // The bot has it: the takeover queues behind the customer's messages, like any staff action.
      const payload: StaffEventPayload = { action: 'takeover', reason: 'staff_takeover', by: user.id };
      await insertInboundEvents(
        db,
        [
          {
            source: 'staff',
            kind: 'staff',
            externalId: `staff:${idempotentId(req, `take:${conversation.id}`)}`,
            conversationId: conversation.id,
            payload,
          },
        ],
        clock.now(),
      );
      options.onEventStored();
      return void res.status(202).json({ accepted: true, takenOver: true });
    }
    const now = clock.now();
    const assigned = await db.transaction(async (tx) => {
      const row = await assignHandoff(tx as unknown as Db, conversation.id, user.id, now, null);
      if (row)
        await recordHandoffEvent(tx as unknown as Db, {
          conversationId: conversation.id,
          type: 'assigned',
          actor: { staffId: user.id },
          at: now,
          detail: { to: user.id, took: true },
        });
      return row;
    });
    if (!assigned) {
      const handoff = await getHandoff(db, conversation.id);
      if (handoff?.assigneeId === user.id) return void res.json({ assigned: true, already: true });
      await ownedHandoff(conversation, user, false);
      throw new Conflict('not_in_handoff', 'This handoff is resolved');
    }
    metrics.handoffEvents.inc({ type: 'assigned' });
    feed.touched({ conversationId: conversation.id });
    res.json({ assigned: true });
  });

  router.post('/conversations/:id/assign', async (req, res) => {
    const user = staffOf(res);
    const body = assignBody.parse(req.body ?? {});
    const conversation = await load(idParam(req));
    const handoff = await getHandoff(db, conversation.id);
    if (conversation.mode !== 'handoff' || !handoff || handoff.status === 'resolved')
      throw new Conflict('not_in_handoff', 'Only conversations waiting for staff can be assigned');
    if (user.role !== 'admin' && handoff.assigneeId !== null && handoff.assigneeId !== user.id)
      await ownedHandoff(conversation, user, false);
    const target = 'staffId' in body ? body.staffId : await nextInRotation(db);
    if (!target) throw new Conflict('nobody_available', 'No active staff member can take conversations');
    const targetRows = await queryRows<{ active: boolean; has_password: boolean }>(
      db,
      sql`SELECT active, password_hash IS NOT NULL AS has_password FROM staff_users WHERE id = ${target}`,
    );
    if (!targetRows[0]?.active || !targetRows[0].has_password)
      throw new InvalidPayload('staffId: no active staff member with this id');
    const now = clock.now();
    const row = await db.transaction(async (tx) => {
      const updated = await assignHandoff(
        tx as unknown as Db,
        conversation.id,
        target,
        now,
        handoff.assigneeId,
      );
      if (updated)
        await recordHandoffEvent(tx as unknown as Db, {
          conversationId: conversation.id,
          type: 'assigned',
          actor: { staffId: user.id },
          at: now,
          detail: {
            to: target,
            from: handoff.assigneeId,
            ...('roundRobin' in body ? { roundRobin: true } : {}),
          },
        });
      return updated;
    });
    if (!row)
      throw new Conflict('changed_meanwhile', 'Someone else changed this conversation; reload and try again');
    metrics.handoffEvents.inc({ type: 'assigned' });
    feed.touched({ conversationId: conversation.id });
    res.json({ assigned: true, staffId: target });
  });

  router.post('/conversations/:id/unassign', async (req, res) => {
    const user = staffOf(res);
    const conversation = await load(idParam(req));
    await ownedHandoff(conversation, user, true);
    const now = clock.now();
    await db.transaction(async (tx) => {
      await unassignHandoff(tx as unknown as Db, conversation.id, now);
      await recordHandoffEvent(tx as unknown as Db, {
        conversationId: conversation.id,
        type: 'unassigned',
        actor: { staffId: user.id },
        at: now,
      });
    });
    metrics.handoffEvents.inc({ type: 'unassigned' });
    feed.touched({ conversationId: conversation.id });
    res.json({ assigned: false });
  });

  router.post('/conversations/:id/reply', async (req, res) => {
    const user = staffOf(res);
    const body = replyBody.parse(req.body ?? {});
    const conversation = await load(idParam(req));
    await ownedHandoff(conversation, user, false);
    const now = clock.now();
    // Checked on the server, whatever the page shows: WhatsApp drops free text after 24 hours.
    if (!windowOf(conversation, now).open)
      throw new Conflict(
        'outside_window',
        "The customer's last message is more than 24 hours old, so WhatsApp only delivers approved templates now: send a template instead",
      );
    const id = idempotentId(req, `reply:${user.id}:${conversation.id}`);
    const duplicate = await send(conversation, user, id, { type: 'SendText', id, text: body.text }, now);
    metrics.staffReplies.inc({ kind: 'text' });
    res.status(202).json({ accepted: true, outboxId: id, duplicate });
  });

  router.post('/conversations/:id/template', async (req, res) => {
    const user = staffOf(res);
    const body = templateBody.parse(req.body ?? {});
    const conversation = await load(idParam(req));
    await ownedHandoff(conversation, user, false);
    const template = options.templates.find((t) => t.name === body.name);
    if (!template) throw new InvalidPayload(`name: no approved template called ${body.name}`);
    const text = template.languages[body.language];
    if (!text)
      throw new InvalidPayload(
        `language: ${body.name} is approved in ${Object.keys(template.languages).join(', ')}, not ${body.language}`,
      );
    if (body.values.length !== template.variables.length)
      throw new InvalidPayload(`values: ${body.name} needs ${template.variables.length} value(s)`);
    const now = clock.now();
    const id = idempotentId(req, `template:${user.id}:${conversation.id}`);
    const duplicate = await send(
      conversation,
      user,
      id,
      {
        type: 'SendTemplate',
        id,
        name: template.name,
        language: body.language,
        components: body.values.length
          ? [{ type: 'body', parameters: body.values.map((value) => ({ type: 'text', text: value })) }]
          : [],
      },
      now,
    );
    metrics.staffReplies.inc({ kind: 'template' });
    res
      .status(202)
      .json({ accepted: true, outboxId: id, duplicate, preview: renderTemplateBody(text, body.values) });
  });

  // A payment link is a free-form message: same owner and 24-hour rules as a reply, and the
  // payment layer's limits are checked here so staff see the refusal.
  router.post('/conversations/:id/payment-link', async (req, res) => {
    const user = staffOf(res);
    const links = options.paymentLinks;
    if (!links) throw new NotFound('Payments are not available here');
    const body = paymentLinkBody.parse(req.body ?? {});
    const conversation = await load(idParam(req));
    await ownedHandoff(conversation, user, false);
    const now = clock.now();
    if (!windowOf(conversation, now).open)
      throw new Conflict(
        'outside_window',
        "The customer's last message is more than 24 hours old, so WhatsApp would not deliver the link: send a template first and wait for the customer to answer",
      );
    const request = await preparePaymentLink(db, conversation, body, links, now);
    const payload: PaymentRequestPayload = { ...request, items: [] };
    const externalId = `payment_request:${idempotentId(req, `pay:${user.id}:${conversation.id}`)}`;
    const stored = await db.transaction(async (tx) => {
      const t = tx as unknown as Db;
      const count = await insertInboundEvents(
        t,
        [{ source: 'staff', kind: 'payment_request', externalId, conversationId: conversation.id, payload }],
        now,
      );
      if (count === 0) return 0;
      // The link message is written by the worker under an id derived from this event: sign it
      // with the staff member's name in the transcript, like their replies.
      const [event] = await t
        .select({ id: inboundEvents.id })
        .from(inboundEvents)
        .where(eq(inboundEvents.externalId, externalId));
      if (event)
        await t
          .insert(staffReplies)
          .values({
            outboxId: `${paymentLinkEffectId(event.id)}:link`,
            conversationId: conversation.id,
            staffId: user.id,
            createdAt: now,
          })
          .onConflictDoNothing();
      return count;
    });
    options.onEventStored();
    metrics.staffReplies.inc({ kind: 'payment_link' });
    res.status(202).json({
      accepted: true,
      duplicate: stored === 0,
      reference: request.reference,
      amount: request.amount,
      currency: request.currency,
    });
  });

  async function send(
    conversation: ConversationRow,
    user: StaffUserRow,
    id: string,
    effect: { type: 'SendText' | 'SendTemplate'; id: string } & Record<string, unknown>,
    now: Date,
  ): Promise<boolean> {
    const result = await db.transaction(async (tx) => {
      const t = tx as unknown as Db;
      const inserted = await t
        .insert(staffReplies)
        .values({ outboxId: id, conversationId: conversation.id, staffId: user.id, createdAt: now })
        .onConflictDoNothing()
        .returning({ id: staffReplies.outboxId });
      if (inserted.length === 0) return { duplicate: true, firstReply: null };
      await insertOutbox(
        t,
        [
          {
            id,
            conversationId: conversation.id,
            recipient: conversation.waId,
            kind: effect.type,
            payload: effect,
          },
        ],
        now,
      );
      return { duplicate: false, firstReply: await markFirstReply(t, conversation.id, now) };
    });
    if (result.firstReply !== null) metrics.firstReplySeconds.observe(result.firstReply);
    options.onOutboxStored();
    feed.touched({ conversationId: conversation.id });
    return result.duplicate;
  }

  router.post('/conversations/:id/notes', async (req, res) => {
    const user = staffOf(res);
    const body = noteBody.parse(req.body ?? {});
    const conversation = await load(idParam(req));
    const id = await addNote(db, {
      conversationId: conversation.id,
      authorId: user.id,
      text: body.text,
      at: clock.now(),
    });
    const [note] = await listNotes(db, conversation.id, [id]);
    if (note) hub.publish({ type: 'note', note });
    res.status(201).json({ note });
  });

  router.put('/conversations/:id/tags', async (req, res) => {
    staffOf(res);
    const body = tagsBody.parse(req.body ?? {});
    const conversation = await load(idParam(req));
    const tags = [...new Set(body.tags)];
    if (!(await setTags(db, conversation.id, tags, clock.now())))
      throw new Conflict(
        'not_in_handoff',
        'Tags belong to a handoff: this conversation was never handed to staff',
      );
    feed.touched({ conversationId: conversation.id });
    res.json({ tags });
  });

  router.post('/conversations/:id/resolve', async (req, res) => {
    const user = staffOf(res);
    const body = resolveBody.parse(req.body ?? {});
    const conversation = await load(idParam(req));
    await ownedHandoff(conversation, user, true);
    const now = clock.now();
    const closingText = body.closingText || null;
    if (closingText && !windowOf(conversation, now).open)
      throw new Conflict(
        'outside_window',
        "The customer's last message is more than 24 hours old: resolve without a closing message, or send a template first",
      );
    const payload: StaffEventPayload = { action: 'release', closingText, by: user.id };
    await db.transaction(async (tx) => {
      const t = tx as unknown as Db;
      await markResolved(t, conversation.id, now);
      await recordHandoffEvent(t, {
        conversationId: conversation.id,
        type: 'resolved',
        actor: { staffId: user.id },
        at: now,
        detail: { closingMessage: closingText !== null },
      });
      await insertInboundEvents(
        t,
        [
          {
            source: 'staff',
            kind: 'staff',
            externalId: `staff:${idempotentId(req, `resolve:${conversation.id}`)}`,
            conversationId: conversation.id,
            payload,
          },
        ],
        now,
      );
    });
    metrics.handoffEvents.inc({ type: 'resolved' });
    options.onEventStored();
    feed.touched({ conversationId: conversation.id });
    res.status(202).json({ accepted: true });
  });

  router.get('/handoff-events', async (req, res) => {
    const query = eventsQuery.parse(req.query);
    res.json({ events: await listHandoffEvents(db, query) });
  });

  router.get('/templates', (_req, res) => void res.json({ templates: options.templates }));
  router.get('/quick-replies', (_req, res) => void res.json({ quickReplies: options.quickReplies }));

  router.get('/stream', (req, res) => {
    principalOf(res);
    openStream(req, res, hub);
    metrics.liveStreams.inc();
  });

  router.use(
    '/staff',
    requireRole('admin'),
    staffAdminRoutes({
      db,
      clock,
      publicBaseUrl: options.publicBaseUrl,
      inviteTtlMs: options.inviteTtlMs,
      onReleased: (ids) => ids.forEach((conversationId) => feed.touched({ conversationId })),
    }),
  );

  return router;
}

/**
 * One Server-Sent Events stream. Heartbeats keep proxies from closing it; it ends when the server
 * stops listening, so a graceful shutdown is not held open by pages.
 */
function openStream(req: Request, res: Response, hub: InboxHub): void {
  res.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache, no-transform',
    Connection: 'keep-alive',
    'X-Accel-Buffering': 'no',
  });
  res.write('retry: 2000\n: connected\n\n');
  const server = (req.socket as { server?: Server }).server;
  // Updates published together (one change-feed flush) leave in one write per stream.
  let pending = '';
  const flush = () => {
    if (!res.writableEnded && pending) res.write(pending);
    pending = '';
  };
  const unsubscribe = hub.subscribe((_update, chunk) => {
    if (!pending) setImmediate(flush);
    pending += chunk;
  });
  let beats = 0;
  const ticker = setInterval(() => {
    if (server && !server.listening) return void res.end();
    if (++beats % 15 === 0 && !res.writableEnded) res.write(': ping\n\n');
  }, 1_000).unref();
  const cleanup = () => {
    clearInterval(ticker);
    unsubscribe();
  };
  res.on('close', cleanup);
}
