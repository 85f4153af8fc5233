import { mkdtemp, writeFile, cp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describeOpeningHours, loadBusiness } from '../../src/business/loadBusiness.js';
import { decide, EMPTY_FACTS, type DecideContext } from '../../src/engine/decide.js';
import { loadEngine } from '../flows/harness.js';
import { FlowFileError, loadFlows } from '../../src/engine/loadFlows.js';
import { migrateState, type ConversationState } from '../../src/engine/state.js';
import { loadTexts, type TextVars } from '../../src/engine/texts.js';
import { LOCALES, type DomainEvent, type Locale } from '../../src/engine/types.js';
import { understandText } from '../../src/understanding/understandText.js';

const clock = { now: () => new Date('2026-03-10T10:00:00Z') };
let ctx: Omit<DecideContext, 'eventId'>;
let vars: Record<Locale, TextVars>;

beforeAll(async () => {
  const business = await loadBusiness('seed/bella-studio.yaml');
  const texts = await loadTexts('templates');
  vars = Object.fromEntries(
    LOCALES.map((l) => [l, { business: business.name, hours: describeOpeningHours(business, l) }]),
  ) as Record<Locale, TextVars>;
  ctx = { ...(await loadEngine()), facts: EMPTY_FACTS, texts, defaultLocale: 'it', vars };
});

/** Plays a conversation, round-tripping state through JSON between turns like the store does. */
function play(turns: DomainEvent[]) {
  let state: ConversationState | null = null;
  return turns.map((event, index) => {
    const understanding = event.type === 'TextReceived' ? understandText(event.text) : null;
    const decision = decide(state, event, understanding, clock, { ...ctx, eventId: `evt-${index}` });
    state = migrateState(JSON.parse(JSON.stringify(decision.state)));
    return decision;
  });
}
const texts = (effects: { type: string }[]) =>
  effects.map((e) => ('text' in e ? e.text : 'body' in e ? e.body : e.type));

