/**
 * Why a payment provider call failed, classified once so callers need no provider knowledge:
 * retry later (`retriable`), or stop and tell someone (`message` says what to fix).
 */
export type PaymentProviderErrorCode =
  /** No answer: connection refused, reset, DNS. */
  | 'network'
  /** No answer within the configured timeout. */
  | 'timeout'
  /** The provider asked us to slow down (HTTP 429). */
  | 'rate_limited'
  /** The provider failed on its side (HTTP 5xx). */
  | 'unavailable'
  /** The API key or access token was refused (HTTP 401/403). */
  | 'authentication'
  /** The provider refused the request as made (HTTP 4xx): fix the input or the account settings. */
  | 'rejected'
  /** The request cannot be built from our data (amounts that do not add up, an id Meta cannot take). */
  | 'invalid_request'
  /** The provider offers no API for this operation. */
  | 'not_supported';

/**
 * A provider call that failed after the adapter's own retries.
 *
 * @example
 * try { await provider.refund(input); }
 * catch (error) {
 *   if (error instanceof PaymentProviderError && error.retriable) scheduleRetry();
 *   else markRefundFailed(error.message);
 * }
 */
export class PaymentProviderError extends Error {
  readonly provider: 'stripe' | 'whatsapp' | 'sandbox';
  readonly code: PaymentProviderErrorCode;
  /** True when the same call may succeed later (network, timeout, 429, 5xx). */
  readonly retriable: boolean;
  /** HTTP status the provider answered with, null when it never answered. */
  readonly httpStatus: number | null;
  /** The provider's own error code (`resource_missing`, Meta's numeric code…), when it gave one. */
  readonly providerCode: string | null;

  constructor(
    provider: 'stripe' | 'whatsapp' | 'sandbox',
    code: PaymentProviderErrorCode,
    message: string,
    details: { httpStatus?: number | null; providerCode?: string | null; cause?: unknown } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'PaymentProviderError';
    this.provider = provider;
    this.code = code;
    this.retriable = RETRIABLE.has(code);
    this.httpStatus = details.httpStatus ?? null;
    this.providerCode = details.providerCode ?? null;
  }
}

const RETRIABLE = new Set<PaymentProviderErrorCode>(['network', 'timeout', 'rate_limited', 'unavailable']);

/** The error code an HTTP status means, for providers that answer with one. */
export function codeForHttpStatus(status: number): PaymentProviderErrorCode {
  if (status === 429) return 'rate_limited';
  if (status >= 500) return 'unavailable';
  if (status === 401 || status === 403) return 'authentication';
  return 'rejected';
}
