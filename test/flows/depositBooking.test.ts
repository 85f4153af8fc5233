import {
  conversation,
  loadEngine,
  ofType,
  paymentFacts,
  shown,
  understood,
  type EngineContext,
} from './harness.js';

let engine: EngineContext;
beforeAll(async () => {
  engine = await loadEngine();
});
// Tuesday 10 March 2026, 11:00 in Rome.
const START = '2026-03-10T10:00:00Z';
const haircut = understood('book_appointment', { product: 'haircut' });

function toSlots(busy: { start: string; end: string }[] = []) {
  const c = conversation(engine, START, { busy });
  c.say('I would like to book a haircut', haircut);
  const slots = c.say('12/03/2026');
  return { c, slots };
}

describe('deposit booking flow', () => {
  test('happy: service, day, three free times around busy ones, hold + deposit on yes, confirmed with a reminder', () => {
    const { c, slots } = toSlots([{ start: '2026-03-12T08:00:00Z', end: '2026-03-12T12:00:00Z' }]);
    // Three times and "another day" are four options: a list, since reply buttons stop at three.
    const [list] = ofType(slots, 'SendList');
    // 09:00–13:00 Rome is busy: the first free time is 13:00; 18:30 is the last a 30-minute haircut fits.
    expect(list?.sections[0]?.rows.map((r) => r.title)).toEqual([
      '01:00 PM',
      '04:00 PM',
      '06:30 PM',
      'Another day',
    ]);
    expect(c.state?.step).toBe('slots');
    const confirm = c.pick(0);
    expect(shown(confirm)[0]).toMatch(
      /Haircut on Thursday, March 12 at 01:00 PM[\s\S]*€35\.00[\s\S]*deposit of €10\.00[\s\S]*€25\.00/,
    );
    expect(ofType(confirm, 'HoldSlot')).toHaveLength(0);
    const yes = c.tap('yes');
    const [hold] = ofType(yes, 'HoldSlot');
    const [payment] = ofType(yes, 'RequestPayment');
    expect(hold).toMatchObject({
      serviceId: 'haircut',
      start: '2026-03-12T12:00:00.000Z',
      end: '2026-03-12T12:30:00.000Z',
      price: 3500,
      deposit: 1000,
    });
    expect(payment).toMatchObject({
      purpose: 'deposit',
      amount: 1000,
      currency: 'EUR',
      subjectId: hold?.bookingId,
      reference: hold?.reference,
    });
    const confirmed = c.payment(
      paymentFacts({
        purpose: 'deposit',
        subjectId: hold?.bookingId ?? null,
        reference: hold?.reference,
        amount: 1000,
      }),
    );
    // The payment layer sends the receipt with the appointment; the flow schedules the reminder.
    expect(shown(confirmed)).toEqual([]);
    expect(ofType(confirmed, 'RequestPayment')).toHaveLength(0);
    expect(c.state?.step).toBeNull();
    expect(ofType(confirmed, 'ScheduleTimer')).toEqual([
      expect.objectContaining({
        name: `booking-reminder:${hold?.reference}`,
        at: '2026-03-11T12:00:00.000Z',
      }),
    ]);
    c.facts.bookings.push({
      id: hold!.bookingId,
      reference: hold!.reference,
      serviceId: 'haircut',
      start: hold!.start,
      end: hold!.end,
      status: 'confirmed',
      depositPaymentId: 'pay_1',
      balance: 2500,
    });
    c.setNow('2026-03-11T12:00:00Z');
    expect(shown(c.timer('booking-reminder', hold!.reference))).toEqual(['template:booking_reminder']);
  });

  test('changed mind: another day, then "no" releases nothing and charges nothing', () => {
    const { c } = toSlots();
    c.tap('other-day');
    expect(c.state?.step).toBe('date');
    c.say('13/03/2026');
    c.pick(1);
    const no = c.tap('no');
    expect(ofType(no, 'RequestPayment')).toHaveLength(0);
    expect(ofType(no, 'HoldSlot')).toHaveLength(0);
    expect(shown(no)[0]).toMatch(/nothing has been booked or charged/);
    // "cancel" at any step.
    const { c: c2 } = toSlots();
    const cancelled = c2.say('annulla', understood('other', {}, { command: 'cancel', language: 'it' }));
    expect(shown(cancelled)[0]).toBe('Ok, annullato. Non è stato addebitato nulla.');
    expect(c2.state?.step).toBe('menu');
  });

  test('cancel by message within policy refunds the deposit; late cancel keeps it after a clear warning', () => {
    const booking = {
      id: 'bkg_1',
      reference: 'BKG-00001A',
      serviceId: 'colour',
      start: '2026-03-14T09:00:00.000Z',
      end: '2026-03-14T10:30:00.000Z',
      status: 'confirmed' as const,
      depositPaymentId: 'pay_dep',
      balance: 6000,
    };
    const deposit = paymentFacts({
      id: 'pay_dep',
      purpose: 'deposit',
      subjectId: 'bkg_1',
      reference: 'BKG-00001A',
      amount: 2000,
    });
    const c = conversation(engine, START, { bookings: [booking], payments: [deposit] });
    const manage = c.say('I need to cancel my appointment', understood('reschedule_or_cancel_booking'));
    expect(shown(manage)[0]).toMatch(/BKG-00001A: Colour/);
    const check = c.tap('cancel');
    expect(shown(check)[0]).toMatch(/deposit of €20\.00 will be refunded/);
    const done = c.tap('yes');
    expect(ofType(done, 'CancelBooking')).toEqual([expect.objectContaining({ bookingId: 'bkg_1' })]);
    expect(ofType(done, 'RequestRefund')).toEqual([
      expect.objectContaining({ paymentId: 'pay_dep', amount: 2000 }),
    ]);

    const late = conversation(engine, '2026-03-14T06:00:00Z', { bookings: [booking], payments: [deposit] });
    late.say('BKG-00001A');
    expect(shown(late.tap('cancel'))[0]).toMatch(/cannot be refunded/);
    const lateDone = late.tap('yes');
    expect(ofType(lateDone, 'RequestRefund')).toHaveLength(0);
    expect(ofType(lateDone, 'CancelBooking')).toHaveLength(1);
    // Reschedule within policy moves the booking without asking for money again.
    const move = conversation(engine, START, { bookings: [booking], payments: [deposit] });
    move.say('can I change my booking?', understood('reschedule_or_cancel_booking'));
    move.tap('reschedule');
    move.say('13/03/2026');
    move.pick(0);
    const moved = move.tap('yes');
    expect(ofType(moved, 'RescheduleBooking')).toEqual([
      expect.objectContaining({ bookingId: 'bkg_1', start: '2026-03-13T08:00:00.000Z' }),
    ]);
    expect(ofType(moved, 'RequestPayment')).toHaveLength(0);
  });

  test('timeout: an expired deposit ends the flow silently without charging again', () => {
    const { c } = toSlots();
    c.pick(0);
    const [hold] = ofType(c.tap('yes'), 'HoldSlot');
    const expired = c.payment(
      paymentFacts({
        purpose: 'deposit',
        subjectId: hold!.bookingId,
        reference: hold!.reference,
        status: 'expired',
        paidAt: null,
      }),
    );
    // The payment layer releases the hold and sends the deposit-expired notice.
    expect(shown(expired)).toEqual([]);
    expect(ofType(expired, 'RequestPayment')).toHaveLength(0);
    expect(ofType(expired, 'ScheduleTimer')).toHaveLength(0);
    expect(c.state?.step).toBeNull();
  });

  test('invalid input: a closed day, a past day and a taken time are re-asked clearly', () => {
    const c = conversation(engine, START);
    c.say('book', haircut);
    expect(shown(c.say('15/03/2026'))[0]).toMatch(/closed that day/);
    expect(shown(c.say('01/03/2026'))[0]).toMatch(/already passed/);
    c.say('12/03/2026');
    c.facts.busy.push({ start: '2026-03-12T08:00:00.000Z', end: '2026-03-12T08:30:00.000Z' });
    const taken = c.pick(0);
    expect(shown(taken)[0]).toMatch(/just been taken/);
    expect(c.state?.step).toBe('slots');
  });

  test('payment failed: the flow says nothing and ends; no second hold or deposit request', () => {
    const { c } = toSlots();
    c.pick(0);
    const [hold] = ofType(c.tap('yes'), 'HoldSlot');
    const failed = c.payment(
      paymentFacts({
        purpose: 'deposit',
        subjectId: hold!.bookingId,
        reference: hold!.reference,
        status: 'failed',
        paidAt: null,
      }),
    );
    // The payment layer sends a fresh link for the same deposit; the flow only ends.
    expect(shown(failed)).toEqual([]);
    expect(ofType(failed, 'RequestPayment')).toHaveLength(0);
    expect(ofType(failed, 'ScheduleTimer')).toHaveLength(0);
    expect(c.state?.step).toBeNull();
    const again = c.say('yes');
    expect(ofType(again, 'RequestPayment')).toHaveLength(0);
    expect(ofType(again, 'HoldSlot')).toHaveLength(0);
  });
});

test('"a manicure tomorrow" goes straight to the free times of that day', async () => {
  const c = conversation(engine, START);
  const effects = c.say(
    'can I get a manicure tomorrow at 3pm?',
    understood('book_appointment', { product: 'manicure', date: '2026-03-11', time: '15:00' }),
  );
  expect(c.state?.step).toBe('slots');
  // Nearest to 15:00 Rome time.
  expect(ofType(effects, 'SendList')[0]?.sections[0]?.rows.map((r) => r.title)).toEqual([
    '02:30 PM',
    '03:00 PM',
    '03:30 PM',
    'Another day',
  ]);
});
