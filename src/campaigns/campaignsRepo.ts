import { and, desc, eq, sql } from 'drizzle-orm';
import { campaignClicks, campaigns, type CampaignRow, type Db } from '../store/index.js';

export type NewCampaign = typeof campaigns.$inferInsert;

export async function insertCampaign(db: Db, campaign: NewCampaign): Promise<CampaignRow> {
  const [row] = await db.insert(campaigns).values(campaign).returning();
  return row as CampaignRow;
}

export async function updateCampaign(
  db: Db,
  id: string,
  patch: Partial<Omit<NewCampaign, 'id' | 'createdAt'>>,
): Promise<CampaignRow | null> {
  const [row] = await db
    .update(campaigns)
    .set({ ...patch, updatedAt: sql`clock_timestamp()` })
    .where(eq(campaigns.id, id))
    .returning();
  return row ?? null;
}

export async function getCampaign(db: Db, id: string): Promise<CampaignRow | null> {
  const [row] = await db.select().from(campaigns).where(eq(campaigns.id, id));
  return row ?? null;
}

export async function listCampaigns(db: Db): Promise<CampaignRow[]> {
  return db.select().from(campaigns).where(eq(campaigns.archived, false)).orderBy(desc(campaigns.createdAt));
}

/** The live campaign a ref code or an ad id belongs to; the ref code wins when both match. */
export async function findCampaign(
  db: Db,
  keys: { refCode: string | null; adId: string | null },
): Promise<CampaignRow | null> {
  if (keys.refCode) {
    const [row] = await db
      .select()
      .from(campaigns)
      .where(and(eq(campaigns.refCode, keys.refCode), eq(campaigns.archived, false)));
    if (row) return row;
  }
  if (keys.adId) {
    const [row] = await db
      .select()
      .from(campaigns)
      .where(
        and(sql`${campaigns.adIds} @> ${JSON.stringify([keys.adId])}::jsonb`, eq(campaigns.archived, false)),
      )
      .orderBy(desc(campaigns.createdAt))
      .limit(1);
    if (row) return row;
  }
  return null;
}

/** Counts one visit of a campaign's redirect link. */
export async function recordClick(db: Db, campaignId: string, at: Date): Promise<void> {
  await db.insert(campaignClicks).values({ campaignId, at });
}
