import { foldText } from './foldText.js';
/**
 * A clear yes or a clear no, in it/en/fr/es/pt/de. Only whole short answers count ("sì",
 * "ok 👍", "yes please", "no grazie"): anything longer or mixed is not a yes, because a yes here
 * can take a customer's money.
 */
const YES = [
  'yes',
  'y',
  'yep',
  'yeah',
  'sure',
  'ok',
  'okay',
  'okey',
  'oki',
  'k',
  'confirm',
  'confirmed',
  'i confirm',
  'go ahead',
  'yes please',
  'yes confirm',
  'of course',
  'si',
  'sì',
  'certo',
  'va bene',
  'confermo',
  'conferma',
  'si grazie',
  'si confermo',
  'si certo',
  'perfetto',
  'd accordo',
  'oui',
  'ouais',
  'd accord',
  'je confirme',
  'oui merci',
  'oui je confirme',
  'parfait',
  'vale',
  'claro',
  'confirmo',
  'si por favor',
  'si gracias',
  'de acuerdo',
  'perfecto',
  'sim',
  'claro que sim',
  'sim obrigado',
  'sim obrigada',
  'pode ser',
  'perfeito',
  'ja',
  'jawohl',
  'genau',
  'klar',
  'bestatigt',
  'ich bestatige',
  'ja bitte',
  'ja gerne',
  'einverstanden',
  'passt',
];

const NO = [
  'no',
  'n',
  'nope',
  'no thanks',
  'no thank you',
  'not now',
  'cancel',
  'no grazie',
  'non ora',
  'annulla',
  'non',
  'non merci',
  'pas maintenant',
  'annuler',
  'no gracias',
  'ahora no',
  'cancelar',
  'nao',
  'nao obrigado',
  'nao obrigada',
  'agora nao',
  'nein',
  'nein danke',
  'jetzt nicht',
  'abbrechen',
];

const yes = new Set(YES.map(foldText));
const no = new Set(NO.map(foldText));
const THUMBS_UP = /^\s*(👍|👌|✅)(\p{Emoji_Modifier})?\s*$/u;

/** 'yes', 'no', or null when the text is not a clear answer. */
export function recognizeYesNo(text: string): 'yes' | 'no' | null {
  if (THUMBS_UP.test(text)) return 'yes';
  const words = foldText(text);
  if (words.length === 0 || words.length > 24) return null;
  if (yes.has(words)) return 'yes';
  if (no.has(words)) return 'no';
  return null;
}
