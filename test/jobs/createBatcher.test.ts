import { createBatcher } from '../../src/jobs/createBatcher.js';

describe('createBatcher', () => {
  test('writes a full batch at once and the rest after the delay, each add resolving after its write', async () => {
    const writes: number[][] = [];
    const batcher = createBatcher<number, number>(
      async (items) => {
        writes.push(items);
        return items.map((n) => n * 10);
      },
      3,
      5,
    );
    expect(await Promise.all([1, 2, 3, 4].map((n) => batcher.add(n)))).toEqual([10, 20, 30, 40]);
    expect(writes).toEqual([[1, 2, 3], [4]]);
  });

  test('a failed write rejects every add of that batch and none of the next', async () => {
    let fail = true;
    const batcher = createBatcher<string>(
      async () => {
        if (fail) throw new Error('database down');
        return [];
      },
      10,
      1,
    );
    const first = await Promise.allSettled([batcher.add('a'), batcher.add('b')]);
    expect(first.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    await expect(batcher.add('c')).resolves.toBeUndefined();
  });
});
