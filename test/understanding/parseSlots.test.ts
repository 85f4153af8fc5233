import { loadBusiness } from '../../src/business/loadBusiness.js';
import { EMPTY_SLOTS, type Slots } from '../../src/engine/types.js';
import { catalogFromBusiness, parseSlots, type Catalog } from '../../src/understanding/index.js';

// Tuesday 10 March 2026, 11:00 in Milan.
const now = new Date('2026-03-10T10:00:00Z');
let catalog: Catalog;
beforeAll(async () => {
  catalog = catalogFromBusiness(await loadBusiness('seed/bella-studio.yaml'));
});
const slots = (text: string): Slots => parseSlots(text, { catalog, now });
const only = (filled: Partial<Slots>): Slots => ({ ...EMPTY_SLOTS, ...filled });

describe('dates and times, relative to the business clock', () => {
  test.each([
    // it
    ['oggi alle 15', { date: '2026-03-10', time: '15:00' }],
    ['domani alle 3', { date: '2026-03-11', time: '15:00' }],
    ['dopodomani alle 10:30', { date: '2026-03-12', time: '10:30' }],
    ['venerdì alle 16.30', { date: '2026-03-13', time: '16:30' }],
    ['martedì prossimo', { date: '2026-03-17' }],
    ['il 12 dicembre', { date: '2026-12-12' }],
    ['il 25/12 alle 9', { date: '2026-12-25', time: '09:00' }],
    // en
    ['tomorrow at 3pm', { date: '2026-03-11', time: '15:00' }],
    ['on Saturday at 11am', { date: '2026-03-14', time: '11:00' }],
    ['next tuesday at 12:15 pm', { date: '2026-03-17', time: '12:15' }],
    ['December 12th', { date: '2026-12-12' }],
    ['the 3rd of april', { date: '2026-04-03' }],
    ['2026-04-01 at noon', { date: '2026-04-01', time: '12:00' }],
    // fr
    ["aujourd'hui à 15h", { date: '2026-03-10', time: '15:00' }],
    ['demain à 15h30', { date: '2026-03-11', time: '15:30' }],
    ['vendredi à 10 heures', { date: '2026-03-13', time: '10:00' }],
    ['le 12 décembre', { date: '2026-12-12' }],
    // es
    ['hoy a las 5 de la tarde', { date: '2026-03-10', time: '17:00' }],
    ['mañana por la mañana a las 10', { date: '2026-03-11', time: '10:00' }],
    ['el sábado', { date: '2026-03-14' }],
    ['el 12 de diciembre', { date: '2026-12-12' }],
    // pt
    ['amanhã às 14h', { date: '2026-03-11', time: '14:00' }],
    ['sexta-feira às 15:00', { date: '2026-03-13', time: '15:00' }],
    ['dia 12 de dezembro', { date: '2026-12-12' }],
    // de
    ['morgen um 15 Uhr', { date: '2026-03-11', time: '15:00' }],
    ['übermorgen', { date: '2026-03-12' }],
    ['am Donnerstag um 9:45', { date: '2026-03-12', time: '09:45' }],
    ['am 12. Dezember', { date: '2026-12-12' }],
    ['am 12.04. um 10 Uhr', { date: '2026-04-12', time: '10:00' }],
    // a past day and month means next year
    ['il 2 gennaio', { date: '2027-01-02' }],
  ])('%s', (text, expected) => {
    expect(slots(text)).toMatchObject(expected);
  });

  test('mornings and greetings are not tomorrow; impossible dates are not dates', () => {
    expect(slots('Guten Morgen').date).toBeNull();
    expect(slots('por la mañana').date).toBeNull();
    expect(slots('il 31/02').date).toBeNull();
    expect(slots('alle 25:00').time).toBeNull();
  });

  test('late evening in UTC is already tomorrow in Rome', () => {
    const lateEvening = new Date('2026-03-10T23:30:00Z');
    expect(parseSlots('oggi', { catalog, now: lateEvening }).date).toBe('2026-03-11');
    expect(parseSlots('oggi', { now: lateEvening }).date).toBe('2026-03-10');
  });
});

