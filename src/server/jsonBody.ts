import express, { type RequestHandler } from 'express';
import { InvalidPayload } from './errors.js';

/** Where in a parsed JSON body the first string (value or key) holding U+0000 is, or null. */
export function findNulCharacter(value: unknown, path = 'body'): string | null {
  if (typeof value === 'string') return value.includes('\u0000') ? path : null;
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) {
      const found = findNulCharacter(item, `${path}.${index}`);
      if (found) return found;
    }
    return null;
  }
  if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      if (key.includes('\u0000')) return path;
      const found = findNulCharacter(item, `${path}.${key}`);
      if (found) return found;
    }
  }
  return null;
}

/**
 * A JSON body of at most `limit`, refused with a 400 naming the field when any text holds the NUL
 * character (U+0000): PostgreSQL stores it neither in text nor in jsonb, and the failed write would
 * otherwise come back as a 500 that says nothing about the input.
 */
export function jsonBody(limit: string): RequestHandler[] {
  return [
    express.json({ limit }),
    (req, _res, next) => {
      const path = findNulCharacter(req.body);
      next(
        path
          ? new InvalidPayload(`${path}: contains the NUL character (U+0000), which cannot be stored`)
          : undefined,
      );
    },
  ];
}
