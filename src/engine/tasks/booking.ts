import type { Business } from '../../business/loadBusiness.js';
import { addDays, isoWeekday, localDate, zonedInstant } from '../format.js';
import { findReference, makeReference } from '../references.js';
import type { BookingFacts, ConversationFacts } from '../types.js';
import { readCatalogId, readDate, readTime, wantsSomethingElse } from './read.js';
import { defineTask, numberParam, paymentLimit, type Task, type TaskInput } from './task.js';

type Service = Business['services'][number];

/** The booking this conversation is making or has made. */
export interface Booking {
  id: string;
  reference: string;
  serviceId: string;
  start: string;
  end: string;
  price: number;
  deposit: number;
  status: 'held' | 'confirmed' | 'released' | 'cancelled';
}

const MINUTE = 60_000;
const serviceOf = (input: TaskInput, id: unknown): Service | undefined =>
  input.business.services.find((s) => s.id === id);

/** Display values of a service, booking or slot, for the booking texts. */
function shownService(input: TaskInput, service: Service) {
  return {
    bookingService: service.id,
    service: input.catalogName(service.id, service.name),
    price: service.price,
    deposit: service.deposit,
    balance: service.price - service.deposit,
    duration: service.durationMinutes,
  };
}
function shownBooking(input: TaskInput, booking: Booking) {
  const service = serviceOf(input, booking.serviceId);
  return {
    booking,
    reference: booking.reference,
    start: booking.start,
    bookingStart: booking.start,
    bookingKey: booking.reference,
    amount: booking.deposit,
    ...(service ? shownService(input, service) : { service: booking.serviceId }),
    price: booking.price,
    deposit: booking.deposit,
    balance: booking.price - booking.deposit,
  };
}
const PROVIDES = [
  'services',
  'service',
  'price',
  'deposit',
  'balance',
  'duration',
  'date',
  'slots',
  'start',
  'reference',
  'amount',
  'refundAmount',
  'policyHours',
  'booking',
];

const overlaps = (aStart: number, aEnd: number, bStart: number, bEnd: number) =>
  aStart < bEnd && bStart < aEnd;

/** Intervals nobody can book: the calendar's busy times and bookings held or confirmed. */
function busyIntervals(facts: ConversationFacts, exceptBookingId: string | null): [number, number][] {
  return [
    ...facts.busy.map((b) => [Date.parse(b.start), Date.parse(b.end)] as [number, number]),
    ...facts.bookings
      .filter((b) => (b.status === 'held' || b.status === 'confirmed') && b.id !== exceptBookingId)
      .map((b) => [Date.parse(b.start), Date.parse(b.end)] as [number, number]),
  ];
}

/**
 * Free start times for a service on a local date: inside opening hours, on a grid of
 * `stepMinutes`, clear of every busy interval, and at least `noticeMinutes` from now.
 */
export function freeSlots(
  input: TaskInput,
  service: Service,
  date: string,
  exceptBookingId: string | null = null,
): string[] {
  const { timezone, openingHours } = input.business;
  const step = numberParam(input, 'stepMinutes', 30);
  const notice = numberParam(input, 'noticeMinutes', 120);
  const busy = busyIntervals(input.facts, exceptBookingId);
  const earliest = input.now.getTime() + notice * MINUTE;
  const slots: string[] = [];
  for (const [open, close] of openingHours[String(isoWeekday(date))] ?? []) {
    const closeAt = zonedInstant(date, close, timezone).getTime();
    for (
      let t = zonedInstant(date, open, timezone).getTime();
      t + service.durationMinutes * MINUTE <= closeAt;
      t += step * MINUTE
    ) {
      const end = t + service.durationMinutes * MINUTE;
      if (t < earliest || busy.some(([bs, be]) => overlaps(t, end, bs, be))) continue;
      slots.push(new Date(t).toISOString());
    }
  }
  return slots;
}

/** Up to `count` slots: those nearest a preferred time, or spread over the day. */
function offer(slots: string[], count: number, preferred: number | null): string[] {
  if (slots.length <= count) return slots;
  if (preferred !== null) {
    return [...slots]
      .sort((a, b) => Math.abs(Date.parse(a) - preferred) - Math.abs(Date.parse(b) - preferred))
      .slice(0, count)
      .sort();
  }
  const picks = new Set<number>();
  for (let i = 0; i < count; i++) picks.add(Math.round((i * (slots.length - 1)) / (count - 1)));
  return [...picks].map((i) => slots[i] as string);
}

