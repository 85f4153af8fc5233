import { loadConfig } from '../../src/config.js';
import { whatsAppNativeProviderFromConfig } from '../../src/payments/whatsappNative/index.js';

const live = {
  LOG_LEVEL: 'silent',
  DATA_DIR: '/tmp/wca-test-unused',
  WHATSAPP_ACCESS_TOKEN: 'token',
  WHATSAPP_PHONE_NUMBER_ID: '106540352242922',
  WHATSAPP_APP_SECRET: 'secret',
  API_TOKEN: 'a-random-api-token-of-24-chars',
  PAYMENTS_PROVIDER: 'whatsapp',
};

describe('WhatsApp payments configuration', () => {
  test('India needs WHATSAPP_PAYMENT_CONFIGURATION; the method defaults to UPI', () => {
    expect(() => loadConfig(live)).toThrow(
      'WHATSAPP_PAYMENT_CONFIGURATION: required for WhatsApp payments in India',
    );
    const config = loadConfig({ ...live, WHATSAPP_PAYMENT_CONFIGURATION: 'bella-upi' });
    expect(config.whatsappPayments).toEqual({ configuration: 'bella-upi', country: 'IN', method: 'upi' });
    const provider = whatsAppNativeProviderFromConfig(config);
    expect(provider?.name).toBe('whatsapp');
    expect(
      provider?.buildPayRequest({
        effectId: 'e:0',
        paymentId: 'pay_1',
        amount: 50000,
        currency: 'INR',
        description: 'Gift card',
        items: [],
        expiresAt: new Date(Date.now() + 3_600_000),
        body: 'Your gift card',
      }).order.payment,
    ).toEqual({ kind: 'upi', configurationName: 'bella-upi' });
  });

  test('Brazil needs no configuration; unknown countries and methods are refused', () => {
    expect(loadConfig({ ...live, WHATSAPP_PAYMENT_COUNTRY: 'BR' }).whatsappPayments.country).toBe('BR');
    expect(() => loadConfig({ ...live, WHATSAPP_PAYMENT_COUNTRY: 'US' })).toThrow(
      'expected IN (India) or BR (Brazil)',
    );
    expect(() => loadConfig({ ...live, WHATSAPP_PAYMENT_METHOD: 'paypal' })).toThrow(
      'WHATSAPP_PAYMENT_METHOD',
    );
  });

  test('no native provider unless PAYMENTS_PROVIDER=whatsapp', () => {
    const { PAYMENTS_PROVIDER: _p, ...rest } = live;
    expect(whatsAppNativeProviderFromConfig(loadConfig(rest))).toBeNull();
  });
});
