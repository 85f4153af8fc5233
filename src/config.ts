import path from 'node:path';
import { z } from 'zod';
import { SANDBOX_DISPLAY_PHONE_NUMBER } from './whatsapp/sandbox/buildSandboxWebhook.js';

const blankToUndefined = (value: unknown) =>
  typeof value === 'string' && value.trim() === '' ? undefined : value;
const optionalString = z.preprocess(blankToUndefined, z.string().optional());
const optionalUrl = (what: string) =>
  z.preprocess(
    blankToUndefined,
    z.url({ message: `expected ${what}, e.g. http://127.0.0.1:8080` }).optional(),
  );
const positiveInt = (fallback: number, what: string) =>
  z.preprocess(
    blankToUndefined,
    z.coerce
      .number({ message: `expected ${what}` })
      .int({ message: `expected ${what} (a whole number)` })
      .positive({ message: `expected ${what} (greater than 0)` })
      .default(fallback),
  );

const envSchema = z.object({
  PORT: z.preprocess(
    blankToUndefined,
    z.coerce
      .number({ message: 'expected a TCP port number' })
      .int()
      .min(0, { message: 'expected a TCP port between 0 and 65535' })
      .max(65535, { message: 'expected a TCP port between 0 and 65535' })
      .default(3000),
  ),
  HOST: z.preprocess(
    blankToUndefined,
    z
      .string()
      .regex(/^[\w.:-]+$/, { message: 'expected an interface address such as 127.0.0.1 or 0.0.0.0' })
      .optional(),
  ),
  PUBLIC_BASE_URL: optionalUrl('the public base URL of this server'),
  DATABASE_URL: z.preprocess(
    blankToUndefined,
    z
      .string()
      .regex(/^postgres(ql)?:\/\//, { message: 'expected a postgres:// or postgresql:// connection URL' })
      .optional(),
  ),
  DATA_DIR: z.preprocess(blankToUndefined, z.string().default('./data')),
  WHATSAPP_ACCESS_TOKEN: optionalString,
  WHATSAPP_PHONE_NUMBER_ID: z.preprocess(
    blankToUndefined,
    z.string().regex(/^\d+$/, { message: 'expected the numeric phone number ID from Meta' }).optional(),
  ),
  WHATSAPP_APP_SECRET: optionalString,
  WHATSAPP_VERIFY_TOKEN: optionalString,
  WHATSAPP_GRAPH_URL: optionalUrl('the Graph API base URL'),
  WHATSAPP_API_VERSION: z.preprocess(
    blankToUndefined,
    z
      .string()
      .regex(/^v\d+\.\d+$/, { message: 'expected a Graph API version such as v23.0' })
      .default('v23.0'),
  ),
  WHATSAPP_MPS: positiveInt(80, 'outbound messages per second'),
  WHATSAPP_TIMEOUT_MS: positiveInt(10_000, 'a timeout in milliseconds'),
  OPENAI_API_KEY: optionalString,
  OPENAI_BASE_URL: optionalUrl('an OpenAI-compatible API base URL'),
  OPENAI_MODEL: z.preprocess(blankToUndefined, z.string().default('gpt-4o-mini')),
  OPENAI_TIMEOUT_MS: positiveInt(2_500, 'a timeout in milliseconds'),
  STRIPE_SECRET_KEY: z.preprocess(
    blankToUndefined,
    z
      .string()
      .regex(/^(sk|rk)_(test|live)_/, { message: 'expected a Stripe secret key starting with sk_ or rk_' })
      .optional(),
  ),
  STRIPE_WEBHOOK_SECRET: z.preprocess(
    blankToUndefined,
    z
      .string()
      .startsWith('whsec_', { message: 'expected a Stripe webhook secret starting with whsec_' })
      .optional(),
  ),
  STRIPE_API_URL: optionalUrl('the Stripe API base URL'),
  STRIPE_TIMEOUT_MS: positiveInt(10_000, 'a timeout in milliseconds'),
  WHATSAPP_PAYMENT_CONFIGURATION: optionalString,
  WHATSAPP_PAYMENT_COUNTRY: z.preprocess(
    blankToUndefined,
    z.enum(['IN', 'BR'], { message: 'expected IN (India) or BR (Brazil)' }).default('IN'),
  ),
  WHATSAPP_PAYMENT_METHOD: z.preprocess(
    blankToUndefined,
    z
      .enum(['upi', 'razorpay', 'payu', 'billdesk', 'zaakpay'], {
        message: 'expected upi, razorpay, payu, billdesk or zaakpay',
      })
      .default('upi'),
  ),
  PAYMENTS_PROVIDER: z.preprocess(
    blankToUndefined,
    z
      .enum(['stripe', 'whatsapp', 'sandbox'], { message: 'expected one of stripe, whatsapp, sandbox' })
      .optional(),
  ),
  REDIS_URL: z.preprocess(
    blankToUndefined,
    z
      .string()
      .regex(/^rediss?:\/\//, { message: 'expected a redis:// or rediss:// URL' })
      .optional(),
  ),
  API_TOKEN: z.preprocess(
    blankToUndefined,
    z.string().min(24, { message: 'expected a random token of at least 24 characters' }).optional(),
  ),
  LOG_LEVEL: z.preprocess(
    blankToUndefined,
    z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
        message: 'expected one of fatal, error, warn, info, debug, trace, silent',
      })
      .default('info'),
  ),
  WEBHOOK_MAX_BODY_BYTES: positiveInt(1024 * 1024, 'a size in bytes'),
  WORKER_CONCURRENCY: positiveInt(8, 'how many conversations are processed at once'),
  EVENT_MAX_ATTEMPTS: positiveInt(8, 'how many times a failing event is retried before it is dead-lettered'),
  SEND_MAX_ATTEMPTS: positiveInt(10, 'how many times a send is retried before it is marked failed'),
  AMBIGUOUS_SEND_GRACE_MS: positiveInt(
    30_000,
    'how long to wait for a status webhook before re-sending a message interrupted mid-send',
  ),
  WHATSAPP_WINDOW_TEMPLATE: optionalString,
  WHATSAPP_DISPLAY_PHONE_NUMBER: z.preprocess(
    (value) => (typeof value === 'string' ? value.replace(/[\s()+-]/g, '') : value),
    z.preprocess(
      blankToUndefined,
      z
        .string()
        .regex(/^\d{6,15}$/, {
          message: 'expected the business phone number in international form, e.g. +39 02 1234 5678',
        })
        .optional(),
    ),
  ),
  BROADCAST_SEND_HOURS: z.preprocess(
    blankToUndefined,
    z
      .string()
      .regex(/^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-4]):[0-5]\d$/, {
        message: 'expected local opening of the sending window, e.g. 09:00-20:00 (business time zone)',
      })
      .default('09:00-20:00'),
  ),
  META_DATASET_ID: z.preprocess(
    blankToUndefined,
    z
      .string()
      .regex(/^\d+$/, { message: 'expected the numeric dataset id from Meta Events Manager' })
      .optional(),
  ),
  META_CAPI_ACCESS_TOKEN: optionalString,
  HANDOFF_PICKUP_MINUTES: positiveInt(
    15,
    'minutes a handed-over customer waits before being offered the bot again',
  ),
  HANDOFF_ROUND_ROBIN: z.preprocess(
    blankToUndefined,
    z
      .enum(['true', 'false'], { message: 'expected true or false' })
      .default('false')
      .transform((value) => value === 'true'),
  ),
  SESSION_IDLE_MINUTES: positiveInt(120, 'minutes of inactivity after which a staff session ends'),
  SESSION_MAX_HOURS: positiveInt(12, 'hours after which a staff session ends whatever happens'),
  ADMIN_EMAIL: z.preprocess(blankToUndefined, z.email({ message: 'expected an email address' }).optional()),
  ADMIN_PASSWORD: z.preprocess(
    blankToUndefined,
    z.string().min(10, { message: 'expected a password of at least 10 characters' }).optional(),
  ),
  PAYMENT_LINK_TTL_MINUTES: positiveInt(24 * 60, 'how many minutes a payment link stays valid'),
  BOOKING_HOLD_MINUTES: positiveInt(30, 'how many minutes a slot is held while its deposit is unpaid'),
  PAYMENT_RECONCILE_AFTER_MINUTES: positiveInt(
    10,
    'after how many minutes without news a payment is looked up at the provider',
  ),
  PAYMENT_RECONCILE_INTERVAL_MS: positiveInt(60_000, 'how often payments are reconciled, in milliseconds'),
  PAYMENT_MAX_FRESH_LINKS: z.preprocess(
    blankToUndefined,
    z.coerce.number().int().min(0, { message: 'expected 0 or more fresh links' }).default(3),
  ),
  REFUND_WINDOW_DAYS: positiveInt(14, 'how many days after payment a refund may be asked for'),
  REFUND_DEPOSITS: z.preprocess(
    blankToUndefined,
    z.enum(['true', 'false'], { message: 'expected true or false' }).default('false'),
  ),
  REFUND_MAX_WITHOUT_APPROVAL: z.preprocess(
    blankToUndefined,
    z.coerce
      .number({ message: 'expected an amount in minor units (cents)' })
      .int()
      .min(0, { message: 'expected an amount in minor units (cents), 0 or more' })
      .default(5_000),
  ),
  PAYMENT_REMINDER_DAYS: z.preprocess(
    blankToUndefined,
    z
      .string()
      .regex(/^\s*-?\d+(\s*,\s*-?\d+)*\s*$/, {
        message: 'expected days relative to the due date, comma-separated, such as -3,0,2',
      })
      .default('-3,0,2'),
  ),
  PAYMENT_REMINDER_HOURS: z.preprocess(
    blankToUndefined,
    z
      .string()
      .regex(/^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-4]):[0-5]\d$/, {
        message: 'expected a local time range such as 10:00-14:00',
      })
      .default('10:00-14:00'),
  ),
});

