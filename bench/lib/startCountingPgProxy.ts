import { createServer, connect, type Server, type Socket } from 'node:net';
import { onCleanup } from './runBench.js';

export interface CountingPgProxy {
  /** The database URL rewritten to go through the proxy. */
  url: string;
  /** Statements sent by clients so far: simple queries ('Q') plus extended-protocol parses ('P'). */
  statements(): number;
  /** Statements so far by their text's start (whitespace folded), most frequent first. */
  byText(): [string, number][];
  close(): Promise<void>;
}

/**
 * A TCP proxy in front of PostgreSQL that counts the statements its clients send, by reading the
 * frontend protocol's message types. A diagnostic: it costs CPU in the bench process, so figures
 * taken with it on are for counting, not for timing.
 */
export async function startCountingPgProxy(databaseUrl: string): Promise<CountingPgProxy> {
  const target = new URL(databaseUrl);
  let statements = 0;
  const texts = new Map<string, number>();
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    sockets.add(client).add(upstream);
    let started = false;
    let pending: Buffer = Buffer.alloc(0);
    client.on('data', (chunk: Buffer) => {
      upstream.write(chunk);
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      for (;;) {
        if (!started) {
          if (pending.length < 4) break;
          const length = pending.readInt32BE(0);
          if (pending.length < length) break;
          pending = pending.subarray(length);
          started = true;
          continue;
        }
        if (pending.length < 5) break;
        const length = pending.readInt32BE(1) + 1;
        if (pending.length < length) break;
        const type = String.fromCharCode(pending[0] as number);
        if (type === 'Q' || type === 'P') {
          statements++;
          const text = statementText(pending.subarray(5, length), type);
          texts.set(text, (texts.get(text) ?? 0) + 1);
        }
        pending = pending.subarray(length);
      }
    });
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const url = new URL(databaseUrl);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  const close = async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  onCleanup('close pg proxy', close);
  return {
    url: url.toString(),
    statements: () => statements,
    byText: () => [...texts].sort((a, b) => b[1] - a[1]),
    close,
  };
}

/** The first 90 characters of a statement: a 'Q' body is the text, a 'P' body the name then the text. */
function statementText(body: Buffer, type: string): string {
  let start = 0;
  if (type === 'P') start = body.indexOf(0) + 1;
  const end = body.indexOf(0, start);
  return body
    .subarray(start, end < 0 ? body.length : end)
    .toString('utf8')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 90);
}
