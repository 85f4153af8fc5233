import { openStore, type Store } from '../../src/store/index.js';
import { createInboundWriter } from '../../src/whatsapp/createInboundWriter.js';
import { messageEvent } from '../helpers/stores.js';

describe('inbound writer', () => {
  let store: Store;
  beforeAll(async () => {
    store = await openStore({});
  });
  afterAll(() => store.close());

  test('webhooks that arrive together share a commit, and each reports its own wait and new events', async () => {
    const committed: { ms: number; stored: number }[] = [];
    const writer = createInboundWriter(store.db, {
      maxDelayMs: 5,
      onCommitted: (ms, stored) => committed.push({ ms, stored }),
    });
    const now = new Date();
    const results = await Promise.all([
      writer.write({ rows: [messageEvent('w1', 'A'), messageEvent('w2', 'A')], settled: [], now }),
      // Meta delivering w2 again, in the same batch: new for the first webhook only.
      writer.write({ rows: [messageEvent('w2', 'A'), messageEvent('w3', 'B')], settled: [], now }),
    ]);
    expect(results).toEqual([2, 1]);
    expect(committed.map((c) => c.stored)).toEqual([2, 1]);
    expect(await writer.write({ rows: [messageEvent('w1', 'A')], settled: [], now })).toBe(0);
    expect(committed.at(-1)?.stored).toBe(0);
  });
});
