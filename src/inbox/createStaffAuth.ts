import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Clock } from '../engine/types.js';
import type { Db, StaffUserRow } from '../store/index.js';
import { Forbidden, NotSignedIn } from './errors.js';
import { resumeSession, type SessionLimits, type StaffRole } from './staffRepo.js';

export const SESSION_COOKIE = 'wca_session';
export const CSRF_HEADER = 'x-csrf-token';

/** Who is calling: a machine with the API token, or a signed-in staff member. */
export type Principal =
  { kind: 'token' } | { kind: 'staff'; user: StaffUserRow; sessionHash: string; csrfToken: string };

export interface StaffAuth {
  /** For `/api`: the bearer token or a staff session; writes by a session need the CSRF token. */
  api: RequestHandler;
  /** For pages: a staff session, or a redirect to the sign-in page. */
  page: RequestHandler;
  /** Reads the session cookie, if any, without refusing. */
  optional: RequestHandler;
  /** Cookie attributes for a session lasting `maxAgeMs` (relative, so client clock skew does not matter). */
  cookieOptions(maxAgeMs: number): CookieOptions;
  clearCookieOptions(): CookieOptions;
  limits: SessionLimits;
}

interface CookieOptions {
  httpOnly: true;
  secure: boolean;
  sameSite: 'lax';
  path: '/';
  maxAge?: number;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const digest = (value: string) => createHash('sha256').update(value).digest();
const sameSecret = (a: string, b: string) => timingSafeEqual(digest(a), digest(b));

/** The principal a request was authenticated as; throws when the route was not behind auth. */
export function principalOf(res: Response): Principal {
  const principal = res.locals.principal as Principal | undefined;
  if (!principal) throw new NotSignedIn();
  return principal;
}

/** The staff member behind a request; the API token cannot act as a person. */
export function staffOf(res: Response): StaffUserRow {
  const principal = principalOf(res);
  if (principal.kind !== 'staff')
    throw new Forbidden('staff_only', 'This action is done by a person: sign in to the inbox to do it');
  return principal.user;
}

/** Refuses a staff member without one of these roles (the API token counts as an admin). */
export function requireRole(...roles: StaffRole[]): RequestHandler {
  return (_req, res, next) => {
    const principal = principalOf(res);
    if (principal.kind === 'staff' && !roles.includes(principal.user.role))
      return next(new Forbidden('wrong_role', `Only ${roles.join(' or ')} staff may do this`));
    next();
  };
}

export function readCookie(req: Request, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return decodeURIComponent(rest.join('='));
  }
  return undefined;
}

/**
 * Sessions and the API token. Session cookies are HttpOnly, SameSite=Lax, Secure behind https;
 * CSRF uses a synchronizer token kept with the session and sent back in `X-CSRF-Token`.
 */
export function createStaffAuth(options: {
  db: Db;
  clock: Clock;
  apiToken: string;
  secureCookies: boolean;
  limits: SessionLimits;
}): StaffAuth {
  const { db, clock, limits } = options;
  const expectedToken = digest(options.apiToken);

  async function fromSession(req: Request): Promise<Principal | null> {
    const cookie = readCookie(req, SESSION_COOKIE);
    if (!cookie || cookie.length > 100) return null;
    const session = await resumeSession(db, cookie, clock.now(), limits);
    return session
      ? { kind: 'staff', user: session.user, sessionHash: session.idHash, csrfToken: session.csrfToken }
      : null;
  }

  const api: RequestHandler = (req, res, next) => {
    void (async () => {
      const bearer = /^Bearer (.+)$/.exec(req.get('authorization') ?? '');
      if (bearer) {
        if (!timingSafeEqual(digest(bearer[1] as string), expectedToken))
          throw new NotSignedIn('The bearer token does not match API_TOKEN');
        res.locals.principal = { kind: 'token' } satisfies Principal;
        return;
      }
      const principal = await fromSession(req);
      if (!principal || principal.kind !== 'staff') throw new NotSignedIn();
      if (!SAFE_METHODS.has(req.method)) {
        const given = req.get(CSRF_HEADER);
        if (!given) throw new Forbidden('csrf_missing', 'Send the X-CSRF-Token header the session gave you');
        if (!sameSecret(given, principal.csrfToken))
          throw new Forbidden('csrf_mismatch', 'X-CSRF-Token does not match this session; reload the page');
      }
      res.locals.principal = principal;
    })().then(() => next(), next as (error: unknown) => void);
  };

  const page: RequestHandler = (req, res, next: NextFunction) => {
    fromSession(req).then((principal) => {
      if (!principal) {
        const back = encodeURIComponent(req.originalUrl);
        return res.redirect(303, `/inbox/login?next=${back}`);
      }
      res.locals.principal = principal;
      next();
    }, next);
  };

  const optional: RequestHandler = (req, res, next) => {
    fromSession(req).then((principal) => {
      if (principal) res.locals.principal = principal;
      next();
    }, next);
  };

  return {
    api,
    page,
    optional,
    limits,
    cookieOptions: (maxAge) => ({
      httpOnly: true,
      secure: options.secureCookies,
      sameSite: 'lax',
      path: '/',
      maxAge,
    }),
    clearCookieOptions: () => ({ httpOnly: true, secure: options.secureCookies, sameSite: 'lax', path: '/' }),
  };
}
