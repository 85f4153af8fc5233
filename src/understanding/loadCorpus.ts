import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { z } from 'zod';
import { INTENTS, LOCALES, type Intent, type Locale } from '../engine/types.js';

export const CORPUS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'corpus');

const corpusSchema = z.partialRecord(
  z.enum(INTENTS),
  z.array(z.union([z.string().min(1), z.number().transform(String)])).min(1),
);

export interface CorpusLine {
  text: string;
  intent: Intent;
  locale: Locale;
}

/**
 * Reads the training phrases, one YAML file per language (`corpus/<locale>.yaml`).
 * @throws {Error} naming the file and the bad intent when a file does not match the schema.
 */
export function loadCorpus(dir: string = CORPUS_DIR): CorpusLine[] {
  const lines: CorpusLine[] = [];
  for (const locale of LOCALES) {
    const file = path.join(dir, `${locale}.yaml`);
    const parsed = corpusSchema.safeParse(parse(readFileSync(file, 'utf8')));
    if (!parsed.success) {
      throw new Error(
        `${file}:\n${parsed.error.issues.map((i) => `  - ${i.path.join('.')}: ${i.message}`).join('\n')}`,
      );
    }
    for (const [intent, texts] of Object.entries(parsed.data) as [Intent, string[]][]) {
      for (const text of texts) lines.push({ text, intent, locale });
    }
  }
  return lines;
}
