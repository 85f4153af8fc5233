import type { Business } from '../../business/loadBusiness.js';
import type { ConversationFacts, DomainEvent, EffectDraft, Locale, Understanding } from '../types.js';

/** What a task sees of the turn. Everything is data: tasks are pure like decide(). */
export interface TaskInput {
  event: DomainEvent;
  understanding: Understanding | null;
  /** The customer's text in this turn, if any. */
  text: string | null;
  /** The id of the computed choice the customer tapped (`pick`), if any. */
  picked: string | null;
  /** The conversation's variables (what earlier tasks stored). */
  vars: Readonly<Record<string, unknown>>;
  /** Parameters from the flow file (`with:`). */
  with: Readonly<Record<string, string | number | boolean>>;
  business: Business;
  facts: ConversationFacts;
  now: Date;
  /** Id of the inbound event; references and ids derive from it. */
  eventId: string;
  locale: Locale;
  flow: string;
  step: string | null;
  /** Renders a template text in the customer's language with these values on top of the variables. */
  render(key: string, values?: Record<string, unknown>): string;
  /** The translated name of a catalog entry (`catalog.<id>` in the templates), or `fallback`. */
  catalogName(id: string, fallback: string): string;
}

export interface TaskResult {
  /** Picks the branch in the flow's `then`; `none` means "not for me" and lets other triggers try. */
  outcome: string;
  /** Variables to set; `null` removes one. */
  vars?: Record<string, unknown>;
  effects?: EffectDraft[];
}

export interface Task {
  /** Every outcome `run` can return; the loader checks flows only branch on these. */
  outcomes: readonly string[];
  /** Variables the task sets, which the flow's texts may use as placeholders. */
  provides: readonly string[];
  run(input: TaskInput): TaskResult;
}

/** Declares a task with its outcomes typed, so `run` cannot return one it did not declare. */
export function defineTask<const O extends string>(task: {
  outcomes: readonly O[];
  provides: readonly string[];
  run(input: TaskInput): TaskResult & { outcome: O };
}): Task {
  return task;
}

/** A number read from the task parameters, or the default when the flow did not set it. */
export function numberParam(input: TaskInput, key: string, fallback: number): number {
  const value = input.with[key];
  return typeof value === 'number' ? value : fallback;
}

/**
 * Whether a new payment of `amount` stays within the business's limits: the per-transaction
 * maximum, and the number of payments a customer may start per day (counted from the facts).
 */
export function paymentLimit(input: TaskInput, amount: number): 'ok' | 'over_limit' | 'too_many' {
  const { maxPaymentAmount, maxPaymentsPerCustomerPerDay } = input.business.limits;
  if (amount > maxPaymentAmount) return 'over_limit';
  const dayAgo = input.now.getTime() - 24 * 60 * 60 * 1000;
  const recent = input.facts.payments.filter((p) => Date.parse(p.createdAt) > dayAgo).length;
  return recent >= maxPaymentsPerCustomerPerDay ? 'too_many' : 'ok';
}
