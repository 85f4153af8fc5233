import express, { type Response, type Router } from 'express';
import QRCode from 'qrcode';
import { renderText } from '../engine/texts.js';
import type { Clock, Locale } from '../engine/types.js';
import type { Db, PaymentRow } from '../store/index.js';
import { asLocale } from './chatMessage.js';
import type { PaymentDeps } from './deps.js';
import { formatAmount, formatWhen } from './format.js';
import { getPaymentByToken, recordCheckout } from './paymentsRepo.js';
import type { SandboxOutcome, SandboxProvider } from './sandbox/createSandboxProvider.js';
import { PROVIDER_DEADLINE_MS, withDeadline } from './paymentMetrics.js';
import { storePaymentEvents } from './storePaymentEvents.js';

export interface PayRouterOptions {
  db: Db;
  clock: Clock;
  deps: PaymentDeps;
  /** Told when events were stored, so the worker starts at once. */
  onEventStored(): void;
}

/** Tokens are 24 base64url characters; anything else is not one of ours. */
const TOKEN = /^[A-Za-z0-9_-]{16,64}$/;

const PAGE_HEADERS = {
  'Content-Security-Policy':
    "default-src 'none'; img-src 'self'; style-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
  'X-Robots-Tag': 'noindex',
};

const STYLE = `
body{margin:0;font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f0f2f5;color:#111b21}
main{max-width:420px;margin:0 auto;padding:24px 16px}
.card{background:#fff;border-radius:12px;padding:20px;box-shadow:0 1px 3px rgba(0,0,0,.12)}
h1{font-size:1.1rem;margin:0 0 4px;color:#54656f;font-weight:600}
h2{font-size:1.35rem;margin:0 0 16px}
dl{display:grid;grid-template-columns:auto 1fr;gap:6px 12px;margin:0 0 20px}
dt{color:#54656f}dd{margin:0;font-weight:600}
.amount{font-size:2rem;font-weight:700;margin:8px 0 16px}
form{margin:0}button{width:100%;padding:14px;margin-top:10px;border-radius:24px;border:0;font-size:1rem;font-weight:600;cursor:pointer}
.pay{background:#00a884;color:#fff}.decline{background:#fff;color:#c0392b;border:1px solid #c0392b}
.expire{background:#fff;color:#54656f;border:1px solid #d1d7db}
.note{font-size:.85rem;color:#54656f;margin-top:16px}
.status{font-size:1.1rem;margin:8px 0}
.qr{display:block;margin:20px auto 0;width:160px;height:160px}
`;

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * `/pay/<token>`: the link a customer receives. For a provider with a hosted checkout it creates
 * the checkout on first visit (idempotent per payment) and redirects there; in sandbox mode it is
 * the checkout itself, with Pay / Decline / Let it expire. Clear pages for paid, refunded, failed,
 * expired and unknown links; the link as a QR code at `qr.svg` and `qr.png`.
 */
