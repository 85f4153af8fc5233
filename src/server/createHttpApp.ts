import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import express, { type Express, type RequestHandler, type Router } from 'express';
import { pinoHttp } from 'pino-http';
import { maskPath, type Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { Store } from '../store/index.js';
import { apiRouter } from './apiRouter.js';
import { errorHandler } from './errorHandler.js';
import { HttpError, NotFound } from './errors.js';
import { requireApiToken } from './requireApiToken.js';
import { createStripeWebhookRouter, type StoreStripeEvents } from './stripeWebhookRouter.js';
import type { Clock } from '../engine/types.js';
import type { IngestResult } from '../whatsapp/ingestWebhook.js';

export interface HttpAppOptions {
  store: Store;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  apiToken: string;
  /** Authentication for `/api`; the bearer API token alone when not given. */
  apiAuth?: RequestHandler;
  verifyToken: string | undefined;
  webhookMaxBodyBytes: number;
  receiveWhatsApp(rawBody: Buffer, signature: string | undefined): Promise<IngestResult>;
  onEventStored(): void;
  /** `POST /webhooks/stripe`, mounted only when Stripe is configured. */
  stripeWebhook?: { webhookSecret: string; store: StoreStripeEvents };
  /** Extra routers under `/api`, behind the same API token (payments). */
  apiRouters?: Router[];
  /** Extra routers by mount path (the sandbox, the web pages). */
  mounts?: [string, Router][];
  /** Routers under `/api` with their own auth and body limits, mounted ahead of the core API. */
  apiMounts?: Router[];
}

/** The caller's `X-Request-Id` when it is a plain token, a new one otherwise; echoed in the answer. */
function requestId(req: IncomingMessage, res: ServerResponse): string {
  const given = req.headers['x-request-id'];
  const id = typeof given === 'string' && /^[\w.-]{1,100}$/.test(given) ? given : randomUUID();
  res.setHeader('X-Request-Id', id);
  return id;
}

/** The HTTP surface of DESIGN section 2: webhooks, health, metrics and the API. */
export function createHttpApp(options: HttpAppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  const { logger } = options;

  // WhatsApp's webhooks come first and skip the request logger below: at a thousand a second its
  // per-request child logger cost more than verifying the signature. The same line is logged.
  app.post(
    '/webhooks/whatsapp',
    (req, res, next) => {
      const started = performance.now();
      req.id = requestId(req, res);
      if (logger.isLevelEnabled('info'))
        res.once('finish', () =>
          logger.info(
            {
              req: { id: req.id, method: req.method, path: req.path },
              res: { statusCode: res.statusCode },
              responseTime: Math.round(performance.now() - started),
            },
            'request completed',
          ),
        );
      next();
    },
    // Read the raw bytes whatever the content type: the signature covers exactly these.
    express.raw({ type: () => true, limit: options.webhookMaxBodyBytes }),
    async (req, res) => {
      const started = process.hrtime.bigint();
      let status = 200;
      try {
        const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
        const result = await options.receiveWhatsApp(body, req.get('x-hub-signature-256'));
        options.onEventStored();
        res.json({ ok: true, ...result });
      } catch (error) {
        status = error instanceof HttpError ? error.status : 500;
        throw error;
      } finally {
        options.metrics.webhookSeconds.observe(
          { source: 'whatsapp', status: String(status) },
          Number(process.hrtime.bigint() - started) / 1e9,
        );
      }
    },
  );
  app.use(
    pinoHttp({
      logger,
      genReqId: requestId,
      // Query strings can carry the verify token and the sandbox phone number.
      serializers: {
        req: (req: { id: string; method: string; url: string }) => ({
          id: req.id,
          method: req.method,
          path: maskPath(req.url.split('?')[0] ?? ''),
        }),
      },
      autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/metrics' },
    }),
  );

  // PostgreSQL can neither store nor compare the NUL character: an address carrying one is
  // refused here, by name, instead of failing as a 500 wherever it reaches a query.
  app.use((req, _res, next) =>
    next(
      /%00/i.test(req.url)
        ? new HttpError(400, 'invalid_address', 'The address contains the NUL character (%00)')
        : undefined,
    ),
  );

  app.get('/healthz', (_req, res) => void res.json({ ok: true }));
  app.get('/readyz', async (_req, res) => {
    try {
      await options.store.ping();
      res.json({ ok: true, database: options.store.kind });
    } catch {
      res.status(503).json({ ok: false, error: 'database not reachable' });
    }
  });
  app.get('/metrics', async (_req, res) => {
    res.type(options.metrics.registry.contentType).send(await options.metrics.registry.metrics());
  });

  app.get('/webhooks/whatsapp', (req, res) => {
    const mode = req.query['hub.mode'];
    const token = req.query['hub.verify_token'];
    const challenge = req.query['hub.challenge'];
    if (
      mode === 'subscribe' &&
      options.verifyToken &&
      token === options.verifyToken &&
      typeof challenge === 'string'
    ) {
      return void res.type('text/plain').send(challenge);
    }
    res.status(403).json({
      error: {
        code: 'verification_failed',
        message: 'hub.verify_token does not match WHATSAPP_VERIFY_TOKEN (or it is not set)',
      },
    });
  });

  if (options.stripeWebhook) {
    app.use(
      '/webhooks/stripe',
      createStripeWebhookRouter({
        ...options.stripeWebhook,
        maxBodyBytes: options.webhookMaxBodyBytes,
        clock: options.clock,
        logger: options.logger,
        metrics: options.metrics,
        onStored: options.onEventStored,
      }),
    );
  }

  for (const router of options.apiMounts ?? []) app.use('/api', router);
  app.use(
    '/api',
    options.apiAuth ?? requireApiToken(options.apiToken),
    apiRouter(options.store.db, options.clock, options.onEventStored),
    ...(options.apiRouters ?? []),
  );
  for (const [path, router] of options.mounts ?? []) app.use(path, router);
  app.use((_req, _res, next) => next(new NotFound('No such route')));
  app.use(errorHandler(options.logger, options.webhookMaxBodyBytes));
  return app;
}
