import { understandText, withoutNames } from '../../src/understanding/understandText.js';

describe('names and titles inside a message do not steer the intent', () => {
  test.each([
    ['Show me the trailer of Good Morning Sunshine', 'Show me the trailer of  '],
    ['qual è la previsione in Costa Rica', 'qual è la previsione in  '],
    ['Vorrei prenotare da Bella Studio domani', 'Vorrei prenotare da   domani'],
  ])('%s', (text, expected) => {
    expect(withoutNames(text)).toBe(expected);
  });

  test('the first word, single capitalised words and all-caps keywords stay', () => {
    expect(withoutNames('Good morning, I need a Haircut')).toBe('Good morning, I need a Haircut');
    expect(withoutNames('Please STOP sending messages')).toBe('Please STOP sending messages');
  });

  test('German capitalises nouns, so only three or more in a row count as a title', () => {
    expect(withoutNames('Wo ist meine Bestellung Nummer 12', 'de')).toBe('Wo ist meine Bestellung Nummer 12');
    expect(withoutNames('Zeig mir den Trailer von Good Morning Sunshine', 'de')).toBe(
      'Zeig mir den Trailer von  ',
    );
  });

  test('a place named like a word is not a price question; the request around it still counts', () => {
    expect(understandText('qual è la previsione in Costa Rica').intent).toBe('other');
    expect(understandText('Vorrei prenotare un taglio da Bella Studio').intent).toBe('book_appointment');
    expect(understandText('Wo ist meine Bestellung Nummer 12?').intent).toBe('order_status_or_tracking');
  });
});
