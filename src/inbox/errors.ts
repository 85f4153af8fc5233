import { HttpError } from '../server/errors.js';

/** 403: signed in, but this person may not do this. */
export class Forbidden extends HttpError {
  constructor(code: string, message: string) {
    super(403, code, message);
  }
}

/** 429: too many attempts; the route sets Retry-After. */
export class TooManyRequests extends HttpError {
  constructor(message: string) {
    super(429, 'too_many_requests', message);
  }
}

/** 401 for a missing or ended staff session. */
export class NotSignedIn extends HttpError {
  constructor(message = 'Sign in at /inbox/login, or send Authorization: Bearer <API_TOKEN>') {
    super(401, 'unauthorized', message);
  }
}
