import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LOCALES, type Locale } from '../engine/types.js';
import type { Catalog } from './parseCatalog.js';

const PROMPTS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'prompts');

/**
 * Reads a prompt template from `prompts/` (at start, so a missing file fails the start).
 * @throws {Error} when the file is missing.
 */
export function loadPrompt(name: string, dir: string = PROMPTS_DIR): string {
  return readFileSync(path.join(dir, `${name}.md`), 'utf8');
}

export interface PromptContext {
  business: string;
  city: string;
  catalog: Catalog;
  now: Date;
  /** The language the conversation has been in so far, if known. */
  conversationLanguage?: Locale | null;
}

/**
 * Fills `{{name}}` placeholders of the understanding prompt: business, clock and catalog.
 * @throws {Error} naming a placeholder the context cannot fill, so a typo never reaches the model.
 */
export function renderUnderstandPrompt(template: string, context: PromptContext): string {
  const { catalog, now } = context;
  const part = (options: Intl.DateTimeFormatOptions) =>
    new Intl.DateTimeFormat('en-GB', { timeZone: catalog.timeZone, ...options }).format(now);
  const values: Record<string, string> = {
    business: context.business,
    city: context.city,
    timezone: catalog.timeZone,
    today: new Intl.DateTimeFormat('en-CA', { timeZone: catalog.timeZone }).format(now),
    weekday: part({ weekday: 'long' }),
    time: part({ hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }),
    locales: LOCALES.join(', '),
    conversationLanguage: context.conversationLanguage ?? 'not known yet',
    catalog: catalog.items
      .map((item) => {
        const variants = Object.entries(item.variants ?? {})
          .map(([kind, values]) => `${kind}: ${values.join(', ')}`)
          .join('; ');
        return `  - \`${item.id}\`: ${item.name}${variants ? ` (${variants})` : ''}`;
      })
      .join('\n'),
  };
  return template.replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`prompt placeholder {{${name}}} has no value`);
    return value;
  });
}
