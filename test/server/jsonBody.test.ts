import express from 'express';
import request from 'supertest';
import { createLogger } from '../../src/logger.js';
import { errorHandler } from '../../src/server/errorHandler.js';
import { findNulCharacter, jsonBody } from '../../src/server/jsonBody.js';

describe('finding text PostgreSQL cannot store', () => {
  test('names the first value or key holding U+0000, however deep', () => {
    expect(findNulCharacter({ text: 'a\u0000b' })).toBe('body.text');
    expect(findNulCharacter({ rows: [{ name: 'ok' }, { name: 'x', tags: ['fine', '\u0000'] }] })).toBe(
      'body.rows.1.tags.1',
    );
    expect(findNulCharacter({ nested: { ['bad\u0000key']: 1 } })).toBe('body.nested');
    expect(findNulCharacter('\u0000')).toBe('body');
  });

  test('text that only spells the escape out, and bodies without text, pass', () => {
    expect(findNulCharacter({ text: '\\u0000', n: 0, flag: false, none: null })).toBeNull();
    expect(findNulCharacter(undefined)).toBeNull();
    expect(findNulCharacter([])).toBeNull();
  });

  test('a body nested deeper than the call stack goes is walked to its end', () => {
    const depth = 50_000;
    const deep = JSON.parse(`${'['.repeat(depth)}"\\u0000"${']'.repeat(depth)}`);
    expect(findNulCharacter(deep)).toBe(`body${'.0'.repeat(depth)}`);
    expect(findNulCharacter(JSON.parse(`${'['.repeat(depth)}${']'.repeat(depth)}`))).toBeNull();
  });

  test('a route behind it answers 400 naming the field, and never sees the body', async () => {
    const seen: unknown[] = [];
    const app = express();
    app.use(jsonBody('1mb'));
    app.post('/notes', (req, res) => {
      seen.push(req.body);
      res.json({ ok: true });
    });
    app.use(errorHandler(createLogger('silent'), 1024));
    await request(app).post('/notes').send({ text: 'fine' }).expect(200);
    const refused = await request(app).post('/notes').send({ text: 'a\u0000b' }).expect(400);
    expect(refused.body.error).toEqual({
      code: 'invalid_payload',
      message: 'body.text: contains the NUL character (U+0000), which cannot be stored',
    });
    // A path too long to read is cut short.
    const depth = 5_000;
    const deep = await request(app)
      .post('/notes')
      .set('content-type', 'application/json')
      .send(`${'['.repeat(depth)}"\\u0000"${']'.repeat(depth)}`)
      .expect(400);
    expect(deep.body.error.message).toBe(
      `${`body${'.0'.repeat(depth)}`.slice(0, 200)}…: contains the NUL character (U+0000), which cannot be stored`,
    );
    expect(seen).toEqual([{ text: 'fine' }]);
  });
});