const services = defineTask({
  outcomes: ['ask', 'known'],
  provides: PROVIDES,
  run(input) {
    const items = input.business.services.map((s) => ({
      id: s.id,
      title: input.catalogName(s.id, s.name),
      description: input.render('booking.service_row', {
        duration: s.durationMinutes,
        price: s.price,
        deposit: s.deposit,
      }),
    }));
    const reset = {
      booking: null,
      rescheduling: null,
      bookingDate: null,
      bookingTime: null,
      services: items,
    };
    const known = readCatalogId(input, input.business.services);
    const service = serviceOf(input, known);
    if (!service) return { outcome: 'ask', vars: reset };
    const date = readDate(input);
    return {
      outcome: 'known',
      vars: {
        ...reset,
        ...shownService(input, service),
        bookingTime: readTime(input),
        ...(date && date !== 'invalid' ? { pendingDate: date } : {}),
      },
    };
  },
});

const service = defineTask({
  outcomes: ['ok', 'none'],
  provides: PROVIDES,
  run(input) {
    if (wantsSomethingElse(input.understanding) && !input.picked) return { outcome: 'none' };
    const found = serviceOf(input, readCatalogId(input, input.business.services));
    if (!found) return { outcome: 'none' };
    const day = readDate(input);
    return {
      outcome: 'ok',
      vars: {
        ...shownService(input, found),
        bookingTime: readTime(input),
        pendingDate: day && day !== 'invalid' ? day : null,
      },
    };
  },
});

/** Checks a day for booking: not past, not beyond the horizon, a day the business opens. */
function checkDay(input: TaskInput, found: string | 'invalid') {
  if (found === 'invalid') return { outcome: 'invalid' as const, vars: { pendingDate: null } };
  const today = localDate(input.now, input.business.timezone);
  const vars = {
    date: found,
    pendingDate: null,
    bookingTime: readTime(input) ?? input.vars.bookingTime ?? null,
  };
  if (found < today) return { outcome: 'past' as const, vars };
  if (found > addDays(today, numberParam(input, 'horizonDays', 60)))
    return { outcome: 'too_far' as const, vars };
  if (!input.business.openingHours[String(isoWeekday(found))]?.length)
    return { outcome: 'closed' as const, vars };
  return { outcome: 'ok' as const, vars: { ...vars, bookingDate: found } };
}

const date = defineTask({
  outcomes: ['ok', 'closed', 'past', 'too_far', 'invalid', 'none'],
  provides: PROVIDES,
  run(input) {
    const found = readDate(input);
    if (found === null || wantsSomethingElse(input.understanding)) return { outcome: 'none' };
    return checkDay(input, found);
  },
});

/** A day the customer already gave with the service ("a haircut tomorrow"), used once. */
const pendingDate = defineTask({
  outcomes: ['ok', 'closed', 'past', 'too_far', 'invalid', 'none'],
  provides: PROVIDES,
  run(input) {
    const pending = input.vars.pendingDate;
    if (typeof pending !== 'string') return { outcome: 'none' };
    return checkDay(input, pending);
  },
});

/** Computes the offered slots for the chosen service and date. */
const slots = defineTask({
  outcomes: ['ok', 'full'],
  provides: PROVIDES,
  run(input) {
    const svc = serviceOf(input, input.vars.bookingService);
    const day = String(input.vars.bookingDate);
    if (!svc) return { outcome: 'full' };
    const moving = (input.vars.rescheduling as string | undefined) ?? null;
    const free = freeSlots(input, svc, day, moving);
    const time = input.vars.bookingTime as string | null | undefined;
    const preferred = time ? zonedInstant(day, time, input.business.timezone).getTime() : null;
    const offered = offer(free, numberParam(input, 'offer', 3), preferred);
    if (offered.length === 0) return { outcome: 'full', vars: { date: day } };
    return {
      outcome: 'ok',
      vars: {
        date: day,
        slots: offered.map((start) => ({ id: start, title: input.render('booking.slot_title', { start }) })),
      },
    };
  },
});

/** The customer chose a slot (tap or typed time): it must be one offered and still free. */
const pick = defineTask({
  outcomes: ['ok', 'taken', 'none'],
  provides: PROVIDES,
  run(input) {
    const offered = ((input.vars.slots as { id: string }[] | undefined) ?? []).map((s) => s.id);
    let start = input.picked;
    if (!start) {
      const time = readTime(input);
      if (!time || wantsSomethingElse(input.understanding)) return { outcome: 'none' };
      const at = zonedInstant(String(input.vars.bookingDate), time, input.business.timezone).toISOString();
      start = offered.find((s) => s === at) ?? at;
    }
    const svc = serviceOf(input, input.vars.bookingService);
    if (!svc) return { outcome: 'none' };
    const day = localDate(new Date(start), input.business.timezone);
    const moving = (input.vars.rescheduling as string | undefined) ?? null;
    if (!freeSlots(input, svc, day, moving).includes(start)) return { outcome: 'taken' };
    const end = new Date(Date.parse(start) + svc.durationMinutes * MINUTE).toISOString();
    return { outcome: 'ok', vars: { ...shownService(input, svc), start, bookingEnd: end } };
  },
});

