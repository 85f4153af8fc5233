import { sql } from 'drizzle-orm';
import { queryRows, type CampaignRow, type Db } from '../store/index.js';

export const FUNNEL_STAGES = [
  'clicks',
  'firstMessages',
  'engaged',
  'cart',
  'paymentRequested',
  'paid',
] as const;
export type FunnelStage = (typeof FUNNEL_STAGES)[number];

export type FunnelDay = Record<FunnelStage, number> & { day: string; revenue: number };

export interface Funnel {
  campaignId: string;
  currency: string;
  days: FunnelDay[];
  totals: Record<FunnelStage, number> & { revenue: number };
  cost: { amount: number; currency: string } | null;
  /** Revenue per unit of spend (revenue ÷ cost), when a cost in the same currency is entered. */
  revenuePerSpend: number | null;
  capi: { sent: number; queued: number; failed: number; lastErrors: { event: string; error: string }[] };
}

/**
 * The funnel of one campaign, by day in the business's time zone. Clicks count on the day of
 * the click; every other stage counts on the day the conversation first came through this
 * campaign (a cohort), so a day's row reads "of the people who arrived that day, how many…".
 *
 * - first message: conversations attributed to the campaign (ad referral or ref code);
 * - engaged: two or more customer messages, or a tap on a button or list, after arriving;
 * - quote/cart: reached a quote, checkout or booking flow, or sent a WhatsApp cart;
 * - payment requested / paid: a payment created / paid in the conversation after arriving and
 *   before any later arrival through another campaign (last touch wins);
 * - revenue: paid amounts minus refunds, in the business currency, minor units.
 */
