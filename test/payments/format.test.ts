import { daysBetween, formatAmount, localParts, parseAmount } from '../../src/payments/format.js';

describe('money and dates for customers', () => {
  test('amounts in minor units read the way each language writes them', () => {
    expect(formatAmount(8990, 'EUR', 'it')).toMatch(/^89,90\s€$/);
    expect(formatAmount(8990, 'EUR', 'en')).toBe('€89.90');
    expect(formatAmount(8990, 'EUR', 'de')).toMatch(/^89,90\s€$/);
    expect(formatAmount(500, 'JPY', 'en')).toBe('¥500');
    expect(formatAmount(1234, 'KWD', 'en')).toMatch(/^KWD\s1\.234$/);
  });

  test('decimal amounts parse to minor units by the currency, and nothing else does', () => {
    expect(parseAmount('89.90', 'EUR')).toBe(8990);
    expect(parseAmount('89,9', 'EUR')).toBe(8990);
    expect(parseAmount(' 120 ', 'EUR')).toBe(12000);
    expect(parseAmount('500', 'JPY')).toBe(500);
    expect(parseAmount('5.5', 'JPY')).toBeNull();
    expect(parseAmount('12.345', 'EUR')).toBeNull();
    expect(parseAmount('-5', 'EUR')).toBeNull();
    expect(parseAmount('1e3', 'EUR')).toBeNull();
    expect(parseAmount('', 'EUR')).toBeNull();
  });

  test('local dates and times in the business time zone', () => {
    expect(localParts(new Date('2025-06-15T22:30:00Z'), 'Europe/Rome')).toEqual({
      date: '2025-06-16',
      time: '00:30',
    });
    expect(localParts(new Date('2025-01-15T09:05:00Z'), 'Europe/Rome')).toEqual({
      date: '2025-01-15',
      time: '10:05',
    });
    expect(daysBetween('2025-06-25', '2025-06-22')).toBe(-3);
    expect(daysBetween('2025-03-29', '2025-03-31')).toBe(2);
  });
});
