import { randomBytes } from 'node:crypto';

export interface LiveServerEnvOptions {
  databaseUrl: string;
  graphUrl: string;
  appSecret: string;
  phoneNumberId: string;
  dataDir: string;
}

/**
 * Environment for the real server (`src/main.ts`) in live WhatsApp mode against local stubs.
 * Outside services are blanked, so nothing leaves this machine whatever the caller's shell holds.
 */
export function liveServerEnv(options: LiveServerEnvOptions): Record<string, string> {
  return {
    DATABASE_URL: options.databaseUrl,
    DATA_DIR: options.dataDir,
    WHATSAPP_ACCESS_TOKEN: 'local-stub-token',
    WHATSAPP_PHONE_NUMBER_ID: options.phoneNumberId,
    WHATSAPP_APP_SECRET: options.appSecret,
    API_TOKEN: randomBytes(18).toString('hex'),
    WHATSAPP_GRAPH_URL: options.graphUrl,
    LOG_LEVEL: 'warn',
    OPENAI_API_KEY: '',
    STRIPE_SECRET_KEY: '',
    STRIPE_WEBHOOK_SECRET: '',
    PAYMENTS_PROVIDER: '',
    REDIS_URL: '',
  };
}