/**
 * The explicit yes: hold the slot and ask for the deposit (or, when moving a paid booking, move
 * it without asking for money again).
 */
const request = defineTask({
  outcomes: ['requested', 'rescheduled', 'taken', 'over_limit', 'too_many'],
  provides: PROVIDES,
  run(input) {
    const svc = serviceOf(input, input.vars.bookingService);
    const start = String(input.vars.start);
    const moving = (input.vars.rescheduling as string | undefined) ?? null;
    if (
      !svc ||
      !freeSlots(input, svc, localDate(new Date(start), input.business.timezone), moving).includes(start)
    )
      return { outcome: 'taken' };
    const end = new Date(Date.parse(start) + svc.durationMinutes * MINUTE).toISOString();
    const previous = input.vars.booking as Booking | undefined;
    if (moving && previous && previous.id === moving) {
      const moved: Booking = { ...previous, start, end };
      return {
        outcome: 'rescheduled',
        vars: { ...shownBooking(input, moved), rescheduling: null },
        effects: [{ type: 'RescheduleBooking', bookingId: moving, start, end }],
      };
    }
    const limit = paymentLimit(input, svc.deposit);
    if (limit !== 'ok') return { outcome: limit };
    const booking: Booking = {
      id: `bkg_${input.eventId}`,
      reference: makeReference('BKG', input.eventId),
      serviceId: svc.id,
      start,
      end,
      price: svc.price,
      deposit: svc.deposit,
      status: 'held',
    };
    const view = shownBooking(input, booking);
    const description = input.render('booking.deposit_description', view);
    return {
      outcome: 'requested',
      vars: view,
      effects: [
        {
          type: 'HoldSlot',
          bookingId: booking.id,
          reference: booking.reference,
          serviceId: svc.id,
          start,
          end,
          price: svc.price,
          deposit: svc.deposit,
        },
        {
          type: 'RequestPayment',
          purpose: 'deposit',
          subjectId: booking.id,
          reference: booking.reference,
          amount: svc.deposit,
          currency: input.business.currency,
          description,
          items: [{ name: description, quantity: 1, amount: svc.deposit }],
        },
      ],
    };
  },
});

/** A deposit payment changed status. */
const payment = defineTask({
  outcomes: ['confirmed', 'retry', 'released', 'other'],
  provides: PROVIDES,
  run(input) {
    const booking = input.vars.booking as Booking | undefined;
    if (input.event.type !== 'PaymentUpdated' || !booking || input.event.payment.subjectId !== booking.id)
      return { outcome: 'other' };
    const { status } = input.event.payment;
    if (status === 'succeeded')
      return { outcome: 'confirmed', vars: shownBooking(input, { ...booking, status: 'confirmed' }) };
    if (status === 'failed') return { outcome: 'retry', vars: shownBooking(input, booking) };
    if (status === 'expired')
      return {
        outcome: 'released',
        vars: shownBooking(input, { ...booking, status: 'released' }),
        effects: [{ type: 'CancelBooking', bookingId: booking.id }],
      };
    return { outcome: 'other' };
  },
});

/** Try the deposit again, if the slot is still held for this booking. */
const retry = defineTask({
  outcomes: ['requested', 'released'],
  provides: PROVIDES,
  run(input) {
    const booking = input.vars.booking as Booking | undefined;
    const fact = input.facts.bookings.find((b) => b.id === booking?.id);
    if (!booking || booking.status !== 'held' || (fact && fact.status !== 'held'))
      return { outcome: 'released' };
    const view = shownBooking(input, booking);
    const description = input.render('booking.deposit_description', view);
    return {
      outcome: 'requested',
      vars: view,
      effects: [
        {
          type: 'RequestPayment',
          purpose: 'deposit',
          subjectId: booking.id,
          reference: booking.reference,
          amount: booking.deposit,
          currency: input.business.currency,
          description,
          items: [{ name: description, quantity: 1, amount: booking.deposit }],
        },
      ],
    };
  },
});

const abandon = defineTask({
  outcomes: ['ok'],
  provides: PROVIDES,
  run(input) {
    const booking = input.vars.booking as Booking | undefined;
    const held = booking?.status === 'held';
    return {
      outcome: 'ok',
      vars: { booking: held ? { ...booking, status: 'cancelled' } : (booking ?? null), rescheduling: null },
      effects: held ? [{ type: 'CancelBooking', bookingId: booking.id }] : [],
    };
  },
});

function fromFacts(fact: BookingFacts, input: TaskInput): Booking {
  const svc = serviceOf(input, fact.serviceId);
  return {
    id: fact.id,
    reference: fact.reference,
    serviceId: fact.serviceId,
    start: fact.start,
    end: fact.end,
    price: svc?.price ?? fact.balance,
    deposit: svc?.deposit ?? 0,
    status: fact.status,
  };
}

