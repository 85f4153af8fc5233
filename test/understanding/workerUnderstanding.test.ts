import { eq } from 'drizzle-orm';
import nock from 'nock';
import { conversations } from '../../src/store/index.js';
import { metaWebhook, text } from '../fixtures/metaWebhook.js';
import { resetStore, storeKinds, type TestStore } from '../helpers/stores.js';
import { createTestApp, type TestApp } from '../helpers/testApp.js';

const CONVERSATION = '106540352242922:16505551234';
const ENV = { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: 'http://llm.test/v1', OPENAI_TIMEOUT_MS: '400' };

const completion = (intent: string) => ({
  id: 'chatcmpl-1',
  object: 'chat.completion',
  created: 1_773_000_000,
  model: 'gpt-4o-mini',
  choices: [
    {
      index: 0,
      finish_reason: 'stop',
      message: {
        role: 'assistant',
        content: JSON.stringify({
          intent,
          language: 'en',
          answer: null,
          date: null,
          time: null,
          people: null,
          product: null,
          variant: null,
          reference: null,
          amount: null,
        }),
      },
    },
  ],
});

describe.each(storeKinds)('the worker understands before the turn, on %s', (_kind, open) => {
  let store: TestStore;
  let app: TestApp;
  beforeAll(async () => {
    store = await open();
  });
  afterAll(() => store.close());
  beforeEach(async () => {
    await resetStore(store);
    app = await createTestApp(store, ENV);
  });
  afterEach(async () => {
    nock.cleanAll();
    await app.close();
  });

  const mode = async () =>
    (await store.db.query.conversations.findFirst({ where: eq(conversations.id, CONVERSATION) }))?.mode;

  test("the LLM's intent drives the turn, and the call happens outside the turn's transaction", async () => {
    let databaseFree: boolean | null = null;
    nock('http://llm.test')
      .post('/v1/chat/completions')
      .reply(async () => {
        // PGlite runs one statement at a time: inside the turn's transaction this write would wait.
        databaseFree = await Promise.race([
          store.db
            .update(conversations)
            .set({ handoffReason: null })
            .where(eq(conversations.id, CONVERSATION))
            .then(() => true),
          new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 1_000)),
        ]);
        return [200, completion('talk_to_human')];
      });
    await app.post(metaWebhook({ messages: [text('hmm, this is getting complicated for me')] }));
    await app.settle();
    expect(databaseFree).toBe(true);
    expect(await mode()).toBe('handoff');
    expect(nock.isDone()).toBe(true);
  });

  test('when the LLM fails, the turn still happens on the offline classifier', async () => {
    nock('http://llm.test')
      .post('/v1/chat/completions')
      .times(2)
      .reply(500, { error: { message: 'down' } });
    await app.post(metaWebhook({ messages: [text('I want to talk to a human')] }));
    await app.settle();
    expect(await mode()).toBe('handoff');
    expect(app.graph.sent.length).toBeGreaterThan(0);
  });

  test('during a handoff the LLM is not asked, and STOP still opts out', async () => {
    await app.post(metaWebhook({ messages: [text('I want to talk to a human')] }));
    nock('http://llm.test').post('/v1/chat/completions').reply(200, completion('talk_to_human'));
    await app.settle();
    expect(await mode()).toBe('handoff');
    const scope = nock('http://llm.test').post('/v1/chat/completions').reply(200, completion('other'));
    await app.post(metaWebhook({ messages: [text('hello? is anyone reading this')] }));
    await app.post(metaWebhook({ messages: [text('STOP')] }));
    await app.settle();
    expect(scope.isDone()).toBe(false);
    const consent = await store.db.query.consentEvents.findMany();
    expect(consent.map((c) => c.action)).toEqual(['opt_out']);
  });

  test('without a key no LLM is called', async () => {
    await app.close();
    app = await createTestApp(store);
    await app.post(metaWebhook({ messages: [text('can I speak to a real person?')] }));
    await app.settle();
    expect(await mode()).toBe('handoff');
  });
});
