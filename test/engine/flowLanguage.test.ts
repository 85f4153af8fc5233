import { cp, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describeOpeningHours, loadBusiness } from '../../src/business/loadBusiness.js';
import { formatMoney, zonedInstant } from '../../src/engine/format.js';
import { FlowFileError, loadFlows } from '../../src/engine/loadFlows.js';
import { recognizeYesNo } from '../../src/engine/recognizeYesNo.js';
import { findReference, makeReference } from '../../src/engine/references.js';
import { readCount, readDate, readTime } from '../../src/engine/tasks/read.js';
import type { TaskInput } from '../../src/engine/tasks/task.js';
import { loadTexts, type TextVars } from '../../src/engine/texts.js';
import { LOCALES, type Locale } from '../../src/engine/types.js';
import { loadWhatsAppTemplates } from '../../src/engine/whatsappTemplates.js';

describe('recognizeYesNo', () => {
  test.each([
    ['yes', 'yes'],
    ['Sì!', 'yes'],
    ['ok 👍', 'yes'],
    ['👍', 'yes'],
    ['oui je confirme', 'yes'],
    ['Ja, bitte', 'yes'],
    ['sim', 'yes'],
    ['no grazie', 'no'],
    ['Nein', 'no'],
    ['não', 'no'],
    ['yes but can I change the date?', null],
    ['maybe', null],
    ['', null],
  ])('%s → %s', (text, answer) => {
    expect(recognizeYesNo(text)).toBe(answer);
  });
});

describe('references', () => {
  test('derive from the event id: distinct, stable, with a check character', () => {
    expect(makeReference('ORD', 'evt-1234')).toBe(makeReference('ORD', 'evt-1234'));
    const many = new Set(Array.from({ length: 5000 }, (_, i) => makeReference('BKG', `evt-${i}`)));
    expect(many.size).toBe(5000);
    expect(makeReference('QUO', 'evt-1')).toMatch(/^QUO-[0-9A-Z]{6}$/);
  });
  test('are found in text, whatever the case', () => {
    expect(findReference('please pay inv-2026-0001 today')).toBe('INV-2026-0001');
    expect(findReference('refund ORD-000ZCK')).toBe('ORD-000ZCK');
    expect(findReference('no reference here')).toBeNull();
  });
});

describe('reading answers', () => {
  let base: TaskInput;
  beforeAll(async () => {
    const business = await loadBusiness('seed/bella-studio.yaml');
    base = {
      business,
      now: new Date('2026-12-30T10:00:00Z'),
      understanding: null,
      text: null,
    } as unknown as TaskInput;
  });
  const withText = (text: string) => ({ ...base, text });
  test('dates: day first, the next one to come without a year, relative words in six languages', () => {
    expect(readDate(withText('20/06/2026'))).toBe('2026-06-20');
    expect(readDate(withText('il 5.1'))).toBe('2027-01-05');
    expect(readDate(withText('2027-02-30'))).toBe('invalid');
    expect(readDate(withText('domani'))).toBe('2026-12-31');
    expect(readDate(withText('pasado mañana'))).toBe('2027-01-01');
    expect(readDate(withText('übermorgen'))).toBe('2027-01-01');
    expect(readDate(withText('whenever'))).toBeNull();
    expect(readDate(withText('domani alle 10.05'))).toBe('2026-12-31');
    expect(readDate(withText('at 10.30 on 2/1'))).toBe('2027-01-02');
  });
  test('counts and times', () => {
    expect(readCount(withText('we are 4'))).toBe(4);
    expect(readCount(withText('tre persone'))).toBe(3);
    expect(readTime(withText('at 3pm'))).toBe('15:00');
    expect(readTime(withText('verso le 10.30'))).toBe('10:30');
  });
});

describe('formatting', () => {
  test('money for the locale, wall time across daylight saving', () => {
    expect(formatMoney(8990, 'de', 'EUR')).toBe('89,90\u00a0€');
    expect(formatMoney(8990, 'en', 'EUR')).toBe('€89.90');
    expect(zonedInstant('2026-03-28', '09:00', 'Europe/Rome').toISOString()).toBe('2026-03-28T08:00:00.000Z');
    expect(zonedInstant('2026-03-31', '09:00', 'Europe/Rome').toISOString()).toBe('2026-03-31T07:00:00.000Z');
  });
});

describe('loading commerce flows', () => {
  let vars: Record<Locale, TextVars>;
  beforeAll(async () => {
    const business = await loadBusiness('seed/bella-studio.yaml');
    vars = Object.fromEntries(
      LOCALES.map((l) => [l, { business: business.name, hours: describeOpeningHours(business, l) }]),
    ) as Record<Locale, TextVars>;
  });
  async function load(content: string) {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'flows-'));
    await cp('flows', dir, { recursive: true });
    await writeFile(path.join(dir, 'x.yaml'), content);
    const texts = await loadTexts('templates');
    const waTemplates = await loadWhatsAppTemplates('templates/whatsapp-templates.yaml', texts, {
      currency: 'EUR',
      timeZone: 'Europe/Rome',
    });
    return loadFlows(dir, texts, vars, { waTemplates });
  }
  test.each([
    [
      'an unknown task',
      'steps:\n  a:\n    on:\n      text: { do: quote.teleport }\n',
      /step "a" on text: no task "quote.teleport"/,
    ],
    [
      'an outcome the task never returns',
      'steps:\n  a:\n    on:\n      text: { do: quote.people, then: { maybe: { end: true } } }\n',
      /task quote.people has no outcome "maybe" \(it has ok, invalid, none\)/,
    ],
    [
      '"then" without a task',
      'steps:\n  a:\n    on:\n      text: { then: { ok: { end: true } } }\n',
      /"then" needs a task in "do"/,
    ],
    [
      'an unknown WhatsApp template',
      'steps:\n  a:\n    say: [{ notify: no_such_template }]\n',
      /no WhatsApp template "no_such_template"/,
    ],
    [
      'a timer with neither delay nor moment',
      'steps:\n  a:\n    on:\n      text: { timer: { name: t } }\n',
      /a timer needs exactly one of afterMinutes or atVar/,
    ],
  ])('a flow file with %s is refused, naming file, step and problem', async (_name, steps, message) => {
    const file = `id: x\nversion: 1\nstart: a\n${steps}`;
    await expect(load(file)).rejects.toThrow(FlowFileError);
    await expect(load(file)).rejects.toThrow(message);
  });
});

test('stored state of version 2 migrates to 3 keeping its variables; the window is then unknown', async () => {
  const { migrateState } = await import('../../src/engine/state.js');
  const v2 = {
    version: 2,
    flow: 'checkout',
    step: 'cart',
    flowVersion: 1,
    locale: 'it',
    misunderstood: 0,
    vars: { cart: [] },
  };
  expect(migrateState(JSON.parse(JSON.stringify(v2)))).toEqual({ ...v2, version: 3, lastInboundAt: null });
});
