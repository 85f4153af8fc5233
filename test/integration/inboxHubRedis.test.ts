import { createInboxHub, type InboxUpdate } from '../../src/inbox/createInboxHub.js';
import { createLogger } from '../../src/logger.js';

/** Several server instances, one Redis: staff on any instance see every update. */
const redisUrl = process.env.REDIS_URL;
const maybe = redisUrl ? describe : describe.skip;

maybe('inbox updates shared through Redis', () => {
  test('an update published on one instance reaches listeners on another, once', async () => {
    const logger = createLogger('silent');
    const one = createInboxHub({ redisUrl, logger });
    const two = createInboxHub({ redisUrl, logger });
    const onOne: InboxUpdate[] = [];
    const onTwo: InboxUpdate[] = [];
    one.subscribe((update) => onOne.push(update));
    two.subscribe((update) => onTwo.push(update));
    try {
      // Give the subscriber connections time to join the channel.
      await new Promise((resolve) => setTimeout(resolve, 300));
      const note = {
        type: 'note' as const,
        note: {
          id: Date.now(),
          conversationId: 'c1',
          text: 'hi',
          author: { id: 's', name: 'S' },
          at: new Date().toISOString(),
        },
      };
      one.publish(note);
      const deadline = Date.now() + 5_000;
      while (onTwo.length === 0 && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 20));
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(onTwo).toEqual([note]);
      expect(onOne).toEqual([note]);
    } finally {
      await one.close();
      await two.close();
    }
  });
});
