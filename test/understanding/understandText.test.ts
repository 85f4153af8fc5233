import { performance } from 'node:perf_hooks';
import { INTENTS, type Intent, type Locale } from '../../src/engine/types.js';
import {
  detectAnswer,
  detectLanguage,
  normalizeText,
  understandText,
} from '../../src/understanding/index.js';

// Phrasings that are not in the training corpus, so these check generalisation, typos included.
const CASES: [Locale, string, Intent][] = [
  ['it', 'Buonasera a tutti!', 'greeting'],
  ['it', 'quanto mi costerebbe una piega?', 'ask_price_or_quote'],
  ['it', 'vorrei comprarmi il portafoglio marrone', 'place_order_or_checkout'],
  ['it', 'posso prenotare per giovedì pomeriggio?', 'book_appointment'],
  ['it', 'devo spostare il mio appuntamento di sabato', 'reschedule_or_cancel_booking'],
  ['it', 'mi rimandi il link per il pagamento?', 'pay_or_payment_link_request'],
  ['it', 'mi hanno rifiutato la carta', 'payment_problem'],
  ['it', 'rivoglio indietro i miei soldi', 'refund_request'],
  ['it', 'quando mi arriva il pacco?', 'order_status_or_tracking'],
  ['it', 'devo pagare la fattura INV-2026-0001', 'invoice_payment'],
  ['it', 'mi passate un operatore umano?', 'talk_to_human'],
  ['it', 'non voglio più ricevere le vostre promozioni', 'opt_out'],
  ['it', 'grazie mille, a presto!', 'thanks_or_bye'],
  ['it', 'che tempo farà domenica?', 'other'],
  ['en', 'Hiya, hope all is well', 'greeting'],
  ['en', 'whats the price for a manicure', 'ask_price_or_quote'],
  ['en', 'i wanna buy the bracelet in size S', 'place_order_or_checkout'],
  ['en', 'could i get an apointment for a haircut tomorow', 'book_appointment'],
  ['en', "sorry I can't come on friday, can we move it?", 'reschedule_or_cancel_booking'],
  ['en', 'pls send me a link so i can pay', 'pay_or_payment_link_request'],
  ['en', 'my card got declined twice', 'payment_problem'],
  ['en', 'I want my money back for the wallet', 'refund_request'],
  ['en', "where's my package? it's been a week", 'order_status_or_tracking'],
  ['en', 'I need to pay invoice INV-2026-0002', 'invoice_payment'],
  ['en', 'can I talk to a real human please', 'talk_to_human'],
  ['en', 'please unsubscribe me from all messages', 'opt_out'],
  ['en', 'sign me up for your newsletter', 'opt_in'],
  ['en', 'thx a lot, bye!', 'thanks_or_bye'],
  ['en', 'who won the world cup in 2006', 'other'],
  ['fr', 'Bonsoir 👋', 'greeting'],
  ['fr', 'quel est le tarif pour une coloration ?', 'ask_price_or_quote'],
  ['fr', 'je voudrais réserver une coupe samedi matin', 'book_appointment'],
  ['fr', 'il faut que j’annule mon rendez-vous de demain', 'reschedule_or_cancel_booking'],
  ['fr', 'je veux être remboursée', 'refund_request'],
  ['fr', 'merci beaucoup, bonne soirée', 'thanks_or_bye'],
  ['fr', 'mets la chanson de Stromae', 'other'],
  ['es', 'hola buenas tardes', 'greeting'],
  ['es', 'quiero pedir cita para cortarme el pelo', 'book_appointment'],
  ['es', 'necesito cancelar la reserva de mañana', 'reschedule_or_cancel_booking'],
  ['es', 'me cobraron dos veces el depósito', 'payment_problem'],
  ['es', '¿dónde está mi paquete?', 'order_status_or_tracking'],
  ['es', 'quiero hablar con una persona de verdad', 'talk_to_human'],
  ['es', 'pon una alarma para mañana a las 7', 'other'],
  ['pt', 'olá, bom dia!', 'greeting'],
  ['pt', 'quanto custa a manicure?', 'ask_price_or_quote'],
  ['pt', 'queria marcar um corte para sábado', 'book_appointment'],
  ['pt', 'quero o reembolso do sinal', 'refund_request'],
  ['pt', 'não quero receber mais mensagens', 'opt_out'],
  ['pt', 'muito obrigada, tchau', 'thanks_or_bye'],
  ['de', 'Guten Morgen!', 'greeting'],
  ['de', 'was kostet eine Färbung?', 'ask_price_or_quote'],
  ['de', 'ich möchte einen Termin zum Haare schneiden', 'book_appointment'],
  ['de', 'ich muss meinen Termin leider absagen', 'reschedule_or_cancel_booking'],
  ['de', 'meine Zahlung ist fehlgeschlagen', 'payment_problem'],
  ['de', 'ich will mein Geld zurück', 'refund_request'],
  ['de', 'kann ich mit einem Mitarbeiter sprechen?', 'talk_to_human'],
  ['de', 'vielen Dank und tschüss', 'thanks_or_bye'],
  ['de', 'wie wird das Wetter am Wochenende?', 'other'],
  ['fr', 'je voudrais acheter un bracelet pour ma fille', 'place_order_or_checkout'],
  ['fr', 'où en est ma commande ?', 'order_status_or_tracking'],
  ['fr', 'ma carte ne passe pas', 'payment_problem'],
  ['fr', 'envoyez-moi le lien pour régler', 'pay_or_payment_link_request'],
  ['fr', 'je veux parler à un conseiller', 'talk_to_human'],
  ['fr', 'je veux recevoir vos promos', 'opt_in'],
  ['es', '¿cuánto cuesta el paquete de novia?', 'ask_price_or_quote'],
  ['es', 'mándame el link de pago', 'pay_or_payment_link_request'],
  ['es', 'quiero pagar la factura', 'invoice_payment'],
  ['es', 'quiero recibir ofertas', 'opt_in'],
  ['pt', 'quero comprar uma carteira', 'place_order_or_checkout'],
  ['pt', 'onde está a minha encomenda', 'order_status_or_tracking'],
  ['pt', 'o pagamento falhou', 'payment_problem'],
  ['pt', 'quero remarcar a minha marcação', 'reschedule_or_cancel_booking'],
  ['pt', 'quero falar com alguém', 'talk_to_human'],
  ['de', 'ich möchte ein Armband bestellen', 'place_order_or_checkout'],
  ['de', 'ich will meine Rechnung bezahlen', 'invoice_payment'],
  ['de', 'schick mir den Link zum Zahlen', 'pay_or_payment_link_request'],
  ['de', 'ich möchte keine Nachrichten mehr', 'opt_out'],
  ['de', 'ich möchte Angebote bekommen', 'opt_in'],
];

