import { sql } from 'drizzle-orm';
import { queryRows, type Db } from '../store/index.js';

/** Where a contact stands for marketing: a recorded opt-in, an opt-out, or nothing on record. */
export type ConsentState = 'opted_in' | 'opted_out' | 'none';

/** A JSON array parameter, so thousands of ids travel as one bind value. */
export const jsonList = (values: readonly string[]) => sql`${JSON.stringify(values)}::jsonb`;

/**
 * Marketing consent of many contacts at once. Only a recorded opt-in (the latest consent event
 * being `opt_in`) allows marketing; a contact we never asked has `none`.
 */
export async function readConsent(db: Db, waIds: readonly string[]): Promise<Map<string, ConsentState>> {
  const states = new Map<string, ConsentState>(waIds.map((id) => [id, 'none']));
  if (waIds.length === 0) return states;
  const rows = await queryRows<{ wa_id: string; opted_out: boolean; consent_changed_at: unknown }>(
    db,
    sql`SELECT wa_id, opted_out, consent_changed_at FROM contacts
        WHERE wa_id IN (SELECT jsonb_array_elements_text(${jsonList(waIds)}))`,
  );
  for (const row of rows) {
    states.set(
      row.wa_id,
      row.opted_out ? 'opted_out' : row.consent_changed_at !== null ? 'opted_in' : 'none',
    );
  }
  return states;
}

/** Why a marketing message may not go to a contact, in words for the refusal; null when it may. */
export function consentRefusal(state: ConsentState): string | null {
  if (state === 'opted_out') return 'The contact opted out of marketing messages';
  if (state === 'none') return 'No recorded marketing opt-in for this contact';
  return null;
}
