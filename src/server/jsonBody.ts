import express, { type RequestHandler } from 'express';
import { InvalidPayload } from './errors.js';

/**
 * Where in a parsed JSON body the first string (value or key) holding U+0000 is, or null. It walks
 * with its own stack: a small body can nest deeper than the call stack goes.
 */
export function findNulCharacter(body: unknown): string | null {
  const stack: [unknown, string][] = [[body, 'body']];
  for (let next = stack.pop(); next; next = stack.pop()) {
    const [value, path] = next;
    if (typeof value === 'string') {
      if (value.includes('\u0000')) return path;
    } else if (value !== null && typeof value === 'object') {
      const entries = Object.entries(value);
      if (entries.some(([key]) => key.includes('\u0000'))) return path;
      // Last pushed is first taken: reversed, the document's order is kept.
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, item] = entries[i] as [string, unknown];
        stack.push([item, `${path}.${key}`]);
      }
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
      if (!path) return next();
      const named = path.length > 200 ? `${path.slice(0, 200)}…` : path;
      next(new InvalidPayload(`${named}: contains the NUL character (U+0000), which cannot be stored`));
    },
  ];
}
