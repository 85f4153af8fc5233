import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { eq } from 'drizzle-orm';
import express from 'express';
import { loadConfig, SANDBOX_PHONE_NUMBER_ID } from '../../src/config.js';
import { createApp, type App } from '../../src/createApp.js';
import { createLogger } from '../../src/logger.js';
import { errorHandler } from '../../src/server/errorHandler.js';
import { inboundEvents, listMessages, openStore, type Store } from '../../src/store/index.js';
import { createSandbox } from '../../src/whatsapp/sandbox/createSandbox.js';
import { createWebhookPoster } from '../../src/whatsapp/sandbox/createWebhookPoster.js';
import { signBody } from '../../src/whatsapp/verifySignature.js';
import { API_TOKEN, APP_SECRET } from '../helpers/testApp.js';
import { freePort } from '../helpers/freePort.js';

/**
 * The emulator on a real listening server: it posts its webhooks over HTTP to this same server,
 * and the app's own Graph client sends the bot's replies to it, as in `npm start` sandbox mode.
 */

const ACCESS_TOKEN = 'sandbox-access-token-0123456789';
const secrets = { appSecret: APP_SECRET, apiToken: API_TOKEN, accessToken: ACCESS_TOKEN };

type ChatItem = {
  id: string;
  wamid: string | null;
  direction: 'in' | 'out';
  type: string;
  content: Record<string, unknown> & {
    text?: { body: string };
    biz_opaque_callback_data?: string;
    interactive?: { type: string; action: { sections?: { rows: { id: string; title: string }[] }[] } };
  };
  status: string;
};
type StreamEvent = { event: string; data: Record<string, unknown> };

let store: Store;
let app: App;
let server: Server;
let base: string;

async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 15_000,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const postJson = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

const graphPath = (phoneNumberId = SANDBOX_PHONE_NUMBER_ID) =>
  `/sandbox/graph/v23.0/${phoneNumberId}/messages`;
const bearer = (token = ACCESS_TOKEN) => ({ authorization: `Bearer ${token}` });

/** Reads a Server-Sent Events stream the way the phone page's EventSource does. */
async function openStream(phone: string) {
  const controller = new AbortController();
  const response = await fetch(`${base}/sandbox/api/stream?phone=${phone}`, { signal: controller.signal });
  expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const events: StreamEvent[] = [];
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  void (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += decoder.decode(value, { stream: true });
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.+)$/m.exec(block)?.[1];
          const data = /^data: (.+)$/m.exec(block)?.[1];
          if (event && data) events.push({ event, data: JSON.parse(data) as Record<string, unknown> });
        }
      }
    } catch {
      // Aborted by close().
    }
  })();
  return {
    events,
    messages: () => events.filter((e) => e.event === 'message').map((e) => e.data as unknown as ChatItem),
    close: () => controller.abort(),
  };
}

const transcript = (phone: string) => listMessages(store.db, `${SANDBOX_PHONE_NUMBER_ID}:${phone}`);

