import { readCatalog } from '../catalog.js';
import type { PaymentFacts } from '../types.js';
import { readCatalogId } from './read.js';
import { defineTask, type Task } from './task.js';

/** A price question about something in the catalog, answered from the catalog only. */
const price = defineTask({
  outcomes: ['answered', 'quote'],
  provides: ['item', 'price'],
  run(input) {
    const entries = [...readCatalog(input.business).products, ...input.business.services];
    const id = readCatalogId(input, entries);
    const entry = entries.find((e) => e.id === id);
    if (!entry) return { outcome: 'quote' };
    return {
      outcome: 'answered',
      vars: { item: input.catalogName(entry.id, entry.name), price: entry.price },
    };
  },
});

/** The customer's latest payments and their status, for "where is my order?". */
const status = defineTask({
  outcomes: ['report', 'nothing'],
  provides: ['lines'],
  run(input) {
    const latest = [...input.facts.payments]
      .sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt))
      .slice(0, 3);
    if (latest.length === 0) return { outcome: 'nothing' };
    const lines = latest
      .map((p) =>
        input.render('status.line', {
          reference: p.reference,
          amount: p.amount,
          status: input.render(`status.${p.status}`),
        }),
      )
      .join('\n');
    return { outcome: 'report', vars: { lines } };
  },
});

const WAITING = new Set<PaymentFacts['status']>(['created', 'pending']);

/** "Send me the link again": the latest payment still waiting, with its link. */
const resend = defineTask({
  outcomes: ['sent', 'nothing'],
  provides: ['reference', 'amount', 'description'],
  run(input) {
    const waiting = [...input.facts.payments]
      .filter((p) => WAITING.has(p.status) && p.link)
      .sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt))[0];
    if (!waiting?.link) return { outcome: 'nothing' };
    const values = { reference: waiting.reference, amount: waiting.amount, description: waiting.description };
    return {
      outcome: 'sent',
      vars: values,
      effects: [
        {
          type: 'SendCtaUrl',
          body: input.render('pay.link_body', values),
          buttonText: input.render('pay.link_button'),
          url: waiting.link,
        },
      ],
    };
  },
});

export const COMMON_TASKS: Record<string, Task> = {
  'catalog.price': price,
  'status.report': status,
  'pay.resend': resend,
};
