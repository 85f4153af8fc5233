import { randomBytes } from 'node:crypto';
import { metaWebhookBatch, text } from '../../test/fixtures/metaWebhook.js';
import { signBody } from '../../src/whatsapp/verifySignature.js';
import { PHONE_NUMBER_ID } from './startServer.js';

export interface InboundText {
  /** Customer wa_id. */
  from: string;
  body: string;
}

export interface SignedWebhook {
  body: Buffer;
  headers: Record<string, string>;
  wamids: string[];
}

const RUN = randomBytes(4).toString('hex').toUpperCase();
let counter = 0;

/** A wamid no other request of this run (or earlier run) uses. */
export function benchWamid(): string {
  counter += 1;
  return `wamid.BENCH${RUN}${String(counter).padStart(9, '0')}`;
}

/** A distinct customer number for index `i`: 1555 followed by 7 digits. */
export function customer(i: number, offset = 0): string {
  return `1555${String(offset + i).padStart(7, '0')}`;
}

/**
 * A signed Meta webhook carrying these text messages, one change per message (Meta batches
 * changes of several customers into one delivery), each with a fresh wamid and a timestamp of now
 * so the 24-hour window is open.
 */
export function signedTextWebhook(messages: readonly InboundText[], appSecret: string): SignedWebhook {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const wamids: string[] = [];
  const envelope = metaWebhookBatch([
    {
      changes: messages.map((message) => {
        const id = benchWamid();
        wamids.push(id);
        return {
          from: message.from,
          name: `Bench ${message.from.slice(-4)}`,
          phoneNumberId: PHONE_NUMBER_ID,
          messages: [text(message.body, { id, timestamp })],
        };
      }),
    },
  ]);
  const body = Buffer.from(JSON.stringify(envelope));
  return {
    body,
    headers: { 'content-type': 'application/json', 'x-hub-signature-256': signBody(body, appSecret) },
    wamids,
  };
}
