import { randomUUID } from 'node:crypto';
import { parse } from 'csv-parse/sync';
import { sql, type SQL } from 'drizzle-orm';
import type { Clock } from '../engine/types.js';
import { InvalidPayload, NotFound } from '../server/errors.js';
import { broadcastRecipients, broadcasts, queryRows, type BroadcastRow, type Db } from '../store/index.js';
import {
  EXCLUSION_REASONS,
  type AudienceInput,
  type BroadcastInput,
  type ExclusionReason,
  type VariableSource,
} from './broadcastInput.js';
import { getCampaign } from './campaignsRepo.js';
import { jsonList, readConsent } from './consent.js';
import { MARKETING_KIND } from './marketingKind.js';
import { normalizePhone } from './normalizePhone.js';
import { pickTemplateLanguage, type WhatsAppTemplate } from './loadWhatsAppTemplates.js';

export interface BroadcastContext {
  db: Db;
  clock: Clock;
  templates: ReadonlyMap<string, WhatsAppTemplate>;
}

/** One person a broadcast may go to, before the exclusion rules. */
interface Candidate {
  waId: string;
  name: string | null;
  locale: string | null;
  fields: Record<string, string>;
  reason: ExclusionReason | null;
}

/** A CSV row that could not be used, for the import report. */
export interface CsvProblem {
  row: number;
  value: string;
  reason: ExclusionReason | 'missing_phone';
}

export interface BroadcastPreview {
  candidates: number;
  willReceive: number;
  excluded: Record<ExclusionReason, number>;
  samples: { language: string; text: string }[];
  csv?: { rows: number; accepted: number; problems: CsvProblem[]; problemCount: number };
}

const REPORT_LIMIT = 500;

/** A recipient's value for one variable, or null when it has none and no fallback. */
export function variableValue(
  source: VariableSource,
  recipient: { waId: string; name: string | null; fields: Record<string, unknown> },
): string | null {
  if ('text' in source) return source.text;
  const raw =
    source.field === 'name'
      ? recipient.name
      : source.field === 'phone'
        ? recipient.waId
        : recipient.fields[source.field.toLowerCase()];
  const value = typeof raw === 'string' ? raw.trim() : '';
  return value || source.fallback || null;
}

/** The template body a recipient will read, with their values in place. */
export function renderTemplateBody(template: WhatsAppTemplate, language: string, values: string[]): string {
  const body = template.languages[language]?.body ?? '';
  return body.replace(/\{\{(\d+)\}\}/g, (_, n: string) => values[Number(n) - 1] ?? '');
}

function readCsv(text: string): { candidates: Candidate[]; problems: CsvProblem[]; rows: number } {
  let records: Record<string, string>[];
  try {
    records = parse(text, {
      columns: (header: string[]) => header.map((name) => name.trim().toLowerCase()),
      skip_empty_lines: true,
      trim: true,
      bom: true,
      relax_column_count: true,
    }) as Record<string, string>[];
  } catch (error) {
    throw new InvalidPayload(`audience.csv: ${(error as Error).message}`);
  }
  const first = records[0];
  const phoneColumn = first ? ['phone', 'wa_id', 'number', 'mobile'].find((c) => c in first) : undefined;
  if (!phoneColumn)
    throw new InvalidPayload('audience.csv: needs a header row with a "phone" column (or "wa_id")');
  const seen = new Set<string>();
  const problems: CsvProblem[] = [];
  const candidates = records.map((record, index): Candidate => {
    const raw = record[phoneColumn] ?? '';
    const waId = normalizePhone(raw);
    let reason: ExclusionReason | null = null;
    if (!waId) reason = 'invalid_number';
    else if (seen.has(waId)) reason = 'duplicate';
    if (waId) seen.add(waId);
    // Row 1 is the header, so the first record is row 2, as a spreadsheet shows it.
    if (reason)
      problems.push({ row: index + 2, value: raw.slice(0, 40), reason: raw ? reason : 'missing_phone' });
    const language = record.language?.toLowerCase().slice(0, 2) || null;
    return {
      waId: waId ?? raw.slice(0, 40),
      name: record.name || null,
      locale: language,
      fields: record,
      reason,
    };
  });
  return { candidates, problems, rows: records.length };
}

async function contactCandidates(db: Db, audience: Extract<AudienceInput, { type: 'contacts' }>, now: Date) {
  const conditions: SQL[] = [sql`true`];
  if (audience.campaignId)
    conditions.push(
      sql`EXISTS (SELECT 1 FROM attributions a WHERE a.wa_id = c.wa_id AND a.campaign_id = ${audience.campaignId})`,
    );
  if (audience.languages)
    conditions.push(sql`c.locale IN (SELECT jsonb_array_elements_text(${jsonList(audience.languages)}))`);
  if (audience.purchasedWithinDays) {
    const since = new Date(now.getTime() - audience.purchasedWithinDays * 86_400_000);
    conditions.push(
      sql`EXISTS (SELECT 1 FROM payments p WHERE p.wa_id = c.wa_id
            AND p.status IN ('succeeded', 'partially_refunded') AND p.paid_at >= ${since.toISOString()}::timestamptz)`,
    );
  }
  const rows = await queryRows<{ wa_id: string; name: string | null; locale: string | null }>(
    db,
    sql`SELECT c.wa_id, c.name, c.locale FROM contacts c WHERE ${sql.join(conditions, sql` AND `)} ORDER BY c.wa_id`,
  );
  return rows.map((row): Candidate => ({
    waId: row.wa_id,
    name: row.name,
    locale: row.locale,
    fields: {},
    reason: null,
  }));
}

