import { renderMessage } from '../../src/engine/decide.js';
import { renderText } from '../../src/engine/texts.js';
import { LOCALES, type DistributiveOmit, type SendEffect } from '../../src/engine/types.js';
import { renderWhatsAppTemplate } from '../../src/engine/whatsappTemplates.js';
import { buildSendEffect } from '../../src/whatsapp/buildSendEffect.js';
import { buildTemplate, buildText } from '../../src/whatsapp/builders.js';
import { loadEngine, type EngineContext } from './harness.js';

let engine: EngineContext;
beforeAll(async () => {
  engine = await loadEngine();
});
const FORMAT = { currency: 'EUR', timeZone: 'Europe/Rome' };
const SAMPLE: Record<string, unknown> = {
  business: 'Bella Studio',
  hours: 'Tuesday–Saturday 09:00–19:00',
  reference: 'ORD-000ZCK',
  amount: 33000,
  total: 10500,
  price: 3500,
  deposit: 1000,
  balance: 2500,
  refundAmount: 4500,
  date: '2026-06-20',
  validUntil: '2026-03-17',
  dueDate: '2026-03-20',
  start: '2026-03-12T12:00:00.000Z',
  people: 3,
  maxPeople: 20,
  service: 'Haircut',
  product: 'Engraved bracelet',
  dimension: 'size',
  max: 20,
  length: 26,
  lines: '1 × Engraved bracelet (M) — €45.00',
  delivery: 'Via Roma 12, Milano',
  description: 'Bridal package',
  duration: 30,
  policyHours: 24,
  windowDays: 14,
  item: 'Gift card',
  offer: 'Bridal package',
  quantity: 1,
  name: 'Leather wallet',
  status: 'paid',
};

describe('templates', () => {
  test('every text renders in every language with no placeholder left, and fits a WhatsApp text', () => {
    const keys = Object.keys(engine.texts.en);
    expect(keys.length).toBeGreaterThan(150);
    for (const locale of LOCALES) {
      for (const key of keys) {
        const text = renderText(engine.texts, locale, key, SAMPLE, FORMAT);
        expect({ locale, key, left: /\{\w+(:\w+)?\}/.test(text) }).toEqual({ locale, key, left: false });
        expect(() => buildText('39000', { body: text })).not.toThrow();
      }
    }
  });

  test('every flow message renders through the builders in every language', () => {
    let built = 0;
    for (const flow of engine.flows.flows.values()) {
      for (const [stepId, step] of Object.entries(flow.steps)) {
        for (const message of step.say ?? []) {
          for (const locale of LOCALES) {
            const text = (key: string) => renderText(engine.texts, locale, key, SAMPLE, FORMAT);
            const draft = renderMessage(message, `${flow.id}/${stepId}`, text, {
              items: () => [
                { id: 'a', title: '09:00' },
                { id: 'b', title: 'Portafoglio in pelle', description: '60,00 €' },
              ],
              notify: (name) =>
                renderWhatsAppTemplate(engine.waTemplates.byName.get(name)![locale], locale, SAMPLE, FORMAT),
            });
            buildSendEffect('39000', draft as DistributiveOmit<SendEffect, 'id'>);
            built++;
          }
        }
      }
    }
    expect(built).toBeGreaterThan(100);
  });

  test('WhatsApp template definitions: utility, numbered variables, body never starting or ending with one', () => {
    for (const [name, perLocale] of engine.waTemplates.byName) {
      for (const locale of LOCALES) {
        const template = perLocale[locale];
        expect(template.category).toBe('utility');
        const variables = [...template.body.matchAll(/\{\{(\d+)\}\}/g)].map((m) => Number(m[1]));
        expect(variables).toEqual(template.params.map((_, i) => i + 1));
        expect(template.example).toHaveLength(template.params.length);
        const effect = renderWhatsAppTemplate(template, locale, SAMPLE, FORMAT);
        expect(() => buildSendEffect('39000', effect as DistributiveOmit<SendEffect, 'id'>)).not.toThrow();
        expect(name).toMatch(/^[a-z_]+$/);
      }
    }
    expect(engine.waTemplates.byName.get('booking_reminder')?.pt.language).toBe('pt_PT');
    expect(() => buildTemplate('39000', { name: 'x', language: 'de' })).not.toThrow();
  });

  test('rendered messages (snapshots)', () => {
    const render = (locale: (typeof LOCALES)[number], key: string) =>
      renderText(engine.texts, locale, key, SAMPLE, FORMAT);
    expect({
      it: render('it', 'quote.offer'),
      de: render('de', 'booking.confirm'),
      fr: render('fr', 'checkout.summary'),
      es: render('es', 'invoice.confirm_overdue'),
      pt: render('pt', 'refund.confirm'),
      en: engine.waTemplates.byName.get('quote_followup')?.en.body,
    }).toMatchSnapshot();
  });
});
