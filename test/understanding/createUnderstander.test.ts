import nock from 'nock';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { loadBusiness } from '../../src/business/loadBusiness.js';
import {
  catalogFromBusiness,
  createUnderstander,
  type Catalog,
  type UnderstanderConfig,
} from '../../src/understanding/index.js';
import { loadPrompt, renderUnderstandPrompt } from '../../src/understanding/renderPrompt.js';

const BASE_URL = 'http://llm.test/v1';
const clock = { now: () => new Date('2026-03-10T10:00:00Z') };
const logger = pino({ level: 'silent' });
let catalog: Catalog;

beforeAll(async () => {
  catalog = catalogFromBusiness(await loadBusiness('seed/bella-studio.yaml'));
});
afterEach(() => nock.cleanAll());

const config = (timeoutMs = 500): UnderstanderConfig => ({
  openai: { apiKey: 'sk-test', baseUrl: BASE_URL, model: 'test-model', timeoutMs },
});
const create = (timeoutMs?: number, registry?: Registry) =>
  createUnderstander({
    config: config(timeoutMs),
    catalog,
    clock,
    logger,
    metrics: registry ? { registry } : undefined,
    business: { name: 'Bella Studio', city: 'Milan' },
  });

const answer = (fields: Record<string, unknown>) => ({
  intent: 'other',
  language: null,
  answer: null,
  date: null,
  time: null,
  people: null,
  product: null,
  variant: null,
  reference: null,
  amount: null,
  ...fields,
});
const completion = (content: string) => ({
  id: 'chatcmpl-1',
  object: 'chat.completion',
  created: 1_773_000_000,
  model: 'test-model',
  choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content } }],
});
const llm = () => nock('http://llm.test').post('/v1/chat/completions');

