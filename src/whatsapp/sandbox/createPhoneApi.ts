import express, { type Router } from 'express';
import { z } from 'zod';
import type { App } from '../../createApp.js';
import { Conflict, HttpError, NotFound } from '../../server/errors.js';
import { listMessages, type MessageRow } from '../../store/index.js';
import {
  buildInboundMessage,
  buildInboundWebhook,
  SANDBOX_DISPLAY_PHONE_NUMBER,
  type CustomerInput,
  type InboundOptions,
} from './buildSandboxWebhook.js';
import type { ChatItem, PhoneHub } from './createPhoneHub.js';
import type { StatusReporter } from './createStatusReporter.js';
import type { WebhookPoster } from './createWebhookPoster.js';
import { jsonBody } from '../../server/jsonBody.js';

export interface PhoneApiOptions {
  core: Omit<App, 'http'>;
  hub: PhoneHub;
  poster: WebhookPoster;
  statuses: StatusReporter;
  newWamid(): string;
}

const Phone = z
  .string({ message: "is required: the customer's number, digits only with the country code" })
  .regex(/^\d{6,15}$/, { message: 'must be 6 to 15 digits with the country code, e.g. 393331234567' });

const SendBody = z
  .object({
    phone: Phone,
    name: z.string().trim().min(1).max(60).optional(),
    text: z
      .string()
      .max(4096, { message: 'is longer than the 4096 characters WhatsApp allows' })
      .refine((text) => text.trim() !== '', { message: 'is empty' })
      .optional(),
    reply: z
      .object({
        id: z.string().min(1).max(256),
        title: z.string().min(1).max(100),
        kind: z.enum(['button', 'list']),
      })
      .optional(),
  })
  .refine((body) => (body.text === undefined) !== (body.reply === undefined), {
    message: 'send either "text" or "reply" (exactly one of them)',
  });

const ReadBody = z.object({ phone: Phone, wamid: z.string().min(1).max(256) });
const PhoneQuery = z.object({ phone: Phone });

/**
 * What the phone page talks to: send as the customer, report a message as seen, follow the chat
 * live, load it from the store, and the business's name for the header.
 */
export function createPhoneApi(options: PhoneApiOptions): Router {
  const { core, hub, poster, statuses } = options;
  const phoneNumberId = core.config.whatsapp.phoneNumberId;
  const conversationOf = (phone: string) => `${phoneNumberId}:${phone}`;
  const router = express.Router();
  router.use(jsonBody('64kb'));
  router.use((_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  });

  router.get('/business', (_req, res) => {
    res.json({
      name: core.business.name,
      city: core.business.city ?? null,
      displayPhoneNumber: SANDBOX_DISPLAY_PHONE_NUMBER,
      phoneNumberId,
    });
  });

  router.post('/send', async (req, res) => {
    const body = SendBody.parse(req.body ?? {});
    const wamid = options.newWamid();
    const at = new Date();
    let input: CustomerInput;
    let contextWamid: string | undefined;
    if (body.reply) {
      const offer = hub.findOffer(body.phone, body.reply.id);
      contextWamid = offer?.message.wamid;
      input =
        body.reply.kind === 'button'
          ? { kind: 'button', id: body.reply.id, title: body.reply.title }
          : {
              kind: 'list',
              id: body.reply.id,
              title: body.reply.title,
              ...(offer?.description ? { description: offer.description } : {}),
            };
    } else {
      input = { kind: 'text', text: body.text as string };
    }
    hub.rememberCustomerMessage(body.phone, wamid);
    const inbound: InboundOptions = {
      phoneNumberId,
      from: body.phone,
      name: body.name ?? `Sandbox customer ${body.phone.slice(-4)}`,
      wamid,
      at,
      input,
      ...(contextWamid ? { contextWamid } : {}),
    };
    const outcome = await poster.deliver(buildInboundWebhook(inbound), 3);
    if (!outcome.ok) throw new HttpError(502, 'webhook_refused', outcome.detail);
    // The phone's other open pages show it too, in the transcript's shape.
    const { id: _id, from: _from, timestamp: _timestamp, ...content } = buildInboundMessage(inbound);
    const item: ChatItem = {
      id: wamid,
      wamid,
      direction: 'in',
      type: content.type,
      content,
      status: 'accepted',
      at: at.toISOString(),
    };
    hub.publish(body.phone, 'message', item);
    res.json({ wamid, status: 'accepted', at: at.toISOString() });
  });

  router.post('/read', async (req, res) => {
    const body = ReadBody.parse(req.body ?? {});
    const kept = hub.findBusinessMessage(body.phone, body.wamid);
    let ok: boolean;
    if (kept) {
      if (kept.status === 'failed') throw new Conflict('message_failed', 'A failed message cannot be read');
      ok = await statuses.reportRead(body.phone, kept);
    } else {
      // The emulator forgets on restart; the transcript does not.
      const rows = await listMessages(core.store.db, conversationOf(body.phone), 500);
      const row = rows.find((candidate) => candidate.wamid === body.wamid && candidate.direction === 'out');
      if (!row) throw new NotFound(`No message ${body.wamid} was sent to ${body.phone}`);
      if (row.status === 'failed') throw new Conflict('message_failed', 'A failed message cannot be read');
      ok =
        row.status === 'read' ||
        (await statuses.reportRead(body.phone, {
          wamid: body.wamid,
          bizOpaqueCallbackData: row.outboxId ?? undefined,
        }));
    }
    if (!ok)
      throw new HttpError(
        502,
        'webhook_refused',
        'The server did not accept the read status webhook; its log says why',
      );
    res.json({ wamid: body.wamid, status: 'read' });
  });

  router.get('/stream', (req, res) => {
    const { phone } = PhoneQuery.parse(req.query);
    hub.subscribe(phone, req, res);
  });

  router.get('/history', async (req, res) => {
    const { phone } = PhoneQuery.parse(req.query);
    const rows = await listMessages(core.store.db, conversationOf(phone), 200);
    res.json({ phone, messages: rows.map((row) => toChatItem(row, phone, hub)) });
  });

  return router;
}

function toChatItem(row: MessageRow, phone: string, hub: PhoneHub): ChatItem {
  // A status can arrive before the sender records the message; the emulator still has its body.
  const kept = row.type === 'unknown' && row.wamid ? hub.findBusinessMessage(phone, row.wamid) : undefined;
  return {
    id: row.wamid ?? `stored-${row.id}`,
    wamid: row.wamid,
    direction: row.direction,
    type: kept ? String(kept.body.type) : row.type,
    content: kept ? kept.body : row.content,
    status: row.status === 'received' ? 'accepted' : row.status,
    at: row.createdAt.toISOString(),
    ...(row.errorTitle ? { error: row.errorTitle } : {}),
  };
}
