import path from 'node:path';
import type { RequestHandler, Router } from 'express';
import type { Business } from '../business/loadBusiness.js';
import type { Config } from '../config.js';
import type { FlowSet } from '../engine/decide.js';
import type { Clock } from '../engine/types.js';
import type { OutboxExecutor, ScreenVerdict } from '../jobs/outboxSender.js';
import type { Logger } from '../logger.js';
import type { Db, OutboxRow } from '../store/index.js';
import { CAPI_KIND, createCapiExecutor } from './capi.js';
import { campaignRedirect, campaignsPage } from './campaignPages.js';
import { campaignsRouter } from './campaignsRouter.js';
import { createBroadcastRunner, type BroadcastRunner } from './createBroadcastRunner.js';
import { createCampaignHooks, type CampaignHooks } from './createCampaignHooks.js';
import { loadWhatsAppTemplates, type WhatsAppTemplate } from './loadWhatsAppTemplates.js';

export interface CampaignsOptions {
  config: Readonly<Config>;
  db: Db;
  clock: Clock;
  logger: Logger;
  business: Business;
  flows: FlowSet;
  /** Project root, where `templates/marketing-templates.yaml` lives. */
  root: string;
  /** Guards the campaigns API: the bearer API token or a staff session (with CSRF on writes). */
  auth: RequestHandler;
  /** Guards the `/campaigns` page: a staff session, or a redirect to sign-in. */
  pageAuth: RequestHandler;
  /** Wakes the outbox sender after broadcast rows were queued. */
  wakeSender(): void;
  startLoops: boolean;
}

export interface Campaigns {
  hooks: CampaignHooks;
  runner: BroadcastRunner;
  templates: ReadonlyMap<string, WhatsAppTemplate>;
  /** For the outbox sender: the last check of broadcast messages, and the CAPI executor. */
  screen(rows: OutboxRow[], now: Date): Promise<Map<string, ScreenVerdict>>;
  executors: Record<string, OutboxExecutor>;
  /** Under `/api`, with its own auth. */
  apiRouter: Router;
  /** `/campaigns` (the page, signed in) and `/c` (tracked links, public). */
  mounts: [string, Router][];
  stop(): Promise<void>;
}

/** Click-to-WhatsApp campaigns: attribution, links and QR codes, broadcasts, funnel, Conversions API. */
export async function createCampaigns(options: CampaignsOptions): Promise<Campaigns> {
  const { config, db, clock, logger, business, flows } = options;
  const templates = await loadWhatsAppTemplates(
    path.join(options.root, 'templates', 'marketing-templates.yaml'),
  );
  const capi = config.campaigns.capi;
  const hooks = createCampaignHooks({ flows, clock, capiEnabled: capi !== null });
  const runner = createBroadcastRunner({
    db,
    clock,
    logger,
    templates,
    phoneNumberId: config.whatsapp.phoneNumberId,
    mps: config.whatsapp.mps,
    sendHours: config.campaigns.sendHours,
    timeZone: business.timezone,
    onQueued: options.wakeSender,
    autoStart: options.startLoops,
  });
  const executors: Record<string, OutboxExecutor> = capi
    ? {
        [CAPI_KIND]: createCapiExecutor(db, clock, {
          graphUrl: config.whatsapp.graphUrl,
          apiVersion: config.whatsapp.apiVersion,
          datasetId: capi.datasetId,
          accessToken: capi.accessToken,
          timeoutMs: config.whatsapp.timeoutMs,
          maxAttempts: config.sender.maxAttempts,
        }),
      }
    : {};
  const displayPhoneNumber = config.campaigns.displayPhoneNumber;
  const publicBaseUrl = config.server.publicBaseUrl;
  return {
    hooks,
    runner,
    templates,
    screen: (rows, now) => runner.screen(rows, now),
    executors,
    apiRouter: campaignsRouter({
      db,
      clock,
      flows,
      business,
      templates,
      runner,
      displayPhoneNumber,
      publicBaseUrl,
      auth: options.auth,
    }),
    mounts: [
      ['/campaigns', campaignsPage(options.pageAuth)],
      ['/c', campaignRedirect({ db, clock, logger, displayPhoneNumber, publicBaseUrl })],
    ],
    stop: () => runner.stop(),
  };
}