export function createPayRouter(options: PayRouterOptions): Router {
  const { db, clock, deps } = options;
  const router = express.Router();
  const text = (locale: Locale, key: string) => renderText(deps.texts, locale, `payments.page.${key}`, {});
  const linkOf = (token: string) => `${deps.publicBaseUrl}/pay/${token}`;

  router.get('/pay.css', (_req, res) => {
    res
      .set({ 'Content-Type': 'text/css; charset=utf-8', 'Cache-Control': 'public, max-age=3600' })
      .send(STYLE);
  });

  function page(res: Response, status: number, locale: Locale, body: string, refresh = false) {
    res
      .status(status)
      .set(PAGE_HEADERS)
      .type('html')
      .send(
        `<!doctype html><html lang="${locale}"><head><meta charset="utf-8">` +
          `<meta name="viewport" content="width=device-width,initial-scale=1">` +
          (refresh ? '<meta http-equiv="refresh" content="2">' : '') +
          `<title>${escapeHtml(deps.business.name)} · ${escapeHtml(text(locale, 'title'))}</title>` +
          `<link rel="stylesheet" href="/pay/pay.css"></head><body><main><div class="card">` +
          `<h1>${escapeHtml(deps.business.name)}</h1>${body}</div></main></body></html>`,
      );
  }

  const details = (payment: PaymentRow, locale: Locale) =>
    `<h2>${escapeHtml(payment.description)}</h2>` +
    `<div class="amount">${escapeHtml(formatAmount(payment.amount, payment.currency, locale))}</div>` +
    `<dl><dt>${escapeHtml(text(locale, 'reference'))}</dt><dd>${escapeHtml(payment.reference)}</dd></dl>`;

  const statusPage = (res: Response, payment: PaymentRow, locale: Locale, key: string, status = 200) =>
    page(
      res,
      status,
      locale,
      `${details(payment, locale)}<p class="status" role="status">${escapeHtml(text(locale, key))}</p>` +
        (key === 'paid' || key === 'refunded'
          ? `<p class="note">${escapeHtml(text(locale, 'back'))}</p>`
          : ''),
    );

  async function find(token: string | undefined): Promise<PaymentRow | null> {
    if (!token || !TOKEN.test(token)) return null;
    return getPaymentByToken(db, token);
  }

  const unknown = (res: Response) =>
    page(
      res,
      404,
      deps.business.defaultLocale,
      `<p class="status" role="status">${escapeHtml(text(deps.business.defaultLocale, 'unknown'))}</p>`,
    );

  /** The page for a payment that is no longer open, or null when it is. */
  function closed(res: Response, payment: PaymentRow, locale: Locale): boolean {
    const now = clock.now();
    switch (payment.status) {
      case 'succeeded':
        statusPage(res, payment, locale, 'paid');
        return true;
      case 'partially_refunded':
      case 'refunded':
        statusPage(res, payment, locale, 'refunded');
        return true;
      case 'failed':
        statusPage(res, payment, locale, 'failed', 410);
        return true;
      case 'expired':
        statusPage(res, payment, locale, 'expired', 410);
        return true;
      default:
        if (payment.expiresAt <= now) {
          statusPage(res, payment, locale, 'expired', 410);
          return true;
        }
        return false;
    }
  }

  router.get('/:token', async (req, res) => {
    const payment = await find(req.params.token);
    if (!payment) return unknown(res);
    const locale = asLocale(payment.locale, deps.business.defaultLocale);
    if (closed(res, payment, locale)) return;
    const provider = deps.provider;
    if (provider.name !== 'sandbox') {
      let checkoutUrl = payment.checkoutUrl;
      if (!checkoutUrl) {
        try {
          const created = await withDeadline('createPayment', PROVIDER_DEADLINE_MS, () =>
            provider.createPayment({
              paymentId: payment.id,
              reference: payment.reference,
              amount: payment.amount,
              currency: payment.currency,
              description: payment.description,
              items: payment.items as { name: string; quantity: number; amount: number }[],
              locale: payment.locale,
              customerWaId: payment.waId,
              expiresAt: payment.expiresAt,
              returnUrl: linkOf(payment.token),
            }),
          );
          // Two first visits at once: the first stored checkout wins, and both go there.
          checkoutUrl = await recordCheckout(db, payment.id, created.providerRef, created.checkoutUrl);
          await storePaymentEvents(
            db,
            provider.name,
            [pendingEvent(payment, created.providerRef, clock.now())],
            clock.now(),
          );
          options.onEventStored();
        } catch (error) {
          deps.metrics.providerErrors.inc({ operation: 'createPayment' });
          deps.logger.error({ err: error, payment: payment.id }, 'could not open the checkout');
          return page(
            res,
            503,
            locale,
            `<p class="status" role="alert">${escapeHtml(text(locale, 'unavailable'))}</p>`,
          );
        }
      }
      if (!checkoutUrl) return statusPage(res, payment, locale, 'processing');
      return void res.redirect(303, checkoutUrl);
    }
    const sandbox = provider as SandboxProvider;
    const decided = (await sandbox.lookup({ paymentId: payment.id, providerRef: payment.providerRef }))[0];
    if (decided) return statusPage(res, payment, locale, 'processing');
    if (payment.status === 'created') {
      await storePaymentEvents(
        db,
        'sandbox',
        [pendingEvent(payment, `sbx_${payment.id}`, clock.now())],
        clock.now(),
      );
      options.onEventStored();
    }
    const action = (outcome: string, label: string) =>
      `<form method="post" action="/pay/${payment.token}/${outcome}"><button class="${label}" type="submit">${escapeHtml(text(locale, label))}</button></form>`;
    page(
      res,
      200,
      locale,
      details(payment, locale) +
        `<p class="note">${escapeHtml(
          renderText(deps.texts, locale, 'payments.page.valid', {
            when: formatWhen(payment.expiresAt, locale, deps.business.timezone),
          }),
        )}</p>` +
        action('pay', 'pay') +
        action('decline', 'decline') +
        action('expire', 'expire') +
        `<p class="note">${escapeHtml(text(locale, 'sandbox'))}</p>` +
        `<img class="qr" src="/pay/${payment.token}/qr.svg" alt="${escapeHtml(text(locale, 'qr'))}">`,
    );
  });

  const OUTCOMES: Record<string, SandboxOutcome> = { pay: 'succeeded', decline: 'failed', expire: 'expired' };
  router.post('/:token/:action', async (req, res) => {
    const outcome = OUTCOMES[req.params.action];
    if (!outcome || deps.provider.name !== 'sandbox') return unknown(res);
    const payment = await find(req.params.token);
    if (!payment) return unknown(res);
    const locale = asLocale(payment.locale, deps.business.defaultLocale);
    if (closed(res, payment, locale)) return;
    const event = (deps.provider as SandboxProvider).decide(
      { paymentId: payment.id, amount: payment.amount, currency: payment.currency },
      outcome,
    );
    await storePaymentEvents(db, 'sandbox', [event], clock.now());
    options.onEventStored();
    res.redirect(303, `/pay/${payment.token}/done`);
  });

  router.get('/:token/done', async (req, res) => {
    const payment = await find(req.params.token);
    if (!payment) return unknown(res);
    const locale = asLocale(payment.locale, deps.business.defaultLocale);
    if (payment.status === 'created' || payment.status === 'pending') {
      if (payment.expiresAt > clock.now())
        return page(
          res,
          200,
          locale,
          `${details(payment, locale)}<p class="status" role="status">${escapeHtml(text(locale, 'processing'))}</p>`,
          true,
        );
    }
    closed(res, payment, locale);
  });

  router.get('/:token/qr.:format', async (req, res) => {
    const format = req.params.format;
    if (format !== 'svg' && format !== 'png') return unknown(res);
    const payment = await find(req.params.token);
    if (!payment) return unknown(res);
    const link = linkOf(payment.token);
    res.set({ 'Cache-Control': 'private, max-age=300', 'X-Content-Type-Options': 'nosniff' });
    if (format === 'svg')
      return void res.type('image/svg+xml').send(await QRCode.toString(link, { type: 'svg', margin: 1 }));
    res.type('image/png').send(await QRCode.toBuffer(link, { type: 'png', margin: 1, width: 320 }));
  });

  return router;
}

/** The checkout was opened: the payment is now pending at the provider. */
function pendingEvent(payment: PaymentRow, providerRef: string, at: Date) {
  return {
    type: 'PaymentPending' as const,
    paymentId: payment.id,
    providerEventId: `${payment.id}:checkout`,
    providerRef,
    amount: payment.amount,
    currency: payment.currency,
    at,
  };
}
