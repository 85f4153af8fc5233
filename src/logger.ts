import { createHash } from 'node:crypto';
import { pino, type Logger } from 'pino';

/** Paths that can hold phone numbers, tokens or message bodies. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-hub-signature-256"]',
  'req.headers["stripe-signature"]',
  'res.headers["set-cookie"]',
  '*.token',
  '*.accessToken',
  '*.apiToken',
  '*.appSecret',
  '*.secret',
  '*.password',
  '*.phone',
  '*.waId',
  '*.wa_id',
  '*.from',
  '*.to',
  '*.recipient',
  '*.recipient_id',
  '*.body',
  '*.text',
  '*.content',
  '*.payload',
];

/** Creates the JSON logger; phone numbers, tokens and message bodies are redacted. */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination as pino.DestinationStream | undefined,
  );
}

export type { Logger };

/** A stable, anonymous reference to a conversation or contact for logs (ids contain phone numbers). */
export function logRef(id: string): string {
  return createHash('sha256').update(id).digest('hex').slice(0, 12);
}

/** A path fit for logs: long digit runs (phone numbers, wa ids) are masked. */
export function maskPath(path: string): string {
  return path.replace(/\d{6,}/g, (digits) => `${digits.slice(0, 2)}…`);
}
