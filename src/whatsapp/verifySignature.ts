import { createHmac, timingSafeEqual } from 'node:crypto';
import { BadSignature } from '../server/errors.js';

const HEADER_PATTERN = /^sha256=([0-9a-f]{64})$/;

/**
 * Checks Meta's `X-Hub-Signature-256` header against the exact raw body bytes.
 * Fails closed: a missing header, a wrong prefix, non-hex or a wrong length are all refused.
 *
 * @throws {BadSignature} with a message that tells the operator what to check.
 * @example verifySignature(rawBody, req.get('x-hub-signature-256'), config.whatsapp.appSecret);
 */
export function verifySignature(rawBody: Buffer, header: string | undefined, appSecret: string): void {
  if (!appSecret) throw new BadSignature('No app secret is configured, so no webhook can be verified');
  if (!header) throw new BadSignature('Missing X-Hub-Signature-256 header');
  const match = HEADER_PATTERN.exec(header.trim().toLowerCase());
  if (!match) throw new BadSignature('X-Hub-Signature-256 must be "sha256=" followed by 64 hex characters');
  const given = Buffer.from(match[1] as string, 'hex');
  const expected = createHmac('sha256', appSecret).update(rawBody).digest();
  if (!timingSafeEqual(given, expected)) {
    throw new BadSignature(
      'X-Hub-Signature-256 does not match: WHATSAPP_APP_SECRET must be the app secret in Meta app settings → Basic',
    );
  }
}

/** Signs a body the way Meta does; used by the sandbox emulator and by tests. */
export function signBody(rawBody: Buffer | string, appSecret: string): string {
  return `sha256=${createHmac('sha256', appSecret).update(rawBody).digest('hex')}`;
}