/** Contacts who got a marketing message, or Meta's frequency-capping refusal, since `since`. */
async function recentlyMessaged(db: Db, waIds: string[], since: Date): Promise<Set<string>> {
  if (waIds.length === 0) return new Set();
  const rows = await queryRows<{ recipient: string }>(
    db,
    sql`SELECT DISTINCT o.recipient FROM outbox o
        LEFT JOIN messages m ON m.outbox_id = o.id
        WHERE o.recipient IN (SELECT jsonb_array_elements_text(${jsonList(waIds)}))
          AND ((o.kind = ${MARKETING_KIND} AND o.status = 'sent' AND o.sent_at >= ${since.toISOString()}::timestamptz)
            OR (m.error_code = 131049 AND m.status_at >= ${since.toISOString()}::timestamptz))`,
  );
  return new Set(rows.map((row) => row.recipient));
}

/**
 * The dry run of a broadcast: resolves the audience, applies every exclusion rule (invalid
 * number, duplicate, opted out, no consent, frequency cap, missing variable) and stores a draft
 * with one row per candidate. Nothing is sent until the draft is confirmed.
 *
 * @throws {InvalidPayload} for an unknown template, a variable without a source, or a bad CSV.
 */
export async function createBroadcastDraft(
  ctx: BroadcastContext,
  input: BroadcastInput,
): Promise<{ broadcast: BroadcastRow; preview: BroadcastPreview }> {
  const template = ctx.templates.get(input.template);
  if (!template)
    throw new InvalidPayload(
      `template: no template "${input.template}" in templates/marketing-templates.yaml (known: ${[...ctx.templates.keys()].join(', ') || 'none'})`,
    );
  const missing = template.variables.filter((name) => !input.variables[name]);
  if (missing.length > 0)
    throw new InvalidPayload(`variables: say where ${missing.map((m) => `"${m}"`).join(', ')} come from`);
  if (input.campaignId && !(await getCampaign(ctx.db, input.campaignId)))
    throw new NotFound(`No campaign ${input.campaignId}`);
  if (input.audience.type === 'contacts' && input.audience.campaignId) {
    if (!(await getCampaign(ctx.db, input.audience.campaignId)))
      throw new NotFound(`audience.campaignId: no campaign ${input.audience.campaignId}`);
  }

  const now = ctx.clock.now();
  const csv = input.audience.type === 'csv' ? readCsv(input.audience.csv) : null;
  const candidates = csv ? csv.candidates : await contactCandidates(ctx.db, input.audience as never, now);
  const valid = candidates.filter((c) => c.reason === null).map((c) => c.waId);
  const consent = await readConsent(ctx.db, valid);
  const declaredConsent = input.audience.type === 'csv' && input.audience.consent !== undefined;
  const capped =
    input.frequencyCapHours > 0
      ? await recentlyMessaged(ctx.db, valid, new Date(now.getTime() - input.frequencyCapHours * 3_600_000))
      : new Set<string>();
  const samples: BroadcastPreview['samples'] = [];
  for (const candidate of candidates) {
    if (candidate.reason) continue;
    const state = consent.get(candidate.waId) ?? 'none';
    if (state === 'opted_out') candidate.reason = 'opted_out';
    else if (state === 'none' && !declaredConsent) candidate.reason = 'no_consent';
    else if (capped.has(candidate.waId)) candidate.reason = 'frequency_capped';
    else {
      const values = template.variables.map((name) =>
        variableValue(input.variables[name] as VariableSource, candidate),
      );
      if (values.some((value) => value === null)) candidate.reason = 'missing_variable';
      else if (samples.length < 3) {
        const language = pickTemplateLanguage(template, candidate.locale);
        samples.push({ language, text: renderTemplateBody(template, language, values as string[]) });
      }
    }
  }

  const excluded = Object.fromEntries(EXCLUSION_REASONS.map((reason) => [reason, 0])) as Record<
    ExclusionReason,
    number
  >;
  for (const candidate of candidates) if (candidate.reason) excluded[candidate.reason]++;
  const id = randomUUID();
  const { csv: _csvText, ...audienceWithoutCsv } = input.audience as AudienceInput & { csv?: string };
  const broadcast = await ctx.db.transaction(async (tx) => {
    const [row] = await tx
      .insert(broadcasts)
      .values({
        id,
        name: input.name,
        campaignId: input.campaignId ?? null,
        templateName: template.name,
        variables: input.variables,
        audience: { ...audienceWithoutCsv, ...(csv ? { rows: csv.rows } : {}) },
        frequencyCapHours: input.frequencyCapHours,
        createdAt: now,
      })
      .returning();
    for (let start = 0; start < candidates.length; start += 500) {
      await tx.insert(broadcastRecipients).values(
        candidates.slice(start, start + 500).map((candidate) => ({
          broadcastId: id,
          waId: candidate.waId,
          name: candidate.name,
          locale: candidate.locale,
          fields: candidate.fields,
          state: candidate.reason ? ('excluded' as const) : ('waiting' as const),
          reason: candidate.reason,
        })),
      );
    }
    return row as BroadcastRow;
  });
  const willReceive = candidates.filter((c) => !c.reason).length;
  const csvProblems = csv
    ? candidates.flatMap((candidate, index) =>
        candidate.reason && !csv.problems.some((p) => p.row === index + 2)
          ? [{ row: index + 2, value: candidate.waId, reason: candidate.reason }]
          : [],
      )
    : [];
  const allProblems = csv ? [...csv.problems, ...csvProblems].sort((a, b) => a.row - b.row) : [];
  return {
    broadcast,
    preview: {
      candidates: candidates.length,
      willReceive,
      excluded,
      samples,
      ...(csv
        ? {
            csv: {
              rows: csv.rows,
              accepted: willReceive,
              problems: allProblems.slice(0, REPORT_LIMIT),
              problemCount: allProblems.length,
            },
          }
        : {}),
    },
  };
}
