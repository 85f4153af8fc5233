import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { z } from 'zod';

const variable = z.strictObject({
  name: z.string().regex(/^[a-z][a-z0-9_]*$/, { message: 'use lowercase letters, digits and _' }),
  label: z.string().min(1),
  example: z.string().optional(),
});

const template = z
  .strictObject({
    name: z.string().regex(/^[a-z0-9_]{1,512}$/, { message: "Meta's template names use a-z, 0-9 and _" }),
    category: z.enum(['utility', 'marketing', 'authentication']),
    description: z.string().optional(),
    variables: z.array(variable).default([]),
    /** Meta language code (it, en, pt_PT…) → the approved body text with {{n}} placeholders. */
    languages: z.record(z.string().regex(/^[a-z]{2,3}(_[A-Z]{2})?$/), z.string().min(1).max(1024)),
  })
  .superRefine((t, ctx) => {
    for (const [language, body] of Object.entries(t.languages)) {
      const used = new Set([...body.matchAll(/\{\{(\d+)\}\}/g)].map((m) => Number(m[1])));
      const expected = new Set(t.variables.map((_, index) => index + 1));
      if (used.size !== expected.size || [...used].some((n) => !expected.has(n)))
        ctx.addIssue({
          code: 'custom',
          path: ['languages', language],
          message: `uses {{${[...used].join('}}, {{')}}} but ${t.variables.length} variable(s) are declared`,
        });
    }
  });

const file = z.strictObject({ templates: z.array(template) });

export type WhatsAppTemplate = z.infer<typeof template>;

/**
 * Reads the approved WhatsApp templates (templates/staff-templates.yaml).
 * @throws {Error} naming the file and each bad field.
 */
export async function loadWhatsAppTemplates(path: string): Promise<WhatsAppTemplate[]> {
  const parsed = file.safeParse(parse(await readFile(path, 'utf8')));
  if (!parsed.success)
    throw new Error(
      `${path}:\n${parsed.error.issues.map((i) => `  - ${i.path.join('.')}: ${i.message}`).join('\n')}`,
    );
  const names = parsed.data.templates.map((t) => t.name);
  const repeated = names.find((name, index) => names.indexOf(name) !== index);
  if (repeated) throw new Error(`${path}: template ${repeated} is defined twice`);
  return parsed.data.templates;
}

/** The body a template renders to with these values, for the transcript preview. */
export function renderTemplateBody(body: string, values: string[]): string {
  return body.replace(/\{\{(\d+)\}\}/g, (_, n: string) => values[Number(n) - 1] ?? '');
}
