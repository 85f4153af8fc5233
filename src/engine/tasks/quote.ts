import { readCatalog, type QuoteOffer } from '../catalog.js';
import { localDate } from '../format.js';
import { makeReference } from '../references.js';
import { readCount, readDate, wantsSomethingElse } from './read.js';
import { defineTask, paymentLimit, type Task, type TaskInput } from './task.js';

/** An open quote, kept in the conversation so follow-up and expiry timers know what they are about. */
export interface Quote {
  offerId: string;
  reference: string;
  people: number;
  date: string;
  amount: number;
  validUntil: string;
  expiresAt: string;
  status: 'offered' | 'payment_requested' | 'paid' | 'expired' | 'declined';
}

const offerOf = (input: TaskInput): QuoteOffer => {
  const offer = readCatalog(input.business).quotes[0];
  if (!offer) throw new Error('The business has no quote offer');
  return offer;
};
const quoteOf = (input: TaskInput) => (input.vars.quote as Quote | undefined) ?? null;

/** Every display value a quote text may use. */
function shown(input: TaskInput, quote: Quote) {
  const offer = offerOf(input);
  return {
    quote,
    reference: quote.reference,
    people: quote.people,
    date: quote.date,
    amount: quote.amount,
    validUntil: quote.validUntil,
    description: input.render('quote.description', {
      offer: input.catalogName(offer.id, offer.name),
      people: quote.people,
      date: quote.date,
    }),
  };
}

const PROVIDES = [
  'quote',
  'reference',
  'people',
  'date',
  'amount',
  'validUntil',
  'description',
  'maxPeople',
  'expiresAt',
];

const start = defineTask({
  outcomes: ['ask_people', 'ask_date', 'ready'],
  provides: PROVIDES,
  run(input) {
    const people = input.understanding?.slots.people ?? null;
    const date = input.understanding?.slots.date ?? null;
    const vars = { quotePeople: people, quoteDate: date, maxPeople: offerOf(input).maxPeople };
    if (people === null) return { outcome: 'ask_people', vars };
    return { outcome: date === null ? 'ask_date' : 'ready', vars };
  },
});

const people = defineTask({
  outcomes: ['ok', 'invalid', 'none'],
  provides: ['maxPeople'],
  run(input) {
    const count = readCount(input);
    const maxPeople = offerOf(input).maxPeople;
    if (count === null || wantsSomethingElse(input.understanding)) return { outcome: 'none' };
    if (count < 1 || count > maxPeople) return { outcome: 'invalid', vars: { maxPeople } };
    const date = readDate(input);
    return {
      outcome: 'ok',
      vars: { quotePeople: count, ...(date && date !== 'invalid' ? { quoteDate: date } : {}) },
    };
  },
});

const needDate = defineTask({
  outcomes: ['known', 'ask'],
  provides: [],
  run: (input) => ({ outcome: input.vars.quoteDate ? 'known' : 'ask' }),
});

const date = defineTask({
  outcomes: ['ok', 'past', 'invalid', 'none'],
  provides: [],
  run(input) {
    const found = readDate(input);
    if (found === null || wantsSomethingElse(input.understanding)) return { outcome: 'none' };
    if (found === 'invalid') return { outcome: 'invalid' };
    if (found <= localDate(input.now, input.business.timezone)) return { outcome: 'past' };
    return { outcome: 'ok', vars: { quoteDate: found } };
  },
});

/** Prices the quote from the catalog: base price for one person, plus each extra person. */
const make = defineTask({
  outcomes: ['ok', 'over_limit'],
  provides: PROVIDES,
  run(input) {
    const offer = offerOf(input);
    const people = Number(input.vars.quotePeople);
    const date = String(input.vars.quoteDate);
    const amount = offer.basePrice + offer.perExtraPerson * Math.max(0, people - 1);
    const existing = quoteOf(input);
    // Showing the same quote again keeps its reference and validity.
    const same =
      existing &&
      existing.status === 'offered' &&
      existing.people === people &&
      existing.date === date &&
      Date.parse(existing.expiresAt) > input.now.getTime();
    const expiresAt = new Date(input.now.getTime() + offer.validDays * 24 * 60 * 60 * 1000);
    const quote: Quote = same
      ? existing
      : {
          offerId: offer.id,
          reference: makeReference('QUO', input.eventId),
          people,
          date,
          amount,
          validUntil: localDate(expiresAt, input.business.timezone),
          expiresAt: expiresAt.toISOString(),
          status: 'offered',
        };
    const outcome = paymentLimit(input, amount) === 'over_limit' ? 'over_limit' : 'ok';
    return { outcome, vars: { ...shown(input, quote), expiresAt: quote.expiresAt } };
  },
});

