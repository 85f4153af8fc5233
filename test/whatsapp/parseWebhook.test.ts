import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { InvalidPayload } from '../../src/server/errors.js';
import { parseWebhook, type InboundItem } from '../../src/whatsapp/parseWebhook.js';
import {
  buttonReply,
  listReply,
  metaWebhook,
  metaWebhookBatch,
  status,
  text,
} from '../fixtures/metaWebhook.js';

const FIXTURES = new URL('../fixtures/whatsapp/', import.meta.url);
const WEBHOOK_FIXTURE =
  /^(inbound|status|errors|payment-status|automatic-events|user-preferences|template-status)-.*\.json$/;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- fixtures are raw JSON we index freely
type Json = any;

function fixture(name: string): Json {
  return JSON.parse(readFileSync(new URL(name, FIXTURES), 'utf8'));
}

function sha256(textToHash: string): string {
  return createHash('sha256').update(textToHash).digest('hex');
}

function summary(items: InboundItem[]) {
  return items.map(({ kind, externalId, conversationId }) => ({ kind, externalId, conversationId }));
}

const SHEENA = '106540352242922:16505551234';
const TEST_USER = '1122334455667:972987654321';
const WAMID_A = 'wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=';
// Meta's docs reuse this id for eight different examples (location, order, reactions, ...).
const WAMID_B = 'wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMAA=';

type Expected = { kind: InboundItem['kind']; externalId: string; conversationId: string | null }[];

const messageOf = (externalId: string, conversationId: string): Expected => [
  { kind: 'message', externalId, conversationId },
];
const statusOf = (externalId: string, conversationId: string): Expected => [
  { kind: 'status', externalId, conversationId },
];
const eventOf = (body: Json): Expected => {
  const { field, value } = body.entry[0].changes[0];
  return [
    { kind: 'event', externalId: `wa:event:${field}:${sha256(JSON.stringify(value))}`, conversationId: null },
  ];
};
const errorKey = (body: Json, errorIndex = 0) => {
  const error = body.entry[0].changes[0].value.errors[errorIndex];
  return `wa:error:${sha256(JSON.stringify([body.entry[0].id, 0, error]))}`;
};

