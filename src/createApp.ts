import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Express, Router } from 'express';
import { describeOpeningHours, loadBusiness, type Business } from './business/loadBusiness.js';
import { createCampaigns, type Campaigns } from './campaigns/index.js';
import type { Config } from './config.js';
import type { FlowSet } from './engine/decide.js';
import { loadFlows } from './engine/loadFlows.js';
import { loadTexts, type TextCatalog, type TextVars } from './engine/texts.js';
import { LOCALES, type Clock, type Locale } from './engine/types.js';
import { loadWhatsAppTemplates } from './engine/whatsappTemplates.js';
import { createEventWorker, type EventWorker } from './jobs/eventWorker.js';
import { createIngestPriority } from './jobs/createIngestPriority.js';
import type { HandlerDeps } from './jobs/handleEvent.js';
import { createOutboxSender, type OutboxSender } from './jobs/outboxSender.js';
import { startLoop, type Loop } from './jobs/loop.js';
import type { Logger } from './logger.js';
import { createMetrics, type Metrics } from './metrics.js';
import { createInbox, type Inbox } from './inbox/createInbox.js';
import { paymentSections } from './inbox/inboxPayments.js';
import {
  createPaymentLayer,
  loadFacts,
  storePaymentEvents,
  type PaymentLayer,
  type PaymentLayerOptions,
} from './payments/index.js';
import type { PaymentEvent } from './payments/port.js';
import { providersFromConfig } from './payments/providersFromConfig.js';
import { createHttpApp } from './server/createHttpApp.js';
import { fireDueTimers, type Store } from './store/index.js';
import { catalogFromBusiness, createUnderstander } from './understanding/index.js';
import { createSendLimiter, type SendLimiter } from './whatsapp/createSendLimiter.js';
import { createGraphClient, type GraphClient } from './whatsapp/graphClient.js';
import { createInboundWriter } from './whatsapp/createInboundWriter.js';
import { ingestWebhook, type IngestResult } from './whatsapp/ingestWebhook.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface AppOptions {
  config: Readonly<Config>;
  store: Store;
  logger: Logger;
  /** Secrets the sandbox generated, or the live ones from the config. */
  secrets: { appSecret: string; apiToken: string; accessToken: string };
  clock?: Clock;
  /** Replace the Graph client (tests record what would be sent). */
  graph?: GraphClient;
  /** Routers mounted on the HTTP app, such as the sandbox. */
  mounts?: (app: Omit<App, 'http'>) => [string, Router][];
  /** Loads each turn's facts (payments, bookings, busy times, invoices); none without it. */
  loadFacts?: HandlerDeps['loadFacts'];
  /** Start the worker, sender and timer loops (off in tests that drive them by hand). */
  startLoops?: boolean;
  /** The Stripe or WhatsApp-native provider, its status parser and pay request builder; sandbox needs none. */
  payments?: Pick<PaymentLayerOptions, 'provider' | 'parsePaymentStatus' | 'buildChatRequest'>;
}

export interface App {
  http: Express;
  config: Readonly<Config>;
  store: Store;
  metrics: Metrics;
  business: Business;
  flows: FlowSet;
  texts: TextCatalog;
  worker: EventWorker;
  sender: OutboxSender;
  campaigns: Campaigns;
  inbox: Inbox;
  payments: PaymentLayer;
  /** The one door for WhatsApp webhooks: HTTP and tests both come in here. */
  receive(rawBody: Buffer | string, signature: string | undefined): Promise<IngestResult>;
  /** Fires due timers, processes due events and sends due messages until nothing is left. */
  settle(): Promise<void>;
  close(): Promise<void>;
}

