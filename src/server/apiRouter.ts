import { randomUUID } from 'node:crypto';
import { and, desc, eq, lt } from 'drizzle-orm';
import express, { type Router } from 'express';
import { z } from 'zod';
import type { StaffEventPayload } from '../jobs/handleEvent.js';
import {
  conversations,
  getConversation,
  inboundEvents,
  insertInboundEvents,
  listMessages,
  retryDeadEvent,
  type Db,
} from '../store/index.js';
import type { Clock } from '../engine/types.js';
import { InvalidPayload, NotFound } from './errors.js';
import { jsonBody } from './jsonBody.js';

const listQuery = z.object({
  mode: z.enum(['bot', 'handoff', 'closed']).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
const eventsQuery = z.object({
  status: z.enum(['pending', 'done', 'dead', 'unparsed']).default('dead'),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  before: z.coerce.number().int().positive().optional(),
});
const takeoverBody = z.object({ reason: z.string().min(1).max(100).default('staff_takeover') });
const releaseBody = z.object({ closingText: z.string().min(1).max(4096).nullable().default(null) });

/** The JSON API behind the web pages. Every route needs the API token (mounted behind it). */
export function apiRouter(db: Db, clock: Clock, onEventStored: () => void): Router {
  const router = express.Router();
  router.use(jsonBody('100kb'));

  router.get('/conversations', async (req, res) => {
    const query = listQuery.parse(req.query);
    const rows = await db
      .select()
      .from(conversations)
      .where(query.mode ? eq(conversations.mode, query.mode) : undefined)
      .orderBy(desc(conversations.updatedAt))
      .limit(query.limit);
    res.json({ conversations: rows });
  });

  router.get('/conversations/:id', async (req, res) => {
    const conversation = await getConversation(db, req.params.id);
    if (!conversation) throw new NotFound(`No conversation ${req.params.id}`);
    res.json({ conversation, messages: await listMessages(db, conversation.id) });
  });

  // Staff actions become events of the conversation, so they queue behind the customer's messages.
  const staffEvent = (action: (body: unknown) => StaffEventPayload) =>
    (async (req, res) => {
      const conversation = await getConversation(db, req.params.id as string);
      if (!conversation) throw new NotFound(`No conversation ${req.params.id}`);
      const key = req.get('idempotency-key') ?? randomUUID();
      if (key.length > 200) throw new InvalidPayload('Idempotency-Key is longer than 200 characters');
      const payload = action(req.body ?? {});
      const stored = await insertInboundEvents(
        db,
        [
          {
            source: 'staff',
            kind: 'staff',
            externalId: `staff:${key}`,
            conversationId: conversation.id,
            payload,
          },
        ],
        clock.now(),
      );
      onEventStored();
      res.status(202).json({ accepted: true, duplicate: stored === 0 });
    }) as express.RequestHandler;

  router.post(
    '/conversations/:id/handoff',
    staffEvent((body) => ({ action: 'takeover', reason: takeoverBody.parse(body).reason })),
  );
  router.post(
    '/conversations/:id/release',
    staffEvent((body) => ({ action: 'release', closingText: releaseBody.parse(body).closingText })),
  );

  router.get('/events', async (req, res) => {
    const query = eventsQuery.parse(req.query);
    const rows = await db
      .select()
      .from(inboundEvents)
      .where(
        and(
          eq(inboundEvents.status, query.status),
          query.before ? lt(inboundEvents.id, query.before) : undefined,
        ),
      )
      .orderBy(desc(inboundEvents.id))
      .limit(query.limit);
    res.json({ events: rows });
  });

  router.post('/events/:id/retry', async (req, res) => {
    const id = z.coerce.number().int().positive().parse(req.params.id);
    if (!(await retryDeadEvent(db, id, clock.now()))) throw new NotFound(`No dead-lettered event ${id}`);
    onEventStored();
    res.json({ requeued: true });
  });

  return router;
}
