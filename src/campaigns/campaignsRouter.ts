import { randomUUID } from 'node:crypto';
import { desc, eq } from 'drizzle-orm';
import express, { type RequestHandler, type Router } from 'express';
import { z } from 'zod';
import type { Business } from '../business/loadBusiness.js';
import type { FlowSet } from '../engine/decide.js';
import type { Clock } from '../engine/types.js';
import { Conflict, InvalidPayload, NotFound } from '../server/errors.js';
import {
  attributions,
  broadcasts,
  campaigns,
  consentEvents,
  recordConsent,
  type CampaignRow,
  type Db,
} from '../store/index.js';
import { broadcastInput } from './broadcastInput.js';
import { listBroadcastRecipients, readBroadcastProgress, RECIPIENT_STATUSES } from './broadcastProgress.js';
import { buildCampaignLinks, renderQrCode } from './buildCampaignLinks.js';
import { getCampaign, insertCampaign, listCampaigns, updateCampaign } from './campaignsRepo.js';
import { readConsent } from './consent.js';
import { createBroadcastDraft } from './createBroadcastDraft.js';
import { BroadcastStateError, type BroadcastRunner } from './createBroadcastRunner.js';
import type { WhatsAppTemplate } from './loadWhatsAppTemplates.js';
import { normalizePhone } from './normalizePhone.js';
import { funnelCsv, readFunnel } from './readFunnel.js';
import { normalizeRefCode, REF_CODE } from './refCode.js';
import { jsonBody } from '../server/jsonBody.js';

export interface CampaignsRouterOptions {
  db: Db;
  clock: Clock;
  flows: FlowSet;
  business: Business;
  templates: ReadonlyMap<string, WhatsAppTemplate>;
  runner: BroadcastRunner;
  displayPhoneNumber: string | undefined;
  publicBaseUrl: string;
  /** Who may use this API: the bearer API token or a staff session (CSRF token on writes). */
  auth: RequestHandler;
}

const refCode = z
  .string()
  .transform(normalizeRefCode)
  .pipe(z.string().regex(REF_CODE, { message: 'use 3 to 32 letters, digits, - or _' }));
const adIds = z.array(z.string().regex(/^\d{5,25}$/, { message: 'expected a numeric Meta ad id' })).max(200);
const cost = z
  .strictObject({
    amount: z.number().int().min(0, { message: 'expected minor units (cents), 0 or more' }),
    currency: z.string().regex(/^[A-Z]{3}$/, { message: 'expected an ISO 4217 code such as EUR' }),
  })
  .nullable();
