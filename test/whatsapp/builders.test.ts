import { readFileSync } from 'node:fs';
import {
  buildButtons,
  buildCtaUrl,
  buildList,
  buildMarkRead,
  buildTemplate,
  buildText,
  MessageLimitError,
  type TemplateComponent,
} from '../../src/whatsapp/builders.js';

const FIXTURES = new URL('../fixtures/whatsapp/', import.meta.url);

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- fixtures are raw JSON we index freely
type Json = any;

function fixture(name: string): Json {
  return JSON.parse(readFileSync(new URL(name, FIXTURES), 'utf8'));
}

/** The MessageLimitError message a build throws; fails the test if it throws anything else or nothing. */
function limitMessage(build: () => unknown): string {
  try {
    build();
  } catch (error) {
    if (error instanceof MessageLimitError) return error.message;
    throw error;
  }
  throw new Error('expected a MessageLimitError, but the message was built');
}

const TO = '16505551234';
const row = (id: string, title = id) => ({ id, title });
const rows = (count: number, prefix = 'row') =>
  Array.from({ length: count }, (_, i) => row(`${prefix}${i + 1}`));

describe('builders reproduce Meta request examples', () => {
  it('buildText → send-text.json', () => {
    expect(buildText('{{Recipient-Phone-Number}}', { body: 'text-message-content' })).toEqual(
      fixture('send-text.json'),
    );
  });

  it('buildText with replyTo → send-text-reply-with-context.json', () => {
    expect(
      buildText('{{Recipient-Phone-Number}}', { body: '<TEXT_MSG_CONTENT>', replyTo: '<MSGID_OF_PREV_MSG>' }),
    ).toEqual(fixture('send-text-reply-with-context.json'));
  });

  it('buildButtons → send-interactive-reply-buttons.json', () => {
    const built = buildButtons('{{Recipient-Phone-Number}}', {
      body: '<BUTTON_TEXT>',
      buttons: [
        { id: '<UNIQUE_BUTTON_ID_1>', title: '<BUTTON_TITLE_1>' },
        { id: '<UNIQUE_BUTTON_ID_2>', title: '<BUTTON_TITLE_2>' },
      ],
    });
    expect(built).toEqual(fixture('send-interactive-reply-buttons.json'));
  });

  it('buildList → send-interactive-list.json', () => {
    const section = (n: number) => ({
      title: `<LIST_SECTION_${n}_TITLE>`,
      rows: [1, 2].map((r) => ({
        id: `<LIST_SECTION_${n}_ROW_${r}_ID>`,
        title: `<SECTION_${n}_ROW_${r}_TITLE>`,
        description: `<SECTION_${n}_ROW_${r}_DESC>`,
      })),
    });
    const built = buildList('{{Recipient-Phone-Number}}', {
      header: '<HEADER_TEXT>',
      body: '<BODY_TEXT>',
      footer: '<FOOTER_TEXT>',
      button: '<BUTTON_TEXT>',
      sections: [section(1), section(2)],
    });
    expect(built).toEqual(fixture('send-interactive-list.json'));
  });

  it('buildCtaUrl → send-interactive-cta-url.json', () => {
    const built = buildCtaUrl('+16505551234', {
      header: { image: { link: 'https://www.luckyshrub.com/assets/lucky-shrub-banner-logo-v1.png' } },
      body: 'Tap the button below to see available dates.',
      buttonText: 'See Dates',
      url: 'https://www.luckyshrub.com?clickID=kqDGWd24Q5TRwoEQTICY7W1JKoXvaZOXWAS7h1P76s0R7Paec4',
      footer: 'Dates subject to change.',
    });
    expect(built).toEqual(fixture('send-interactive-cta-url.json'));
  });

  it.each([
    'send-template-text-parameters.json',
    'send-template-quick-reply-buttons.json',
    'send-template-named-params-location-header.json',
    'send-template-order-details-br-pix.json',
  ])('buildTemplate → %s', (name) => {
    const expected = fixture(name);
    const { template } = expected;
    const built = buildTemplate(expected.to, {
      name: template.name,
      language: template.language.policy === undefined ? template.language.code : template.language,
      components: template.components as TemplateComponent[],
    });
    expect(built).toEqual(expected);
  });

  it('buildMarkRead → send-mark-as-read.json and send-mark-read-typing-indicator.json', () => {
    expect(buildMarkRead('wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJDQjZCMzlEQUE4OTJBMTE4RTUA')).toEqual(
      fixture('send-mark-as-read.json'),
    );
    expect(
      buildMarkRead('wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUYzMjEzNDM2RTZGQ0MzMDJBRgA=', { typing: true }),
    ).toEqual(fixture('send-mark-read-typing-indicator.json'));
  });
});

