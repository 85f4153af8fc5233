import { eq, sql } from 'drizzle-orm';
import type { Clock } from '../engine/types.js';
import { ExecutorError, type OutboxExecutor } from '../jobs/outboxSender.js';
import { capiEvents, insertOutbox, type Db, type OutboxRow } from '../store/index.js';

/** The outbox kind of a Conversions API event. */
export const CAPI_KIND = 'CapiEvent';

export type CapiEventName = 'LeadSubmitted' | 'Purchase';

/** What an outbox row of kind {@link CAPI_KIND} carries. */
export interface CapiPayload {
  eventId: string;
  eventName: CapiEventName;
  ctwaClid: string;
  /** Unix seconds of the conversion. */
  eventTime: number;
  value: number | null;
  currency: string | null;
}

export interface CapiSettings {
  graphUrl: string;
  apiVersion: string;
  datasetId: string;
  accessToken: string;
  timeoutMs: number;
  maxAttempts: number;
}

/** Minor units → the decimal amount Meta expects (EUR 4500 → 45). */
export function toMajorUnits(amount: number, currency: string): number {
  const digits =
    new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
  return Number((amount / 10 ** digits).toFixed(digits));
}

/**
 * The body of a Conversions API request for a conversion in a click-to-WhatsApp conversation,
 * keyed by the ad click id. `event_id` lets Meta drop a duplicate if a retry follows a lost answer.
 */
export function buildCapiBody(event: CapiPayload): Record<string, unknown> {
  return {
    data: [
      {
        event_name: event.eventName,
        event_time: event.eventTime,
        event_id: event.eventId,
        action_source: 'business_messaging',
        messaging_channel: 'whatsapp',
        user_data: { ctwa_clid: event.ctwaClid },
        ...(event.value !== null && event.currency
          ? { custom_data: { value: toMajorUnits(event.value, event.currency), currency: event.currency } }
          : {}),
      },
    ],
  };
}

/**
 * Queues a Conversions API event in the outbox, in the caller's transaction. The id makes it
 * idempotent: queuing the same conversion twice sends it once.
 */
export async function queueCapiEvent(
  tx: Db,
  event: CapiPayload & { campaignId: string | null; conversationId: string },
  now: Date,
): Promise<void> {
  const inserted = await tx
    .insert(capiEvents)
    .values({
      id: event.eventId,
      campaignId: event.campaignId,
      conversationId: event.conversationId,
      eventName: event.eventName,
      ctwaClid: event.ctwaClid,
      value: event.value,
      currency: event.currency,
      createdAt: now,
    })
    .onConflictDoNothing()
    .returning({ id: capiEvents.id });
  if (inserted.length === 0) return;
  const payload: CapiPayload = {
    eventId: event.eventId,
    eventName: event.eventName,
    ctwaClid: event.ctwaClid,
    eventTime: event.eventTime,
    value: event.value,
    currency: event.currency,
  };
  // No conversation or recipient: this is not a chat message and must not wait behind one.
  await insertOutbox(tx, [{ id: event.eventId, kind: CAPI_KIND, payload, priority: 1 }], now);
}

/**
 * Sends queued Conversions API events to `POST /{version}/{dataset}/events`, with a timeout;
 * throttling, 5xx and network errors are retried by the outbox, other refusals are final. Each
 * outcome is kept on the event so the campaign page can show it.
 */
export function createCapiExecutor(db: Db, clock: Clock, settings: CapiSettings): OutboxExecutor {
  const url = `${settings.graphUrl}/${settings.apiVersion}/${settings.datasetId}/events`;
  return async (row: OutboxRow) => {
    const event = row.payload as CapiPayload;
    const record = async (status: 'sent' | 'failed' | 'queued', error: string | null) => {
      await db
        .update(capiEvents)
        .set({ status, error, sentAt: status === 'sent' ? clock.now() : sql`${capiEvents.sentAt}` })
        .where(eq(capiEvents.id, event.eventId));
    };
    const giveUp = async (message: string, retriable: boolean, code: number | null) => {
      const final = !retriable || row.attempts >= settings.maxAttempts;
      await record(final ? 'failed' : 'queued', message.slice(0, 500));
      throw new ExecutorError(message, retriable, code);
    };
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${settings.accessToken}` },
        body: JSON.stringify(buildCapiBody(event)),
        signal: AbortSignal.timeout(settings.timeoutMs),
      });
    } catch (error) {
      const timedOut = (error as Error).name === 'TimeoutError';
      return giveUp(
        timedOut ? `Conversions API did not answer within ${settings.timeoutMs} ms` : String(error),
        true,
        null,
      );
    }
    if (response.ok) return record('sent', null);
    const body = (await response.json().catch(() => null)) as {
      error?: { message?: string; code?: number; error_user_msg?: string };
    } | null;
    const code = body?.error?.code ?? null;
    const message = `Conversions API answered ${response.status}: ${body?.error?.error_user_msg ?? body?.error?.message ?? response.statusText}`;
    const retriable =
      response.status >= 500 || response.status === 429 || code === 4 || code === 17 || code === 2;
    return giveUp(message, retriable, code);
  };
}
