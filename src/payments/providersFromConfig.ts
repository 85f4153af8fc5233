import type { Business } from '../business/loadBusiness.js';
import type { Config } from '../config.js';
import { renderText, type TextCatalog } from '../engine/texts.js';
import { LOCALES, type Clock, type Locale } from '../engine/types.js';
import type { InboundPaymentStatusPayload } from '../whatsapp/parseWebhook.js';
import type { PaymentLayerOptions } from './createPaymentLayer.js';
import { formatAmount, formatWhen } from './format.js';
import { stripeProviderFromConfig } from './stripe/index.js';
import { parseWhatsAppPaymentStatus, whatsAppNativeProviderFromConfig } from './whatsappNative/index.js';

export type ProviderSeams = Pick<PaymentLayerOptions, 'provider' | 'parsePaymentStatus' | 'buildChatRequest'>;

/**
 * The real provider `PAYMENTS_PROVIDER` names, with what it plugs into the payment layer: Stripe
 * Checkout, or WhatsApp-native pay requests (the `order_details` message, and the parser for
 * their `payment_status` webhooks). Sandbox needs nothing here: the payment layer builds it.
 * @example createPaymentLayer({ ...options, ...providersFromConfig(config, { accessToken, clock, texts, business }) })
 */
export function providersFromConfig(
  config: Readonly<Config>,
  options: { accessToken: string; clock: Clock; texts: TextCatalog; business: Business },
): ProviderSeams {
  if (config.payments.provider === 'stripe') {
    const provider = stripeProviderFromConfig(config, options.clock);
    return provider ? { provider } : {};
  }
  if (config.payments.provider !== 'whatsapp') return {};
  const wa = whatsAppNativeProviderFromConfig(config, {
    accessToken: options.accessToken,
    clock: options.clock,
  });
  if (!wa) return {};
  const { business, texts, clock } = options;
  return {
    provider: wa,
    parsePaymentStatus: (payload) =>
      parseWhatsAppPaymentStatus(payload as InboundPaymentStatusPayload, clock.now()),
    buildChatRequest: (payment, id) => {
      const locale = (LOCALES as readonly string[]).includes(payment.locale)
        ? (payment.locale as Locale)
        : business.defaultLocale;
      const body = renderText(texts, locale, 'payments.link.body', {
        amount: formatAmount(payment.amount, payment.currency, locale),
        reference: payment.reference,
        description: payment.description,
        when: formatWhen(payment.expiresAt, locale, business.timezone),
      });
      return wa.buildPayRequest({
        effectId: id,
        paymentId: payment.id,
        amount: payment.amount,
        currency: payment.currency,
        description: payment.description,
        items: payment.items as { name: string; quantity: number; amount: number }[],
        expiresAt: payment.expiresAt,
        body,
        // Brazil has no in-chat card payment: the order card points at our pay page.
        ...(config.whatsappPayments.country === 'BR'
          ? { brazil: { paymentLink: `${config.server.publicBaseUrl}/pay/${payment.token}` } }
          : {}),
      });
    },
  };
}