beforeAll(async () => {
  const port = await freePort();
  store = await openStore({});
  const config = loadConfig({ PORT: String(port), LOG_LEVEL: 'silent', DATA_DIR: '/tmp/wca-test-unused' });
  const logger = createLogger('silent');
  app = await createApp({
    config,
    store,
    logger,
    secrets,
    mounts: (core) => [['/sandbox', createSandbox({ core, logger, secrets })]],
  });
  server = app.http.listen(port, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await app.close();
  await store.close();
});

describe('Graph API emulator', () => {
  const text = (to: string, body = 'Hello') => ({
    messaging_product: 'whatsapp',
    recipient_type: 'individual',
    to,
    type: 'text',
    text: { body },
  });

  test('refuses a wrong or missing token with 401 and Meta’s OAuth error', async () => {
    for (const headers of [bearer('wrong-token'), {}]) {
      const response = await postJson(graphPath(), text('393330000001'), headers);
      expect(response.status).toBe(401);
      const body = (await response.json()) as { error: Record<string, unknown> };
      expect(body.error).toMatchObject({ code: 190, type: 'OAuthException' });
      expect(body.error.fbtrace_id).toEqual(expect.any(String));
    }
  });

  test.each([
    ['no text body', { ...text('393330000001'), text: {} }, 100, /text\.body/],
    [
      'wrong messaging_product',
      { ...text('393330000001'), messaging_product: 'sms' },
      100,
      /messaging_product/,
    ],
    ['no recipient', { ...text('393330000001'), to: undefined }, 100, /to/],
    ['a recipient that is not a number', text('not-a-number'), 100, /to/],
    [
      'an unsupported type',
      { messaging_product: 'whatsapp', to: '393330000001', type: 'sticker' },
      131051,
      /sticker/,
    ],
    [
      'a list without an action',
      { ...text('393330000001'), type: 'interactive', interactive: { type: 'list' } },
      100,
      /interactive\.action/,
    ],
    ['a body that is not JSON', '{"messaging_product":', 100, /JSON/],
  ])('answers %s with 400 and Meta’s error shape', async (_case, body, code, details) => {
    const response = await postJson(graphPath(), body, bearer());
    expect(response.status).toBe(400);
    const answer = (await response.json()) as {
      error: { code: number; message: string; type: string; error_data: { details: string } };
    };
    expect(answer.error).toMatchObject({
      code,
      type: 'OAuthException',
      error_data: { messaging_product: 'whatsapp' },
    });
    expect(answer.error.error_data.details).toMatch(details);
  });

  test('refuses a phone number id that is not the sandbox business number', async () => {
    const response = await postJson(graphPath('123456'), text('393330000001'), bearer());
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: 100, error_subcode: 33 } });
  });

  test('accepts a message like Meta, with a unique wamid each time, and shows it on the phone', async () => {
    const phone = '393330000002';
    const stream = await openStream(phone);
    const answers = [];
    for (const body of ['one', 'two']) {
      const response = await postJson(graphPath(), text('+39 333 000 0002', body), bearer());
      expect(response.status).toBe(200);
      answers.push((await response.json()) as { messages: { id: string }[] });
    }
    expect(answers[0]).toEqual({
      messaging_product: 'whatsapp',
      contacts: [{ input: '+39 333 000 0002', wa_id: phone }],
      messages: [{ id: expect.stringMatching(/^wamid\.SANDBOX/) }],
    });
    expect(answers[0]?.messages[0]?.id).not.toBe(answers[1]?.messages[0]?.id);
    await waitFor('both messages on the stream', () => stream.messages().length === 2);
    expect(stream.messages().map((m) => m.content.text?.body)).toEqual(['one', 'two']);
    stream.close();
  });

  test('answers a mark-as-read like Meta', async () => {
    const response = await postJson(
      graphPath(),
      { messaging_product: 'whatsapp', status: 'read', message_id: 'wamid.SANDBOXunknown' },
      bearer(),
    );
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ success: true });
  });
});

