import { ConfigError, SANDBOX_PHONE_NUMBER_ID, loadConfig } from '../src/config.js';

const live = {
  WHATSAPP_ACCESS_TOKEN: 'token',
  WHATSAPP_PHONE_NUMBER_ID: '106540352242922',
  WHATSAPP_APP_SECRET: 'app-secret',
  API_TOKEN: 'a'.repeat(32),
};

describe('loadConfig', () => {
  test('nothing configured: sandbox, embedded database, sandbox payments, frozen', () => {
    const config = loadConfig({});
    expect(config.whatsapp.mode).toBe('sandbox');
    expect(config.whatsapp.phoneNumberId).toBe(SANDBOX_PHONE_NUMBER_ID);
    expect(config.whatsapp.graphUrl).toBe('http://127.0.0.1:3000/sandbox/graph');
    expect(config.store.databaseUrl).toBeUndefined();
    expect(config.store.dataDir).toMatch(/data$/);
    expect(config.payments.provider).toBe('sandbox');
    expect(config.server.publicBaseUrl).toBe('http://localhost:3000');
    expect(config.whatsapp.mps).toBe(80);
    expect(config.server.host).toBe('127.0.0.1');
    expect(Object.isFrozen(config.whatsapp)).toBe(true);
  });

  test('live WhatsApp needs its app secret: the config cannot be built without it', () => {
    const { WHATSAPP_APP_SECRET: _secret, ...withoutSecret } = live;
    expect(() => loadConfig(withoutSecret)).toThrow(ConfigError);
    expect(() => loadConfig(withoutSecret)).toThrow(
      /WHATSAPP_APP_SECRET: required with live WhatsApp credentials/,
    );
    const config = loadConfig({ ...live, WHATSAPP_GRAPH_URL: 'http://127.0.0.1:9999/' });
    expect(config.whatsapp).toMatchObject({
      mode: 'live',
      appSecret: 'app-secret',
      graphUrl: 'http://127.0.0.1:9999',
    });
  });

  test('one message names every bad variable and what it expects', () => {
    try {
      loadConfig({
        PORT: 'eighty',
        WHATSAPP_MPS: '-3',
        DATABASE_URL: 'mysql://x',
        LOG_LEVEL: 'loud',
        STRIPE_SECRET_KEY: 'pk_test_1',
      });
      throw new Error('expected a ConfigError');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const problems = (error as ConfigError).problems.join('\n');
      expect(problems).toMatch(/PORT: expected a TCP port/);
      expect(problems).toMatch(/WHATSAPP_MPS: expected outbound messages per second/);
      expect(problems).toMatch(/DATABASE_URL: expected a postgres:\/\//);
      expect(problems).toMatch(/LOG_LEVEL: expected one of/);
      expect(problems).toMatch(/STRIPE_SECRET_KEY: expected a Stripe secret key/);
    }
  });

  test('cross-variable rules: half credentials, stripe without webhook secret, live without API token', () => {
    expect(() => loadConfig({ WHATSAPP_ACCESS_TOKEN: 't', WHATSAPP_APP_SECRET: 's' })).toThrow(
      /WHATSAPP_PHONE_NUMBER_ID: required/,
    );
    expect(() => loadConfig({ STRIPE_SECRET_KEY: 'sk_test_abc' })).toThrow(/STRIPE_WEBHOOK_SECRET: required/);
    expect(() => loadConfig({ PAYMENTS_PROVIDER: 'whatsapp' })).toThrow(/needs live WhatsApp credentials/);
    expect(() => loadConfig({ PORT: '0' })).toThrow(/sandbox mode needs a fixed port/);
    const { API_TOKEN: _token, ...withoutToken } = live;
    expect(() => loadConfig(withoutToken)).toThrow(/API_TOKEN: required outside sandbox/);
  });

  test('blank values count as unset, and defaults follow PORT', () => {
    const config = loadConfig({ PORT: '8080', DATABASE_URL: '', OPENAI_API_KEY: '  ' });
    expect(config.server.publicBaseUrl).toBe('http://localhost:8080');
    expect(config.whatsapp.graphUrl).toBe('http://127.0.0.1:8080/sandbox/graph');
    expect(config.store.databaseUrl).toBeUndefined();
    expect(config.openai.apiKey).toBeUndefined();
    expect(
      loadConfig({ STRIPE_SECRET_KEY: 'sk_test_1', STRIPE_WEBHOOK_SECRET: 'whsec_1' }).payments.provider,
    ).toBe('stripe');
  });
});