export type Env = Record<string, string | undefined>;

/** The WhatsApp side of the configuration. A live config cannot exist without its app secret. */
export type WhatsAppConfig =
  | {
      mode: 'live';
      accessToken: string;
      phoneNumberId: string;
      appSecret: string;
      verifyToken: string | undefined;
      graphUrl: string;
      apiVersion: string;
      mps: number;
      timeoutMs: number;
    }
  | {
      mode: 'sandbox';
      /** Generated per data directory when not given; signs the emulator's webhooks. */
      appSecret: string | undefined;
      verifyToken: string | undefined;
      accessToken: string | undefined;
      phoneNumberId: string;
      /** The emulator's Graph-compatible endpoint on this server. */
      graphUrl: string;
      apiVersion: string;
      mps: number;
      timeoutMs: number;
    };

export interface Config {
  server: { host: string; port: number; publicBaseUrl: string; webhookMaxBodyBytes: number };
  store: { databaseUrl: string | undefined; dataDir: string };
  whatsapp: WhatsAppConfig;
  openai: { apiKey: string | undefined; baseUrl: string | undefined; model: string; timeoutMs: number };
  stripe: {
    secretKey: string | undefined;
    webhookSecret: string | undefined;
    apiUrl: string | undefined;
    timeoutMs: number;
  };
  /** Native WhatsApp payments (`PAYMENTS_PROVIDER=whatsapp`). */
  whatsappPayments: {
    /** Payment configuration name in WhatsApp Manager; required for India. */
    configuration: string | undefined;
    country: 'IN' | 'BR';
    /** India: UPI intent or the payment gateway behind the configuration. */
    method: 'upi' | 'razorpay' | 'payu' | 'billdesk' | 'zaakpay';
  };
  payments: PaymentsConfig;
  redisUrl: string | undefined;
  apiToken: string | undefined;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  worker: { concurrency: number; eventMaxAttempts: number };
  sender: { maxAttempts: number; ambiguousGraceMs: number; windowTemplate: string | undefined };
  inbox: {
    pickupMinutes: number;
    /** Give each new handoff to the staff member who got one longest ago. */
    roundRobin: boolean;
    sessionIdleMinutes: number;
    sessionMaxHours: number;
    /** The first admin, created on first start when no staff exists yet. */
    admin: { email: string; password: string } | undefined;
  };
  campaigns: CampaignsConfig;
}

