import { BadSignature } from '../../src/server/errors.js';
import { signBody, verifySignature } from '../../src/whatsapp/verifySignature.js';

describe('verifySignature', () => {
  // RFC 4231 test case 2: the published HMAC-SHA256 vector Meta's scheme is built on.
  const rfcKey = 'Jefe';
  const rfcData = Buffer.from('what do ya want for nothing?');
  const rfcSignature = 'sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843';

  test('accepts the published HMAC-SHA256 vector, in either hex case', () => {
    expect(signBody(rfcData, rfcKey)).toBe(rfcSignature);
    expect(() => verifySignature(rfcData, rfcSignature, rfcKey)).not.toThrow();
    expect(() =>
      verifySignature(rfcData, rfcSignature.toUpperCase().replace('SHA256', 'sha256'), rfcKey),
    ).not.toThrow();
  });

  test.each([
    ['a missing header', undefined, /Missing/],
    ['an empty header', '', /Missing/],
    ['a wrong prefix', rfcSignature.replace('sha256=', 'sha1='), /must be "sha256="/],
    ['no prefix', rfcSignature.slice(7), /must be "sha256="/],
    ['non-hex characters', `sha256=${'z'.repeat(64)}`, /64 hex/],
    ['a short signature', rfcSignature.slice(0, -2), /64 hex/],
    ['a long signature', `${rfcSignature}00`, /64 hex/],
    ['a different signature', `sha256=${'0'.repeat(64)}`, /does not match/],
  ])('refuses %s', (_name, header, message) => {
    expect(() => verifySignature(rfcData, header, rfcKey)).toThrow(BadSignature);
    expect(() => verifySignature(rfcData, header, rfcKey)).toThrow(message);
  });

  test('covers the exact bytes: non-ASCII bodies and a single changed byte', () => {
    const body = Buffer.from('{"text":"caffè ☕ — ünïcödé"}', 'utf8');
    const header = signBody(body, 'secret');
    expect(() => verifySignature(body, header, 'secret')).not.toThrow();
    const tampered = Buffer.from(body);
    tampered[tampered.length - 2] = 0x21;
    expect(() => verifySignature(tampered, header, 'secret')).toThrow(/does not match/);
    // Re-encoding the same text differently (Latin-1) is a different body.
    expect(() => verifySignature(Buffer.from(body.toString('utf8'), 'latin1'), header, 'secret')).toThrow(
      BadSignature,
    );
  });

  test('fails closed without an app secret', () => {
    expect(() => verifySignature(rfcData, signBody(rfcData, ''), '')).toThrow(/No app secret/);
  });
});
