import { Writable } from 'node:stream';
import request from 'supertest';
import { loadConfig } from '../../src/config.js';
import { createApp } from '../../src/createApp.js';
import { createLogger, logRef } from '../../src/logger.js';
import { signBody } from '../../src/whatsapp/verifySignature.js';
import { metaWebhook, text } from '../fixtures/metaWebhook.js';
import { storeKinds } from '../helpers/stores.js';
import { API_TOKEN, APP_SECRET, manualClock, recordingGraph } from '../helpers/testApp.js';

test('logs carry request ids but no phone numbers, tokens or message bodies', async () => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  const store = await storeKinds[0]![1]();
  const app = await createApp({
    config: loadConfig({ LOG_LEVEL: 'debug' }),
    store,
    logger: createLogger('debug', sink),
    secrets: { appSecret: APP_SECRET, apiToken: API_TOKEN, accessToken: 'secret-access-token' },
    clock: manualClock(),
    graph: recordingGraph(),
    startLoops: false,
  });
  try {
    const raw = JSON.stringify(
      metaWebhook({ from: '393471234567', messages: [text('my secret order text')] }),
    );
    await request(app.http)
      .post('/webhooks/whatsapp')
      .set('x-hub-signature-256', signBody(raw, APP_SECRET))
      .set('x-request-id', 'req-42')
      .send(raw);
    await app.settle();
    const id = '106540352242922:393471234567';
    await request(app.http)
      .post(`/api/conversations/${id}/handoff`)
      .set('authorization', `Bearer ${API_TOKEN}`)
      .send({ reason: 'vip' });
    await app.settle();
    const log = lines.join('');
    expect(log).toContain('req-42');
    expect(log).toContain(logRef(id));
    expect(log).not.toContain('393471234567');
    expect(log).not.toContain('my secret order text');
    expect(log).not.toContain(API_TOKEN);
    expect(log).not.toContain(APP_SECRET);
  } finally {
    await app.close();
    await store.close();
  }
});