const campaignFields = {
  name: z.string().trim().min(1).max(120),
  refCode: refCode.optional(),
  adIds: adIds.default([]),
  entryFlow: z.string().min(1),
  welcomeText: z.string().trim().min(1).max(1024).nullable().default(null),
  prefillText: z.string().trim().min(1).max(200).nullable().default(null),
  cost: cost.default(null),
};
const createBody = z.strictObject(campaignFields).refine((body) => body.refCode || body.adIds.length > 0, {
  message: 'give a ref code, ad ids, or both',
  path: ['refCode'],
});
const patchBody = z.strictObject({
  name: campaignFields.name.optional(),
  adIds: adIds.optional(),
  entryFlow: z.string().min(1).optional(),
  welcomeText: z.string().trim().min(1).max(1024).nullable().optional(),
  prefillText: z.string().trim().min(1).max(200).nullable().optional(),
  cost: cost.optional(),
  archived: z.boolean().optional(),
});
const consentBody = z.strictObject({
  action: z.enum(['opt_in', 'opt_out']),
  /** For an opt-in: the words the customer agreed to (kept as proof). */
  wording: z.string().trim().min(1).max(1000).optional(),
  source: z
    .string()
    .regex(/^[a-z][a-z0-9_:-]{1,60}$/)
    .default('contact_panel'),
});
const recipientsQuery = z.object({
  status: z.enum(RECIPIENT_STATUSES).optional(),
  after: z.coerce.number().int().min(0).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

/**
 * `/api` routes of the campaigns page: campaigns with their links, QR codes and funnel;
 * broadcasts (dry run, confirm, pause, resume, cancel, progress); contact consent.
 */
export function campaignsRouter(options: CampaignsRouterOptions): Router {
  const { db, clock, flows, business, templates, runner } = options;
  const router = express.Router();
  router.use(['/campaigns', '/broadcasts', '/contacts', '/templates', '/flows'], options.auth);
  // A CSV audience travels in the broadcast body; everything else is small.
  router.use('/broadcasts', jsonBody('6mb'));
  router.use(['/campaigns', '/contacts'], jsonBody('100kb'));

  const view = (campaign: CampaignRow) => ({
    ...campaign,
    links: buildCampaignLinks(campaign, options.displayPhoneNumber, options.publicBaseUrl),
  });
  const requireFlow = (flow: string) => {
    if (!flows.flows.has(flow))
      throw new InvalidPayload(`entryFlow: no flow "${flow}" (known: ${[...flows.flows.keys()].join(', ')})`);
  };
  const load = async (id: string) => {
    const campaign = await getCampaign(db, id);
    if (!campaign) throw new NotFound(`No campaign ${id}`);
    return campaign;
  };
  const isUniqueViolation = (error: unknown) =>
    (error as { code?: string; cause?: { code?: string } }).code === '23505' ||
    (error as { cause?: { code?: string } }).cause?.code === '23505';

  router.get('/flows', (_req, res) => {
    res.json({
      flows: [...flows.flows.values()].map((f) => ({ id: f.id, description: f.description ?? null })),
    });
  });
  router.get('/templates', (_req, res) => {
    res.json({ templates: [...templates.values()] });
  });

  router.get('/campaigns', async (_req, res) => {
    res.json({
      campaigns: (await listCampaigns(db)).map(view),
      displayPhoneNumber: options.displayPhoneNumber ?? null,
    });
  });
  router.post('/campaigns', async (req, res) => {
    const body = createBody.parse(req.body);
    requireFlow(body.entryFlow);
    try {
      const campaign = await insertCampaign(db, {
        id: randomUUID(),
        name: body.name,
        refCode: body.refCode ?? null,
        adIds: body.adIds,
        entryFlow: body.entryFlow,
        welcomeText: body.welcomeText,
        prefillText: body.prefillText,
        costAmount: body.cost?.amount ?? null,
        costCurrency: body.cost?.currency ?? null,
        createdAt: clock.now(),
      });
      res.status(201).json({ campaign: view(campaign) });
    } catch (error) {
      if (isUniqueViolation(error))
        throw new Conflict('ref_code_taken', `Ref code ${body.refCode} is already used by another campaign`);
      throw error;
    }
  });
  router.get('/campaigns/:id', async (req, res) => {
    res.json({ campaign: view(await load(req.params.id)) });
  });
  router.patch('/campaigns/:id', async (req, res) => {
    const body = patchBody.parse(req.body);
    await load(req.params.id);
    if (body.entryFlow) requireFlow(body.entryFlow);
    const { cost: newCost, ...rest } = body;
    const updated = await updateCampaign(db, req.params.id, {
      ...rest,
      ...(newCost !== undefined
        ? { costAmount: newCost?.amount ?? null, costCurrency: newCost?.currency ?? null }
        : {}),
    });
    res.json({ campaign: view(updated as CampaignRow) });
  });
  router.get('/campaigns/:id/qr.:format', async (req, res) => {
    const format = z.enum(['png', 'svg']).parse(req.params.format);
    const campaign = await load(req.params.id);
    const links = buildCampaignLinks(campaign, options.displayPhoneNumber, options.publicBaseUrl);
    if (!links)
      throw new Conflict(
        'no_link',
        campaign.refCode
          ? 'Set WHATSAPP_DISPLAY_PHONE_NUMBER to build wa.me links'
          : 'This campaign has no ref code, so it has no link: give it one to get a QR code',
      );
    const file = `${(campaign.refCode ?? 'campaign').toLowerCase()}-qr.${format}`;
    res.set('Content-Disposition', `attachment; filename="${file}"`);
    res
      .type(format === 'png' ? 'image/png' : 'image/svg+xml')
      .send(await renderQrCode(links.tracked, format));
  });
  router.get('/campaigns/:id/funnel', async (req, res) => {
    res.json({ funnel: await readFunnel(db, await load(req.params.id), business) });
  });
  router.get('/campaigns/:id/funnel.csv', async (req, res) => {
    const campaign = await load(req.params.id);
    const csv = funnelCsv(await readFunnel(db, campaign, business));
    res.set(
      'Content-Disposition',
      `attachment; filename="funnel-${(campaign.refCode ?? campaign.id).toLowerCase()}.csv"`,
    );
    res.type('text/csv').send(csv);
  });

  router.get('/broadcasts', async (_req, res) => {
    res.json({
      broadcasts: await db.select().from(broadcasts).orderBy(desc(broadcasts.createdAt)).limit(100),
    });
  });
  router.post('/broadcasts', async (req, res) => {
    const input = broadcastInput.parse(req.body);
    const result = await createBroadcastDraft({ db, clock, templates }, input);
    res.status(201).json(result);
  });
  router.get('/broadcasts/:id', async (req, res) => {
    const [broadcast] = await db.select().from(broadcasts).where(eq(broadcasts.id, req.params.id));
    if (!broadcast) throw new NotFound(`No broadcast ${req.params.id}`);
    res.json({ broadcast, progress: await readBroadcastProgress(db, broadcast.id) });
  });
  router.get('/broadcasts/:id/recipients', async (req, res) => {
    const query = recipientsQuery.parse(req.query);
    res.json({ recipients: await listBroadcastRecipients(db, req.params.id, query) });
  });
  const control =
    (action: (id: string, body: unknown) => Promise<unknown>): RequestHandler =>
    async (req, res) => {
      try {
        res.json({ broadcast: await action(req.params.id as string, req.body ?? {}) });
      } catch (error) {
        if (!(error instanceof BroadcastStateError)) throw error;
        if (error.message.startsWith('No broadcast')) throw new NotFound(error.message);
        throw new Conflict('broadcast_state', error.message);
      }
    };
  router.post(
    '/broadcasts/:id/confirm',
    control((id, body) =>
      runner.confirm(
        id,
        z.strictObject({ expectedRecipients: z.number().int().min(0) }).parse(body).expectedRecipients,
      ),
    ),
  );
  router.post(
    '/broadcasts/:id/pause',
    control((id) => runner.pause(id)),
  );
  router.post(
    '/broadcasts/:id/resume',
    control((id) => runner.resume(id)),
  );
  router.post(
    '/broadcasts/:id/cancel',
    control((id) => runner.cancel(id)),
  );

  router.get('/contacts/:waId/consent', async (req, res) => {
    const waId = normalizePhone(req.params.waId);
    if (!waId) throw new InvalidPayload('waId: expected a phone number in international form');
    const history = await db
      .select()
      .from(consentEvents)
      .where(eq(consentEvents.waId, waId))
      .orderBy(desc(consentEvents.at), desc(consentEvents.id));
    res.json({ waId, state: (await readConsent(db, [waId])).get(waId), history });
  });
  router.get('/contacts/:waId/attributions', async (req, res) => {
    const waId = normalizePhone(req.params.waId);
    if (!waId) throw new InvalidPayload('waId: expected a phone number in international form');
    const rows = await db
      .select({ attribution: attributions, campaignName: campaigns.name })
      .from(attributions)
      .leftJoin(campaigns, eq(campaigns.id, attributions.campaignId))
      .where(eq(attributions.waId, waId))
      .orderBy(desc(attributions.at), desc(attributions.id))
      .limit(50);
    const now = clock.now().getTime();
    res.json({
      waId,
      attributions: rows.map(({ attribution, campaignName }) => ({
        ...attribution,
        campaignName,
        freeWindowOpen: attribution.freeWindowUntil !== null && attribution.freeWindowUntil.getTime() > now,
      })),
    });
  });
  router.post('/contacts/:waId/consent', async (req, res) => {
    const waId = normalizePhone(req.params.waId);
    if (!waId) throw new InvalidPayload('waId: expected a phone number in international form');
    const body = consentBody.parse(req.body ?? {});
    if (body.action === 'opt_in' && !body.wording)
      throw new InvalidPayload('wording: an opt-in needs the words the customer agreed to, kept as proof');
    const key = req.get('idempotency-key') ?? randomUUID();
    if (key.length > 200) throw new InvalidPayload('Idempotency-Key is longer than 200 characters');
    await recordConsent(db, {
      waId,
      action: body.action,
      source: body.source,
      wording: body.wording ?? null,
      eventId: `panel:${key}`,
      at: clock.now(),
    });
    res.status(201).json({ waId, state: (await readConsent(db, [waId])).get(waId) });
  });
  return router;
}