const accept = defineTask({
  outcomes: ['requested', 'expired', 'missing', 'too_many'],
  provides: PROVIDES,
  run(input) {
    const quote = quoteOf(input);
    if (!quote || quote.status === 'declined' || quote.status === 'paid') return { outcome: 'missing' };
    if (quote.status === 'expired' || Date.parse(quote.expiresAt) <= input.now.getTime())
      return { outcome: 'expired', vars: shown(input, { ...quote, status: 'expired' }) };
    if (paymentLimit(input, quote.amount) !== 'ok') return { outcome: 'too_many' };
    const view = shown(input, { ...quote, status: 'payment_requested' });
    return {
      outcome: 'requested',
      vars: view,
      effects: [
        {
          type: 'RequestPayment',
          purpose: 'quote',
          subjectId: quote.reference,
          reference: quote.reference,
          amount: quote.amount,
          currency: input.business.currency,
          description: view.description,
          items: [{ name: view.description, quantity: 1, amount: quote.amount }],
        },
      ],
    };
  },
});

const decline = defineTask({
  outcomes: ['ok'],
  provides: PROVIDES,
  run(input) {
    const quote = quoteOf(input);
    return { outcome: 'ok', vars: quote ? shown(input, { ...quote, status: 'declined' }) : {} };
  },
});

/** The 24-hour follow-up: only for a quote still waiting for an answer or a payment. */
const followup = defineTask({
  outcomes: ['open', 'stale'],
  provides: PROVIDES,
  run(input) {
    const quote = quoteOf(input);
    const open =
      quote &&
      (quote.status === 'offered' || quote.status === 'payment_requested') &&
      Date.parse(quote.expiresAt) > input.now.getTime() &&
      !input.facts.payments.some((p) => p.subjectId === quote.reference && p.status === 'succeeded');
    return open ? { outcome: 'open', vars: shown(input, quote) } : { outcome: 'stale' };
  },
});

const expire = defineTask({
  outcomes: ['expired', 'stale'],
  provides: PROVIDES,
  run(input) {
    const quote = quoteOf(input);
    if (!quote || (quote.status !== 'offered' && quote.status !== 'payment_requested'))
      return { outcome: 'stale' };
    if (input.facts.payments.some((p) => p.subjectId === quote.reference && p.status === 'succeeded'))
      return { outcome: 'stale' };
    return { outcome: 'expired', vars: shown(input, { ...quote, status: 'expired' }) };
  },
});

/** A payment for a quote changed status: only the conversation's own quote moves. */
const payment = defineTask({
  outcomes: ['paid', 'retry', 'other'],
  provides: PROVIDES,
  run(input) {
    const quote = quoteOf(input);
    if (input.event.type !== 'PaymentUpdated' || !quote) return { outcome: 'other' };
    const { payment } = input.event;
    if (payment.subjectId !== quote.reference) return { outcome: 'other' };
    if (payment.status === 'succeeded')
      return { outcome: 'paid', vars: shown(input, { ...quote, status: 'paid' }) };
    if (payment.status === 'failed' || payment.status === 'expired')
      return { outcome: 'retry', vars: shown(input, { ...quote, status: 'offered' }) };
    return { outcome: 'other' };
  },
});

export const QUOTE_TASKS: Record<string, Task> = {
  'quote.start': start,
  'quote.people': people,
  'quote.need_date': needDate,
  'quote.date': date,
  'quote.make': make,
  'quote.accept': accept,
  'quote.decline': decline,
  'quote.followup': followup,
  'quote.expire': expire,
  'quote.payment': payment,
};