/** Click-to-WhatsApp campaigns, broadcasts and the Conversions API. */
export interface CampaignsConfig {
  /** Digits of the business number for wa.me links; undefined in live mode when not set. */
  displayPhoneNumber: string | undefined;
  /** Local times (business time zone) between which broadcasts may send, `HH:MM`. */
  sendHours: { start: string; end: string };
  /** Conversions API: off unless a dataset id and a token are configured. */
  capi: { datasetId: string; accessToken: string } | null;
}

/** Payment links, deposits, reconciliation, refund policy and reminders. Durations in ms. */
export interface PaymentsConfig {
  provider: 'stripe' | 'whatsapp' | 'sandbox';
  linkTtlMs: number;
  holdTtlMs: number;
  reconcileAfterMs: number;
  reconcileIntervalMs: number;
  /** Fresh links sent after a failure or an expiry before the customer is asked to write to us. */
  maxFreshLinks: number;
  refundWindowDays: number;
  depositsRefundable: boolean;
  /** Refunds above this amount (minor units) wait for staff approval. */
  refundMaxWithoutApproval: number;
  /** Days relative to an invoice's due date on which an unpaid one is reminded (-3 = three days before). */
  reminderDays: number[];
  /** Local send hours of the business, HH:MM–HH:MM. */
  reminderHours: { from: string; to: string };
}

