/** An error that knows its HTTP meaning; the error handler maps it once. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** 401: the webhook signature is missing or does not match. */
export class BadSignature extends HttpError {
  constructor(message: string) {
    super(401, 'bad_signature', message);
  }
}

/** 401: the request carries no valid API credentials. */
export class Unauthorized extends HttpError {
  constructor(message = 'Send Authorization: Bearer <API_TOKEN>') {
    super(401, 'unauthorized', message);
  }
}

/** 400: the body is not what this route accepts. */
export class InvalidPayload extends HttpError {
  constructor(message: string) {
    super(400, 'invalid_payload', message);
  }
}

/** 413: the body is larger than the configured limit. */
export class PayloadTooLarge extends HttpError {
  constructor(limitBytes: number) {
    super(413, 'payload_too_large', `Body is larger than ${limitBytes} bytes (WEBHOOK_MAX_BODY_BYTES)`);
  }
}

/** 404: nothing here. */
export class NotFound extends HttpError {
  constructor(message = 'Not found') {
    super(404, 'not_found', message);
  }
}

/** 409: the request conflicts with the current state (e.g. outside the 24-hour window). */
export class Conflict extends HttpError {
  constructor(code: string, message: string) {
    super(409, code, message);
  }
}
