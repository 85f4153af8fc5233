import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';

/**
 * A local stand-in for the parts of the Stripe API the Stripe provider uses, for tests: Checkout
 * Sessions (create, retrieve with `expand`, expire), Refunds (create, with Stripe's idempotency
 * rules) and PaymentIntents (retrieve), with in-memory state. Listens on 127.0.0.1 only.
 *
 * Customer actions that happen on Stripe's hosted page are test controls (`completeSession`,
 * `failAsyncPayment`), and `signedEvent` produces webhook deliveries signed like Stripe's.
 */
export interface StripeStub {
  /** `STRIPE_API_URL` for the provider. */
  url: string;
  webhookSecret: string;
  requests: StubRequest[];
  sessions: Map<string, StubSession>;
  paymentIntents: Map<string, StubPaymentIntent>;
  refunds: Map<string, StubRefund>;
  /** The customer paid (card: `paid`) or started a delayed method (`unpaid`, e.g. SEPA debit). */
  completeSession(sessionId: string, paymentStatus?: 'paid' | 'unpaid'): StubPaymentIntent;
  /** A delayed payment settled. */
  succeedAsyncPayment(sessionId: string): void;
  /** A delayed payment was declined. */
  failAsyncPayment(sessionId: string, message?: string): void;
  /** Stripe's own expiry of an open session. */
  expireSession(sessionId: string): void;
  /** Answer the next `count` requests with this HTTP status and a Stripe error body. */
  failNext(count: number, status: number, error?: { type?: string; message?: string; code?: string }): void;
  /** Hold the answer to the next `count` requests for `ms`. */
  delayNext(count: number, ms: number): void;
  /** A webhook body and its `Stripe-Signature` header, signed with `webhookSecret` (or another secret). */
  signedEvent(
    type: string,
    object: unknown,
    options?: { id?: string; created?: number; secret?: string; timestamp?: number },
  ): { body: string; signature: string; id: string };
  close(): Promise<void>;
}

export interface StubRequest {
  method: string;
  path: string;
  idempotencyKey: string | null;
  params: Record<string, unknown>;
}

export interface StubSession {
  id: string;
  object: 'checkout.session';
  mode: string;
  status: 'open' | 'complete' | 'expired';
  payment_status: 'paid' | 'unpaid' | 'no_payment_required';
  amount_total: number;
  currency: string;
  client_reference_id: string | null;
  metadata: Record<string, string>;
  payment_intent: string | null;
  url: string | null;
  expires_at: number;
  created: number;
  locale: string | null;
  success_url: string;
  cancel_url: string;
  line_items: { quantity: number; currency: string; unit_amount: number; name: string }[];
  payment_intent_data: { metadata: Record<string, string>; description?: string };
}

export interface StubPaymentIntent {
  id: string;
  object: 'payment_intent';
  status: 'succeeded' | 'processing' | 'requires_payment_method' | 'canceled';
  amount: number;
  currency: string;
  metadata: Record<string, string>;
  latest_charge: string;
  last_payment_error: { message: string; code: string } | null;
  cancellation_reason: string | null;
}

export interface StubRefund {
  id: string;
  object: 'refund';
  amount: number;
  currency: string;
  status: 'succeeded' | 'pending' | 'failed';
  payment_intent: string;
  charge: string;
  metadata: Record<string, string>;
  created: number;
  failure_reason: string | null;
}

interface StubCharge {
  id: string;
  object: 'charge';
  amount: number;
  amount_refunded: number;
  refunded: boolean;
  currency: string;
  payment_intent: string;
  metadata: Record<string, string>;
  created: number;
}

class StubError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

const WEBHOOK_SECRET = 'whsec_stub_0123456789abcdef';

