import { z } from 'zod';

/** Where a template variable's value comes from, for each recipient. */
export const variableSource = z.union([
  z.strictObject({ text: z.string().trim().min(1).max(200) }),
  z.strictObject({
    /** `name`, `phone`, or a column of the imported CSV. */
    field: z.string().regex(/^[a-z][a-z0-9_]*$/i, { message: 'expected name, phone or a CSV column name' }),
    /** Used when the recipient has no value for the field. */
    fallback: z.string().trim().min(1).max(200).optional(),
  }),
]);
export type VariableSource = z.infer<typeof variableSource>;

export const audienceInput = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('contacts'),
    /** Only contacts who came through this campaign. */
    campaignId: z.string().min(1).optional(),
    /** Only contacts whose language is one of these. */
    languages: z
      .array(z.string().regex(/^[a-z]{2}$/))
      .min(1)
      .optional(),
    /** Only contacts with a paid payment in the last N days. */
    purchasedWithinDays: z.number().int().positive().max(3650).optional(),
  }),
  z.strictObject({
    type: z.literal('csv'),
    /** A header row with `phone` (or `wa_id`), optionally `name`, `language`, and any variable columns. */
    csv: z.string().min(1).max(5_000_000),
    /**
     * Declares that these contacts gave marketing opt-in elsewhere, with the words they agreed
     * to; recorded per contact on confirm. Never overrides an opt-out.
     */
    consent: z
      .strictObject({
        wording: z.string().trim().min(10).max(1000),
        source: z.string().trim().min(2).max(100),
      })
      .optional(),
  }),
]);
export type AudienceInput = z.infer<typeof audienceInput>;

export const broadcastInput = z.strictObject({
  name: z.string().trim().min(1).max(120),
  campaignId: z.string().min(1).optional(),
  template: z.string().min(1),
  variables: z.record(z.string(), variableSource).default({}),
  audience: audienceInput,
  /** Skip contacts who received a marketing message (or Meta's 131049) this recently. */
  frequencyCapHours: z
    .number()
    .int()
    .min(0)
    .max(24 * 30)
    .default(24),
});
export type BroadcastInput = z.infer<typeof broadcastInput>;

export const EXCLUSION_REASONS = [
  'invalid_number',
  'duplicate',
  'opted_out',
  'no_consent',
  'frequency_capped',
  'missing_variable',
] as const;
export type ExclusionReason = (typeof EXCLUSION_REASONS)[number];
