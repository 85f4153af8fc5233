import { EMPTY_FACTS, type DecideContext } from '../../src/engine/decide.js';
import { loadEngine } from '../flows/harness.js';

/** The real flows and texts of the demo business, as decide() receives them. */
export async function createTestFlowContext(): Promise<DecideContext> {
  return { ...(await loadEngine()), facts: EMPTY_FACTS, eventId: 'evt-1' };
}
