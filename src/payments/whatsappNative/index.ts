import type { Config } from '../../config.js';
import type { Clock } from '../../engine/types.js';
import { createWhatsAppNativeProvider, type WhatsAppNativeProvider } from './createWhatsAppNativeProvider.js';

export {
  createWhatsAppNativeProvider,
  type PayRequestInput,
  type SendOrderDetails,
  type SendOrderStatus,
  type WhatsAppNativeProvider,
  type WhatsAppNativeProviderOptions,
} from './createWhatsAppNativeProvider.js';
export { parseWhatsAppPaymentStatus } from './parseWhatsAppPaymentStatus.js';
export { minorUnitsFromOffset } from './minorUnits.js';

/**
 * The native WhatsApp provider when `PAYMENTS_PROVIDER=whatsapp` (which needs live WhatsApp
 * credentials), else null.
 * @example const wa = whatsAppNativeProviderFromConfig(config, { accessToken: secrets.accessToken });
 */
export function whatsAppNativeProviderFromConfig(
  config: Readonly<Config>,
  options: { accessToken?: string; clock?: Clock } = {},
): WhatsAppNativeProvider | null {
  if (config.payments.provider !== 'whatsapp' || config.whatsapp.mode !== 'live') return null;
  const { whatsapp, whatsappPayments } = config;
  return createWhatsAppNativeProvider({
    graph: {
      graphUrl: whatsapp.graphUrl,
      apiVersion: whatsapp.apiVersion,
      phoneNumberId: whatsapp.phoneNumberId,
      accessToken: options.accessToken ?? whatsapp.accessToken,
      timeoutMs: whatsapp.timeoutMs,
    },
    paymentConfiguration: whatsappPayments.configuration ?? '',
    country: whatsappPayments.country,
    indiaMethod: whatsappPayments.method,
    ...(options.clock ? { clock: options.clock } : {}),
  });
}
