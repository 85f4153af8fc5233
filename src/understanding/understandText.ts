import { EMPTY_SLOTS, type Command, type Intent, type Locale, type Understanding } from '../engine/types.js';

/** Lowercase, accents and emoji removed, punctuation to spaces, whitespace folded. */
export function normalizeText(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s]/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Whole-message keywords. WhatsApp users expect STOP/START to work in any language. */
const COMMAND_WORDS: Record<Command, string[]> = {
  stop: [
    'stop',
    'stopp',
    'unsubscribe',
    'disiscriviti',
    'cancella iscrizione',
    'desinscrire',
    'desabonner',
    'baja',
    'darme de baja',
    'cancelar suscripcion',
    'parar',
    'sair',
    'cancelar inscricao',
    'abmelden',
  ],
  start: [
    'start',
    'subscribe',
    'iscriviti',
    'sabonner',
    'alta',
    'suscribirme',
    'subscrever',
    'inscrever',
    'anmelden',
  ],
  help: ['help', 'aiuto', 'aide', 'ayuda', 'ajuda', 'hilfe', '?'],
  menu: ['menu', 'menú', 'menue', 'opzioni', 'options', 'opciones', 'opcoes', 'optionen', 'inizio', 'home'],
  cancel: ['cancel', 'annulla', 'annuler', 'cancelar', 'abbrechen', 'stornieren'],
};

/** Phrases per intent; matched as whole words anywhere in the message. */
const INTENT_PHRASES: Partial<Record<Intent, string[]>> = {
  opt_out: [
    'non voglio piu messaggi',
    'non inviatemi',
    'stop messages',
    'stop sending',
    'no more messages',
    'ne plus recevoir',
    'no quiero recibir',
    'nao quero receber',
    'keine nachrichten mehr',
  ],
  opt_in: [
    'voglio ricevere aggiornamenti',
    'send me updates',
    'recevoir vos offres',
    'quiero recibir novedades',
    'quero receber novidades',
    'neuigkeiten erhalten',
  ],
  talk_to_human: [
    'operatore',
    'una persona',
    'persona reale',
    'parlare con qualcuno',
    'parlare con un',
    'assistenza umana',
    'human',
    'a person',
    'real person',
    'agent',
    'operator',
    'someone',
    'representative',
    'speak to',
    'talk to',
    'conseiller',
    'une personne',
    'quelqu un',
    'humain',
    'parler a',
    'un agente',
    'persona real',
    'alguien',
    'hablar con',
    'atendente',
    'uma pessoa',
    'alguem',
    'falar com',
    'mitarbeiter',
    'einem menschen',
    'mensch',
    'jemandem',
    'sprechen mit',
  ],
  greeting: [
    'ciao',
    'salve',
    'buongiorno',
    'buonasera',
    'hello',
    'hi',
    'hey',
    'good morning',
    'good evening',
    'bonjour',
    'bonsoir',
    'salut',
    'hola',
    'buenos dias',
    'buenas tardes',
    'buenas',
    'ola',
    'oi',
    'bom dia',
    'boa tarde',
    'boa noite',
    'hallo',
    'guten tag',
    'guten morgen',
    'servus',
    'moin',
  ],
  thanks_or_bye: [
    'grazie',
    'arrivederci',
    'thanks',
    'thank you',
    'bye',
    'goodbye',
    'merci',
    'au revoir',
    'gracias',
    'adios',
    'hasta luego',
    'obrigado',
    'obrigada',
    'tchau',
    'danke',
    'tschuss',
    'auf wiedersehen',
  ],
};

/** Words that mark a language; the language with the most hits wins, ties give no answer. */
const LANGUAGE_WORDS: Record<Locale, string[]> = {
  it: [
    'ciao',
    'buongiorno',
    'buonasera',
    'grazie',
    'vorrei',
    'voglio',
    'sono',
    'per',
    'che',
    'non',
    'una',
    'con',
    'parlare',
    'operatore',
    'aiuto',
    'annulla',
    'salve',
    'qualcuno',
    'posso',
    'quanto',
    'costa',
    'prenotare',
  ],
  en: [
    'hello',
    'hi',
    'hey',
    'thanks',
    'thank',
    'you',
    'want',
    'would',
    'like',
    'the',
    'please',
    'with',
    'talk',
    'person',
    'help',
    'someone',
    'can',
    'how',
    'much',
    'book',
    'good',
    'morning',
    'my',
    'is',
  ],
  fr: [
    'bonjour',
    'bonsoir',
    'salut',
    'merci',
    'je',
    'voudrais',
    'veux',
    'avec',
    'une',
    'parler',
    'personne',
    'aide',
    'quelqu',
    'est',
    'pour',
    'combien',
    'vous',
    'les',
    'des',
    'pas',
  ],
  es: [
    'hola',
    'buenos',
    'buenas',
    'gracias',
    'quiero',
    'quisiera',
    'con',
    'una',
    'hablar',
    'persona',
    'ayuda',
    'alguien',
    'por',
    'favor',
    'cuanto',
    'cuesta',
    'los',
    'las',
    'para',
    'reservar',
  ],
  pt: [
    'ola',
    'oi',
    'bom',
    'dia',
    'obrigado',
    'obrigada',
    'quero',
    'gostaria',
    'com',
    'uma',
    'falar',
    'pessoa',
    'ajuda',
    'alguem',
    'voce',
    'quanto',
    'custa',
    'nao',
    'para',
    'marcar',
  ],
  de: [
    'hallo',
    'guten',
    'tag',
    'morgen',
    'danke',
    'ich',
    'mochte',
    'will',
    'mit',
    'einem',
    'sprechen',
    'mensch',
    'hilfe',
    'jemandem',
    'bitte',
    'wie',
    'viel',
    'kostet',
    'nicht',
    'und',
  ],
};

const containsPhrase = (haystack: string, phrase: string) => ` ${haystack} `.includes(` ${phrase} `);

/** Detects the language from marker words; `null` when unsure. */
export function detectLanguage(normalized: string): Locale | null {
  const words = new Set(normalized.split(' '));
  let best: Locale | null = null;
  let bestScore = 0;
  let tie = false;
  for (const [locale, markers] of Object.entries(LANGUAGE_WORDS) as [Locale, string[]][]) {
    const score = markers.filter((marker) => words.has(marker)).length;
    if (score > bestScore) [best, bestScore, tie] = [locale, score, false];
    else if (score === bestScore && score > 0) tie = true;
  }
  return tie ? null : best;
}

/**
 * The always-available, deterministic understanding of a customer's text.
 * @example understandText('Vorrei parlare con un operatore') // { intent: 'talk_to_human', language: 'it', ... }
 */
export function understandText(text: string): Understanding {
  const normalized = normalizeText(text);
  const command = (Object.entries(COMMAND_WORDS) as [Command, string[]][]).find(([, words]) =>
    words.some((word) => normalizeText(word) === normalized || (word === '?' && text.trim() === '?')),
  )?.[0];
  let intent: Intent = 'other';
  for (const [candidate, phrases] of Object.entries(INTENT_PHRASES) as [Intent, string[]][]) {
    if (phrases.some((phrase) => containsPhrase(normalized, phrase))) {
      intent = candidate;
      break;
    }
  }
  if (command === 'stop') intent = 'opt_out';
  if (command === 'start') intent = 'opt_in';
  return { intent, command: command ?? null, language: detectLanguage(normalized), slots: EMPTY_SLOTS };
}
