/**
 * Emoji customers use instead of words, mapped to a word the classifier knows. Anything else
 * pictographic is dropped, so "ok 👍" and "ok" read the same.
 */
const EMOJI_WORDS: [RegExp, string][] = [
  [/👍|👌|✅|✔️?|☑️?|🆗/gu, ' ok '],
  [/👎|❌|✖️?|🚫|⛔/gu, ' no '],
  [/👋|🙋/gu, ' hello '],
  [/🙏|🤝|❤️?|💕|💖|😘|🥰|😍|🌹|💐/gu, ' thanks '],
  [/📅|🗓️?|📆/gu, ' appointment '],
  [/💇(?:‍[♀♂]️?)?|✂️?/gu, ' haircut '],
  [/💅/gu, ' manicure '],
  [/🧾/gu, ' invoice '],
  [/💳/gu, ' card '],
  [/💶|💵|💰|💸/gu, ' pay '],
  [/📦|🚚/gu, ' order '],
  [/🛒|🛍️?/gu, ' buy '],
  [/👰(?:‍[♀♂]️?)?|💍/gu, ' bridal '],
  [/🎁/gu, ' gift '],
  [/☎️?|📞/gu, ' call '],
];

/** Lowercase, accents folded, emoji mapped to words, punctuation to spaces, whitespace folded. */
export function normalizeText(text: string): string {
  let out = text;
  for (const [pattern, word] of EMOJI_WORDS) out = out.replace(pattern, word);
  return (
    out
      .normalize('NFKD')
      .replace(/\p{M}/gu, '')
      .toLowerCase()
      .replace(/ß/g, 'ss')
      .replace(/[’'`´]/g, ' ')
      // Currency words and signs become one token, so "50 dollars" and "€50" look alike.
      .replace(/[$€£]|\b(?:dollars?|euros?|eur|usd|pounds?|gbp|bucks|reais|franken|chf)\b/gu, ' moneyunit ')
      // Keep digits joined to their separators ("15:30", "25/12", "89,90") for the slot parser.
      .replace(/(\d)[.,:/](?=\d)/g, '$1\uE000')
      .replace(/[^\p{L}\p{N}\s\uE000]/gu, ' ')
      .replace(/\uE000/g, '.')
      .replace(/\s+/g, ' ')
      .trim()
  );
}

/** The words of a normalized text. */
export const tokenize = (normalized: string): string[] => (normalized ? normalized.split(' ') : []);
