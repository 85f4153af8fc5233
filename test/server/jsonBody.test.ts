import { findNulCharacter } from '../../src/server/jsonBody.js';

describe('finding text PostgreSQL cannot store', () => {
  test('names the first value or key holding U+0000, however deep', () => {
    expect(findNulCharacter({ text: 'a\u0000b' })).toBe('body.text');
    expect(findNulCharacter({ rows: [{ name: 'ok' }, { name: 'x', tags: ['fine', '\u0000'] }] })).toBe(
      'body.rows.1.tags.1',
    );
    expect(findNulCharacter({ nested: { ['bad\u0000key']: 1 } })).toBe('body.nested');
    expect(findNulCharacter('\u0000')).toBe('body');
  });

  test('text that only spells the escape out, and bodies without text, pass', () => {
    expect(findNulCharacter({ text: '\\u0000', n: 0, flag: false, none: null })).toBeNull();
    expect(findNulCharacter(undefined)).toBeNull();
    expect(findNulCharacter([])).toBeNull();
  });
});