/** What each verbatim Meta fixture must become. A new fixture without a line here fails the suite. */
const EXPECTED: Record<string, (body: Json) => Expected> = {
  'inbound-text.json': () => messageOf(`wa:msg:${WAMID_A}`, SHEENA),
  'inbound-text-product-inquiry-context.json': () =>
    messageOf('wa:msg:wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTA2NTUwRkNEMDdFQjJCRUU0NQA=', SHEENA),
  'inbound-ctwa-referral.json': () =>
    messageOf('wa:msg:wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUQ0N0VFMDA2MTQ0RkJFNkNDNAA=', SHEENA),
  'inbound-text-reply-context.json': () => messageOf('wa:msg:wamid.xyzxyz', TEST_USER),
  'inbound-interactive-button-reply.json': () =>
    messageOf('wa:msg:wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTZBQzg0MzQ4QjRCM0NGNkVGOAA=', SHEENA),
  'inbound-interactive-list-reply.json': () => messageOf(`wa:msg:${WAMID_B}`, SHEENA),
  'inbound-interactive-nfm-reply-flow.json': () => messageOf('wa:msg:wamid.wegrchytvwcggt==', TEST_USER),
  'inbound-interactive-payment-method-br.json': () =>
    messageOf('wa:msg:<WHATSAPP_MESSAGE_ID>', '<BUSINESS_PHONE_NUMBER_ID>:<WHATSAPP_USER_PHONE_NUMBER>'),
  'inbound-template-quick-reply-button.json': () => messageOf(`wa:msg:${WAMID_B}`, SHEENA),
  'inbound-image.json': () => messageOf(`wa:msg:${WAMID_A}`, SHEENA),
  'inbound-document.json': () => messageOf(`wa:msg:${WAMID_A}`, SHEENA),
  'inbound-location.json': () => messageOf(`wa:msg:${WAMID_B}`, SHEENA),
  'inbound-contacts.json': () => messageOf(`wa:msg:${WAMID_A}`, SHEENA),
  'inbound-order.json': () => messageOf(`wa:msg:${WAMID_B}`, SHEENA),
  'inbound-reaction.json': () => messageOf(`wa:msg:${WAMID_B}`, SHEENA),
  'inbound-reaction-removed.json': () => messageOf(`wa:msg:${WAMID_B}`, SHEENA),
  'inbound-system-user-changed-number.json': () =>
    messageOf('wa:msg:wamid.HBgLMTk4MzU1NTE5NzQVAgASGAoxMTgyMDg2MjY3AA==', SHEENA),
  'inbound-unsupported.json': () => messageOf(`wa:msg:${WAMID_B}`, SHEENA),
  'inbound-value-errors.json': (body) => [
    ...messageOf('wa:msg:wamid.wegrchytvwcggt=', TEST_USER),
    { kind: 'error', externalId: errorKey(body), conversationId: null },
  ],
  'status-sent.json': () => statusOf(`wa:status:${WAMID_B}:sent`, SHEENA),
  'status-delivered.json': () => statusOf('wa:status:wamid.xyzxyz:delivered', TEST_USER),
  'status-read.json': () => statusOf('wa:status:wamid.xyzxyz:read', TEST_USER),
  'status-sent-biz-opaque-callback-data.json': () => statusOf('wa:status:wamid.xyzxyz:sent', TEST_USER),
  'status-failed-131049.json': () =>
    statusOf('wa:status:wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI0QUQ2MjA4NEYyRkExNjMyREUA:failed', SHEENA),
  'status-failed-130472.json': () => statusOf('wa:status:wamid.xyzxyz:failed', TEST_USER),
  'errors-value-130429-rate-limit.json': (body) => [
    { kind: 'error', externalId: errorKey(body), conversationId: null },
  ],
  'payment-status-in-pg.json': () => [
    {
      kind: 'payment_status',
      externalId: 'wa:payment:gBGGFlB5YjhvAgnhuF1qIUvCo7A:[TRANSACTION_STATUS]:success/failed',
      conversationId: '[PHONE_NUMBER_ID]:[PHONE_NUMBER]',
    },
  ],
  'automatic-events-lead-submitted.json': eventOf,
  'automatic-events-purchase.json': eventOf,
  'template-status-update-approved.json': eventOf,
  'user-preferences-marketing-resume.json': (body) => [{ ...eventOf(body)[0]!, conversationId: SHEENA }],
};