describe('phone API', () => {
  test('a customer message becomes a signed webhook, stored as an inbound event', async () => {
    const phone = '393330000010';
    const response = await postJson('/sandbox/api/send', { phone, name: 'Ada', text: 'hello\nthere' });
    expect(response.status).toBe(200);
    const { wamid, status } = (await response.json()) as { wamid: string; status: string };
    expect(status).toBe('accepted');
    expect(wamid).toMatch(/^wamid\.SANDBOX/);
    const [event] = await store.db
      .select()
      .from(inboundEvents)
      .where(eq(inboundEvents.externalId, `wa:msg:${wamid}`));
    expect(event).toMatchObject({
      source: 'whatsapp',
      kind: 'message',
      conversationId: `${SANDBOX_PHONE_NUMBER_ID}:${phone}`,
      payload: {
        phoneNumberId: SANDBOX_PHONE_NUMBER_ID,
        contact: { waId: phone, name: 'Ada' },
        message: { id: wamid, from: phone, type: 'text', text: { body: 'hello\nthere' } },
      },
    });
  });

  test.each([
    ['a phone number that is too short', { phone: '123', text: 'hi' }, /phone/],
    ['a phone number with letters', { phone: '39333abc0000', text: 'hi' }, /phone/],
    ['neither text nor reply', { phone: '393330000011' }, /text.*reply/],
    [
      'both text and reply',
      { phone: '393330000011', text: 'hi', reply: { id: 'a', title: 'A', kind: 'button' } },
      /exactly one/,
    ],
    ['blank text', { phone: '393330000011', text: '   ' }, /text/],
    [
      'an unknown reply kind',
      { phone: '393330000011', reply: { id: 'a', title: 'A', kind: 'carousel' } },
      /reply\.kind/,
    ],
  ])('refuses %s with a 400 that says what is wrong', async (_case, body, message) => {
    const response = await postJson('/sandbox/api/send', body);
    expect(response.status).toBe(400);
    const answer = (await response.json()) as { error: { message: string } };
    expect(answer.error.message).toMatch(message);
  });

  test('refuses a body that is not JSON, and a stream or history without a valid phone', async () => {
    expect((await postJson('/sandbox/api/send', '{nope')).status).toBe(400);
    expect((await fetch(`${base}/sandbox/api/stream`)).status).toBe(400);
    expect((await fetch(`${base}/sandbox/api/history?phone=12`)).status).toBe(400);
    expect((await postJson('/sandbox/api/read', { phone: '393330000012', wamid: 'wamid.nope' })).status).toBe(
      404,
    );
  });

  test('the bot’s replies reach the phone stream, and statuses flow back to the store', async () => {
    const phone = '393330000020';
    const stream = await openStream(phone);
    await postJson('/sandbox/api/send', { phone, text: 'hello' });

    await waitFor('the customer message, the welcome and the menu', () => stream.messages().length >= 3);
    const [hello, welcome, menu] = stream.messages();
    expect(hello).toMatchObject({
      direction: 'in',
      status: 'accepted',
      content: { text: { body: 'hello' } },
    });
    expect(welcome?.content.text?.body).toContain('Welcome to Bella Studio');
    expect(menu?.content.interactive?.type).toBe('list');

    // Meta's part: sent, then delivered, each as a signed webhook to /webhooks/whatsapp.
    await waitFor('both delivered in the store', async () => {
      const out = (await transcript(phone)).filter((m) => m.direction === 'out');
      return out.length === 2 && out.every((m) => m.status === 'delivered');
    });
    const stored = (await transcript(phone)).filter((m) => m.direction === 'out');
    expect(stored.map((m) => m.wamid)).toEqual([welcome?.wamid, menu?.wamid]);
    // Our outbox id made the round trip through biz_opaque_callback_data.
    expect(stored.map((m) => m.outboxId)).toEqual([
      welcome?.content.biz_opaque_callback_data,
      menu?.content.biz_opaque_callback_data,
    ]);
    await waitFor('sent and delivered on the stream', () => {
      const statuses = stream.events.filter((e) => e.event === 'status' && e.data.wamid === welcome?.wamid);
      return statuses.map((e) => e.data.status).join(',') === 'sent,delivered';
    });

    // The page displayed the menu.
    const read = await postJson('/sandbox/api/read', { phone, wamid: menu?.wamid });
    expect(read.status).toBe(200);
    await waitFor('read in the store', async () => {
      const row = (await transcript(phone)).find((m) => m.wamid === menu?.wamid);
      return row?.status === 'read';
    });
    await waitFor('read on the stream', () =>
      stream.events.find(
        (e) => e.event === 'status' && e.data.wamid === menu?.wamid && e.data.status === 'read',
      ),
    );
    stream.close();
  });

  test('a list reply carries the row, its description and the menu it answers', async () => {
    const phone = '393330000030';
    const stream = await openStream(phone);
    await postJson('/sandbox/api/send', { phone, text: 'hello' });
    const menu = await waitFor('the menu', () =>
      stream.messages().find((m) => m.content.interactive?.type === 'list'),
    );
    const human = menu.content.interactive?.action.sections?.[0]?.rows.find((row) =>
      row.id.endsWith('/human'),
    );
    expect(human?.title).toBe('Talk to a person');

    const response = await postJson('/sandbox/api/send', {
      phone,
      reply: { id: human?.id, title: human?.title, kind: 'list' },
    });
    const { wamid } = (await response.json()) as { wamid: string };
    const [event] = await store.db
      .select()
      .from(inboundEvents)
      .where(eq(inboundEvents.externalId, `wa:msg:${wamid}`));
    expect(event?.payload).toMatchObject({
      message: {
        type: 'interactive',
        context: { id: menu.wamid },
        interactive: {
          type: 'list_reply',
          list_reply: { id: human?.id, title: 'Talk to a person', description: expect.any(String) },
        },
      },
    });
    await waitFor('the handoff reply', () =>
      stream.messages().find((m) => m.content.text?.body.includes('passing you to our team')),
    );
    stream.close();
  });

  test('the history is the stored transcript, in order, with statuses', async () => {
    const phone = '393330000040';
    await postJson('/sandbox/api/send', { phone, text: 'hello' });
    await waitFor('the replies delivered', async () => {
      const out = (await transcript(phone)).filter((m) => m.direction === 'out');
      return out.length === 2 && out.every((m) => m.status === 'delivered');
    });
    const response = await fetch(`${base}/sandbox/api/history?phone=${phone}`);
    expect(response.status).toBe(200);
    const { messages } = (await response.json()) as { messages: ChatItem[] };
    expect(messages.map((m) => [m.direction, m.type, m.status])).toEqual([
      ['in', 'text', 'accepted'],
      ['out', 'text', 'delivered'],
      ['out', 'interactive', 'delivered'],
    ]);
    expect(messages[0]?.content.text?.body).toBe('hello');

    const other = await fetch(`${base}/sandbox/api/history?phone=393330000041`);
    expect(((await other.json()) as { messages: unknown[] }).messages).toEqual([]);
  });

  test('serves the phone page from /sandbox/, with its own files and no third-party sources', async () => {
    const redirect = await fetch(`${base}/sandbox`, { redirect: 'manual' });
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get('location')).toBe('/sandbox/');
    const page = await fetch(`${base}/sandbox/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await page.text();
    expect(html).toContain('src="app.js"');
    expect(html).not.toMatch(/https?:\/\//);
    const script = await fetch(`${base}/sandbox/app.js`);
    expect(script.headers.get('content-type')).toMatch(/javascript/);
    const business = await fetch(`${base}/sandbox/api/business`);
    expect(await business.json()).toMatchObject({ name: 'Bella Studio' });
  });
});

describe('after a restart', () => {
  test('the emulator reports a read for a message it knows only from the transcript', async () => {
    const phone = '393330000060';
    await postJson('/sandbox/api/send', { phone, text: 'hello' });
    const welcome = await waitFor('the welcome delivered', async () =>
      (await transcript(phone)).find((m) => m.direction === 'out' && m.status === 'delivered'),
    );
    // A fresh emulator, as after a restart: its memory is empty, the store is not.
    const logger = createLogger('silent');
    const restarted = express()
      .use('/sandbox', createSandbox({ core: app, logger, secrets }))
      .use(errorHandler(logger, 1024));
    const restartedServer = restarted.listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => restartedServer.once('listening', resolve));
    try {
      const { port } = restartedServer.address() as AddressInfo;
      const response = await fetch(`http://127.0.0.1:${port}/sandbox/api/read`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ phone, wamid: welcome.wamid }),
      });
      expect(response.status).toBe(200);
      await waitFor('read in the store', async () => {
        const row = (await transcript(phone)).find((m) => m.wamid === welcome.wamid);
        return row?.status === 'read';
      });
    } finally {
      restartedServer.closeAllConnections();
      await new Promise<void>((resolve) => restartedServer.close(() => resolve()));
    }
  });
});

