import path from 'node:path';
import type { Router } from 'express';
import type { Business } from '../business/loadBusiness.js';
import type { Config } from '../config.js';
import type { TextCatalog, TextVars } from '../engine/texts.js';
import type { Clock, Locale } from '../engine/types.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { InboundEventRow, Store } from '../store/index.js';
import { createChangeFeed, type ChangeFeed } from './createChangeFeed.js';
import { createHandoffHooks, type HandoffHooks } from './createHandoffHooks.js';
import { createInboxHub, type InboxHub } from './createInboxHub.js';
import { createLoginLimiter } from './createLoginLimiter.js';
import { createStaffAuth, type StaffAuth } from './createStaffAuth.js';
import { createInboxMetrics } from './inboxMetrics.js';
import { inboxApiRouter, type ContactSections } from './inboxApiRouter.js';
import { inboxPagesRouter } from './inboxPagesRouter.js';
import { loadQuickReplies } from './loadQuickReplies.js';
import { loadWhatsAppTemplates } from './loadWhatsAppTemplates.js';
import { seedFirstAdmin } from './seedFirstAdmin.js';
import { paymentCards } from './inboxPayments.js';
import { paymentIdFor } from '../payments/applyPaymentEffect.js';
import { paymentLinkEffectId } from '../payments/handlePaymentQueueEvent.js';

export interface InboxOptions {
  root: string;
  config: Readonly<Config>;
  store: Store;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  business: Business;
  texts: TextCatalog;
  vars: Record<Locale, TextVars>;
  apiToken: string;
  /** Wake the event worker / the sender; bound after they exist. */
  wake: { worker(): void; sender(): void };
  contactSections?: ContactSections;
}

export interface Inbox {
  hooks: HandoffHooks;
  auth: StaffAuth;
  hub: InboxHub;
  feed: ChangeFeed;
  mounts: [string, Router][];
  /** After the worker committed an event: its conversation changed. */
  eventProcessed(event: InboundEventRow): void;
  /** After the sender recorded sends or refusals. */
  sendsRecorded(rows: { outboxId: string; conversationId: string | null }[]): void;
  seedFirstAdmin(sandbox: boolean): Promise<{ email: string; password: string } | null>;
  close(): Promise<void>;
}

const INVITE_TTL_MS = 72 * 3_600_000;

/** The handoff inbox: staff accounts, the queue and its API, live updates and the pages. */
export async function createInbox(options: InboxOptions): Promise<Inbox> {
  const { config, store, clock, logger } = options;
  const inboxMetrics = createInboxMetrics(options.metrics.registry);
  const [templates, quickReplies] = await Promise.all([
    loadWhatsAppTemplates(path.join(options.root, 'templates', 'staff-templates.yaml')),
    loadQuickReplies(path.join(options.root, 'templates', 'quick-replies.yaml')),
  ]);
  const hub = createInboxHub({ redisUrl: config.redisUrl, logger });
  const feed = createChangeFeed({ db: store.db, hub, logger });
  const hooks = createHandoffHooks({
    business: options.business,
    texts: options.texts,
    vars: options.vars,
    clock,
    pickupMinutes: config.inbox.pickupMinutes,
    roundRobin: config.inbox.roundRobin,
    metrics: inboxMetrics,
  });
  const auth = createStaffAuth({
    db: store.db,
    clock,
    apiToken: options.apiToken,
    secureCookies: config.server.publicBaseUrl.startsWith('https:'),
    limits: {
      idleMs: config.inbox.sessionIdleMinutes * 60_000,
      maxMs: config.inbox.sessionMaxHours * 3_600_000,
    },
  });
  const pages = inboxPagesRouter({ db: store.db, clock, logger, auth, limiter: createLoginLimiter() });
  const api = inboxApiRouter({
    db: store.db,
    clock,
    logger,
    hub,
    feed,
    metrics: inboxMetrics,
    templates,
    quickReplies,
    publicBaseUrl: config.server.publicBaseUrl,
    inviteTtlMs: INVITE_TTL_MS,
    onEventStored: () => options.wake.worker(),
    onOutboxStored: () => options.wake.sender(),
    ...(options.contactSections ? { contactSections: options.contactSections } : {}),
    paymentLinks: {
      currency: options.business.currency,
      maxPaymentAmount: options.business.limits.maxPaymentAmount,
      maxPaymentsPerCustomerPerDay: options.business.limits.maxPaymentsPerCustomerPerDay,
      publicBaseUrl: config.server.publicBaseUrl,
    },
  });

  /** Reads the payments back after their event committed and shows them on the open pages. */
  let paymentsRunning: Promise<void> = Promise.resolve();
  const publishPayments = (ids: string[]) => {
    if (hub.listeners === 0 && !hub.shared) return;
    paymentsRunning = paymentsRunning
      .then(async () => {
        for (const payment of await paymentCards(store.db, ids, config.server.publicBaseUrl))
          hub.publish({ type: 'payment', payment });
      })
      .catch((error: unknown) => logger.warn({ err: error }, 'payment updates could not be read back'));
  };

  return {
    hooks,
    auth,
    hub,
    feed,
    mounts: [
      ['/inbox', pages],
      ['/api/inbox', api],
    ],
    eventProcessed(event) {
      if (!event.conversationId) return;
      // A payment's own queue (provider statements, expiry): its status may have changed.
      if (event.conversationId.startsWith('payment:'))
        return publishPayments([event.conversationId.slice('payment:'.length)]);
      // A staff link or a flow's request created a payment (ids as the payment layer derives them).
      if (event.kind === 'payment_request') publishPayments([paymentIdFor(paymentLinkEffectId(event.id))]);
      const payload = event.payload as { message?: { id?: string }; status?: { id?: string } };
      const wamid =
        event.kind === 'message' ? payload.message?.id : event.kind === 'status' ? payload.status?.id : null;
      // A delivery tick changes one transcript line, not the queue row.
      feed.touched({
        conversationId: event.conversationId,
        wamid: wamid ?? null,
        summary: event.kind !== 'status',
      });
    },
    sendsRecorded(rows) {
      for (const row of rows)
        if (row.conversationId) feed.touched({ conversationId: row.conversationId, outboxId: row.outboxId });
    },
    seedFirstAdmin: (sandbox) =>
      seedFirstAdmin(store.db, { admin: config.inbox.admin, sandbox, dataDir: config.store.dataDir }),
    async close() {
      await feed.flush();
      await paymentsRunning;
      await hub.close();
    },
  };
}
