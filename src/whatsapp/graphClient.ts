import axios, { type AxiosInstance } from 'axios';
import type { GraphMessage } from './builders.js';

/** Meta error codes worth trying again: throttling and transient failures. */
const RETRIABLE_CODES = new Set([1, 2, 4, 80007, 130429, 131000, 131016, 131056, 133004]);
/** Meta error codes that will fail the same way every time; recorded with their reason. */
const FINAL_CODES = new Set([
  100, 131008, 131009, 131021, 131026, 131031, 131042, 131047, 131049, 131050, 131051, 131052, 131053,
]);

/** A send Meta refused or that never got an answer, classified for the retry policy. */
export class GraphSendError extends Error {
  constructor(
    message: string,
    readonly code: number | null,
    readonly httpStatus: number | null,
    readonly retriable: boolean,
  ) {
    super(message);
    this.name = 'GraphSendError';
  }
}

/**
 * Decides whether a failed send may be retried: throttling (130429, 131056, 80007), transient
 * errors (131000, 131016), 5xx and timeouts are; undeliverable (131026), outside the window
 * (131047), opted out (131050) and template errors (132xxx) never are.
 */
export function isRetriable(code: number | null, httpStatus: number | null): boolean {
  if (code !== null) {
    if (RETRIABLE_CODES.has(code)) return true;
    if (FINAL_CODES.has(code) || (code >= 132000 && code < 133000)) return false;
    // An expired or wrong token fails every send; keep messages queued while someone fixes it.
    if (code === 190) return true;
  }
  if (httpStatus === null) return true;
  return httpStatus >= 500 || httpStatus === 429;
}

export interface GraphClientOptions {
  graphUrl: string;
  apiVersion: string;
  phoneNumberId: string;
  accessToken: string;
  timeoutMs: number;
}

export interface GraphClient {
  /** POSTs one message. @returns Meta's message id (wamid). @throws {GraphSendError} */
  sendMessage(message: GraphMessage): Promise<string>;
}

/** Talks to `/{version}/{phone-number-id}/messages` with a timeout on every call. */
export function createGraphClient(options: GraphClientOptions): GraphClient {
  const http: AxiosInstance = axios.create({
    baseURL: `${options.graphUrl}/${options.apiVersion}/${options.phoneNumberId}`,
    timeout: options.timeoutMs,
    headers: { Authorization: `Bearer ${options.accessToken}`, 'Content-Type': 'application/json' },
    validateStatus: () => true,
    // Sends are retried by the outbox with backoff, never by the HTTP layer.
    maxRedirects: 0,
  });
  return {
    async sendMessage(message) {
      let response;
      try {
        response = await http.post('/messages', message);
      } catch (error) {
        const reason = axios.isAxiosError(error) ? (error.code ?? error.message) : String(error);
        throw new GraphSendError(`Graph API did not answer: ${reason}`, null, null, true);
      }
      const body = response.data as
        | {
            messages?: { id?: string }[];
            error?: { code?: number; message?: string; error_data?: { details?: string } };
          }
        | undefined;
      const wamid = body?.messages?.[0]?.id;
      if (response.status >= 200 && response.status < 300 && wamid) return wamid;
      const code = typeof body?.error?.code === 'number' ? body.error.code : null;
      const detail = body?.error?.error_data?.details ?? body?.error?.message ?? `HTTP ${response.status}`;
      throw new GraphSendError(
        code === 190 ? `WHATSAPP_ACCESS_TOKEN is invalid or expired: ${detail}` : detail,
        code,
        response.status,
        isRetriable(code, response.status),
      );
    },
  };
}
