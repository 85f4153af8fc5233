import { localDate } from '../format.js';
import { findReference } from '../references.js';
import type { InvoiceFacts } from '../types.js';
import { defineTask, paymentLimit, type Task, type TaskInput } from './task.js';

const PROVIDES = ['reference', 'amount', 'dueDate', 'description'];

const shown = (invoice: InvoiceFacts) => ({
  invoiceReference: invoice.reference,
  reference: invoice.reference,
  amount: invoice.amount,
  dueDate: invoice.dueDate,
  description: invoice.description,
});

function lookup(input: TaskInput) {
  const reference = input.understanding?.slots.reference ?? (input.text ? findReference(input.text) : null);
  if (!reference || !reference.startsWith('INV-')) return { outcome: 'none' as const };
  const invoice = input.facts.invoices.find((i) => i.reference === reference);
  if (!invoice) return { outcome: 'unknown' as const, vars: { reference } };
  if (invoice.status === 'paid') return { outcome: 'paid' as const, vars: shown(invoice) };
  if (invoice.status === 'cancelled') return { outcome: 'cancelled' as const, vars: shown(invoice) };
  const overdue = invoice.dueDate < localDate(input.now, input.business.timezone);
  return { outcome: overdue ? ('overdue' as const) : ('open' as const), vars: shown(invoice) };
}

/** The invoice the customer names (INV-2026-0001), from the facts loaded for this message. */
const find = defineTask({
  outcomes: ['open', 'overdue', 'paid', 'cancelled', 'unknown', 'none'],
  provides: PROVIDES,
  run: lookup,
});

/** The explicit yes: ask for exactly the invoice's amount. */
const request = defineTask({
  outcomes: ['requested', 'gone', 'over_limit', 'too_many'],
  provides: PROVIDES,
  run(input) {
    const invoice = input.facts.invoices.find((i) => i.reference === input.vars.invoiceReference);
    if (!invoice || invoice.status !== 'open') return { outcome: 'gone' };
    const limit = paymentLimit(input, invoice.amount);
    if (limit !== 'ok') return { outcome: limit, vars: shown(invoice) };
    return {
      outcome: 'requested',
      vars: shown(invoice),
      effects: [
        {
          type: 'RequestPayment',
          purpose: 'invoice',
          subjectId: invoice.reference,
          reference: invoice.reference,
          amount: invoice.amount,
          currency: invoice.currency,
          description: invoice.description,
          items: [{ name: invoice.description, quantity: 1, amount: invoice.amount }],
        },
      ],
    };
  },
});

const payment = defineTask({
  outcomes: ['paid', 'retry', 'other'],
  provides: PROVIDES,
  run(input) {
    if (input.event.type !== 'PaymentUpdated') return { outcome: 'other' };
    const p = input.event.payment;
    const vars = {
      reference: p.reference,
      amount: p.amount,
      description: p.description,
      invoiceReference: p.subjectId,
    };
    if (p.status === 'succeeded') return { outcome: 'paid', vars };
    if (p.status === 'failed' || p.status === 'expired') return { outcome: 'retry', vars };
    return { outcome: 'other' };
  },
});

export const INVOICE_TASKS: Record<string, Task> = {
  'invoice.find': find,
  'invoice.request': request,
  'invoice.payment': payment,
};
