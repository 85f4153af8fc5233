import { createSendLimiter } from '../../src/whatsapp/createSendLimiter.js';
import { busiestSecond } from '../helpers/busiestSecond.js';

const redisUrl = process.env.REDIS_URL;
const maybe = redisUrl ? describe : describe.skip;

maybe('the number rate shared through Redis', () => {
  test('two instances together never exceed WHATSAPP_MPS in any second', async () => {
    const phoneNumberId = `test-${Date.now()}`;
    const mps = 20;
    const a = createSendLimiter({ mps, phoneNumberId, redisUrl });
    const b = createSendLimiter({ mps, phoneNumberId, redisUrl });
    const starts: number[] = [];
    const task = async () => void starts.push(performance.now());
    try {
      await Promise.all([
        ...Array.from({ length: 25 }, () => a.schedule(task)),
        ...Array.from({ length: 25 }, () => b.schedule(task)),
      ]);
    } finally {
      await a.stop();
      await b.stop();
    }
    expect(starts).toHaveLength(50);
    expect(busiestSecond(starts)).toBeLessThanOrEqual(mps);
  });
});

describe('per-recipient pacing', () => {
  test('a burst goes at once, then one message per interval', async () => {
    const limiter = createSendLimiter({
      mps: 100,
      phoneNumberId: 'local',
      pairBurst: 3,
      pairIntervalMs: 6000,
    });
    const now = 1_000_000;
    const slots = Array.from({ length: 5 }, () => limiter.reserveRecipient('39333', now));
    expect(slots).toEqual([now, now, now, now + 6000, now + 12000]);
    expect(limiter.reserveRecipient('39444', now)).toBe(now);
    await limiter.stop();
  });
});