describe('understandText: intents in six languages', () => {
  test.each(CASES)('[%s] %s → %s', (locale, text, intent) => {
    const understanding = understandText(text);
    expect(understanding.intent).toBe(intent);
    expect(INTENTS).toContain(understanding.intent);
    if (text.split(' ').length >= 3) expect([locale, null]).toContain(understanding.language);
  });

  test('every language is told apart on ordinary sentences', () => {
    expect(detectLanguage('Vorrei prenotare un taglio per domani')).toBe('it');
    expect(detectLanguage('I would like to book a haircut for tomorrow')).toBe('en');
    expect(detectLanguage('Je voudrais réserver une coupe pour demain')).toBe('fr');
    expect(detectLanguage('Quisiera reservar un corte para mañana')).toBe('es');
    expect(detectLanguage('Queria marcar um corte para amanhã')).toBe('pt');
    expect(detectLanguage('Ich möchte morgen einen Haarschnitt buchen')).toBe('de');
  });
});

describe('understandText: short replies, commands and answers', () => {
  test.each([
    ['si', 'yes'],
    ['sì', 'yes'],
    ['ok 👍', 'yes'],
    ['👍', 'yes'],
    ['Oui merci', 'yes'],
    ['va bene, grazie', 'yes'],
    ['ja gerne', 'yes'],
    ['claro que sí', null],
    ['no grazie', 'no'],
    ['nein danke', 'no'],
    ['não', 'no'],
    ['non', 'no'],
    ['yes no', null],
    ['yes, but I have a question about the price', null],
  ])('%s → answer %s', (text, answer) => {
    expect(detectAnswer(normalizeText(text))).toBe(answer);
  });

  test('very short replies are understood without guessing an intent', () => {
    expect(understandText('si')).toMatchObject({
      intent: 'other',
      answer: 'yes',
      command: null,
      language: null,
    });
    expect(understandText('ok 👍')).toMatchObject({ intent: 'other', answer: 'yes' });
    expect(understandText('2')).toMatchObject({ intent: 'other', answer: null, slots: { number: 2 } });
    expect(understandText('tre')).toMatchObject({ slots: { number: 3 } });
    expect(understandText('👋')).toMatchObject({ intent: 'greeting' });
    expect(understandText('🙏')).toMatchObject({ intent: 'thanks_or_bye' });
    expect(understandText('')).toMatchObject({ intent: 'other', command: null, language: null });
  });

  test('commands win over intents, whatever the case, accents or emoji', () => {
    expect(understandText('Stop')).toMatchObject({ command: 'stop', intent: 'opt_out' });
    expect(understandText('STOPP ✋')).toMatchObject({ command: 'stop', intent: 'opt_out' });
    expect(understandText('start')).toMatchObject({ command: 'start', intent: 'opt_in' });
    expect(understandText('Annulla')).toMatchObject({ command: 'cancel' });
    expect(understandText('menú')).toMatchObject({ command: 'menu' });
    expect(understandText('Hilfe!')).toMatchObject({ command: 'help' });
    expect(understandText('?')).toMatchObject({ command: 'help' });
    // A sentence is not a keyword: "cancel my booking" is an intent, not the cancel command.
    expect(understandText('cancel my booking please')).toMatchObject({
      command: null,
      intent: 'reschedule_or_cancel_booking',
    });
  });

  test('unsubscribing is never read as subscribing, in any language', () => {
    for (const text of [
      'I want to unsubscribe from the newsletter',
      'how do I unsubscribe to your newsletter?',
      'cancel my newsletter subscription',
      'voglio disiscrivermi dalla newsletter',
      'je veux me désinscrire',
      'quiero darme de baja',
      'ich möchte den Newsletter abbestellen',
    ]) {
      expect(understandText(text).intent).toBe('opt_out');
    }
  });

  test('a bare invoice or order reference says what it is about', () => {
    expect(understandText('INV-2026-0002')).toMatchObject({
      intent: 'invoice_payment',
      slots: { reference: 'INV-2026-0002' },
    });
    expect(understandText('ord-2026-0007')).toMatchObject({
      intent: 'order_status_or_tracking',
      slots: { reference: 'ORD-2026-0007' },
    });
  });

  test('is deterministic and fast', () => {
    const texts = CASES.map(([, text]) => text);
    const first = texts.map((t) => understandText(t));
    expect(texts.map((t) => understandText(t))).toEqual(first);
    const start = performance.now();
    for (let round = 0; round < 5; round++) texts.forEach((t) => understandText(t));
    // Generous bound for a shared CI machine; bench/evalIntents.ts prints the real figure.
    expect((performance.now() - start) / (texts.length * 5)).toBeLessThan(5);
  });
});

describe('the training corpus', () => {
  test('every language has phrases for every intent', async () => {
    const { loadCorpus } = await import('../../src/understanding/loadCorpus.js');
    const corpus = loadCorpus();
    for (const locale of ['it', 'en', 'fr', 'es', 'pt', 'de'] as const) {
      for (const intent of INTENTS) {
        const count = corpus.filter((line) => line.locale === locale && line.intent === intent).length;
        expect({ locale, intent, enough: count >= 8 }).toEqual({ locale, intent, enough: true });
      }
    }
  });
});
