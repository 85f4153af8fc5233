import { loadConfig } from '../../src/config.js';
import { stripeProviderFromConfig } from '../../src/payments/stripe/index.js';
import { startStripeStub } from '../helpers/stripeStub.js';

const base = { LOG_LEVEL: 'silent', DATA_DIR: '/tmp/wca-test-unused' };

describe('Stripe configuration', () => {
  test('no key → no Stripe provider; STRIPE_TIMEOUT_MS defaults to 10 s', () => {
    const config = loadConfig(base);
    expect(config.stripe.timeoutMs).toBe(10_000);
    expect(stripeProviderFromConfig(config)).toBeNull();
  });

  test('a bad timeout or a webhook secret without a key is refused with the variable named', () => {
    expect(() => loadConfig({ ...base, STRIPE_TIMEOUT_MS: 'soon' })).toThrow('STRIPE_TIMEOUT_MS');
    expect(() => loadConfig({ ...base, STRIPE_WEBHOOK_SECRET: 'whsec_x' })).toThrow(
      'STRIPE_WEBHOOK_SECRET: set STRIPE_SECRET_KEY too',
    );
  });

  test('a configured key talks to STRIPE_API_URL', async () => {
    const stub = await startStripeStub();
    try {
      const config = loadConfig({
        ...base,
        STRIPE_SECRET_KEY: 'sk_test_config',
        STRIPE_WEBHOOK_SECRET: stub.webhookSecret,
        STRIPE_API_URL: stub.url,
        STRIPE_TIMEOUT_MS: '3000',
      });
      const stripe = stripeProviderFromConfig(config);
      const created = await stripe?.createPayment({
        paymentId: 'pay_cfg',
        reference: 'INV-2026-0001',
        amount: 12000,
        currency: 'EUR',
        description: 'Invoice INV-2026-0001',
        items: [],
        locale: 'fr',
        customerWaId: '33612345678',
        expiresAt: new Date(Date.now() + 3_600_000),
        returnUrl: '/pay/t',
      });
      expect(stub.sessions.get(created?.providerRef ?? '')).toMatchObject({
        locale: 'fr',
        amount_total: 12000,
        cancel_url: 'http://localhost:3000/pay/t?checkout=cancel',
      });
    } finally {
      await stub.close();
    }
  });
});
