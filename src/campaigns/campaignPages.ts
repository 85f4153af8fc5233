import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type RequestHandler, type Router } from 'express';
import { pageAtRoot, pageFiles, pageHeaders } from '../server/ownPages.js';
import type { Clock } from '../engine/types.js';
import type { Logger } from '../logger.js';
import type { Db } from '../store/index.js';
import { buildCampaignLinks } from './buildCampaignLinks.js';
import { findCampaign, recordClick } from './campaignsRepo.js';
import { normalizeRefCode, REF_CODE } from './refCode.js';

const WEB_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../web/campaigns');

// The QR code preview is an object URL.
const PAGE_HEADERS = pageHeaders({ imgSrc: "'self' data: blob:" });

export interface CampaignPagesOptions {
  db: Db;
  clock: Clock;
  logger: Logger;
  displayPhoneNumber: string | undefined;
  publicBaseUrl: string;
}

/**
 * The `/campaigns` page and its files, for signed-in staff only (`auth` redirects anyone else
 * to sign-in and back); the page calls `/api` with the session cookie and its CSRF token.
 */
export function campaignsPage(auth: RequestHandler): Router {
  const router = express.Router();
  router.use(auth);
  router.get('/', pageAtRoot(WEB_DIR, PAGE_HEADERS));
  router.use(pageFiles(WEB_DIR));
  return router;
}

const notFoundPage = (message: string) =>
  `<!doctype html><html lang="en"><meta charset="utf-8"><title>Link not found</title><body><p>${message}</p></body></html>`;

/**
 * `GET /c/:code`: the link and QR code a campaign shares. Counts the click, then sends the
 * visitor on to WhatsApp with the prefilled text carrying the ref code.
 */
export function campaignRedirect(options: CampaignPagesOptions): Router {
  const router = express.Router();
  router.get('/:code', async (req, res) => {
    const code = normalizeRefCode(req.params.code);
    const campaign = REF_CODE.test(code)
      ? await findCampaign(options.db, { refCode: code, adId: null })
      : null;
    const links = campaign && buildCampaignLinks(campaign, options.displayPhoneNumber, options.publicBaseUrl);
    if (!campaign || !links) {
      res.status(404).type('html').send(notFoundPage('This link is not active any more.'));
      return;
    }
    await recordClick(options.db, campaign.id, options.clock.now());
    res.set({ 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' }).redirect(302, links.waMe);
  });
  return router;
}
