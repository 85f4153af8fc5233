import { decide, EMPTY_FACTS, type DecideContext, type Decision } from './decide.js';
import type { ConversationState } from './state.js';
import type { Clock, ConversationFacts, DomainEvent, Understanding } from './types.js';

/**
 * Decides a turn, loading the store's facts only when the turn reads them.
 *
 * `decide` first runs against empty facts that note whether they were read. Most turns (a
 * greeting, a menu choice, a question) never look at payments, bookings or invoices, and their
 * decision is then final: it cannot depend on facts it never read. A turn that did read them is
 * decided again with everything `load` returns. `decide` is pure, so running it twice has no
 * effect beyond the CPU it takes, and the second run's effect ids are the same.
 *
 * @example const decision = await decideWithFacts(state, event, understanding, clock, ctx, () => loadFacts(tx, query));
 */
export async function decideWithFacts(
  state: ConversationState | null,
  event: DomainEvent,
  understanding: Understanding | null,
  clock: Clock,
  ctx: Omit<DecideContext, 'facts'>,
  load: () => Promise<ConversationFacts>,
): Promise<Decision & { factsRead: boolean }> {
  let read = false;
  const probe = new Proxy(EMPTY_FACTS, {
    get(target, key, receiver) {
      read = true;
      return Reflect.get(target, key, receiver) as unknown;
    },
  });
  const first = decide(state, event, understanding, clock, { ...ctx, facts: probe });
  if (!read) return { ...first, factsRead: false };
  return { ...decide(state, event, understanding, clock, { ...ctx, facts: await load() }), factsRead: true };
}
