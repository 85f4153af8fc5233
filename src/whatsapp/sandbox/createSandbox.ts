import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Router } from 'express';
import { pageAtRoot, pageFiles, pageHeaders } from '../../server/ownPages.js';
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
  router.get('/', pageAtRoot(WEB_DIR, pageHeaders()));
  router.use(pageFiles(WEB_DIR));
  return router;
}