/** The day-before reminder, for a booking that is still on. */
const reminder = defineTask({
  outcomes: ['remind', 'stale'],
  provides: PROVIDES,
  run(input) {
    const key =
      input.event.type === 'TimerFired' ? (input.event.payload as { key?: string } | null)?.key : null;
    const fact = input.facts.bookings.find((b) => b.reference === key);
    const own = input.vars.booking as Booking | undefined;
    const booking = fact ? fromFacts(fact, input) : own?.reference === key ? own : undefined;
    if (!booking || booking.status !== 'confirmed' || Date.parse(booking.start) <= input.now.getTime())
      return { outcome: 'stale' };
    return { outcome: 'remind', vars: shownBooking(input, booking) };
  },
});

/** Finds the booking to change: by reference, or the customer's next one. */
const find = defineTask({
  outcomes: ['found', 'nothing'],
  provides: PROVIDES,
  run(input) {
    const reference = input.understanding?.slots.reference ?? (input.text ? findReference(input.text) : null);
    const upcoming = input.facts.bookings
      .filter(
        (b) => (b.status === 'confirmed' || b.status === 'held') && Date.parse(b.start) > input.now.getTime(),
      )
      .sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
    const fact = reference ? upcoming.find((b) => b.reference === reference) : upcoming[0];
    const own = input.vars.booking as Booking | undefined;
    const booking = fact
      ? fromFacts(fact, input)
      : own &&
          own.status === 'confirmed' &&
          Date.parse(own.start) > input.now.getTime() &&
          (!reference || own.reference === reference)
        ? own
        : undefined;
    if (!booking) return { outcome: 'nothing' };
    return {
      outcome: 'found',
      vars: { ...shownBooking(input, booking), policyHours: numberParam(input, 'policyHours', 24) },
    };
  },
});

const hoursUntil = (input: TaskInput, booking: Booking) =>
  (Date.parse(booking.start) - input.now.getTime()) / 3_600_000;

/** Cancelling in time gives the deposit back; later, the deposit is kept (the customer is told first). */
const cancelCheck = defineTask({
  outcomes: ['refundable', 'late'],
  provides: PROVIDES,
  run(input) {
    const booking = input.vars.booking as Booking;
    const policyHours = numberParam(input, 'policyHours', 24);
    const paid = input.facts.payments.find((p) => p.subjectId === booking.id && p.status === 'succeeded');
    const inTime = hoursUntil(input, booking) >= policyHours;
    return {
      outcome: inTime && paid ? 'refundable' : 'late',
      vars: { policyHours, refundAmount: inTime && paid ? paid.amount - paid.refundedAmount : 0 },
    };
  },
});

const cancel = defineTask({
  outcomes: ['cancelled'],
  provides: PROVIDES,
  run(input) {
    const booking = input.vars.booking as Booking;
    const policyHours = numberParam(input, 'policyHours', 24);
    const paid = input.facts.payments.find((p) => p.subjectId === booking.id && p.status === 'succeeded');
    const refund = hoursUntil(input, booking) >= policyHours && paid ? paid.amount - paid.refundedAmount : 0;
    return {
      outcome: 'cancelled',
      vars: { ...shownBooking(input, { ...booking, status: 'cancelled' }), refundAmount: refund },
      effects: [
        { type: 'CancelBooking', bookingId: booking.id },
        { type: 'CancelTimer', name: `booking-reminder:${booking.reference}` },
        ...(refund > 0 && paid
          ? [
              {
                type: 'RequestRefund' as const,
                paymentId: paid.id,
                amount: refund,
                reason: 'booking_cancelled_in_time',
              },
            ]
          : []),
      ],
    };
  },
});

const reschedule = defineTask({
  outcomes: ['ok', 'late'],
  provides: PROVIDES,
  run(input) {
    const booking = input.vars.booking as Booking;
    const policyHours = numberParam(input, 'policyHours', 24);
    if (hoursUntil(input, booking) < policyHours) return { outcome: 'late', vars: { policyHours } };
    const svc = serviceOf(input, booking.serviceId);
    return {
      outcome: 'ok',
      vars: { rescheduling: booking.id, ...(svc ? shownService(input, svc) : {}), bookingTime: null },
    };
  },
});

export const BOOKING_TASKS: Record<string, Task> = {
  'booking.services': services,
  'booking.service': service,
  'booking.date': date,
  'booking.pending_date': pendingDate,
  'booking.slots': slots,
  'booking.pick': pick,
  'booking.request': request,
  'booking.payment': payment,
  'booking.retry': retry,
  'booking.abandon': abandon,
  'booking.reminder': reminder,
  'booking.find': find,
  'booking.cancel_check': cancelCheck,
  'booking.cancel': cancel,
  'booking.reschedule': reschedule,
};
