import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { z } from 'zod';

const templateSchema = z
  .strictObject({
    name: z.string().regex(/^[a-z0-9_]{1,512}$/, { message: 'use lowercase letters, digits and _' }),
    category: z.enum(['marketing', 'utility', 'authentication']),
    variables: z.array(z.string().regex(/^[a-z][a-z0-9_]*$/)).default([]),
    languages: z.record(
      z
        .string()
        .regex(/^[a-z]{2,3}(_[A-Z]{2})?$/, { message: 'expected a language code such as en or pt_PT' }),
      z.strictObject({ body: z.string().min(1).max(1024) }),
    ),
  })
  .superRefine((template, ctx) => {
    if (Object.keys(template.languages).length === 0)
      ctx.addIssue({ code: 'custom', path: ['languages'], message: 'needs at least one language' });
    for (const [code, { body }] of Object.entries(template.languages)) {
      const used = new Set([...body.matchAll(/\{\{(\d+)\}\}/g)].map((m) => Number(m[1])));
      const expected = template.variables.length;
      const exact = used.size === expected && [...used].every((n) => n >= 1 && n <= expected);
      if (!exact)
        ctx.addIssue({
          code: 'custom',
          path: ['languages', code, 'body'],
          message: `must use {{1}}…{{${expected}}} once each for ${template.variables.join(', ') || 'no variables'}`,
        });
    }
  });

const fileSchema = z.strictObject({ templates: z.array(templateSchema) });

export type WhatsAppTemplate = z.infer<typeof templateSchema>;

/** A templates file that cannot be used; the message names the file and each problem. */
export class TemplatesFileError extends Error {
  constructor(file: string, problems: string[]) {
    super(`${file}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'TemplatesFileError';
  }
}

/**
 * Loads `templates/marketing-templates.yaml`: the approved templates a broadcast may use. A
 * missing file means no templates (broadcasts are then unavailable), not an error.
 *
 * @throws {TemplatesFileError} when the file is not valid YAML or does not match the schema.
 */
export async function loadWhatsAppTemplates(file: string): Promise<Map<string, WhatsAppTemplate>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw error;
  }
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (error) {
    throw new TemplatesFileError(file, [`not valid YAML: ${(error as Error).message}`]);
  }
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success)
    throw new TemplatesFileError(
      file,
      parsed.error.issues.map((issue) => `${issue.path.join('.') || 'file'}: ${issue.message}`),
    );
  const templates = new Map<string, WhatsAppTemplate>();
  for (const template of parsed.data.templates) {
    if (templates.has(template.name))
      throw new TemplatesFileError(file, [`template "${template.name}" is defined twice`]);
    templates.set(template.name, template);
  }
  return templates;
}

/** The template language for a customer: their locale if the template has it, else the first one. */
export function pickTemplateLanguage(template: WhatsAppTemplate, locale: string | null): string {
  const codes = Object.keys(template.languages);
  const match = locale ? codes.find((code) => code === locale || code.startsWith(`${locale}_`)) : undefined;
  return match ?? (codes[0] as string);
}