describe('decide', () => {
  test('is pure: the same inputs give the same effects and ids', () => {
    const a = play([{ type: 'TextReceived', text: 'Ciao!' }]);
    const b = play([{ type: 'TextReceived', text: 'Ciao!' }]);
    expect(a).toEqual(b);
    expect(a[0]!.effects.map((e) => e.id)).toEqual(['evt-0:0', 'evt-0:1', 'evt-0:2']);
    expect(a[0]!.effects.map((e) => e.type)).toEqual(['SetLocale', 'SendText', 'SendList']);
  });

  test('answers in the language the customer writes in, and switches when they switch', () => {
    const [first, second] = play([
      { type: 'TextReceived', text: 'Hola, buenos días' },
      { type: 'TextReceived', text: 'Guten Tag' },
    ]);
    expect(texts(first!.effects)[1]).toMatch(/Bienvenido a Bella Studio/);
    expect(texts(second!.effects)).toEqual(
      expect.arrayContaining([expect.stringMatching(/Willkommen bei Bella Studio/)]),
    );
  });

  test('menu choice, a stale button tap, and not understanding twice offers a person', () => {
    const [, hours, once, offer] = play([
      { type: 'TextReceived', text: 'hello' },
      { type: 'ChoiceMade', choiceId: 'main/menu/hours', title: 'Opening hours' },
      { type: 'TextReceived', text: 'blorp' },
      { type: 'TextReceived', text: 'zzzz' },
    ]);
    expect(texts(once!.effects)[0]).toMatch(/didn't understand/);
    expect(texts(hours!.effects)[0]).toMatch(/We're open Tuesday–Saturday 09:00–19:00/);
    expect(offer!.effects.at(-1)).toMatchObject({
      type: 'SendButtons',
      body: expect.stringMatching(/talk to a person/),
    });
    const [, tap] = play([
      { type: 'TextReceived', text: 'hello' },
      { type: 'ChoiceMade', choiceId: 'handoff/offer/yes', title: 'Yes, a person' },
    ]);
    expect(tap!.effects.map((e) => e.type)).toEqual(['SendText', 'OpenHandoff']);
    expect(tap!.effects[1]).toMatchObject({ reason: 'bot_not_understood' });
  });

  test('STOP anywhere records an opt-out with the words used; START opts back in', () => {
    const [, stop, start] = play([
      { type: 'TextReceived', text: 'hi' },
      { type: 'TextReceived', text: 'Stop' },
      { type: 'TextReceived', text: 'START' },
    ]);
    expect(stop!.effects.find((e) => e.type === 'RecordConsent')).toMatchObject({
      action: 'opt_out',
      source: 'whatsapp_keyword',
      wording: 'Stop',
    });
    expect(start!.effects.find((e) => e.type === 'RecordConsent')).toMatchObject({ action: 'opt_in' });
  });

  test('staff release closes the handoff and greets the customer back', () => {
    const [decision] = play([{ type: 'StaffReleased', closingText: 'Bye from Anna' }]);
    expect(decision!.effects.map((e) => e.type)).toEqual(['CloseHandoff', 'SendText', 'SendText']);
  });
});

describe('stored state', () => {
  test('version 1 migrates on read; unreadable state starts afresh', () => {
    expect(migrateState({ version: 1, flow: 'main', step: 'menu', flowVersion: 1 })).toEqual({
      version: 3,
      lastInboundAt: null,
      flow: 'main',
      step: 'menu',
      flowVersion: 1,
      locale: null,
      misunderstood: 0,
      vars: {},
    });
    expect(migrateState({ version: 99 })).toBeNull();
    expect(migrateState('garbage')).toBeNull();
  });

  test('a changed flow never strands a customer on a step that no longer exists', () => {
    const stranded: ConversationState = {
      version: 3,
      lastInboundAt: null,
      flow: 'main',
      step: 'gone',
      flowVersion: 0,
      locale: 'en',
      misunderstood: 0,
      vars: {},
    };
    const decision = decide(stranded, { type: 'TextReceived', text: 'hmm' }, understandText('hmm'), clock, {
      ...ctx,
      eventId: 'e',
    });
    expect(decision.state.step).toBe('menu');
    expect(decision.state.flowVersion).toBe(2);
  });
});

describe('loadFlows', () => {
  async function withFlow(name: string, content: string) {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'flows-'));
    await cp('flows', dir, { recursive: true });
    await writeFile(path.join(dir, name), content);
    return dir;
  }
  const load = async (dir: string) => loadFlows(dir, await loadTexts('templates'), vars);

  test.each([
    [
      'an unknown goto target',
      'id: x\nversion: 1\nstart: a\nsteps:\n  a:\n    on:\n      intent:greeting: { goto: nowhere }\n',
      /x\.yaml[\s\S]*step "a" on intent:greeting: goto "nowhere": no step "nowhere"/,
    ],
    [
      'a missing text',
      'id: x\nversion: 1\nstart: a\nsteps:\n  a:\n    say: [{ text: no.such.key }]\n',
      /x\.yaml[\s\S]*a: message 1 in it: No text "no.such.key"/,
    ],
    [
      'a button title over 20 characters',
      'id: x\nversion: 1\nstart: a\nsteps:\n  a:\n    say:\n      - buttons: { body: menu.body, options: [{ id: b, title: menu.human.description }] }\n',
      /x\.yaml[\s\S]*a: message 1 in it:.*20/,
    ],
    [
      'a bad trigger',
      'id: x\nversion: 1\nstart: a\nsteps:\n  a:\n    on:\n      intent:teleport: { end: true }\n',
      /x\.yaml[\s\S]*step "a" at on\.intent:teleport: unknown trigger/,
    ],
    [
      'a choice the step never offers',
      'id: x\nversion: 1\nstart: a\nsteps:\n  a:\n    say: [{ text: menu.body }]\n    on:\n      choice:ghost: { end: true }\n',
      /choice:ghost is not a button or row this step sends/,
    ],
    [
      'a duplicate global',
      'id: x\nversion: 1\nstart: a\nsteps:\n  a: {}\nglobal:\n  command:help: { end: true }\n',
      /global "command:help" is also handled by/,
    ],
    ['broken YAML', 'id: [x\n', /not valid YAML/],
  ])('a flow file with %s names the file, the step and the problem', async (_name, content, message) => {
    const dir = await withFlow('x.yaml', content);
    await expect(load(dir)).rejects.toThrow(FlowFileError);
    await expect(load(dir)).rejects.toThrow(message);
  });
});

describe('understandText', () => {
  test.each([
    ['STOP', 'opt_out', 'stop'],
    ['stop 🙏', 'opt_out', 'stop'],
    ['Vorrei parlare con un operatore', 'talk_to_human', null],
    ['Je voudrais parler à quelqu’un', 'talk_to_human', null],
    ['quiero hablar con una persona', 'talk_to_human', null],
    ['Quero falar com um atendente', 'talk_to_human', null],
    ['Ich möchte mit einem Menschen sprechen', 'talk_to_human', null],
    ['Buongiorno!', 'greeting', null],
    ['MENÚ', 'other', 'menu'],
    ['grazie mille', 'thanks_or_bye', null],
  ])('%s → %s', (text, intent, command) => {
    expect(understandText(text)).toMatchObject({ intent, command });
  });
});