describe('parseWebhook on Meta fixtures', () => {
  const files = readdirSync(FIXTURES).filter((name) => WEBHOOK_FIXTURE.test(name));

  it('has an expectation for every webhook fixture and a fixture for every expectation', () => {
    expect(files.length).toBeGreaterThanOrEqual(31);
    expect([...files].sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(files)('%s parses into the expected items', (name) => {
    const body = fixture(name);
    expect(summary(parseWebhook(body))).toEqual(EXPECTED[name]!(body));
  });

  it.each(files.filter((name) => name.startsWith('inbound-')))(
    '%s keeps every field Meta sent in payload.message',
    (name) => {
      const body = fixture(name);
      const [item] = parseWebhook(body);
      expect(item?.payload.message).toEqual(body.entry[0].changes[0].value.messages[0]);
    },
  );

  it('gives a message payload with the business number and the sender contact', () => {
    const [item] = parseWebhook(fixture('inbound-text.json'));
    expect(item?.payload).toEqual({
      phoneNumberId: '106540352242922',
      displayPhoneNumber: '15550783881',
      contact: { waId: '16505551234', name: 'Sheena Nelson' },
      message: {
        from: '16505551234',
        id: WAMID_A,
        timestamp: '1749416383',
        type: 'text',
        text: { body: 'Does it come in another color?' },
      },
    });
  });

  it('falls back to the first contact when none matches `from`', () => {
    // Meta's BR example uses different placeholders for wa_id and from.
    const [item] = parseWebhook(fixture('inbound-interactive-payment-method-br.json'));
    expect(item?.payload.contact).toEqual({ waId: '<WHATSAPP_USER_ID>', name: '<WHATSAPP_USER_NAME>' });
    expect(item?.payload.message).toMatchObject({
      type: 'interactive',
      interactive: { type: 'payment_method', payment_method: { reference_id: 'pix_test_webhook' } },
    });
  });

  it('has no contact for a system message, which comes without contacts[]', () => {
    const [item] = parseWebhook(fixture('inbound-system-user-changed-number.json'));
    expect(item?.payload.contact).toBeNull();
    expect(item?.payload.message).toMatchObject({
      system: { type: 'user_changed_number', wa_id: '12195555358' },
    });
  });

  it('reads the sub-type of every interactive reply', () => {
    const subtype = (name: string) =>
      (parseWebhook(fixture(name))[0]?.payload.message as { interactive?: { type: string } }).interactive
        ?.type;
    expect(subtype('inbound-interactive-button-reply.json')).toBe('button_reply');
    expect(subtype('inbound-interactive-list-reply.json')).toBe('list_reply');
    expect(subtype('inbound-interactive-nfm-reply-flow.json')).toBe('nfm_reply');
    expect(subtype('inbound-interactive-payment-method-br.json')).toBe('payment_method');
    expect(subtype('inbound-value-errors.json')).toBeUndefined();
  });

  it('keeps the value-level error next to the body-less interactive message', () => {
    const [, error] = parseWebhook(fixture('inbound-value-errors.json'));
    expect(error?.payload).toEqual({
      phoneNumberId: '1122334455667',
      error: {
        code: 131000,
        title: 'Something went wrong',
        message: 'Something went wrong',
        error_data: { details: 'Unsupported webhook payload' },
      },
    });
  });

  it('gives status payloads with the echoed callback data and the failure errors', () => {
    const [sent] = parseWebhook(fixture('status-sent-biz-opaque-callback-data.json'));
    expect(sent?.payload).toMatchObject({
      phoneNumberId: '1122334455667',
      status: { id: 'wamid.xyzxyz', status: 'sent', biz_opaque_callback_data: 'some data' },
    });
    const [failed] = parseWebhook(fixture('status-failed-131049.json'));
    expect(failed?.payload).toMatchObject({ status: { errors: [{ code: 131049 }] } });
  });

  it('gives the payment status with its reference id and transaction', () => {
    const [item] = parseWebhook(fixture('payment-status-in-pg.json'));
    expect(item?.payload).toMatchObject({
      phoneNumberId: '[PHONE_NUMBER_ID]',
      status: {
        type: 'payment',
        payment: {
          reference_id: '[REFERENCE_ID]',
          amount: { value: 21000, offset: 100 },
          udf1: 'udf1-value',
        },
      },
    });
  });

  it('passes other fields through as events with their whole value', () => {
    const body = fixture('template-status-update-approved.json');
    const [item] = parseWebhook(body);
    expect(item?.payload).toEqual({
      field: 'message_template_status_update',
      value: body.entry[0].changes[0].value,
    });
  });

  it('gives a redelivered error the same key, and the same error in another change another key', () => {
    const body = fixture('errors-value-130429-rate-limit.json');
    const redelivered = JSON.parse(JSON.stringify(body));
    const [first] = parseWebhook(body);
    const [again] = parseWebhook(redelivered);
    expect(again?.externalId).toBe(first?.externalId);

    const change = body.entry[0].changes[0];
    const twoChanges = { ...body, entry: [{ ...body.entry[0], changes: [change, change] }] };
    const keys = parseWebhook(twoChanges).map((item) => item.externalId);
    expect(keys[0]).toBe(first?.externalId);
    expect(keys[1]).not.toBe(first?.externalId);
  });
});

describe('parseWebhook on batched deliveries', () => {
  it('yields every message and status of every change of every entry, in order', () => {
    const body = metaWebhookBatch([
      {
        wabaId: 'WABA1',
        changes: [
          {
            from: '34600000001',
            messages: [text('hola', { id: 'wamid.A1' }), buttonReply('book:yes', 'Sí', { id: 'wamid.A2' })],
          },
          {
            from: '34600000001',
            statuses: [status('wamid.OUT1', 'sent'), status('wamid.OUT1', 'delivered')],
          },
        ],
      },
      {
        wabaId: 'WABA2',
        changes: [
          {
            from: '34600000002',
            phoneNumberId: 'PN2',
            messages: [text('buenas', { id: 'wamid.B1' }), listReply('slot:20', '8 pm', { id: 'wamid.B2' })],
            statuses: [status('wamid.OUT2', 'read')],
          },
          {
            from: '34600000003',
            phoneNumberId: 'PN2',
            messages: [text('¿abierto?', { id: 'wamid.C1' })],
            statuses: [
              status('wamid.OUT3', 'failed', { errors: [{ code: 131047, title: 'Re-engagement message' }] }),
            ],
          },
        ],
      },
    ]);

    expect(summary(parseWebhook(body))).toEqual([
      { kind: 'message', externalId: 'wa:msg:wamid.A1', conversationId: '106540352242922:34600000001' },
      { kind: 'message', externalId: 'wa:msg:wamid.A2', conversationId: '106540352242922:34600000001' },
      {
        kind: 'status',
        externalId: 'wa:status:wamid.OUT1:sent',
        conversationId: '106540352242922:34600000001',
      },
      {
        kind: 'status',
        externalId: 'wa:status:wamid.OUT1:delivered',
        conversationId: '106540352242922:34600000001',
      },
      { kind: 'message', externalId: 'wa:msg:wamid.B1', conversationId: 'PN2:34600000002' },
      { kind: 'message', externalId: 'wa:msg:wamid.B2', conversationId: 'PN2:34600000002' },
      { kind: 'status', externalId: 'wa:status:wamid.OUT2:read', conversationId: 'PN2:34600000002' },
      { kind: 'message', externalId: 'wa:msg:wamid.C1', conversationId: 'PN2:34600000003' },
      { kind: 'status', externalId: 'wa:status:wamid.OUT3:failed', conversationId: 'PN2:34600000003' },
    ]);
  });

  it('matches each message with its own sender in contacts[]', () => {
    const body = metaWebhook({ from: '34600000009', name: 'Lucía', messages: [text('hola')] });
    const value = body.entry[0]!.changes[0]!.value as { contacts: unknown[] };
    value.contacts.unshift({ profile: { name: 'Someone else' }, wa_id: '34600000000' });
    expect(parseWebhook(body)[0]?.payload.contact).toEqual({ waId: '34600000009', name: 'Lucía' });
  });

  it('fills ids that never collide between two builder calls', () => {
    const first = parseWebhook(metaWebhook({ messages: [text('hola')] }));
    const second = parseWebhook(metaWebhook({ messages: [text('hola')] }));
    expect(first[0]?.externalId).not.toBe(second[0]?.externalId);
  });
});

describe('parseWebhook on malformed items', () => {
  it('keeps a malformed message as unparsed while its siblings parse', () => {
    const noId = { type: 'text', text: { body: 'lost id' }, id: undefined };
    const body = metaWebhook({
      messages: [
        text('first', { id: 'wamid.OK1' }),
        { type: 'text', id: 'wamid.BAD', text: {} },
        { type: 'poll', id: 'wamid.POLL', poll: { question: '?' } },
        noId,
        text('last', { id: 'wamid.OK2' }),
      ],
      statuses: [status('wamid.OUT1', 'read'), { id: 'wamid.OUT1', status: 'exploded' }],
    });
    const items = parseWebhook(body);
    const rawNoId = (body.entry[0]!.changes[0]!.value as { messages: unknown[] }).messages[3];

    expect(summary(items)).toEqual([
      { kind: 'message', externalId: 'wa:msg:wamid.OK1', conversationId: SHEENA },
      { kind: 'unparsed', externalId: 'wa:msg:wamid.BAD', conversationId: SHEENA },
      { kind: 'unparsed', externalId: 'wa:msg:wamid.POLL', conversationId: SHEENA },
      {
        kind: 'unparsed',
        externalId: `wa:unparsed:${sha256(JSON.stringify(rawNoId))}`,
        conversationId: SHEENA,
      },
      { kind: 'message', externalId: 'wa:msg:wamid.OK2', conversationId: SHEENA },
      { kind: 'status', externalId: 'wa:status:wamid.OUT1:read', conversationId: SHEENA },
      { kind: 'unparsed', externalId: 'wa:status:wamid.OUT1:exploded', conversationId: SHEENA },
    ]);
    expect(items.map((item) => item.payload.problem)).toEqual([
      undefined,
      'text.body: Invalid input: expected string, received undefined',
      'type: unknown type "poll"',
      'id: Invalid input: expected string, received undefined',
      undefined,
      undefined,
      'status: Invalid option: expected one of "sent"|"delivered"|"read"|"failed"|"played"',
    ]);
    expect(items[2]?.payload).toEqual({
      phoneNumberId: '106540352242922',
      raw: {
        from: '16505551234',
        id: 'wamid.POLL',
        timestamp: '1750000000',
        type: 'poll',
        poll: { question: '?' },
      },
      problem: 'type: unknown type "poll"',
    });
  });

  it('keeps unknown fields Meta adds to a message', () => {
    const body = metaWebhook({ messages: [text('hola', { id: 'wamid.NEW', brand_new_field: { x: 1 } })] });
    expect(parseWebhook(body)[0]?.payload.message).toMatchObject({ brand_new_field: { x: 1 } });
  });

  it('keeps a broken entry or change as unparsed instead of dropping the batch', () => {
    const good = metaWebhook({ messages: [text('hola', { id: 'wamid.GOOD' })] });
    const body = {
      object: 'whatsapp_business_account',
      entry: [
        { id: 'WABA1' },
        { id: 'WABA2', changes: [{ field: 'messages', value: 'nope' }] },
        ...good.entry,
      ],
    };
    const items = parseWebhook(body);
    expect(items.map((item) => [item.kind, item.payload.problem])).toEqual([
      ['unparsed', 'entry[0].changes: Invalid input: expected array, received undefined'],
      ['unparsed', 'entry[1].changes[0].value: Invalid input: expected record, received string'],
      ['message', undefined],
    ]);
  });

  it('keeps messages as unparsed when the change has no usable metadata', () => {
    const body = metaWebhook({ messages: [text('hola', { id: 'wamid.NOMETA' })] });
    delete (body.entry[0]!.changes[0]!.value as { metadata?: unknown }).metadata;
    expect(parseWebhook(body).map((item) => [item.kind, item.externalId, item.payload.problem])).toEqual([
      ['unparsed', 'wa:msg:wamid.NOMETA', 'metadata: Invalid input: expected object, received undefined'],
    ]);
  });

  it.each([
    ['null', null, 'Webhook body must be a JSON object, got null'],
    ['an array', [], 'Webhook body must be a JSON object, got an array'],
    ['a string', 'hello', 'Webhook body must be a JSON object, got a string'],
    [
      'another object type',
      { object: 'page', entry: [] },
      'Webhook "object" is "page", expected "whatsapp_business_account"',
    ],
    ['no object', { entry: [] }, 'Webhook "object" is missing, expected "whatsapp_business_account"'],
    ['no entry', { object: 'whatsapp_business_account' }, 'Webhook body has no "entry" array (got nothing)'],
    [
      'entry not an array',
      { object: 'whatsapp_business_account', entry: {} },
      'Webhook body has no "entry" array (got an object)',
    ],
  ])('throws InvalidPayload for %s', (_label, body, expected) => {
    expect(() => parseWebhook(body)).toThrow(InvalidPayload);
    expect(() => parseWebhook(body)).toThrow(expected);
  });

  it('returns nothing for an envelope with no entries', () => {
    expect(parseWebhook({ object: 'whatsapp_business_account', entry: [] })).toEqual([]);
  });
});
