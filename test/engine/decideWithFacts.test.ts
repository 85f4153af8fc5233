import { jest } from '@jest/globals';
import { decide, EMPTY_FACTS } from '../../src/engine/decide.js';
import { decideWithFacts } from '../../src/engine/decideWithFacts.js';
import type { ConversationFacts } from '../../src/engine/types.js';
import { loadEngine, paymentFacts, understood, type EngineContext } from '../flows/harness.js';

const clock = { now: () => new Date('2026-03-10T10:00:00Z') };
let engine: EngineContext;
beforeAll(async () => {
  engine = await loadEngine();
});

const facts: ConversationFacts = {
  ...EMPTY_FACTS,
  payments: [paymentFacts({ id: 'pay_ord', reference: 'ORD-0000AB', subjectId: 'ord_1', amount: 4500 })],
};

function countingLoad() {
  const load = jest.fn(async () => facts);
  return load;
}

describe('decideWithFacts', () => {
  test('a greeting never reads facts: nothing is loaded and the decision is the plain one', async () => {
    const load = countingLoad();
    const ctx = { ...engine, eventId: 'evt-1' };
    const decision = await decideWithFacts(
      null,
      { type: 'TextReceived', text: 'Ciao!' },
      null,
      clock,
      ctx,
      load,
    );
    expect(load).not.toHaveBeenCalled();
    expect(decision.factsRead).toBe(false);
    const plain = decide(null, { type: 'TextReceived', text: 'Ciao!' }, null, clock, { ...ctx, facts });
    expect({ state: decision.state, effects: decision.effects }).toEqual(plain);
  });

  test('a turn that reads facts is decided again with the loaded ones, with the same effect ids', async () => {
    const load = countingLoad();
    const ctx = { ...engine, eventId: 'evt-2' };
    const event = { type: 'TextReceived', text: 'refund for ORD-0000AB please' } as const;
    const u = understood('refund_request');
    const decision = await decideWithFacts(null, event, u, clock, ctx, load);
    expect(load).toHaveBeenCalledTimes(1);
    expect(decision.factsRead).toBe(true);
    const withFacts = decide(null, event, u, clock, { ...ctx, facts });
    const withoutFacts = decide(null, event, u, clock, { ...ctx, facts: EMPTY_FACTS });
    expect({ state: decision.state, effects: decision.effects }).toEqual(withFacts);
    // The facts changed the answer, so deciding on the empty probe alone would have been wrong.
    expect(withFacts.effects).not.toEqual(withoutFacts.effects);
    expect(JSON.stringify(decision.effects)).toContain('ORD-0000AB');
  });

  test('a failing load fails the turn rather than deciding without facts', async () => {
    const ctx = { ...engine, eventId: 'evt-3' };
    const event = { type: 'TextReceived', text: 'refund for ORD-0000AB please' } as const;
    await expect(
      decideWithFacts(null, event, understood('refund_request'), clock, ctx, async () => {
        throw new Error('database went away');
      }),
    ).rejects.toThrow('database went away');
  });
});
