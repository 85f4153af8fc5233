import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { Unauthorized } from './errors.js';

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Refuses any request without `Authorization: Bearer <token>`; compares in constant time. */
export function requireApiToken(token: string): RequestHandler {
  const expected = digest(token);
  return (req, _res, next) => {
    const match = /^Bearer (.+)$/.exec(req.get('authorization') ?? '');
    if (!match || !timingSafeEqual(digest(match[1] as string), expected)) return next(new Unauthorized());
    next();
  };
}
