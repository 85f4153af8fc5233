import { jest } from '@jest/globals';
import { createChangeFeed } from '../../src/inbox/createChangeFeed.js';
import type { InboxHub, InboxUpdate } from '../../src/inbox/createInboxHub.js';
import { createLogger } from '../../src/logger.js';
import { conversations, openStore, type Store } from '../../src/store/index.js';

let store: Store;
beforeAll(async () => {
  store = await openStore({});
  await store.db
    .insert(conversations)
    .values({ id: 'P:39111', phoneNumberId: 'P', waId: '39111', lastInboundAt: new Date() });
});
afterAll(() => store.close());
afterEach(() => jest.useRealTimers());

function countingHub() {
  const published: InboxUpdate[] = [];
  const hub: InboxHub = {
    publish: (update) => void published.push(update),
    subscribe: () => () => undefined,
    listeners: 1,
    shared: false,
    close: async () => undefined,
  };
  return { hub, published };
}

test('a quiet feed flushes within a few milliseconds; under load flushes are 40 ms apart', async () => {
  jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
  const { hub, published } = countingHub();
  const feed = createChangeFeed({ db: store.db, hub, logger: createLogger('silent') });

  // `flush()` below only waits for a read-back already started: the timer must have fired.
  feed.touched({ conversationId: 'P:39111' });
  jest.advanceTimersByTime(5);
  expect(jest.getTimerCount()).toBe(0);
  await feed.flush();
  expect(published.map((u) => u.type)).toEqual(['conversation']);

  // Right after a flush, further notices wait for the 40 ms to pass and then leave together.
  feed.touched({ conversationId: 'P:39111' });
  jest.advanceTimersByTime(10);
  feed.touched({ conversationId: 'P:39111' });
  jest.advanceTimersByTime(20);
  expect(jest.getTimerCount()).toBe(1);
  jest.advanceTimersByTime(10);
  expect(jest.getTimerCount()).toBe(0);
  await feed.flush();
  expect(published).toHaveLength(2);
});