/** Wires the product together: flows and texts, worker, sender, timers and the HTTP app. */
export async function createApp(options: AppOptions): Promise<App> {
  const { config, store, logger } = options;
  const clock = options.clock ?? { now: () => new Date() };
  const metrics = createMetrics();
  const business = await loadBusiness(path.join(ROOT, 'seed', 'bella-studio.yaml'));
  const texts = await loadTexts(path.join(ROOT, 'templates'));
  const vars = Object.fromEntries(
    LOCALES.map((locale) => [
      locale,
      { business: business.name, hours: describeOpeningHours(business, locale) },
    ]),
  ) as Record<Locale, TextVars>;
  const waTemplates = await loadWhatsAppTemplates(
    path.join(ROOT, 'templates', 'whatsapp-templates.yaml'),
    texts,
    {
      currency: business.currency,
      timeZone: business.timezone,
    },
  );
  const flows = await loadFlows(path.join(ROOT, 'flows'), texts, vars, { waTemplates });

  const graph =
    options.graph ??
    createGraphClient({
      graphUrl: config.whatsapp.graphUrl,
      apiVersion: config.whatsapp.apiVersion,
      phoneNumberId: config.whatsapp.phoneNumberId,
      accessToken: options.secrets.accessToken,
      timeoutMs: config.whatsapp.timeoutMs,
    });
  const limiter: SendLimiter = createSendLimiter({
    mps: config.whatsapp.mps,
    phoneNumberId: config.whatsapp.phoneNumberId,
    redisUrl: config.redisUrl,
  });
  const startLoops = options.startLoops ?? true;
  let wakeSender = () => {};
  const inbox = await createInbox({
    root: ROOT,
    config,
    store,
    clock,
    logger,
    metrics,
    business,
    texts,
    vars,
    apiToken: options.secrets.apiToken,
    wake: { worker: () => worker.wake(), sender: () => sender.wake() },
    contactSections: paymentSections(config.server.publicBaseUrl, () => clock.now()),
  });
  const campaigns = await createCampaigns({
    config,
    db: store.db,
    clock,
    logger,
    business,
    flows,
    root: ROOT,
    // Staff sessions for the page and its API; machine clients keep the bearer API_TOKEN.
    auth: inbox.auth.api,
    pageAuth: inbox.auth.page,
    wakeSender: () => wakeSender(),
    startLoops,
  });

  const sender = createOutboxSender({
    db: store.db,
    graph,
    limiter,
    clock,
    logger,
    metrics,
    mps: config.whatsapp.mps,
    timeoutMs: config.whatsapp.timeoutMs,
    maxAttempts: config.sender.maxAttempts,
    ambiguousGraceMs: config.sender.ambiguousGraceMs,
    windowTemplate: config.sender.windowTemplate,
    screen: campaigns.screen,
    executors: campaigns.executors,
    autoStart: startLoops,
    onRecorded: (rows) => inbox.sendsRecorded(rows),
  });
  wakeSender = () => sender.wake();
  const understander = createUnderstander({
    config,
    catalog: catalogFromBusiness(business),
    clock,
    logger,
    metrics,
    business: { name: business.name, city: business.city },
  });
  const payments = createPaymentLayer({
    config,
    business,
    texts,
    db: store.db,
    clock,
    logger,
    registry: metrics.registry,
    ...(options.payments ??
      providersFromConfig(config, {
        accessToken: options.secrets.accessToken,
        clock,
        texts,
        business,
      })),
    onEventStored: () => worker.wake(),
    onSucceeded: (tx, payment) => campaigns.hooks.onPaymentSucceeded(tx, payment),
  });
  if (config.whatsapp.mode === 'sandbox') await payments.seedDemo();
  const ingestPriority = createIngestPriority({ maxTurns: config.worker.concurrency });
  const worker = createEventWorker({
    db: store.db,
    deps: {
      clock,
      logger,
      metrics,
      engine: { flows, texts, defaultLocale: business.defaultLocale, vars, business, waTemplates },
      loadFacts:
        options.loadFacts ??
        ((db, query) => loadFacts(db, { ...query, publicBaseUrl: config.server.publicBaseUrl })),
      campaigns: campaigns.hooks,
      understander,
      handoff: inbox.hooks,
      payments: payments.deps,
    },
    concurrency: config.worker.concurrency,
    turns: ingestPriority.turns,
    onTaken: ingestPriority.observeTaken,
    maxAttempts: config.worker.eventMaxAttempts,
    onProcessed: (event) => {
      sender.wake();
      inbox.eventProcessed(event);
    },
    autoStart: startLoops,
  });
  const timers: Loop | null = startLoops
    ? startLoop(
        async () => (await fireDueTimers(store.db, clock.now(), 100)) > 0 && (worker.wake(), true),
        1_000,
        (error) => logger.error({ err: error }, 'timer round failed'),
      )
    : null;

  const paymentJobs: Loop | null = startLoops ? payments.startLoop() : null;

  const inboundWriter = createInboundWriter(store.db, { onCommitted: ingestPriority.observeCommit });
  const receive = (rawBody: Buffer | string, signature: string | undefined) =>
    ingestWebhook(
      inboundWriter,
      Buffer.isBuffer(rawBody) ? rawBody : Buffer.from(rawBody),
      signature,
      options.secrets.appSecret,
      { metrics, logger, now: clock.now() },
    );

  const core = {
    config,
    store,
    metrics,
    business,
    flows,
    texts,
    worker,
    sender,
    campaigns,
    inbox,
    payments,
    receive,
    async settle() {
      for (;;) {
        const fired = await fireDueTimers(store.db, clock.now(), 100);
        const handled = await worker.drain();
        const fed = await campaigns.runner.feed();
        const sent = await sender.drain();
        if (fired + handled + fed + sent === 0) return inbox.feed.flush();
      }
    },
    async close() {
      await timers?.stop();
      await paymentJobs?.stop();
      await worker.stop();
      await campaigns.stop();
      await sender.stop();
      await limiter.stop();
      await inbox.close();
    },
  };
  const http = createHttpApp({
    store,
    clock,
    logger,
    metrics,
    apiToken: options.secrets.apiToken,
    apiAuth: inbox.auth.api,
    verifyToken: config.whatsapp.verifyToken,
    webhookMaxBodyBytes: config.server.webhookMaxBodyBytes,
    receiveWhatsApp: receive,
    onEventStored: () => worker.wake(),
    ...(config.payments.provider === 'stripe' && config.stripe.webhookSecret
      ? {
          stripeWebhook: {
            webhookSecret: config.stripe.webhookSecret,
            // An event type we do not use stores nothing, yet is no repeat: report no count for it.
            store: async (events: PaymentEvent[]) =>
              events.every((event) => event.type === 'NotSupported')
                ? undefined
                : storePaymentEvents(store.db, 'stripe', events, clock.now()),
          },
        }
      : {}),
    apiRouters: [payments.apiRouter],
    apiMounts: [campaigns.apiRouter],
    mounts: [
      ['/pay', payments.payRouter],
      ...campaigns.mounts,
      ...inbox.mounts,
      ...(options.mounts?.(core) ?? []),
    ],
  });
  return { ...core, http };
}