describe('people, numbers, references and amounts', () => {
  test.each([
    ['per 3 persone', { people: 3 }],
    ['siamo in 4', { people: 4 }],
    ['table for two', { people: 2 }],
    ['a party of 6 people', { people: 6 }],
    ['pour trois personnes', { people: 3 }],
    ['nous sommes 5', { people: 5 }],
    ['para cuatro personas', { people: 4 }],
    ['somos 2', { people: 2 }],
    ['para 3 pessoas', { people: 3 }],
    ['wir sind zu viert', { people: 4 }],
    ['für 2 Personen', { people: 2 }],
  ])('%s', (text, expected) => {
    expect(slots(text)).toMatchObject(expected);
  });

  test('a count is not a time, and a time is not a count', () => {
    expect(slots('for 2 at 8pm')).toMatchObject({ people: 2, time: '20:00' });
    expect(slots('per 10 giorni').people).toBeNull();
    expect(slots('alle 5 persone').time).toBeNull();
  });

  test.each([
    ['2', 2],
    ['two', 2],
    ['due', 2],
    ['deux', 2],
    ['dos', 2],
    ['duas', 2],
    ['zwei', 2],
    ['dieci', 10],
    ['3 please', 3],
    ['uno', 1],
    ['ciao', null],
    ['I have 2 questions and 3 problems', null],
  ])('bare number %s → %s', (text, number) => {
    expect(slots(text).number).toBe(number);
  });

  test.each([
    ['pay INV-2026-0001', 'INV-2026-0001'],
    ['fattura inv-2026-0002 per favore', 'INV-2026-0002'],
    ['inv 2026 2', 'INV-2026-0002'],
    ['where is ORD-2026-0042?', 'ORD-2026-0042'],
    ['annulla BKG-2026-0011', 'BKG-2026-0011'],
    ['Quo_2026_0003', 'QUO-2026-0003'],
    ['invoice 2026', null],
  ])('reference in %s', (text, reference) => {
    expect(slots(text).reference).toBe(reference);
  });

  test('a reference is not a date and its digits are not a count', () => {
    expect(slots('INV-2026-0001')).toEqual(only({ reference: 'INV-2026-0001' }));
  });

  test.each([
    ['€50', 5000],
    ['50€', 5000],
    ['89,90 euro', 8990],
    ['EUR 120', 12000],
    ['1.234,56 €', 123456],
    ['$1,499.00', 149900],
    ['I paid 35 euros', 3500],
    ['for 35 people', null],
  ])('amount in %s → %s', (text, amount) => {
    expect(slots(text).amount).toBe(amount);
  });
});

describe('catalog items and variants by name and synonym', () => {
  test.each([
    ['vorrei un taglio', 'haircut', null],
    ['I need a trim', 'haircut', null],
    ['une coupe de cheveux', 'haircut', null],
    ['corte de pelo', 'haircut', null],
    ['corte de cabelo', 'haircut', null],
    ['einen Haarschnitt', 'haircut', null],
    ['colore e piega', 'colour', null],
    ['hair color', 'colour', null],
    ['une manucure', 'manicure', null],
    ['Maniküre', 'manicure', null],
    ['il bracciale taglia M', 'engraved-bracelet', 'M'],
    ['bracelet size L', 'engraved-bracelet', 'L'],
    ['pulsera talla S', 'engraved-bracelet', 'S'],
    ['portafoglio nero', 'leather-wallet', 'black'],
    ['the brown leather wallet', 'leather-wallet', 'brown'],
    ['portefeuille marron', 'leather-wallet', 'brown'],
    ['cartera negra', 'leather-wallet', 'black'],
    ['carteira preta', 'leather-wallet', 'black'],
    ['die schwarze Geldbörse', 'leather-wallet', 'black'],
    ['un buono regalo', 'gift-card', null],
    ['Gutschein', 'gift-card', null],
    ['preventivo sposa', 'bridal', null],
    ['wedding hair for 4', 'bridal', null],
    ['a walet', 'leather-wallet', null],
    ['nessun prodotto qui', null, null],
  ])('%s → %s %s', (text, product, variant) => {
    expect(slots(text)).toMatchObject({ product, variant });
  });

  test('a size letter alone answers a size question; a letter inside words does not', () => {
    expect(slots('M')).toMatchObject({ variant: 'M' });
    expect(slots('nero')).toMatchObject({ variant: 'black' });
    expect(slots("l'appuntamento di domani")).toMatchObject({ variant: null });
    expect(slots('a large table for 6 at the restaurant please')).toMatchObject({ variant: null });
  });

  test('without a catalog no product is named', () => {
    expect(parseSlots('vorrei un taglio', { now }).product).toBeNull();
  });
});
