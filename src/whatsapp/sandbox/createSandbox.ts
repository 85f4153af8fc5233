import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Router } from 'express';
import type { App } from '../../createApp.js';
import type { Logger } from '../../logger.js';
import { createGraphEndpoint } from './createGraphEndpoint.js';
import { createPhoneApi } from './createPhoneApi.js';
import { createPhoneHub } from './createPhoneHub.js';
import { createStatusReporter } from './createStatusReporter.js';
import { createWebhookPoster } from './createWebhookPoster.js';

export interface SandboxOptions {
  core: Omit<App, 'http'>;
  logger: Logger;
  secrets: { appSecret: string; apiToken: string; accessToken: string };
}

const WEB_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../web/sandbox');

// Everything the page needs is served from here: no CDN, no inline script.
const PAGE_HEADERS = {
  'Content-Security-Policy':
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; " +
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-cache',
};

/**
 * The WhatsApp emulator: a phone page and a Graph-compatible endpoint. It stands in for Meta and
 * the customer's phone, so sandbox mode runs the production path: customer messages and delivery
 * statuses arrive as signed webhooks over HTTP at `/webhooks/whatsapp`, and the bot's replies
 * leave through the real Graph client to `/sandbox/graph/...`.
 *
 * Mounted at `/sandbox` by main.ts in sandbox mode only.
 *
 * @example app.use('/sandbox', createSandbox({ core, logger, secrets }));
 */
export function createSandbox(options: SandboxOptions): Router {
  const { core, logger, secrets } = options;
  const phoneNumberId = core.config.whatsapp.phoneNumberId;
  const hub = createPhoneHub();
  const poster = createWebhookPoster({
    url: `http://127.0.0.1:${core.config.server.port}/webhooks/whatsapp`,
    appSecret: secrets.appSecret,
    logger,
  });
  const statuses = createStatusReporter({ hub, poster, phoneNumberId });
  const newWamid = () => `wamid.SANDBOX${randomBytes(15).toString('base64url')}`;

  const router = express.Router();
  router.use(
    '/graph',
    createGraphEndpoint({ phoneNumberId, accessToken: secrets.accessToken, hub, statuses, newWamid }),
  );
  router.use('/api', createPhoneApi({ core, hub, poster, statuses, newWamid }));
  router.get('/', (req, res) => {
    // The page loads its files by relative URL, which needs the trailing slash.
    const [pathname, query] = req.originalUrl.split('?');
    if (!pathname?.endsWith('/')) return void res.redirect(302, `${pathname}/${query ? `?${query}` : ''}`);
    res.set(PAGE_HEADERS).sendFile(path.join(WEB_DIR, 'index.html'));
  });
  router.use(
    express.static(WEB_DIR, {
      index: false,
      setHeaders: (res) => {
        res.setHeader('X-Content-Type-Options', 'nosniff');
        res.setHeader('Cache-Control', 'no-cache');
      },
    }),
  );
  return router;
}
