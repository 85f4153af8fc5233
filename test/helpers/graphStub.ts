import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { signBody } from '../../src/whatsapp/verifySignature.js';

export interface StubMessage {
  /** Milliseconds (performance.now() of this process) when the request arrived. */
  at: number;
  body: {
    to?: string;
    type?: string;
    biz_opaque_callback_data?: string;
    text?: { body: string };
    [key: string]: unknown;
  };
  wamid: string;
}

export interface GraphStubOptions {
  port?: number;
  /** Delay before answering, like a real network round trip. */
  latencyMs?: number;
  /**
   * Behave like Meta after accepting a message: POST a signed `sent` status webhook carrying the
   * message's biz_opaque_callback_data to this URL, retrying until it answers 200.
   */
  statusWebhook?: { url: string; appSecret: string; phoneNumberId: string; retryMs?: number };
  /** Answer the next N sends with this Meta error. */
  failWith?: { status: number; code: number; count: number };
}

export interface GraphStub {
  url: string;
  received: StubMessage[];
  onMessage(listener: (message: StubMessage) => void): void;
  close(): Promise<void>;
}

const readBody = (req: IncomingMessage) =>
  new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });

/**
 * A local stand-in for the Graph API `/messages` endpoint, for tests and benchmarks. It listens on
 * 127.0.0.1 only.
 */
export async function startGraphStub(options: GraphStubOptions = {}): Promise<GraphStub> {
  const received: StubMessage[] = [];
  const listeners: ((message: StubMessage) => void)[] = [];
  let counter = 0;
  let failuresLeft = options.failWith?.count ?? 0;
  const pendingStatuses = new Set<NodeJS.Timeout>();
  let closed = false;

  const deliverStatus = (message: StubMessage) => {
    const hook = options.statusWebhook;
    if (!hook || closed) return;
    const raw = JSON.stringify({
      object: 'whatsapp_business_account',
      entry: [
        {
          id: 'stub-waba',
          changes: [
            {
              field: 'messages',
              value: {
                messaging_product: 'whatsapp',
                metadata: { display_phone_number: '15550000000', phone_number_id: hook.phoneNumberId },
                statuses: [
                  {
                    id: message.wamid,
                    status: 'sent',
                    timestamp: String(Math.floor(Date.now() / 1000)),
                    recipient_id: message.body.to,
                    ...(message.body.biz_opaque_callback_data
                      ? { biz_opaque_callback_data: message.body.biz_opaque_callback_data }
                      : {}),
                  },
                ],
              },
            },
          ],
        },
      ],
    });
    const attempt = async () => {
      if (closed) return;
      try {
        const response = await fetch(hook.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'x-hub-signature-256': signBody(raw, hook.appSecret),
          },
          body: raw,
          signal: AbortSignal.timeout(5_000),
        });
        if (response.ok) return;
      } catch {
        // The server is down or restarting: Meta keeps trying, and so does the stub.
      }
      const timer = setTimeout(() => {
        pendingStatuses.delete(timer);
        void attempt();
      }, hook.retryMs ?? 500);
      pendingStatuses.add(timer);
    };
    void attempt();
  };

  const server: Server = createServer(async (req, res) => {
    const raw = await readBody(req);
    if (req.method !== 'POST' || !/^\/v\d+\.\d+\/\d+\/messages$/.test(req.url ?? '')) {
      res
        .writeHead(404, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: { message: 'Unknown path', code: 100 } }));
      return;
    }
    if (options.latencyMs) await new Promise((resolve) => setTimeout(resolve, options.latencyMs));
    if (failuresLeft > 0 && options.failWith) {
      failuresLeft--;
      res
        .writeHead(options.failWith.status, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: { message: 'Stub failure', code: options.failWith.code } }));
      return;
    }
    const body = JSON.parse(raw) as StubMessage['body'];
    const message: StubMessage = { at: performance.now(), body, wamid: `wamid.stub-${++counter}` };
    received.push(message);
    for (const listener of listeners) listener(message);
    res.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        messaging_product: 'whatsapp',
        contacts: [{ input: body.to, wa_id: body.to }],
        messages: [{ id: message.wamid }],
      }),
    );
    deliverStatus(message);
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    onMessage: (listener) => void listeners.push(listener),
    async close() {
      closed = true;
      for (const timer of pendingStatuses) clearTimeout(timer);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
