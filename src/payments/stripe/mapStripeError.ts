import Stripe from 'stripe';
import { codeForHttpStatus, PaymentProviderError } from '../errors.js';

/**
 * Turns whatever stripe-node threw into a {@link PaymentProviderError}: no answer, timeouts, 429
 * and 5xx are retriable; any other 4xx is not. `operation` names what we were doing, so the
 * message tells an operator where to look ("create the Checkout Session for payment pay_1").
 */
export function mapStripeError(error: unknown, operation: string, timeoutMs: number): PaymentProviderError {
  if (error instanceof PaymentProviderError) return error;
  if (!(error instanceof Stripe.errors.StripeError)) {
    const reason = error instanceof Error ? error.message : String(error);
    return new PaymentProviderError('stripe', 'network', `Could not ${operation} on Stripe: ${reason}`, {
      cause: error,
    });
  }
  const request = error.requestId ? ` (Stripe request ${error.requestId})` : '';
  const providerCode = error.code ?? error.type;
  if (error instanceof Stripe.errors.StripeConnectionError || error.statusCode === undefined) {
    const timedOut = /timeout/i.test(error.message);
    return new PaymentProviderError(
      'stripe',
      timedOut ? 'timeout' : 'network',
      timedOut
        ? `Stripe did not answer within ${timeoutMs} ms while trying to ${operation} (STRIPE_TIMEOUT_MS); it will be retried`
        : `Could not reach Stripe to ${operation}: ${error.message}; check the network or STRIPE_API_URL`,
      { providerCode, cause: error },
    );
  }
  const status = error.statusCode;
  const code = codeForHttpStatus(status);
  const detail = error.message || `HTTP ${status}`;
  const message =
    code === 'authentication'
      ? `Stripe refused STRIPE_SECRET_KEY while trying to ${operation} (HTTP ${status}): ${detail}; ` +
        'check the key (or its restricted permissions) in the Stripe Dashboard → Developers → API keys'
      : code === 'rate_limited'
        ? `Stripe is rate-limiting requests (HTTP 429) while trying to ${operation}; it will be retried`
        : code === 'unavailable'
          ? `Stripe failed on its side (HTTP ${status}) while trying to ${operation}: ${detail}; it will be retried`
          : `Stripe refused to ${operation} (HTTP ${status}${error.code ? `, ${error.code}` : ''}): ${detail}`;
  return new PaymentProviderError('stripe', code, message + request, {
    httpStatus: status,
    providerCode,
    cause: error,
  });
}
