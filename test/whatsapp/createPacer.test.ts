import { createPacer } from '../../src/whatsapp/createPacer.js';
import { busiestSecond } from '../helpers/busiestSecond.js';

describe('createPacer', () => {
  test('never starts more than its rate in any one-second window, and keeps the order', async () => {
    const pacer = createPacer(100);
    const starts: number[] = [];
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 250 }, (_, i) =>
        pacer.schedule(async () => {
          starts.push(performance.now());
          order.push(i);
        }),
      ),
    );
    pacer.stop();
    expect(order).toEqual(Array.from({ length: 250 }, (_, i) => i));
    expect(busiestSecond(starts)).toBeLessThanOrEqual(100);
  });

  test('a task that fails rejects its own promise only', async () => {
    const pacer = createPacer(1000);
    const results = await Promise.allSettled([
      pacer.schedule(async () => 'a'),
      pacer.schedule(async () => {
        throw new Error('boom');
      }),
      pacer.schedule(async () => 'c'),
    ]);
    pacer.stop();
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  });
});
