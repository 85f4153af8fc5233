import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../../logger.js';
import { signBody } from '../verifySignature.js';

export interface PostOutcome {
  ok: boolean;
  /** HTTP status, or null when the server did not answer. */
  status: number | null;
  /** Why it failed, in words an operator can act on. */
  detail: string;
}

export interface WebhookPoster {
  /**
   * POSTs a webhook body, signed like Meta signs it, and retries with backoff until the server
   * answers 200 or `attempts` run out. The same bytes are sent every time, so the server's
   * dedupe by wamid or status id makes a retry harmless.
   */
  deliver(body: unknown, attempts?: number): Promise<PostOutcome>;
}

export interface WebhookPosterOptions {
  url: string;
  appSecret: string;
  logger: Logger;
  timeoutMs?: number;
  /** First retry delay; it doubles from there. */
  retryBaseMs?: number;
}

/** Delivers the emulator's webhooks over real HTTP, so they take the production path. */
export function createWebhookPoster(options: WebhookPosterOptions): WebhookPoster {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const retryBaseMs = options.retryBaseMs ?? 250;

  async function postOnce(raw: string): Promise<PostOutcome> {
    try {
      const response = await fetch(options.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-hub-signature-256': signBody(raw, options.appSecret),
        },
        body: raw,
        signal: AbortSignal.timeout(timeoutMs),
      });
      const text = await response.text();
      if (response.status === 200) return { ok: true, status: 200, detail: 'accepted' };
      return { ok: false, status: response.status, detail: describeRefusal(response.status, text) };
    } catch (error) {
      const reason = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
      return { ok: false, status: null, detail: `${options.url} did not answer (${reason})` };
    }
  }

  return {
    async deliver(body, attempts = 5) {
      const raw = JSON.stringify(body);
      let outcome: PostOutcome = { ok: false, status: null, detail: 'not attempted' };
      for (let attempt = 1; attempt <= attempts; attempt++) {
        outcome = await postOnce(raw);
        if (outcome.ok) return outcome;
        if (attempt < attempts) {
          const ceiling = retryBaseMs * 2 ** (attempt - 1);
          // Unref'd: a retry in progress must not keep a stopping server alive.
          await sleep(Math.round(ceiling / 2 + (Math.random() * ceiling) / 2), undefined, { ref: false });
        }
      }
      options.logger.warn(
        { status: outcome.status, detail: outcome.detail, attempts },
        'sandbox emulator gave up delivering a webhook',
      );
      return outcome;
    },
  };
}

function describeRefusal(status: number, text: string): string {
  let message = text.slice(0, 300);
  try {
    const parsed = JSON.parse(text) as { error?: { message?: string } };
    if (parsed.error?.message) message = parsed.error.message;
  } catch {
    // Not JSON: keep the start of the text.
  }
  return `POST /webhooks/whatsapp answered ${status}: ${message}`;
}
