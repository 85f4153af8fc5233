/**
 * Lowercase, accents and punctuation removed, whitespace folded: what keywords, yes/no answers
 * and catalog names are compared with ("Sì!" and "si" read the same).
 */
export function foldText(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s]/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}
