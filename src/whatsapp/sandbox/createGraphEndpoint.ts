import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import express, { type ErrorRequestHandler, type Response, type Router } from 'express';
import { z } from 'zod';
import type { PhoneHub } from './createPhoneHub.js';
import type { StatusReporter } from './createStatusReporter.js';

export interface GraphEndpointOptions {
  phoneNumberId: string;
  accessToken: string;
  hub: PhoneHub;
  statuses: StatusReporter;
  /** A fresh message id; Meta's are opaque strings starting with `wamid.`. */
  newWamid(): string;
}

const SUPPORTED_TYPES = ['text', 'interactive', 'template'] as const;

const envelope = {
  messaging_product: z.literal('whatsapp', { message: 'must be "whatsapp"' }),
  recipient_type: z.literal('individual').optional(),
  to: z
    .string({ message: "is required: the customer's phone number or wa_id" })
    .transform((to) => to.replace(/[\s()+-]/g, ''))
    .pipe(z.string().regex(/^\d{6,15}$/, { message: 'must be a phone number of 6 to 15 digits' })),
  biz_opaque_callback_data: z.string().max(512).optional(),
};

const MessageSchema = z.discriminatedUnion('type', [
  z.looseObject({
    ...envelope,
    type: z.literal('text'),
    text: z.looseObject({ body: z.string().min(1).max(4096), preview_url: z.boolean().optional() }),
  }),
  z.looseObject({
    ...envelope,
    type: z.literal('interactive'),
    interactive: z.looseObject({
      type: z.string().min(1),
      body: z.looseObject({ text: z.string().max(4096) }).optional(),
      action: z.looseObject({}),
    }),
  }),
  z.looseObject({
    ...envelope,
    type: z.literal('template'),
    template: z.looseObject({
      name: z.string().min(1),
      language: z.looseObject({ code: z.string().min(1) }),
      components: z.array(z.looseObject({ type: z.string() })).optional(),
    }),
  }),
]);

/** Mark-as-read (and typing indicator): same endpoint, answered with `{ success: true }`. */
const MarkReadSchema = z.looseObject({
  messaging_product: z.literal('whatsapp'),
  status: z.literal('read'),
  message_id: z.string().min(1),
  typing_indicator: z.looseObject({ type: z.literal('text') }).optional(),
});

/**
 * `POST /:version/:phoneNumberId/messages`, answering like Meta's Cloud API: the same success
 * body, and Meta's error shape and codes for a bad token (190), an unknown phone number id (100,
 * subcode 33), a bad parameter (100) and an unsupported message type (131051).
 */
export function createGraphEndpoint(options: GraphEndpointOptions): Router {
  const router = express.Router();
  const expectedToken = digest(options.accessToken);

  router.post(
    '/:version/:phoneNumberId/messages',
    express.raw({ type: () => true, limit: '1mb' }),
    (req, res) => {
      const match = /^Bearer (\S+)$/.exec(req.get('authorization') ?? '');
      if (!match || !timingSafeEqual(digest(match[1] as string), expectedToken)) {
        return void metaError(res, 401, 190, 'Invalid OAuth access token - Cannot parse access token', {
          details: 'Send Authorization: Bearer <the sandbox access token the server generated>',
        });
      }
      if (!/^v\d+\.\d+$/.test(String(req.params.version))) {
        return void metaError(res, 400, 2500, `Unknown path components: /${req.params.version}`);
      }
      if (req.params.phoneNumberId !== options.phoneNumberId) {
        return void metaError(
          res,
          400,
          100,
          `Unsupported post request. Object with ID '${req.params.phoneNumberId}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`,
          {
            subcode: 33,
            details: `The sandbox business number has phone number id ${options.phoneNumberId}`,
          },
        );
      }

      let body: unknown;
      try {
        body = JSON.parse(Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '');
      } catch {
        return void metaError(res, 400, 100, '(#100) Invalid parameter', {
          details: 'The request body must be a JSON object',
        });
      }
      if (!isRecord(body)) {
        return void metaError(res, 400, 100, '(#100) Invalid parameter', {
          details: 'The request body must be a JSON object',
        });
      }

      if (body.status === 'read') return void markRead(body, res);

      // Meta treats a body without a type as a text message.
      const withType = body.type === undefined ? { ...body, type: 'text' } : body;
      if (!SUPPORTED_TYPES.includes(withType.type as never)) {
        return void metaError(res, 400, 131051, 'Unsupported message type', {
          details: `Message type ${JSON.stringify(withType.type)} is not supported by the sandbox emulator; it shows ${SUPPORTED_TYPES.join(', ')}`,
        });
      }
      const parsed = MessageSchema.safeParse(withType);
      if (!parsed.success) {
        return void metaError(res, 400, 100, '(#100) Invalid parameter', {
          details: describeIssue(parsed.error),
        });
      }

      const to = parsed.data.to;
      const wamid = options.newWamid();
      const message = {
        wamid,
        at: new Date(),
        body: { ...parsed.data, to } as Record<string, unknown>,
        status: 'accepted' as const,
        chain: Promise.resolve(),
      };
      options.hub.addBusinessMessage(to, message);
      res.json({
        messaging_product: 'whatsapp',
        contacts: [{ input: String(withType.to), wa_id: to }],
        messages: [{ id: wamid, ...(parsed.data.type === 'template' ? { message_status: 'accepted' } : {}) }],
      });
      options.statuses.reportDelivery(to, message);
    },
  );

  function markRead(body: Record<string, unknown>, res: Response) {
    const parsed = MarkReadSchema.safeParse(body);
    if (!parsed.success) {
      return metaError(res, 400, 100, '(#100) Invalid parameter', { details: describeIssue(parsed.error) });
    }
    // Meta's body names only the message; the emulator remembers whose message it was.
    const wamid = parsed.data.message_id;
    const phone = options.hub.phoneOfCustomerMessage(wamid);
    if (phone) {
      options.hub.publish(phone, 'status', { id: wamid, wamid, status: 'read' });
      if (parsed.data.typing_indicator) options.hub.publish(phone, 'typing', { wamid });
    }
    res.json({ success: true });
  }

  const bodyErrors: ErrorRequestHandler = (error, _req, res, next) => {
    if (error?.type === 'entity.too.large') {
      return void metaError(res, 413, 100, '(#100) Invalid parameter', {
        details: 'The request body is larger than 1 MB',
      });
    }
    next(error);
  };
  router.use(bodyErrors);
  return router;
}

function metaError(
  res: Response,
  httpStatus: number,
  code: number,
  message: string,
  extra: { subcode?: number; details?: string } = {},
) {
  res.status(httpStatus).json({
    error: {
      message,
      type: 'OAuthException',
      code,
      ...(extra.details ? { error_data: { messaging_product: 'whatsapp', details: extra.details } } : {}),
      ...(extra.subcode ? { error_subcode: extra.subcode } : {}),
      fbtrace_id: randomBytes(12).toString('base64url'),
    },
  });
}

/** Meta's wording: "The parameter text['body'] is required." */
function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'The request body is invalid';
  const where = issue.path.map(String).join('.') || 'body';
  if (issue.code === 'invalid_type' && /received undefined/.test(issue.message))
    return `The parameter ${where} is required`;
  return `The parameter ${where} ${issue.message.replace(/^Invalid input: /, 'must be: ')}`;
}

const digest = (value: string) => createHash('sha256').update(value).digest();

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
