import type { AddressInfo } from 'node:net';
import { metaWebhook, text } from '../fixtures/metaWebhook.js';
import { resetStore, storeKinds, type TestStore } from '../helpers/stores.js';
import { createTestApp, type TestApp } from '../helpers/testApp.js';
import { addStaff, resetInbox } from './helpers.js';

const CONVERSATION = '106540352242922:16505551234';

/** Reads Server-Sent Events from a live stream until `until` says stop. */
async function readEvents(
  url: string,
  cookie: string,
  until: (events: { event: string; data: unknown }[]) => boolean,
  timeoutMs = 10_000,
): Promise<{ event: string; data: unknown }[]> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  const response = await fetch(url, { headers: { cookie }, signal: controller.signal });
  expect(response.headers.get('content-type')).toMatch(/text\/event-stream/);
  const events: { event: string; data: unknown }[] = [];
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.+)$/m.exec(block)?.[1];
        const data = /^data: (.+)$/m.exec(block)?.[1];
        if (event && data) events.push({ event, data: JSON.parse(data) });
      }
      if (until(events)) break;
    }
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
  return events;
}

describe.each(storeKinds)('live updates on %s', (_kind, open) => {
  let store: TestStore;
  let app: TestApp;
  beforeAll(async () => {
    store = await open();
  });
  afterAll(() => store.close());
  beforeEach(async () => {
    await resetStore(store);
    await resetInbox(store);
    app = await createTestApp(store);
  });
  afterEach(() => app.close());

  test('two staff streams both see a customer message and the handoff arrive', async () => {
    const a = await addStaff(app, 'ada@studio.test', 'admin');
    const b = await addStaff(app, 'bruno@studio.test', 'agent');
    const server = app.http.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/inbox/stream`;
    const cookieOf = async (staff: typeof a) =>
      (await staff.agent.jar.getCookies({ domain: '127.0.0.1', path: '/', secure: false, script: false }))
        .map((c) => `${c.name}=${c.value}`)
        .join('; ');
    const handedOver = (events: { event: string; data: unknown }[]) =>
      events.some(
        (e) =>
          e.event === 'conversation' &&
          (e.data as { conversation: { mode: string } }).conversation.mode === 'handoff',
      );
    try {
      const streams = Promise.all([
        readEvents(url, await cookieOf(a), handedOver),
        readEvents(url, await cookieOf(b), handedOver),
      ]);
      await new Promise((resolve) => setTimeout(resolve, 200));
      await app.post(metaWebhook({ messages: [text('I want to talk to a person')] }));
      await app.settle();
      for (const events of await streams) {
        const messages = events
          .filter((e) => e.event === 'message')
          .map((e) => e.data as { message: { conversationId: string; direction: string } });
        expect(
          messages.some((m) => m.message.direction === 'in' && m.message.conversationId === CONVERSATION),
        ).toBe(true);
        expect(handedOver(events)).toBe(true);
      }
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
