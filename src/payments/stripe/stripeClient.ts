import Stripe from 'stripe';
import { PaymentProviderError } from '../errors.js';

export interface StripeClientOptions {
  secretKey: string;
  /** Another Stripe-compatible host, e.g. `http://127.0.0.1:12111` for a local stub; no path. */
  apiUrl?: string | undefined;
  timeoutMs: number;
  /** Retries stripe-node makes itself on network errors, 409 and 5xx, each with an idempotency key. */
  maxNetworkRetries: number;
}

/**
 * A stripe-node client with our timeout and retry policy, pointed at `apiUrl` when given.
 *
 * @throws {PaymentProviderError} (`invalid_request`) when `apiUrl` is not an http(s) origin.
 * @example createStripeClient({ secretKey: 'sk_test_…', timeoutMs: 10_000, maxNetworkRetries: 2 });
 */
export function createStripeClient(options: StripeClientOptions): Stripe {
  const config: Stripe.StripeConfig = {
    timeout: options.timeoutMs,
    maxNetworkRetries: options.maxNetworkRetries,
    telemetry: false,
  };
  if (options.apiUrl !== undefined) Object.assign(config, parseApiUrl(options.apiUrl));
  return new Stripe(options.secretKey, config);
}

function parseApiUrl(apiUrl: string): Pick<Stripe.StripeConfig, 'host' | 'port' | 'protocol'> {
  let url: URL;
  try {
    url = new URL(apiUrl);
  } catch {
    throw new PaymentProviderError('stripe', 'invalid_request', `STRIPE_API_URL "${apiUrl}" is not a URL`);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || !['', '/'].includes(url.pathname)) {
    throw new PaymentProviderError(
      'stripe',
      'invalid_request',
      `STRIPE_API_URL "${apiUrl}" must be an http(s) origin such as http://127.0.0.1:12111, without a path`,
    );
  }
  const protocol = url.protocol === 'http:' ? 'http' : 'https';
  return {
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port === '' ? (protocol === 'http' ? 80 : 443) : Number(url.port),
    protocol,
  };
}
