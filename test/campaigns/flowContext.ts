import path from 'node:path';
import { describeOpeningHours, loadBusiness } from '../../src/business/loadBusiness.js';
import type { DecideContext } from '../../src/engine/decide.js';
import { loadFlows } from '../../src/engine/loadFlows.js';
import { loadTexts, type TextVars } from '../../src/engine/texts.js';
import { LOCALES, type Locale } from '../../src/engine/types.js';

/** The real flows and texts of the demo business, as decide() receives them. */
export async function createTestFlowContext(): Promise<DecideContext> {
  const root = process.cwd();
  const business = await loadBusiness(path.join(root, 'seed', 'bella-studio.yaml'));
  const texts = await loadTexts(path.join(root, 'templates'));
  const vars = Object.fromEntries(
    LOCALES.map((locale) => [
      locale,
      { business: business.name, hours: describeOpeningHours(business, locale) },
    ]),
  ) as Record<Locale, TextVars>;
  const flows = await loadFlows(path.join(root, 'flows'), texts, vars);
  return { flows, texts, vars, defaultLocale: business.defaultLocale, eventId: 'evt-1' };
}
