import type { Config } from '../../config.js';
import type { Clock } from '../../engine/types.js';
import { createStripeProvider, type StripeProvider } from './createStripeProvider.js';

export {
  buildCheckoutParams,
  createStripeProvider,
  eventsFromSession,
  type StripeProvider,
  type StripeProviderOptions,
} from './createStripeProvider.js';
export { parseStripeWebhook, type ParsedStripeWebhook } from './parseStripeWebhook.js';

/**
 * The Stripe provider the configuration asks for, or null when Stripe is not configured.
 * @example const stripe = stripeProviderFromConfig(config, clock); // null in sandbox mode
 */
export function stripeProviderFromConfig(config: Readonly<Config>, clock?: Clock): StripeProvider | null {
  if (!config.stripe.secretKey) return null;
  return createStripeProvider({
    secretKey: config.stripe.secretKey,
    apiUrl: config.stripe.apiUrl,
    timeoutMs: config.stripe.timeoutMs,
    publicBaseUrl: config.server.publicBaseUrl,
    ...(clock ? { clock } : {}),
  });
}