describe('webhook delivery', () => {
  test('a webhook the server refuses is reported to the page with the server’s reason', async () => {
    // A second emulator whose app secret does not match the server's.
    const logger = createLogger('silent');
    const stray = express()
      .use(
        '/sandbox',
        createSandbox({ core: app, logger, secrets: { ...secrets, appSecret: 'not-the-app-secret' } }),
      )
      .use(errorHandler(logger, 1024));
    const strayServer = stray.listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => strayServer.once('listening', resolve));
    try {
      const { port } = strayServer.address() as AddressInfo;
      const response = await fetch(`http://127.0.0.1:${port}/sandbox/api/send`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ phone: '393330000050', text: 'hello' }),
      });
      expect(response.status).toBe(502);
      const answer = (await response.json()) as { error: { code: string; message: string } };
      expect(answer.error.code).toBe('webhook_refused');
      expect(answer.error.message).toMatch(/answered 401: X-Hub-Signature-256 does not match/);
    } finally {
      strayServer.closeAllConnections();
      await new Promise<void>((resolve) => strayServer.close(() => resolve()));
    }
  });

  test('retries with backoff until the server answers 200, sending the same signed bytes', async () => {
    const received: { body: string; signature: string | undefined }[] = [];
    const readBody = (req: IncomingMessage) =>
      new Promise<string>((resolve) => {
        const chunks: Buffer[] = [];
        req.on('data', (chunk: Buffer) => chunks.push(chunk));
        req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      });
    const flaky = createServer(async (req, res) => {
      received.push({ body: await readBody(req), signature: req.headers['x-hub-signature-256'] as string });
      res.writeHead(received.length < 3 ? 503 : 200).end('{}');
    });
    await new Promise<void>((resolve) => flaky.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = flaky.address() as AddressInfo;
      const poster = createWebhookPoster({
        url: `http://127.0.0.1:${port}/webhooks/whatsapp`,
        appSecret: APP_SECRET,
        logger: createLogger('silent'),
        retryBaseMs: 10,
      });
      const outcome = await poster.deliver({ object: 'whatsapp_business_account', entry: [] }, 5);
      expect(outcome).toEqual({ ok: true, status: 200, detail: 'accepted' });
      expect(received).toHaveLength(3);
      expect(new Set(received.map((r) => r.body)).size).toBe(1);
      for (const { body, signature } of received) expect(signature).toBe(signBody(body, APP_SECRET));

      const closedPort = await freePort();
      const gaveUp = await createWebhookPoster({
        url: `http://127.0.0.1:${closedPort}/webhooks/whatsapp`,
        appSecret: APP_SECRET,
        logger: createLogger('silent'),
        retryBaseMs: 1,
      }).deliver({}, 2);
      expect(gaveUp).toMatchObject({
        ok: false,
        status: null,
        detail: expect.stringMatching(/did not answer \(ECONNREFUSED\)/),
      });
    } finally {
      await new Promise<void>((resolve) => flaky.close(() => resolve()));
    }
  });
});
