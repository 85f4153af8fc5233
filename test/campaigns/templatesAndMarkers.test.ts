import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadWhatsAppTemplates, pickTemplateLanguage } from '../../src/campaigns/loadWhatsAppTemplates.js';
import { normalizePhone } from '../../src/campaigns/normalizePhone.js';
import { readRefMarker, refMarker } from '../../src/campaigns/refCode.js';
import { insideSendHours, nextSendTime } from '../../src/campaigns/sendHours.js';
import { decide } from '../../src/engine/decide.js';
import { createTestFlowContext } from './flowContext.js';

test('the ref marker survives light edits and is removed from the words', () => {
  expect(readRefMarker('Hi! I would like to know more. [ref:SPRING26]')).toEqual({
    code: 'SPRING26',
    text: 'Hi! I would like to know more.',
  });
  expect(readRefMarker('[ REF = spring-26 ] ciao')).toEqual({ code: 'SPRING-26', text: 'ciao' });
  expect(readRefMarker('no marker [ref:x]')).toBeNull();
  expect(readRefMarker('ref:SPRING26')).toBeNull();
  expect(refMarker(' spring26 ')).toBe('[ref:SPRING26]');
});

test('phone numbers are normalised to WhatsApp ids or refused', () => {
  expect(normalizePhone('+39 333 123 4567')).toBe('393331234567');
  expect(normalizePhone('0039 (333) 123-4567')).toBe('393331234567');
  expect(normalizePhone('333 123 4567')).toBe('3331234567');
  expect(normalizePhone('0333 1234567')).toBeNull();
  expect(normalizePhone('12ab')).toBeNull();
  expect(normalizePhone('+1234')).toBeNull();
});

test('sending hours follow the business time zone, across a daylight-saving change', () => {
  const hours = { start: '09:00', end: '20:00' };
  expect(insideSendHours(new Date('2026-03-10T08:00:00Z'), hours, 'Europe/Rome')).toBe(true); // 09:00
  expect(insideSendHours(new Date('2026-03-10T19:00:00Z'), hours, 'Europe/Rome')).toBe(false); // 20:00
  expect(nextSendTime(new Date('2026-03-10T19:30:00Z'), hours, 'Europe/Rome').toISOString()).toBe(
    '2026-03-11T08:00:00.000Z',
  );
  // Clocks go forward in Rome on 29 March 2026: 09:00 is then 07:00 UTC.
  expect(nextSendTime(new Date('2026-03-28T20:00:00Z'), hours, 'Europe/Rome').toISOString()).toBe(
    '2026-03-29T07:00:00.000Z',
  );
  const now = new Date('2026-03-10T10:00:00Z');
  expect(nextSendTime(now, hours, 'Europe/Rome')).toBe(now);
});

test('the templates file is checked: placeholders must match the variables', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'wca-templates-'));
  const file = path.join(dir, 'marketing-templates.yaml');
  expect((await loadWhatsAppTemplates(file)).size).toBe(0);
  await writeFile(
    file,
    'templates:\n  - name: offer\n    category: marketing\n    variables: [name, code]\n    languages:\n      en: { body: "Hi {{1}}" }\n',
  );
  await expect(loadWhatsAppTemplates(file)).rejects.toThrow(
    /languages\.en\.body: must use \{\{1\}\}…\{\{2\}\} once each/,
  );
  const real = await loadWhatsAppTemplates(path.join(process.cwd(), 'templates', 'marketing-templates.yaml'));
  const offer = real.get('spring_offer');
  expect(offer && pickTemplateLanguage(offer, 'pt')).toBe('pt_PT');
  expect(offer && pickTemplateLanguage(offer, 'de')).toBe('de');
  expect(offer && pickTemplateLanguage(offer, null)).toBe('it');
});

test('decide: a campaign entry starts its flow after the welcome text; an unknown flow falls back to the welcome', async () => {
  const ctx = await createTestFlowContext();
  const clock = { now: () => new Date('2026-03-10T10:00:00Z') };
  const entered = decide(
    null,
    { type: 'CampaignEntered', campaignId: 'c1', flow: 'help', welcomeText: 'Welcome, fans!' },
    null,
    clock,
    ctx,
  );
  expect(entered.state).toMatchObject({ flow: 'help', step: 'help' });
  expect(entered.effects.map((e) => e.type)).toEqual(['SendText', 'SendButtons']);
  expect(entered.effects[0]).toMatchObject({ text: 'Welcome, fans!', id: 'evt-1:0' });
  const fallback = decide(
    null,
    { type: 'CampaignEntered', campaignId: 'c1', flow: 'gone', welcomeText: null },
    null,
    clock,
    ctx,
  );
  expect(fallback.state).toMatchObject({ flow: 'main', step: 'menu' });
});