describe('createUnderstander with an LLM', () => {
  test('a valid answer is used, with structured output, the rendered prompt and the text as data', async () => {
    let body: Record<string, unknown> = {};
    llm().reply(200, (_uri, requestBody) => {
      body = requestBody as Record<string, unknown>;
      return completion(
        JSON.stringify(
          answer({
            intent: 'book_appointment',
            language: 'it',
            date: '2026-03-13',
            product: 'haircut',
            people: 1,
          }),
        ),
      );
    });
    const understanding = await create().understand('mi sistemate i capelli venerdì?', { locale: 'it' });
    expect(understanding).toEqual({
      intent: 'book_appointment',
      command: null,
      language: 'it',
      answer: null,
      slots: {
        date: '2026-03-13',
        time: null,
        people: 1,
        product: 'haircut',
        variant: null,
        reference: null,
        amount: null,
        number: null,
      },
    });
    expect(body).toMatchObject({
      model: 'test-model',
      temperature: 0,
      response_format: { type: 'json_schema', json_schema: { name: 'understanding', strict: true } },
    });
    const messages = body.messages as { role: string; content: string }[];
    expect(messages[1]).toEqual({ role: 'user', content: 'mi sistemate i capelli venerdì?' });
    expect(messages[0]!.content).toContain('Today is 2026-03-10 (Tuesday)');
    expect(messages[0]!.content).toContain('The conversation so far has been in: it.');
  });

  test('invented slots are dropped: unknown product, bad variant, references and amounts not in the text', async () => {
    llm().reply(
      200,
      completion(
        JSON.stringify(
          answer({
            intent: 'place_order_or_checkout',
            product: 'gold-necklace',
            variant: 'XXL',
            reference: 'ORD-2026-9999',
            amount: 1,
            date: '13/03/2026',
            time: '25:00',
            people: -2,
          }),
        ),
      ),
    );
    const understanding = await create().understand('I want to buy something nice');
    expect(understanding.intent).toBe('place_order_or_checkout');
    expect(understanding.slots).toEqual({
      date: null,
      time: null,
      people: null,
      product: null,
      variant: null,
      reference: null,
      amount: null,
      number: null,
    });
  });

  test('what the customer wrote wins over the model: amount, reference, date and catalog names', async () => {
    llm().reply(
      200,
      completion(
        JSON.stringify(
          answer({
            intent: 'refund_request',
            reference: 'ORD-2026-0001',
            amount: 999_999,
            date: '2026-03-20',
            product: 'gift-card',
          }),
        ),
      ),
    );
    const understanding = await create().understand(
      'refund ORD-2026-0042 of 45 euros for the bracelet, tomorrow',
    );
    expect(understanding.slots).toMatchObject({
      reference: 'ORD-2026-0042',
      amount: 4500,
      date: '2026-03-11',
      product: 'engraved-bracelet',
    });
  });

  test('STOP stays a command and an opt-out whatever the model says', async () => {
    llm().reply(200, completion(JSON.stringify(answer({ intent: 'greeting' }))));
    expect(await create().understand('STOP')).toMatchObject({ command: 'stop', intent: 'opt_out' });
  });

  test('invalid JSON falls back to the offline classifier', async () => {
    llm().reply(200, completion('{"intent": "book_appointment",'));
    const registry = new Registry();
    const understanding = await create(500, registry).understand('vorrei prenotare un taglio domani');
    expect(understanding).toMatchObject({
      intent: 'book_appointment',
      language: 'it',
      slots: { product: 'haircut', date: '2026-03-11' },
    });
    expect(await registry.getSingleMetricAsString('wca_understanding_total')).toContain(
      'wca_understanding_total{source="offline",outcome="invalid"} 1',
    );
  });

  test('an intent outside the closed set falls back to the offline classifier', async () => {
    llm().reply(200, completion(JSON.stringify(answer({ intent: 'buy_a_car', language: 'en' }))));
    const understanding = await create().understand('please refund my deposit');
    expect(understanding.intent).toBe('refund_request');
  });

  test('a late answer falls back after one retry', async () => {
    const scope = llm()
      .times(2)
      .delay(1_000)
      .reply(200, completion(JSON.stringify(answer({ intent: 'greeting' }))));
    const started = Date.now();
    const understanding = await create(150).understand('ich möchte mein Geld zurück');
    expect(understanding.intent).toBe('refund_request');
    expect(Date.now() - started).toBeLessThan(900);
    expect(scope.isDone()).toBe(true);
  });

  test('a 500 is retried once and the second answer is used', async () => {
    llm().reply(500, { error: { message: 'overloaded' } });
    llm().reply(200, completion(JSON.stringify(answer({ intent: 'talk_to_human', language: 'fr' }))));
    const understanding = await create().understand('je veux un humain');
    expect(understanding).toMatchObject({ intent: 'talk_to_human', language: 'fr' });
    expect(nock.isDone()).toBe(true);
  });

  test('a 500 twice falls back; a 401 is not retried', async () => {
    llm()
      .times(2)
      .reply(503, { error: { message: 'down' } });
    expect((await create().understand('where is my order?')).intent).toBe('order_status_or_tracking');
    const unauthorised = llm()
      .once()
      .reply(401, { error: { message: 'bad key' } });
    expect((await create().understand('where is my order?')).intent).toBe('order_status_or_tracking');
    expect(unauthorised.isDone()).toBe(true);
  });

  test('an unreachable server falls back', async () => {
    llm().replyWithError({ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' });
    llm().replyWithError({ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' });
    expect((await create().understand('grazie mille')).intent).toBe('thanks_or_bye');
  });
});

describe('createUnderstander without a key', () => {
  test('answers offline and never calls out', async () => {
    const understander = createUnderstander({
      config: { openai: { apiKey: undefined, baseUrl: undefined, model: 'gpt-4o-mini' } },
      catalog,
      clock,
      logger,
    });
    expect(understander.usesModel).toBe(false);
    await expect(understander.understand('quiero reservar una manicura el sábado')).resolves.toMatchObject({
      intent: 'book_appointment',
      language: 'es',
      slots: { product: 'manicure', date: '2026-03-14' },
    });
  });
});

describe('the understanding prompt', () => {
  test('renders with the business, clock and catalog', () => {
    const rendered = renderUnderstandPrompt(loadPrompt('understand'), {
      business: 'Bella Studio',
      city: 'Milan',
      catalog,
      now: clock.now(),
      conversationLanguage: 'it',
    });
    expect(rendered).toMatchSnapshot();
  });

  test('a placeholder without a value fails loudly', () => {
    expect(() =>
      renderUnderstandPrompt('Hello {{nobody}}', { business: 'B', city: 'C', catalog, now: clock.now() }),
    ).toThrow('prompt placeholder {{nobody}} has no value');
  });
});

describe('createUnderstander skips the LLM where the offline answer is exact', () => {
  test.each(['STOP', 'sì', 'ok 👍', '2', '👋', 'annulla'])('%s', async (text) => {
    const understander = createUnderstander({ config: config(), catalog, clock, logger });
    const scope = nock('http://llm.test').post('/v1/chat/completions').reply(500);
    await understander.understand(text);
    expect(scope.isDone()).toBe(false);
  });
});
