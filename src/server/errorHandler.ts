import type { ErrorRequestHandler } from 'express';
import { ZodError } from 'zod';
import type { Logger } from '../logger.js';
import { HttpError } from './errors.js';

/** Maps errors to HTTP once: known errors keep their status and message, anything else is a 500. */
export function errorHandler(logger: Logger, webhookMaxBodyBytes: number): ErrorRequestHandler {
  return (error, req, res, _next) => {
    let status = 500;
    let code = 'internal_error';
    let message = 'Something went wrong on our side; the request id is in the X-Request-Id header';
    if (error instanceof HttpError) {
      ({ status, code, message } = error);
    } else if (error instanceof ZodError) {
      status = 400;
      code = 'invalid_request';
      message = error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`).join('; ');
    } else if (error?.type === 'entity.too.large') {
      status = 413;
      code = 'payload_too_large';
      message = req.path.startsWith('/webhooks/')
        ? `Body is larger than ${webhookMaxBodyBytes} bytes (WEBHOOK_MAX_BODY_BYTES)`
        : `Body is larger than ${error.limit ?? 'allowed'} bytes`;
    } else if (error?.type === 'entity.parse.failed') {
      status = 400;
      code = 'invalid_json';
      message = 'Body is not valid JSON';
    }
    if (status >= 500) logger.error({ err: error, reqId: req.id }, 'request failed');
    else logger.info({ reqId: req.id, status, code }, 'request refused');
    res.status(status).json({ error: { code, message } });
  };
}
