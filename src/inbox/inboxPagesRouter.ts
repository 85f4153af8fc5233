import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Request, type Response, type Router } from 'express';
import { pageFiles, pageHeaders } from '../server/ownPages.js';
import { z } from 'zod';
import type { Clock } from '../engine/types.js';
import type { Logger } from '../logger.js';
import { InvalidPayload } from '../server/errors.js';
import type { Db } from '../store/index.js';
import type { LoginLimiter } from './createLoginLimiter.js';
import { CSRF_HEADER, SESSION_COOKIE, type StaffAuth, principalOf } from './createStaffAuth.js';
import { Forbidden, NotSignedIn, TooManyRequests } from './errors.js';
import { hashPassword, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, verifyPassword } from './passwords.js';
import {
  consumeInvite,
  createSession,
  deleteExpiredSessions,
  deleteSession,
  findStaffByEmail,
  normaliseEmail,
  setStaffPassword,
} from './staffRepo.js';
import { jsonBody } from '../server/jsonBody.js';

const WEB_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../web/inbox');

// Staff pages hold customer data: never kept in a cache.
const PAGE_HEADERS = pageHeaders({ cache: 'no-store' });

const password = z
  .string()
  .min(PASSWORD_MIN_LENGTH, { message: `use at least ${PASSWORD_MIN_LENGTH} characters` })
  .max(PASSWORD_MAX_LENGTH, { message: `use at most ${PASSWORD_MAX_LENGTH} characters` });
const loginBody = z.strictObject({
  email: z.string().trim().min(1).max(254),
  password: z.string().min(1).max(PASSWORD_MAX_LENGTH),
});
const inviteBody = z.strictObject({ token: z.string().min(20).max(100), password });

/**
 * The inbox pages under `/inbox`: sign-in, invitation, the app itself (signed in only) and its
 * static files. Sign-in and invitation answer JSON and set the session cookie.
 */
export function inboxPagesRouter(options: {
  db: Db;
  clock: Clock;
  logger: Logger;
  auth: StaffAuth;
  limiter: LoginLimiter;
}): Router {
  const { db, clock, auth, limiter } = options;
  const router = express.Router();
  const page = (name: string) => (_req: Request, res: Response) =>
    void res.set(PAGE_HEADERS).sendFile(path.join(WEB_DIR, name));

  // JSON only: a cross-site form cannot send it without a preflight, which closes login CSRF.
  const json = [
    (req: Request, _res: Response, next: express.NextFunction) =>
      next(req.is('application/json') ? undefined : new InvalidPayload('Send the body as application/json')),
    ...jsonBody('10kb'),
  ];

  async function startSession(res: Response, userId: string) {
    const now = clock.now();
    // Sign-ins are rare enough to sweep ended sessions here instead of on a timer.
    await deleteExpiredSessions(db, now, auth.limits.idleMs);
    const session = await createSession(db, userId, now, auth.limits);
    res.cookie(SESSION_COOKIE, session.id, auth.cookieOptions(session.expiresAt.getTime() - now.getTime()));
    return session;
  }

  router.get('/login', page('login.html'));
  router.get('/invite', page('invite.html'));

  router.post('/login', ...json, async (req, res) => {
    const body = loginBody.parse(req.body ?? {});
    const email = normaliseEmail(body.email);
    const ip = req.ip ?? 'unknown';
    const now = clock.now().getTime();
    const wait = limiter.retryAfter(email, ip, now);
    if (wait > 0) {
      res.set('Retry-After', String(wait));
      throw new TooManyRequests(`Too many failed sign-ins: try again in ${Math.ceil(wait / 60)} minute(s)`);
    }
    const user = await findStaffByEmail(db, email);
    const ok = await verifyPassword(user?.passwordHash ?? null, body.password);
    if (!user || !ok || !user.active) {
      limiter.recordFailure(email, ip, now);
      options.logger.info({ ip }, 'failed staff sign-in');
      throw new NotSignedIn('Wrong email or password');
    }
    limiter.recordSuccess(email);
    const session = await startSession(res, user.id);
    res.json({
      user: { id: user.id, email: user.email, name: user.name, role: user.role },
      csrfToken: session.csrfToken,
    });
  });

  router.post('/invite', ...json, async (req, res) => {
    const ip = req.ip ?? 'unknown';
    const now = clock.now().getTime();
    const wait = limiter.retryAfter('invite', ip, now);
    if (wait > 0) {
      res.set('Retry-After', String(wait));
      throw new TooManyRequests(`Too many attempts: try again in ${Math.ceil(wait / 60)} minute(s)`);
    }
    const body = inviteBody.parse(req.body ?? {});
    const hash = await hashPassword(body.password);
    const user = await db.transaction(async (tx) => {
      const invited = await consumeInvite(tx as unknown as Db, body.token, clock.now());
      if (invited) await setStaffPassword(tx as unknown as Db, invited.id, hash);
      return invited;
    });
    if (!user) {
      limiter.recordFailure('invite', ip, now);
      throw new Forbidden(
        'invite_invalid',
        'This invitation link was already used or has expired: ask an admin for a new one',
      );
    }
    const session = await startSession(res, user.id);
    res.json({
      user: { id: user.id, email: user.email, name: user.name, role: user.role },
      csrfToken: session.csrfToken,
    });
  });

  router.post('/logout', auth.api, async (_req, res) => {
    const principal = principalOf(res);
    if (principal.kind === 'staff') await deleteSession(db, principal.sessionHash);
    res.clearCookie(SESSION_COOKIE, auth.clearCookieOptions());
    res.json({ signedOut: true, csrfHeader: CSRF_HEADER });
  });

  router.use('/assets', pageFiles(path.join(WEB_DIR, 'assets')));

  // The app: the queue, a conversation (/inbox/c/<id>) and the team page, all signed in.
  router.get(['/', '/c/:id', '/team'], auth.page, page('index.html'));
  return router;
}
