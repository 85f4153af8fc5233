import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadBusiness } from '../business/loadBusiness.js';
import { loadTexts } from './texts.js';
import { LOCALES } from './types.js';
import { loadWhatsAppTemplates } from './whatsappTemplates.js';

/**
 * Prints the WhatsApp templates in the body Meta's `POST /{waba-id}/message_templates` takes,
 * one per template and language, ready to submit for approval.
 *
 * @example npm run templates:whatsapp > templates.json
 */
async function main() {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
  const business = await loadBusiness(path.join(root, 'seed', 'bella-studio.yaml'));
  const texts = await loadTexts(path.join(root, 'templates'));
  const set = await loadWhatsAppTemplates(path.join(root, 'templates', 'whatsapp-templates.yaml'), texts, {
    currency: business.currency,
    timeZone: business.timezone,
  });
  const requests = [...set.byName.values()].flatMap((perLocale) =>
    LOCALES.map((locale) => {
      const t = perLocale[locale];
      return {
        name: t.name,
        category: 'UTILITY',
        language: t.language,
        components: [
          {
            type: 'BODY',
            text: t.body,
            ...(t.example.length ? { example: { body_text: [t.example] } } : {}),
          },
        ],
      };
    }),
  );
  process.stdout.write(`${JSON.stringify(requests, null, 2)}\n`);
}

await main();
