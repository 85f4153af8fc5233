import { createOutboxSender } from '../../src/jobs/outboxSender.js';
import { createLogger } from '../../src/logger.js';
import { createMetrics } from '../../src/metrics.js';
import { conversations, insertOutbox, openStore, type Store } from '../../src/store/index.js';
import type { GraphMessage } from '../../src/whatsapp/builders.js';
import { createSendLimiter } from '../../src/whatsapp/createSendLimiter.js';

let store: Store;
beforeAll(async () => {
  store = await openStore({});
});
afterAll(async () => {
  await store.close();
});

test('a reply queued while a broadcast fills the limiter leaves ahead of the broadcast', async () => {
  const now = new Date();
  const sent: GraphMessage[] = [];
  const mps = 200;
  const limiter = createSendLimiter({ mps, phoneNumberId: '106540352242922', pairBurst: 100 });
  const sender = createOutboxSender({
    db: store.db,
    graph: { sendMessage: async (message) => (sent.push(message), `wamid.${sent.length}`) },
    limiter,
    clock: { now: () => new Date() },
    logger: createLogger('silent'),
    metrics: createMetrics(),
    mps,
    timeoutMs: 5_000,
    maxAttempts: 3,
    ambiguousGraceMs: 60_000,
    windowTemplate: undefined,
    idleMs: 20,
  });
  try {
    // A broadcast of 120 at 200 per second: the sender claims a quarter of a second ahead (50 rows).
    await insertOutbox(
      store.db,
      Array.from({ length: 120 }, (_, i) => ({
        id: `bulk-${i}`,
        recipient: `3933300${String(i).padStart(4, '0')}`,
        kind: 'SendTemplate',
        priority: 1,
        payload: {
          type: 'SendTemplate',
          id: `bulk-${i}`,
          name: 'spring_offer',
          language: 'en',
          components: [],
        },
      })),
      now,
    );
    // Past the pacer's first catch-up burst, about 40 claimed rows still wait in the limiter.
    while (sent.length < 10) await new Promise((resolve) => setTimeout(resolve, 10));

    await store.db.insert(conversations).values({
      id: '106540352242922:393339999999',
      phoneNumberId: '106540352242922',
      waId: '393339999999',
      lastInboundAt: now,
    });
    await insertOutbox(
      store.db,
      [
        {
          id: 'reply-0',
          conversationId: '106540352242922:393339999999',
          recipient: '393339999999',
          kind: 'SendText',
          payload: { type: 'SendText', id: 'reply-0', text: 'Hello! How can I help?' },
        },
      ],
      new Date(),
    );
    const queuedAt = sent.length;
    sender.wake();
    while (!sent.some((m) => m.to === '393339999999'))
      await new Promise((resolve) => setTimeout(resolve, 10));
    const replyAt = sent.findIndex((m) => m.to === '393339999999');
    // Waiting until the claimed rows drained below half would put 10 or more broadcast sends first.
    expect(queuedAt).toBeLessThanOrEqual(20);
    expect(replyAt - queuedAt).toBeLessThanOrEqual(4);
  } finally {
    await sender.stop();
    await limiter.stop();
  }
});
