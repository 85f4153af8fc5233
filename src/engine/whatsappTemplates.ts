import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { z } from 'zod';
import { formatValue, type Format, type FormatContext } from './format.js';
import { placeholdersOf, type TextCatalog } from './texts.js';
import { LOCALES, type EffectDraft, type Locale } from './types.js';

const name = z.string().regex(/^[a-z][a-z0-9_]*$/, { message: 'Meta template names use a-z, 0-9 and _' });

const fileSchema = z.strictObject({
  /** Meta's language code for each of our locales (Portuguese templates are per country). */
  languages: z.strictObject(
    Object.fromEntries(LOCALES.map((l) => [l, z.string().min(2)])) as Record<Locale, z.ZodString>,
  ),
  templates: z
    .array(
      z.strictObject({
        name,
        category: z.literal('utility'),
        /** The text in templates/<locale>.yaml this template mirrors; its placeholders become {{1}}, {{2}}… */
        text: z.string().regex(/^[a-z][a-z0-9_.-]*$/),
        description: z.string().optional(),
      }),
    )
    .min(1),
});

/** One template in one language, as submitted to Meta for approval. */
export interface WhatsAppTemplateBody {
  name: string;
  category: 'utility';
  /** Meta's language code. */
  language: string;
  /** Body with positional variables, e.g. "Your quote {{1}} is valid until {{2}}." */
  body: string;
  /** What fills each variable, in order. */
  params: { name: string; format: Format | undefined }[];
  /** An example value per variable, required by Meta's review. */
  example: string[];
}

export interface WhatsAppTemplateSet {
  /** Template name → locale → definition. */
  byName: ReadonlyMap<string, Record<Locale, WhatsAppTemplateBody>>;
  /** Template name → text key it mirrors. */
  textKeys: ReadonlyMap<string, string>;
}

/** Meta's body limit for templates. */
const TEMPLATE_BODY_MAX = 1024;

const EXAMPLE_VALUES: Record<string, unknown> = {
  reference: 'QUO-000123',
  amount: 24000,
  total: 9000,
  deposit: 1000,
  balance: 2500,
  date: '2026-06-20',
  validUntil: '2026-06-27',
  dueDate: '2026-07-01',
  start: '2026-06-20T08:00:00.000Z',
  service: 'Haircut',
  description: 'Bridal package',
  people: 3,
  business: 'Bella Studio',
};

/**
 * Reads the WhatsApp template definitions and builds each one's body in every language from the
 * text it mirrors, so the template and the in-window message always say the same thing.
 * @throws {Error} naming the file, the template and the problem (missing text, a variable at the
 * start or end of the body, which Meta rejects, a body over 1024 characters).
 */
export async function loadWhatsAppTemplates(
  file: string,
  texts: TextCatalog,
  format: FormatContext,
): Promise<WhatsAppTemplateSet> {
  const parsed = fileSchema.safeParse(parse(await readFile(file, 'utf8')));
  if (!parsed.success) {
    throw new Error(
      `${file}:\n${parsed.error.issues.map((i) => `  - ${i.path.join('.') || 'file'}: ${i.message}`).join('\n')}`,
    );
  }
  const problems: string[] = [];
  const byName = new Map<string, Record<Locale, WhatsAppTemplateBody>>();
  const textKeys = new Map<string, string>();
  for (const template of parsed.data.templates) {
    if (byName.has(template.name)) problems.push(`${template.name}: defined twice`);
    const perLocale = {} as Record<Locale, WhatsAppTemplateBody>;
    for (const locale of LOCALES) {
      const text = texts[locale][template.text];
      if (text === undefined) {
        problems.push(`${template.name}: no text "${template.text}" in ${locale}`);
        continue;
      }
      const params = placeholdersOf(text);
      let index = 0;
      const body = text.replace(/\{(\w+)(?::(\w+))?\}/g, () => `{{${++index}}}`).trim();
      if (/^\{\{\d+\}\}/.test(body) || /\{\{\d+\}\}[.!?]?$/.test(body)) {
        problems.push(`${template.name} (${locale}): the body may not start or end with a variable`);
      }
      if ([...body].length > TEMPLATE_BODY_MAX) {
        problems.push(`${template.name} (${locale}): body over ${TEMPLATE_BODY_MAX} characters`);
      }
      perLocale[locale] = {
        name: template.name,
        category: template.category,
        language: parsed.data.languages[locale],
        body,
        params,
        example: params.map((p) => formatValue(EXAMPLE_VALUES[p.name] ?? p.name, p.format, locale, format)),
      };
    }
    byName.set(template.name, perLocale);
    textKeys.set(template.name, template.text);
  }
  if (problems.length > 0) throw new Error(`${file}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  return { byName, textKeys };
}

/**
 * The send effect for a template: values formatted for the locale. Meta refuses newlines, tabs
 * and runs of spaces in parameters, so they are folded.
 */
export function renderWhatsAppTemplate(
  template: WhatsAppTemplateBody,
  locale: Locale,
  vars: Readonly<Record<string, unknown>>,
  format: FormatContext,
): EffectDraft {
  return {
    type: 'SendTemplate',
    name: template.name,
    language: template.language,
    components: [
      {
        type: 'body',
        parameters: template.params.map((p) => ({
          type: 'text',
          text:
            formatValue(vars[p.name], p.format, locale, format)
              .replace(/[\n\t]+/g, ' ')
              .replace(/ {4,}/g, '   ') || '-',
        })),
      },
    ],
  };
}