describe('builders round-trip our ids', () => {
  it('puts bizOpaqueCallbackData on every message builder', () => {
    const data = 'effect:evt_42:0';
    const built = [
      buildText(TO, { body: 'hi', bizOpaqueCallbackData: data }),
      buildButtons(TO, { body: 'ok?', buttons: [row('yes')], bizOpaqueCallbackData: data }),
      buildList(TO, {
        body: 'pick',
        button: 'Open',
        sections: [{ rows: [row('a')] }],
        bizOpaqueCallbackData: data,
      }),
      buildCtaUrl(TO, {
        body: 'pay',
        buttonText: 'Pay',
        url: 'https://pay.example.com',
        bizOpaqueCallbackData: data,
      }),
      buildTemplate(TO, { name: 'reminder', language: 'es', bizOpaqueCallbackData: data }),
    ];
    for (const message of built) expect(message.biz_opaque_callback_data).toBe(data);
  });

  it('leaves it out when not given', () => {
    expect(buildText(TO, { body: 'hi' })).not.toHaveProperty('biz_opaque_callback_data');
  });

  it('builds text, image, video and document headers', () => {
    const header = (h: Parameters<typeof buildButtons>[1]['header']) =>
      buildButtons(TO, { body: 'b', buttons: [row('x')], header: h }).interactive.header;
    expect(header('Hello')).toEqual({ type: 'text', text: 'Hello' });
    expect(header({ image: { id: '123' } })).toEqual({ type: 'image', image: { id: '123' } });
    expect(header({ video: { link: 'https://x.example/v.mp4' } })).toEqual({
      type: 'video',
      video: { link: 'https://x.example/v.mp4' },
    });
    expect(header({ document: { id: '9', filename: 'menu.pdf' } })).toEqual({
      type: 'document',
      document: { id: '9', filename: 'menu.pdf' },
    });
  });

  it('counts an emoji as one character', () => {
    const title = '🎉'.repeat(20);
    expect(
      buildButtons(TO, { body: 'b', buttons: [{ id: 'party', title }] }).interactive.action.buttons[0]?.reply
        .title,
    ).toBe(title);
  });

  it('accepts exactly the maximum everywhere', () => {
    expect(() => buildText(TO, { body: 'x'.repeat(4096) })).not.toThrow();
    expect(() =>
      buildList(TO, {
        body: 'x'.repeat(1024),
        header: 'h'.repeat(60),
        footer: 'f'.repeat(60),
        button: 'b'.repeat(20),
        sections: [
          {
            title: 's'.repeat(24),
            rows: [{ id: 'i'.repeat(200), title: 't'.repeat(24), description: 'd'.repeat(72) }],
          },
          { title: 'Second', rows: rows(9) },
        ],
        bizOpaqueCallbackData: 'o'.repeat(512),
      }),
    ).not.toThrow();
  });
});