/** Raised when the environment cannot make a valid configuration; lists every bad variable. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Phone number id the sandbox emulator uses for the business. */
export const SANDBOX_PHONE_NUMBER_ID = '100000000000001';

/**
 * Parses the environment once into a frozen, feature-grouped configuration.
 *
 * @throws {ConfigError} naming each bad variable and what it expects.
 * @example const config = loadConfig({ PORT: '8080' });
 */
export function loadConfig(env: Env = process.env): Readonly<Config> {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`));
  }
  const e = parsed.data;
  const problems: string[] = [];
  const publicBaseUrl = (e.PUBLIC_BASE_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, '');

  const wantsLive = Boolean(e.WHATSAPP_ACCESS_TOKEN || e.WHATSAPP_PHONE_NUMBER_ID);
  let whatsapp: WhatsAppConfig;
  if (wantsLive) {
    if (!e.WHATSAPP_ACCESS_TOKEN)
      problems.push('WHATSAPP_ACCESS_TOKEN: required when WHATSAPP_PHONE_NUMBER_ID is set');
    if (!e.WHATSAPP_PHONE_NUMBER_ID)
      problems.push('WHATSAPP_PHONE_NUMBER_ID: required when WHATSAPP_ACCESS_TOKEN is set');
    if (!e.WHATSAPP_APP_SECRET)
      problems.push(
        'WHATSAPP_APP_SECRET: required with live WhatsApp credentials, so webhooks can be verified (Meta app settings → Basic → App secret)',
      );
    whatsapp = {
      mode: 'live',
      accessToken: e.WHATSAPP_ACCESS_TOKEN ?? '',
      phoneNumberId: e.WHATSAPP_PHONE_NUMBER_ID ?? '',
      appSecret: e.WHATSAPP_APP_SECRET ?? '',
      verifyToken: e.WHATSAPP_VERIFY_TOKEN,
      graphUrl: (e.WHATSAPP_GRAPH_URL ?? 'https://graph.facebook.com').replace(/\/+$/, ''),
      apiVersion: e.WHATSAPP_API_VERSION,
      mps: e.WHATSAPP_MPS,
      timeoutMs: e.WHATSAPP_TIMEOUT_MS,
    };
  } else {
    whatsapp = {
      mode: 'sandbox',
      appSecret: e.WHATSAPP_APP_SECRET,
      verifyToken: e.WHATSAPP_VERIFY_TOKEN,
      accessToken: undefined,
      phoneNumberId: SANDBOX_PHONE_NUMBER_ID,
      graphUrl: (e.WHATSAPP_GRAPH_URL ?? `http://127.0.0.1:${e.PORT}/sandbox/graph`).replace(/\/+$/, ''),
      apiVersion: e.WHATSAPP_API_VERSION,
      mps: e.WHATSAPP_MPS,
      timeoutMs: e.WHATSAPP_TIMEOUT_MS,
    };
  }

  if (e.STRIPE_WEBHOOK_SECRET && !e.STRIPE_SECRET_KEY)
    problems.push('STRIPE_WEBHOOK_SECRET: set STRIPE_SECRET_KEY too, or remove it');
  const provider = e.PAYMENTS_PROVIDER ?? (e.STRIPE_SECRET_KEY ? 'stripe' : 'sandbox');
  if (provider === 'stripe' && !e.STRIPE_SECRET_KEY)
    problems.push('PAYMENTS_PROVIDER: stripe needs STRIPE_SECRET_KEY');
  if (provider === 'stripe' && e.STRIPE_SECRET_KEY && !e.STRIPE_WEBHOOK_SECRET)
    problems.push(
      'STRIPE_WEBHOOK_SECRET: required with STRIPE_SECRET_KEY, so Stripe webhooks can be verified',
    );
  if (provider === 'whatsapp' && whatsapp.mode !== 'live')
    problems.push('PAYMENTS_PROVIDER: whatsapp needs live WhatsApp credentials');
  if (provider === 'whatsapp' && e.WHATSAPP_PAYMENT_COUNTRY === 'IN' && !e.WHATSAPP_PAYMENT_CONFIGURATION)
    problems.push(
      'WHATSAPP_PAYMENT_CONFIGURATION: required for WhatsApp payments in India (WhatsApp Manager → Payment configurations → name)',
    );
  if (whatsapp.mode === 'sandbox' && e.PORT === 0)
    problems.push('PORT: sandbox mode needs a fixed port (its emulator calls back into this server)');
  if (whatsapp.mode === 'live' && !e.API_TOKEN)
    problems.push('API_TOKEN: required outside sandbox mode (a random string of at least 24 characters)');

  const capiToken = e.META_CAPI_ACCESS_TOKEN ?? e.WHATSAPP_ACCESS_TOKEN;
  if (e.META_DATASET_ID && !capiToken)
    problems.push('META_DATASET_ID: set META_CAPI_ACCESS_TOKEN (or WHATSAPP_ACCESS_TOKEN) too, or remove it');
  const [sendStart, sendEnd] = e.BROADCAST_SEND_HOURS.split('-') as [string, string];
  if (sendStart >= sendEnd)
    problems.push('BROADCAST_SEND_HOURS: the start must be before the end, e.g. 09:00-20:00');
  if (Boolean(e.ADMIN_EMAIL) !== Boolean(e.ADMIN_PASSWORD))
    problems.push('ADMIN_EMAIL and ADMIN_PASSWORD: set both to create the first admin, or neither');
  const [reminderFrom, reminderTo] = e.PAYMENT_REMINDER_HOURS.split('-') as [string, string];
  if (reminderFrom >= reminderTo)
    problems.push('PAYMENT_REMINDER_HOURS: the start must be before the end, such as 10:00-14:00');

  if (problems.length > 0) throw new ConfigError(problems);

  return deepFreeze({
    server: {
      // The sandbox phone page can post as any customer: keep it on this machine unless asked.
      host: e.HOST ?? (whatsapp.mode === 'sandbox' ? '127.0.0.1' : '0.0.0.0'),
      port: e.PORT,
      publicBaseUrl,
      webhookMaxBodyBytes: e.WEBHOOK_MAX_BODY_BYTES,
    },
    store: { databaseUrl: e.DATABASE_URL, dataDir: path.resolve(e.DATA_DIR) },
    whatsapp,
    openai: {
      apiKey: e.OPENAI_API_KEY,
      baseUrl: e.OPENAI_BASE_URL,
      model: e.OPENAI_MODEL,
      timeoutMs: e.OPENAI_TIMEOUT_MS,
    },
    stripe: {
      secretKey: e.STRIPE_SECRET_KEY,
      webhookSecret: e.STRIPE_WEBHOOK_SECRET,
      apiUrl: e.STRIPE_API_URL,
      timeoutMs: e.STRIPE_TIMEOUT_MS,
    },
    whatsappPayments: {
      configuration: e.WHATSAPP_PAYMENT_CONFIGURATION,
      country: e.WHATSAPP_PAYMENT_COUNTRY,
      method: e.WHATSAPP_PAYMENT_METHOD,
    },
    payments: {
      provider,
      linkTtlMs: e.PAYMENT_LINK_TTL_MINUTES * 60_000,
      holdTtlMs: e.BOOKING_HOLD_MINUTES * 60_000,
      reconcileAfterMs: e.PAYMENT_RECONCILE_AFTER_MINUTES * 60_000,
      reconcileIntervalMs: e.PAYMENT_RECONCILE_INTERVAL_MS,
      maxFreshLinks: e.PAYMENT_MAX_FRESH_LINKS,
      refundWindowDays: e.REFUND_WINDOW_DAYS,
      depositsRefundable: e.REFUND_DEPOSITS === 'true',
      refundMaxWithoutApproval: e.REFUND_MAX_WITHOUT_APPROVAL,
      reminderDays: [...new Set(e.PAYMENT_REMINDER_DAYS.split(',').map((d) => Number(d.trim())))].sort(
        (a, b) => a - b,
      ),
      reminderHours: { from: reminderFrom, to: reminderTo },
    },
    redisUrl: e.REDIS_URL,
    apiToken: e.API_TOKEN,
    logLevel: e.LOG_LEVEL,
    worker: { concurrency: e.WORKER_CONCURRENCY, eventMaxAttempts: e.EVENT_MAX_ATTEMPTS },
    sender: {
      maxAttempts: e.SEND_MAX_ATTEMPTS,
      ambiguousGraceMs: e.AMBIGUOUS_SEND_GRACE_MS,
      windowTemplate: e.WHATSAPP_WINDOW_TEMPLATE,
    },
    campaigns: {
      displayPhoneNumber:
        e.WHATSAPP_DISPLAY_PHONE_NUMBER ??
        (whatsapp.mode === 'sandbox' ? SANDBOX_DISPLAY_PHONE_NUMBER : undefined),
      sendHours: { start: sendStart, end: sendEnd },
      capi: e.META_DATASET_ID && capiToken ? { datasetId: e.META_DATASET_ID, accessToken: capiToken } : null,
    },
    inbox: {
      pickupMinutes: e.HANDOFF_PICKUP_MINUTES,
      roundRobin: e.HANDOFF_ROUND_ROBIN,
      sessionIdleMinutes: e.SESSION_IDLE_MINUTES,
      sessionMaxHours: e.SESSION_MAX_HOURS,
      admin:
        e.ADMIN_EMAIL && e.ADMIN_PASSWORD ? { email: e.ADMIN_EMAIL, password: e.ADMIN_PASSWORD } : undefined,
    },
  });
}

function deepFreeze<T>(value: T): Readonly<T> {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
