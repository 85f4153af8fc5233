/**
 * The text slot parsers read: lowercase, accents folded, apostrophes to spaces, but digits,
 * currency signs and the separators of dates, times and amounts kept.
 */
export function slotText(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/ß/g, 'ss')
    .replace(/[’'`´]/g, ' ')
    .replace(/[^\p{L}\p{N}\s$€£:./,\-+]/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Number words one to ten in the six languages (folded accents). Articles are kept apart. */
export const NUMBER_WORDS: Record<string, number> = {
  // it
  due: 2,
  tre: 3,
  quattro: 4,
  cinque: 5,
  sei: 6,
  sette: 7,
  otto: 8,
  nove: 9,
  dieci: 10,
  // en
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  // fr
  deux: 2,
  trois: 3,
  quatre: 4,
  cinq: 5,
  sept: 7,
  huit: 8,
  neuf: 9,
  dix: 10,
  // es
  dos: 2,
  tres: 3,
  cuatro: 4,
  cinco: 5,
  seis: 6,
  siete: 7,
  ocho: 8,
  nueve: 9,
  diez: 10,
  // pt
  dois: 2,
  duas: 2,
  quatro: 4,
  sete: 7,
  oito: 8,
  dez: 10,
  // de
  eins: 1,
  zwei: 2,
  drei: 3,
  vier: 4,
  funf: 5,
  fuenf: 5,
  sechs: 6,
  sieben: 7,
  acht: 8,
  neun: 9,
  zehn: 10,
};

/** Words that are both "one" and an article; a number only where a count is expected. */
export const ONE_WORDS = new Set(['uno', 'una', 'un', 'une', 'um', 'uma', 'ein', 'eine', 'einen', 'one']);

/** The value of a digit string or a number word, or null. */
export function numberValue(token: string, allowArticles = false): number | null {
  if (/^\d{1,3}$/.test(token)) return Number(token);
  if (Object.hasOwn(NUMBER_WORDS, token)) return NUMBER_WORDS[token] as number;
  if (allowArticles && ONE_WORDS.has(token)) return 1;
  return null;
}
