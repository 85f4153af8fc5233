import { createHash } from 'node:crypto';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { InvalidPayload } from '../server/errors.js';
import type { NewInboundEvent } from '../store/index.js';
import type { InboundWriter } from './createInboundWriter.js';
import { parseWebhook, type InboundItem, type InboundStatusPayload } from './parseWebhook.js';
import { verifySignature } from './verifySignature.js';

export interface IngestResult {
  received: number;
  stored: number;
  duplicates: number;
  unparsed: number;
}

/**
 * The whole of a WhatsApp webhook's synchronous work: verify the signature on the raw bytes, read
 * every entry, change, message and status, and store them all in one transaction (shared with
 * the webhooks that arrive in the same millisecond or two). Nothing slow
 * happens here; the worker does the rest.
 *
 * A signed body we cannot read is stored raw and reported, never refused: a 4xx would make Meta
 * retry it for days.
 *
 * @throws {BadSignature} missing or wrong signature (nothing is stored).
 * @throws {InvalidPayload} signed but not JSON.
 */
export async function ingestWebhook(
  writer: InboundWriter,
  rawBody: Buffer,
  signature: string | undefined,
  appSecret: string,
  observe: { metrics: Metrics; logger: Logger; now: Date },
): Promise<IngestResult> {
  verifySignature(rawBody, signature, appSecret);
  let body: unknown;
  try {
    body = JSON.parse(rawBody.toString('utf8'));
  } catch {
    throw new InvalidPayload('Body is not JSON: Meta sends application/json webhook payloads');
  }
  let items: InboundItem[];
  try {
    items = parseWebhook(body);
  } catch (error) {
    const digest = createHash('sha256').update(rawBody).digest('hex');
    items = [
      {
        externalId: `wa:raw:${digest}`,
        kind: 'unparsed',
        conversationId: null,
        payload: { raw: body, problem: (error as Error).message },
      },
    ];
  }
  const rows: NewInboundEvent[] = items.map((item) => ({
    source: 'whatsapp',
    kind: item.kind,
    externalId: item.externalId,
    conversationId: item.conversationId,
    payload: item.payload,
    status: item.kind === 'unparsed' ? 'unparsed' : 'pending',
  }));
  // A status carrying our outbox id proves Meta has that message. Settle the row now, with the
  // events, rather than when the worker reaches the status: a send interrupted by a crash must
  // not be sent again just because the proof is still queued.
  const settled = items.flatMap((item) => {
    const status = item.kind === 'status' ? (item.payload as InboundStatusPayload).status : null;
    return status?.biz_opaque_callback_data && status.status !== 'failed'
      ? [{ outboxId: status.biz_opaque_callback_data, wamid: status.id }]
      : [];
  });
  const stored = await writer.write({ rows, settled, now: observe.now });
  const unparsed = items.filter((item) => item.kind === 'unparsed').length;
  for (const item of items)
    observe.metrics.webhookEvents.inc({ source: 'whatsapp', kind: item.kind, outcome: 'received' });
  if (unparsed > 0) {
    observe.metrics.unparsedPayloads.inc(unparsed);
    observe.logger.warn(
      {
        unparsed,
        problems: items
          .filter((i) => i.kind === 'unparsed')
          .map((i) => (i.payload as { problem?: string }).problem),
      },
      'stored webhook items we could not read; see GET /api/events?status=unparsed',
    );
  }
  return { received: items.length, stored, duplicates: items.length - stored, unparsed };
}