export async function readFunnel(
  db: Db,
  campaign: CampaignRow,
  business: { timezone: string; currency: string },
): Promise<Funnel> {
  const tz = business.timezone;
  const id = campaign.id;
  const credited = sql`NOT EXISTS (
      SELECT 1 FROM attributions a2 WHERE a2.conversation_id = p.conversation_id
        AND a2.at > f.at AND a2.at <= p.created_at AND a2.campaign_id IS DISTINCT FROM ${id})`;
  const stageRows = await queryRows<{
    day: string;
    first_messages: number;
    engaged: number;
    cart: number;
    payment_requested: number;
    paid: number;
    revenue: number;
  }>(
    db,
    sql`WITH f AS (
          SELECT conversation_id, min(at) AS at FROM attributions WHERE campaign_id = ${id} GROUP BY conversation_id
        ), s AS (
          SELECT to_char(f.at AT TIME ZONE ${tz}, 'YYYY-MM-DD') AS day,
            ((SELECT count(*) FROM messages m WHERE m.conversation_id = f.conversation_id
                AND m.direction = 'in' AND m.created_at >= f.at) >= 2
              OR EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = f.conversation_id
                AND m.direction = 'in' AND m.created_at >= f.at AND m.type IN ('interactive', 'button'))) AS engaged,
            EXISTS (SELECT 1 FROM funnel_marks k WHERE k.conversation_id = f.conversation_id
                AND k.stage = 'cart' AND k.at >= f.at) AS cart,
            EXISTS (SELECT 1 FROM payments p WHERE p.conversation_id = f.conversation_id
                AND p.created_at >= f.at AND ${credited}) AS requested,
            EXISTS (SELECT 1 FROM payments p WHERE p.conversation_id = f.conversation_id
                AND p.created_at >= f.at AND p.paid_at IS NOT NULL
                AND p.status IN ('succeeded', 'partially_refunded', 'refunded') AND ${credited}) AS paid,
            (SELECT coalesce(sum(p.amount - p.refunded_amount), 0) FROM payments p
              WHERE p.conversation_id = f.conversation_id AND p.created_at >= f.at AND p.paid_at IS NOT NULL
                AND p.status IN ('succeeded', 'partially_refunded', 'refunded')
                AND p.currency = ${business.currency} AND ${credited}) AS revenue
          FROM f)
        SELECT day, count(*)::int AS first_messages, count(*) FILTER (WHERE engaged)::int AS engaged,
          count(*) FILTER (WHERE cart)::int AS cart, count(*) FILTER (WHERE requested)::int AS payment_requested,
          count(*) FILTER (WHERE paid)::int AS paid, coalesce(sum(revenue), 0)::int AS revenue
        FROM s GROUP BY day`,
  );
  const clickRows = await queryRows<{ day: string; clicks: number }>(
    db,
    sql`SELECT to_char(at AT TIME ZONE ${tz}, 'YYYY-MM-DD') AS day, count(*)::int AS clicks
        FROM campaign_clicks WHERE campaign_id = ${id} GROUP BY 1`,
  );
  const byDay = new Map<string, FunnelDay>();
  const dayOf = (day: string) => {
    let row = byDay.get(day);
    if (!row) {
      row = {
        day,
        clicks: 0,
        firstMessages: 0,
        engaged: 0,
        cart: 0,
        paymentRequested: 0,
        paid: 0,
        revenue: 0,
      };
      byDay.set(day, row);
    }
    return row;
  };
  for (const row of clickRows) dayOf(row.day).clicks = row.clicks;
  for (const row of stageRows) {
    Object.assign(dayOf(row.day), {
      firstMessages: row.first_messages,
      engaged: row.engaged,
      cart: row.cart,
      paymentRequested: row.payment_requested,
      paid: row.paid,
      revenue: Number(row.revenue),
    });
  }
  const days = [...byDay.values()].sort((a, b) => a.day.localeCompare(b.day));
  const totals = {
    clicks: 0,
    firstMessages: 0,
    engaged: 0,
    cart: 0,
    paymentRequested: 0,
    paid: 0,
    revenue: 0,
  };
  for (const day of days)
    for (const key of Object.keys(totals) as (keyof typeof totals)[]) totals[key] += day[key];

  const capiRows = await queryRows<{ status: 'sent' | 'queued' | 'failed'; n: number }>(
    db,
    sql`SELECT status, count(*)::int AS n FROM capi_events WHERE campaign_id = ${id} GROUP BY 1`,
  );
  const lastErrors = await queryRows<{ event: string; error: string }>(
    db,
    sql`SELECT event_name AS event, error FROM capi_events
        WHERE campaign_id = ${id} AND error IS NOT NULL ORDER BY created_at DESC LIMIT 5`,
  );
  const capi = { sent: 0, queued: 0, failed: 0, lastErrors };
  for (const row of capiRows) capi[row.status] = row.n;

  const cost =
    campaign.costAmount !== null && campaign.costCurrency
      ? { amount: campaign.costAmount, currency: campaign.costCurrency }
      : null;
  const revenuePerSpend =
    cost && cost.amount > 0 && cost.currency === business.currency
      ? Math.round((totals.revenue / cost.amount) * 100) / 100
      : null;
  return { campaignId: id, currency: business.currency, days, totals, cost, revenuePerSpend, capi };
}

/** The funnel as CSV, one row per day plus a total; amounts in major units. */
export function funnelCsv(funnel: Funnel): string {
  const digits =
    new Intl.NumberFormat('en', { style: 'currency', currency: funnel.currency }).resolvedOptions()
      .maximumFractionDigits ?? 2;
  const money = (minor: number) => (minor / 10 ** digits).toFixed(digits);
  const header = [
    'day',
    'clicks',
    'first_messages',
    'engaged',
    'quote_or_cart',
    'payment_requested',
    'paid',
    `revenue_${funnel.currency}`,
  ];
  const line = (label: string, row: Record<FunnelStage, number> & { revenue: number }) =>
    [label, ...FUNNEL_STAGES.map((stage) => String(row[stage])), money(row.revenue)].join(',');
  return (
    [header.join(','), ...funnel.days.map((day) => line(day.day, day)), line('total', funnel.totals)].join(
      '\n',
    ) + '\n'
  );
}