describe('builders reject what WhatsApp would reject', () => {
  const buttons = (list: { id: string; title: string }[]) => () =>
    buildButtons(TO, { body: 'Choose', buttons: list });
  const list =
    (sections: Parameters<typeof buildList>[1]['sections'], extra = {}) =>
    () =>
      buildList(TO, { body: 'Choose', button: 'Open', sections, ...extra });
  const cta = (extra: Partial<Parameters<typeof buildCtaUrl>[1]>) => () =>
    buildCtaUrl(TO, { body: 'Pay', buttonText: 'Pay now', url: 'https://pay.example.com', ...extra });

  it.each<[string, () => unknown, string]>([
    ['4 reply buttons', buttons(rows(4)), 'reply buttons: 4 given; WhatsApp allows 1 to 3'],
    ['no reply buttons', buttons([]), 'reply buttons: 0 given; WhatsApp allows 1 to 3'],
    [
      'a 23-character button title',
      buttons([{ id: 'book', title: 'Book an appointment now' }]),
      'reply button title "Book an appointment now" is 23 characters; WhatsApp allows at most 20',
    ],
    [
      'a 21-character button title',
      buttons([{ id: 'book', title: 'x'.repeat(21) }]),
      `reply button title "${'x'.repeat(21)}" is 21 characters; WhatsApp allows at most 20`,
    ],
    [
      'an empty button title',
      buttons([{ id: 'a', title: ' ' }]),
      'reply button title is empty; WhatsApp requires at least 1 character',
    ],
    [
      'a 257-character button id',
      buttons([{ id: 'i'.repeat(257), title: 'Ok' }]),
      `reply button id "${'i'.repeat(40)}…" is 257 characters; WhatsApp allows at most 256`,
    ],
    [
      'a button id with spaces around it',
      buttons([{ id: ' yes', title: 'Yes' }]),
      'reply button id " yes" has leading or trailing spaces; WhatsApp rejects them',
    ],
    [
      'duplicate button ids',
      buttons([row('yes', 'Yes'), row('yes', 'Sure')]),
      'reply button id "yes" is used more than once; WhatsApp requires each to be unique',
    ],
    [
      'duplicate button titles',
      buttons([row('a', 'Yes'), row('b', 'Yes')]),
      'reply button title "Yes" is used more than once; WhatsApp requires each to be unique',
    ],
    [
      '11 list rows across sections',
      list([
        { title: 'Morning', rows: rows(6, 'am') },
        { title: 'Evening', rows: rows(5, 'pm') },
      ]),
      'list rows (all sections together): 11 given; WhatsApp allows 1 to 10',
    ],
    [
      'a list with no rows',
      list([{ rows: [] }]),
      'list rows (all sections together): 0 given; WhatsApp allows 1 to 10',
    ],
    [
      '11 list sections',
      list(Array.from({ length: 11 }, (_, i) => ({ title: `S${i}`, rows: [] }))),
      'list sections: 11 given; WhatsApp allows 1 to 10',
    ],
    ['no list sections', list([]), 'list sections: 0 given; WhatsApp allows 1 to 10'],
    [
      'a 25-character row title',
      list([{ rows: [row('a', 'Priority Mail Express 24h')] }]),
      'list row title "Priority Mail Express 24h" is 25 characters; WhatsApp allows at most 24',
    ],
    [
      'a 73-character row description',
      list([{ rows: [{ id: 'a', title: 'A', description: 'd'.repeat(73) }] }]),
      `list row description "${'d'.repeat(40)}…" is 73 characters; WhatsApp allows at most 72`,
    ],
    [
      'a 201-character row id',
      list([{ rows: [row('r'.repeat(201), 'A')] }]),
      `list row id "${'r'.repeat(40)}…" is 201 characters; WhatsApp allows at most 200`,
    ],
    [
      'duplicate row ids across sections',
      list([
        { title: 'Lunch', rows: [row('slot:13', '1 pm')] },
        { title: 'Dinner', rows: [row('slot:13', '9 pm')] },
      ]),
      'list row id "slot:13" is used more than once; WhatsApp requires each to be unique',
    ],
    [
      'a missing section title with two sections',
      list([{ title: 'Lunch', rows: [row('a')] }, { rows: [row('b')] }]),
      'list section 2 has no title; WhatsApp requires a title on every section when there is more than one',
    ],
    [
      'a 25-character section title',
      list([{ title: 's'.repeat(25), rows: [row('a')] }]),
      `list section title "${'s'.repeat(25)}" is 25 characters; WhatsApp allows at most 24`,
    ],
    [
      'a 23-character list button label',
      list([{ rows: [row('a')] }], { button: 'See all available slots' }),
      'list button label "See all available slots" is 23 characters; WhatsApp allows at most 20',
    ],
    [
      'an empty list button label',
      list([{ rows: [row('a')] }], { button: '' }),
      'list button label is empty; WhatsApp requires at least 1 character',
    ],
    [
      'an empty text body',
      () => buildText(TO, { body: '' }),
      'text body is empty; WhatsApp requires at least 1 character',
    ],
    [
      'a blank text body',
      () => buildText(TO, { body: ' \n ' }),
      'text body is empty; WhatsApp requires at least 1 character',
    ],
    [
      'a 4097-character text body',
      () => buildText(TO, { body: 'a'.repeat(4097) }),
      `text body "${'a'.repeat(40)}…" is 4097 characters; WhatsApp allows at most 4096`,
    ],
    [
      'an empty interactive body',
      cta({ body: '' }),
      'interactive body is empty; WhatsApp requires at least 1 character',
    ],
    [
      'a 1025-character interactive body',
      () => buildButtons(TO, { body: 'b'.repeat(1025), buttons: [row('a')] }),
      `interactive body "${'b'.repeat(40)}…" is 1025 characters; WhatsApp allows at most 1024`,
    ],
    [
      'a 61-character header',
      cta({ header: 'h'.repeat(61) }),
      `header text "${'h'.repeat(40)}…" is 61 characters; WhatsApp allows at most 60`,
    ],
    [
      'a 61-character footer',
      list([{ rows: [row('a')] }], { footer: 'f'.repeat(61) }),
      `footer text "${'f'.repeat(40)}…" is 61 characters; WhatsApp allows at most 60`,
    ],
    [
      'a 21-character CTA button text',
      cta({ buttonText: 'Pay your deposit now!' }),
      'CTA button text "Pay your deposit now!" is 21 characters; WhatsApp allows at most 20',
    ],
    [
      'an empty CTA button text',
      cta({ buttonText: '' }),
      'CTA button text is empty; WhatsApp requires at least 1 character',
    ],
    [
      'a non-http CTA url',
      cta({ url: 'ftp://files.example.com/menu.pdf' }),
      'CTA url "ftp://files.example.com/menu.pdf" is not an http(s) URL; WhatsApp opens only http:// and https:// links',
    ],
    [
      'a javascript: CTA url',
      cta({ url: 'javascript:alert(1)' }),
      'CTA url "javascript:alert(1)" is not an http(s) URL; WhatsApp opens only http:// and https:// links',
    ],
    [
      'a CTA url that is not a URL',
      cta({ url: 'pay.example.com/d/42' }),
      'CTA url "pay.example.com/d/42" is not a valid URL; WhatsApp needs an http:// or https:// link',
    ],
    [
      'a non-http header image link',
      cta({ header: { image: { link: 'file:///etc/passwd' } } }),
      'header image link "file:///etc/passwd" is not an http(s) URL; WhatsApp opens only http:// and https:// links',
    ],
    [
      'oversize bizOpaqueCallbackData',
      () => buildText(TO, { body: 'hi', bizOpaqueCallbackData: 'o'.repeat(513) }),
      `bizOpaqueCallbackData "${'o'.repeat(40)}…" is 513 characters; WhatsApp allows at most 512`,
    ],
    ['an empty recipient', () => buildText(' ', { body: 'hi' }), 'recipient "to" is empty'],
    [
      'an empty template name',
      () => buildTemplate(TO, { name: '', language: 'en_US' }),
      'template name is empty',
    ],
    [
      'an empty template language',
      () => buildTemplate(TO, { name: 'hello', language: '' }),
      'template language code is empty',
    ],
    ['an empty message id to mark read', () => buildMarkRead(''), 'message id is empty'],
  ])('rejects %s', (_label, build, message) => {
    expect(limitMessage(build)).toBe(message);
  });

  it('throws an Error subclass named MessageLimitError', () => {
    let thrown: unknown;
    try {
      buttons(rows(4))();
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(MessageLimitError);
    expect(thrown).toBeInstanceOf(Error);
    expect((thrown as Error).name).toBe('MessageLimitError');
  });
});
