import { buildText } from '../../src/whatsapp/builders.js';
import { createGraphClient, GraphSendError, isRetriable } from '../../src/whatsapp/graphClient.js';
import { startGraphStub, type GraphStub } from '../helpers/graphStub.js';

const client = (stub: GraphStub, timeoutMs = 2_000) =>
  createGraphClient({
    graphUrl: stub.url,
    apiVersion: 'v23.0',
    phoneNumberId: '106540352242922',
    accessToken: 't',
    timeoutMs,
  });

describe('Graph client', () => {
  test.each([130429, 131056, 131000, 131016, 80007])('retries Meta error %i', (code) => {
    expect(isRetriable(code, 400)).toBe(true);
  });
  test.each([131026, 131047, 131050, 131049, 132000, 132012, 100])('never retries Meta error %i', (code) => {
    expect(isRetriable(code, 400)).toBe(false);
  });
  test('5xx and no answer are retried; other 4xx without a code are not', () => {
    expect([isRetriable(null, 503), isRetriable(null, null), isRetriable(null, 404)]).toEqual([
      true,
      true,
      false,
    ]);
  });

  test('returns the wamid Meta answers with', async () => {
    const stub = await startGraphStub();
    try {
      const wamid = await client(stub).sendMessage(
        buildText('393331112222', { body: 'ciao', bizOpaqueCallbackData: 'evt-1:0' }),
      );
      expect(wamid).toBe(stub.received[0]?.wamid);
      expect(stub.received[0]?.body.biz_opaque_callback_data).toBe('evt-1:0');
    } finally {
      await stub.close();
    }
  });

  test('a Meta error comes back classified with its code', async () => {
    const stub = await startGraphStub({ failWith: { status: 400, code: 131026, count: 1 } });
    try {
      const error = await client(stub)
        .sendMessage(buildText('393331112222', { body: 'ciao' }))
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(GraphSendError);
      expect(error).toMatchObject({ code: 131026, httpStatus: 400, retriable: false });
    } finally {
      await stub.close();
    }
  });

  test('a request that outlives the timeout is a retriable failure', async () => {
    const stub = await startGraphStub({ latencyMs: 500 });
    try {
      const error = await client(stub, 100)
        .sendMessage(buildText('393331112222', { body: 'ciao' }))
        .catch((e: unknown) => e);
      expect(error).toMatchObject({
        code: null,
        retriable: true,
        message: expect.stringMatching(/did not answer/),
      });
    } finally {
      await stub.close();
    }
  });
});