export async function startStripeStub(options: { now?: () => number } = {}): Promise<StripeStub> {
  const nowSeconds = () => Math.floor((options.now?.() ?? Date.now()) / 1000);
  const requests: StubRequest[] = [];
  const sessions = new Map<string, StubSession>();
  const paymentIntents = new Map<string, StubPaymentIntent>();
  const charges = new Map<string, StubCharge>();
  const refunds = new Map<string, StubRefund>();
  const idempotent = new Map<string, { fingerprint: string; status: number; body: unknown }>();
  const failures: { status: number; error: { type?: string; message?: string; code?: string } }[] = [];
  const delays: number[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let counter = 0;
  const nextId = (prefix: string) => `${prefix}_test_${String(++counter).padStart(6, '0')}`;
  let baseUrl = '';

  const chargeView = (charge: StubCharge, expandRefunds: boolean) => {
    const list = [...refunds.values()].filter((refund) => refund.charge === charge.id);
    return expandRefunds
      ? { ...charge, refunds: { object: 'list', data: list.reverse(), has_more: false } }
      : charge;
  };
  const intentView = (intent: StubPaymentIntent, expand: Set<string>, prefix: string) => {
    const charge = charges.get(intent.latest_charge);
    if (!expand.has(`${prefix}latest_charge`) || !charge) return intent;
    return { ...intent, latest_charge: chargeView(charge, expand.has(`${prefix}latest_charge.refunds`)) };
  };
  const sessionView = (session: StubSession, expand: Set<string>) => {
    const { line_items: _items, payment_intent_data: _data, ...rest } = session;
    const intent = session.payment_intent ? paymentIntents.get(session.payment_intent) : undefined;
    return {
      ...rest,
      payment_intent:
        intent && expand.has('payment_intent')
          ? intentView(intent, expand, 'payment_intent.')
          : session.payment_intent,
    };
  };
  const getSession = (id: string) => {
    const session = sessions.get(id);
    if (!session) {
      throw new StubError(
        404,
        'invalid_request_error',
        `No such checkout.session: '${id}'`,
        'resource_missing',
      );
    }
    return session;
  };
  const metadataOf = (value: unknown): Record<string, string> =>
    value && typeof value === 'object' ? (value as Record<string, string>) : {};

  const routes: [string, RegExp, (match: RegExpMatchArray, params: Record<string, unknown>) => unknown][] = [
    [
      'POST',
      /^\/v1\/checkout\/sessions$/,
      (_match, params) => {
        const lineItems = (params.line_items as Record<string, unknown>[] | undefined) ?? [];
        if (lineItems.length === 0) {
          throw new StubError(
            400,
            'invalid_request_error',
            'Missing required param: line_items.',
            'parameter_missing',
          );
        }
        const items = lineItems.map((raw) => {
          const price = raw.price_data as {
            currency: string;
            unit_amount: string;
            product_data: { name: string };
          };
          return {
            quantity: Number(raw.quantity),
            currency: price.currency,
            unit_amount: Number(price.unit_amount),
            name: price.product_data.name,
          };
        });
        const expiresAt = Number(params.expires_at ?? nowSeconds() + 86_400);
        const lifetime = expiresAt - nowSeconds();
        if (lifetime < 1800 || lifetime > 86_400) {
          throw new StubError(
            400,
            'invalid_request_error',
            'The `expires_at` timestamp must be between 30 minutes and 24 hours from Checkout Session creation.',
            'parameter_invalid_integer',
          );
        }
        const id = nextId('cs');
        const data = (params.payment_intent_data as Record<string, unknown> | undefined) ?? {};
        const session: StubSession = {
          id,
          object: 'checkout.session',
          mode: String(params.mode),
          status: 'open',
          payment_status: 'unpaid',
          amount_total: items.reduce((sum, item) => sum + item.unit_amount * item.quantity, 0),
          currency: items[0]?.currency ?? 'eur',
          client_reference_id: (params.client_reference_id as string | undefined) ?? null,
          metadata: metadataOf(params.metadata),
          payment_intent: null,
          url: `${baseUrl}/c/pay/${id}`,
          expires_at: expiresAt,
          created: nowSeconds(),
          locale: (params.locale as string | undefined) ?? null,
          success_url: String(params.success_url),
          cancel_url: String(params.cancel_url),
          line_items: items,
          payment_intent_data: {
            metadata: metadataOf(data.metadata),
            ...(typeof data.description === 'string' ? { description: data.description } : {}),
          },
        };
        sessions.set(id, session);
        return sessionView(session, new Set());
      },
    ],
    [
      'GET',
      /^\/v1\/checkout\/sessions\/([^/]+)$/,
      (match, params) =>
        sessionView(getSession(match[1] as string), new Set((params.expand as string[] | undefined) ?? [])),
    ],
    [
      'POST',
      /^\/v1\/checkout\/sessions\/([^/]+)\/expire$/,
      (match) => {
        const session = getSession(match[1] as string);
        if (session.status !== 'open') {
          throw new StubError(
            400,
            'invalid_request_error',
            `Only Checkout Sessions with a status in ["open"] can be expired. This Checkout Session has a status of "${session.status}".`,
          );
        }
        session.status = 'expired';
        session.url = null;
        return sessionView(session, new Set());
      },
    ],
    [
      'GET',
      /^\/v1\/payment_intents\/([^/]+)$/,
      (match, params) => {
        const intent = paymentIntents.get(match[1] as string);
        if (!intent) {
          throw new StubError(
            404,
            'invalid_request_error',
            `No such payment_intent: '${match[1]}'`,
            'resource_missing',
          );
        }
        return intentView(intent, new Set((params.expand as string[] | undefined) ?? []), '');
      },
    ],
    [
      'POST',
      /^\/v1\/refunds$/,
      (_match, params) => {
        const intent = paymentIntents.get(String(params.payment_intent));
        if (!intent) {
          throw new StubError(
            404,
            'invalid_request_error',
            `No such payment_intent: '${String(params.payment_intent)}'`,
            'resource_missing',
          );
        }
        const charge = charges.get(intent.latest_charge) as StubCharge;
        if (intent.status !== 'succeeded') {
          throw new StubError(
            400,
            'invalid_request_error',
            `This PaymentIntent (${intent.id}) does not have a successful charge to refund.`,
            'charge_not_refundable',
          );
        }
        const amount =
          params.amount === undefined ? charge.amount - charge.amount_refunded : Number(params.amount);
        if (amount > charge.amount - charge.amount_refunded) {
          throw new StubError(
            400,
            'invalid_request_error',
            `Refund amount (${amount}) is greater than unrefunded amount on charge (${charge.amount - charge.amount_refunded})`,
            'amount_too_large',
          );
        }
        const refund: StubRefund = {
          id: nextId('re'),
          object: 'refund',
          amount,
          currency: charge.currency,
          status: 'succeeded',
          payment_intent: intent.id,
          charge: charge.id,
          metadata: metadataOf(params.metadata),
          created: nowSeconds(),
          failure_reason: null,
        };
        refunds.set(refund.id, refund);
        charge.amount_refunded += amount;
        charge.refunded = charge.amount_refunded === charge.amount;
        return refund;
      },
    ],
  ];

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const raw = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://stub');
    const params = decodeForm(req.method === 'GET' ? url.search.slice(1) : raw);
    const idempotencyKey = (req.headers['idempotency-key'] as string | undefined) ?? null;
    requests.push({ method: req.method ?? '', path: url.pathname, idempotencyKey, params });
    const send = (status: number, body: unknown) => {
      res.writeHead(status, {
        'content-type': 'application/json',
        'request-id': `req_stub_${requests.length}`,
      });
      res.end(JSON.stringify(body));
    };
    const delay = delays.shift();
    if (delay !== undefined) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          timers.delete(timer);
          resolve();
        }, delay);
        timers.add(timer);
      });
      if (res.destroyed || req.destroyed) return;
    }
    const failure = failures.shift();
    if (failure) {
      return send(failure.status, {
        error: {
          type: failure.error.type ?? 'api_error',
          message: failure.error.message ?? 'An unknown error occurred',
          ...(failure.error.code ? { code: failure.error.code } : {}),
        },
      });
    }
    if (!/^Bearer (sk|rk)_test_/.test(req.headers.authorization ?? '')) {
      return send(401, {
        error: { type: 'invalid_request_error', message: 'Invalid API Key provided: sk_live_***' },
      });
    }
    const fingerprint = `${req.method} ${url.pathname} ${raw}`;
    if (idempotencyKey !== null && req.method === 'POST') {
      const earlier = idempotent.get(idempotencyKey);
      if (earlier) {
        if (earlier.fingerprint !== fingerprint) {
          return send(400, {
            error: {
              type: 'idempotency_error',
              message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${idempotencyKey}' if you meant to execute a different request.`,
            },
          });
        }
        res.setHeader('idempotent-replayed', 'true');
        return send(earlier.status, earlier.body);
      }
    }
    for (const [method, pattern, run] of routes) {
      const match = url.pathname.match(pattern);
      if (method !== req.method || !match) continue;
      let status = 200;
      let body: unknown;
      try {
        body = run(match, params);
      } catch (error) {
        if (!(error instanceof StubError)) throw error;
        status = error.status;
        body = {
          error: { type: error.type, message: error.message, ...(error.code ? { code: error.code } : {}) },
        };
      }
      if (idempotencyKey !== null && req.method === 'POST')
        idempotent.set(idempotencyKey, { fingerprint, status, body });
      return send(status, body);
    }
    send(404, {
      error: {
        type: 'invalid_request_error',
        message: `Unrecognized request URL (${req.method}: ${url.pathname}).`,
      },
    });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { type: 'api_error', message: String(error) } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const settle = (sessionId: string, status: StubPaymentIntent['status']): StubPaymentIntent => {
    const session = getSession(sessionId);
    if (session.status !== 'open') throw new Error(`session ${sessionId} is ${session.status}`);
    const intentId = nextId('pi');
    const charge: StubCharge = {
      id: nextId('ch'),
      object: 'charge',
      amount: session.amount_total,
      amount_refunded: 0,
      refunded: false,
      currency: session.currency,
      payment_intent: intentId,
      // Charges carry the PaymentIntent's metadata, which is how charge events find our payment.
      metadata: { ...session.payment_intent_data.metadata },
      created: nowSeconds(),
    };
    const intent: StubPaymentIntent = {
      id: intentId,
      object: 'payment_intent',
      status,
      amount: session.amount_total,
      currency: session.currency,
      metadata: { ...session.payment_intent_data.metadata },
      latest_charge: charge.id,
      last_payment_error: null,
      cancellation_reason: null,
    };
    charges.set(charge.id, charge);
    paymentIntents.set(intent.id, intent);
    session.status = 'complete';
    session.url = null;
    session.payment_intent = intent.id;
    return intent;
  };

  return {
    url: baseUrl,
    webhookSecret: WEBHOOK_SECRET,
    requests,
    sessions,
    paymentIntents,
    refunds,
    completeSession(sessionId, paymentStatus = 'paid') {
      const intent = settle(sessionId, paymentStatus === 'paid' ? 'succeeded' : 'processing');
      getSession(sessionId).payment_status = paymentStatus;
      return intent;
    },
    succeedAsyncPayment(sessionId) {
      const session = getSession(sessionId);
      (paymentIntents.get(session.payment_intent as string) as StubPaymentIntent).status = 'succeeded';
      session.payment_status = 'paid';
    },
    failAsyncPayment(sessionId, message = 'The bank declined the direct debit.') {
      const session = getSession(sessionId);
      const intent = paymentIntents.get(session.payment_intent as string) as StubPaymentIntent;
      intent.status = 'requires_payment_method';
      intent.last_payment_error = { message, code: 'payment_method_provider_decline' };
    },
    expireSession(sessionId) {
      const session = getSession(sessionId);
      session.status = 'expired';
      session.url = null;
    },
    failNext(count, status, error = {}) {
      for (let i = 0; i < count; i++) failures.push({ status, error });
    },
    delayNext(count, ms) {
      for (let i = 0; i < count; i++) delays.push(ms);
    },
    signedEvent(type, object, eventOptions = {}) {
      const id = eventOptions.id ?? nextId('evt');
      const body = JSON.stringify({
        id,
        object: 'event',
        api_version: '2026-10-28.endive',
        created: eventOptions.created ?? nowSeconds(),
        data: { object },
        livemode: false,
        pending_webhooks: 1,
        request: { id: null, idempotency_key: null },
        type,
      });
      const signature = Stripe.webhooks.generateTestHeaderString({
        payload: body,
        secret: eventOptions.secret ?? WEBHOOK_SECRET,
        timestamp: eventOptions.timestamp ?? nowSeconds(),
      });
      return { body, signature, id };
    },
    async close() {
      for (const timer of timers) clearTimeout(timer);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Charges and refunds as they appear inside webhook events. */
export function chargeObject(stub: StripeStub, paymentIntentId: string): Record<string, unknown> {
  const intent = stub.paymentIntents.get(paymentIntentId);
  if (!intent) throw new Error(`no payment intent ${paymentIntentId}`);
  const refundList = [...stub.refunds.values()].filter((refund) => refund.payment_intent === paymentIntentId);
  const refunded = refundList.reduce((sum, refund) => sum + refund.amount, 0);
  return {
    id: intent.latest_charge,
    object: 'charge',
    amount: intent.amount,
    amount_refunded: refunded,
    refunded: refunded === intent.amount,
    currency: intent.currency,
    payment_intent: intent.id,
    metadata: { ...intent.metadata },
    created: 1,
    refunds: { object: 'list', data: refundList.reverse(), has_more: false },
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Stripe's form encoding (`a[b][0][c]=x`) back into objects and arrays. */
export function decodeForm(encoded: string): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(encoded)) {
    const path = key.replace(/\]/g, '').split('[');
    let node: Record<string, unknown> = root;
    path.forEach((part, index) => {
      if (index === path.length - 1) {
        node[part] = value;
        return;
      }
      node[part] ??= {};
      node = node[part] as Record<string, unknown>;
    });
  }
  return arraysFromIndexes(root) as Record<string, unknown>;
}

function arraysFromIndexes(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const entries = Object.entries(value as Record<string, unknown>).map(
    ([key, inner]) => [key, arraysFromIndexes(inner)] as const,
  );
  if (entries.length > 0 && entries.every(([key]) => /^\d+$/.test(key))) {
    return entries.sort(([a], [b]) => Number(a) - Number(b)).map(([, inner]) => inner);
  }
  return Object.fromEntries(entries);
}
