import { createPacer } from '../../src/whatsapp/createPacer.js';

test('bulk tasks wait while any chat task is queued, and the rate still holds', async () => {
  let clock = 0;
  const pacer = createPacer(10, () => clock);
  const order: string[] = [];
  const run = (name: string, lane: 'chat' | 'bulk') =>
    pacer.schedule(async () => void order.push(name), lane);
  const all = [
    run('bulk-1', 'bulk'),
    run('bulk-2', 'bulk'),
    run('bulk-3', 'bulk'),
    run('chat-1', 'chat'),
    run('chat-2', 'chat'),
  ];
  // The pacer spaces starts 100 ms apart; move its clock and let its timers fire.
  for (let i = 0; i < 10 && order.length < 5; i++) {
    clock += 100;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await Promise.all(all);
  pacer.stop();
  expect(order).toEqual(['bulk-1', 'chat-1', 'chat-2', 'bulk-2', 'bulk-3']);
});
