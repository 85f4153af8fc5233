import { randomUUID } from 'node:crypto';
import { and, desc, eq, lt, type SQL } from 'drizzle-orm';
import express, { type Request, type Router } from 'express';
import { z } from 'zod';
import { PAYMENT_PURPOSES, PAYMENT_STATUSES, type Clock } from '../engine/types.js';
import { Conflict, InvalidPayload, NotFound } from '../server/errors.js';
import {
  getConversation,
  insertInboundEvents,
  invoiceOrders,
  payments,
  refunds,
  type Db,
} from '../store/index.js';
import type { PaymentDeps } from './deps.js';
import type { PaymentRequestPayload } from './handlePaymentQueueEvent.js';
import { CsvError, createInvoice, importInvoicesCsv, invoiceInput } from './invoices.js';
import { getPayment, listTransitions, toPaymentFacts } from './paymentsRepo.js';
import { decideRefund, issueRefund } from './refunds.js';
import { jsonBody } from '../server/jsonBody.js';

const limit = z.coerce.number().int().min(1).max(200).default(50);
const paymentsQuery = z.object({
  status: z.enum(PAYMENT_STATUSES).optional(),
  purpose: z.enum(PAYMENT_PURPOSES).optional(),
  waId: z
    .string()
    .regex(/^\d{6,15}$/)
    .optional(),
  reference: z.string().max(60).optional(),
  before: z.iso.datetime({ message: 'expected an ISO date-time' }).optional(),
  limit,
});
const invoicesQuery = z.object({
  status: z.enum(['open', 'paid', 'cancelled']).optional(),
  waId: z
    .string()
    .regex(/^\d{6,15}$/)
    .optional(),
  dueBefore: z.iso.date({ message: 'expected a date as YYYY-MM-DD' }).optional(),
  limit,
});
const refundsQuery = z.object({
  status: z.enum(['requested', 'approved', 'processing', 'refunded', 'rejected']).optional(),
  limit,
});
const staff = z.string().trim().min(1).max(100).default('api');
const refundBody = z.object({
  amount: z
    .number()
    .int()
    .positive({ message: 'expected an amount in minor units greater than 0' })
    .nullable()
    .default(null),
  reason: z.string().trim().min(1, { message: 'say why the money goes back' }).max(500),
  staff,
});
const decisionBody = z.object({ note: z.string().trim().max(500).nullable().default(null), staff });
const paymentRequestBody = z.object({
  conversationId: z
    .string()
    .regex(/^\d+:\d{6,15}$/, { message: 'expected a conversation id such as 100000000000001:393331234567' }),
  purpose: z.enum(PAYMENT_PURPOSES).default('link'),
  subjectId: z.string().max(100).nullable().default(null),
  reference: z.string().trim().min(1).max(60),
  amount: z.number().int().positive({ message: 'expected the amount in minor units, greater than 0' }),
  currency: z.string().regex(/^[A-Z]{3}$/, { message: 'expected an ISO 4217 code such as EUR' }),
  description: z.string().trim().min(1).max(200),
  items: z
    .array(
      z.object({
        name: z.string().min(1).max(100),
        quantity: z.number().int().positive(),
        amount: z.number().int().nonnegative(),
      }),
    )
    .max(50)
    .default([]),
});

function idempotencyKey(req: Request): string {
  const key = req.get('idempotency-key') ?? randomUUID();
  if (key.length > 200) throw new InvalidPayload('Idempotency-Key is longer than 200 characters');
  return key;
}

/**
 * The payments JSON API, mounted under /api behind the API token: payments, refunds (issue,
 * approve, reject) and invoice orders (create, CSV import with a preview).
 */
export function createPaymentsApi(
  db: Db,
  clock: Clock,
  deps: PaymentDeps,
  onEventStored: () => void,
): Router {
  const router = express.Router();
  router.use(jsonBody('100kb'));

  router.get('/payments', async (req, res) => {
    const q = paymentsQuery.parse(req.query);
    const where: (SQL | undefined)[] = [
      q.status ? eq(payments.status, q.status) : undefined,
      q.purpose ? eq(payments.purpose, q.purpose) : undefined,
      q.waId ? eq(payments.waId, q.waId) : undefined,
      q.reference ? eq(payments.reference, q.reference.toUpperCase()) : undefined,
      q.before ? lt(payments.createdAt, new Date(q.before)) : undefined,
    ];
    const rows = await db
      .select()
      .from(payments)
      .where(and(...where))
      .orderBy(desc(payments.createdAt))
      .limit(q.limit);
    res.json({
      payments: rows.map((row) => ({
        ...toPaymentFacts(row, deps.publicBaseUrl),
        waId: row.waId,
        provider: row.provider,
        expiresAt: row.expiresAt,
      })),
    });
  });

  router.get('/payments/:id', async (req, res) => {
    const payment = await getPayment(db, req.params.id);
    if (!payment) throw new NotFound(`No payment ${req.params.id}`);
    res.json({
      payment: {
        ...toPaymentFacts(payment, deps.publicBaseUrl),
        waId: payment.waId,
        provider: payment.provider,
        providerRef: payment.providerRef,
        expiresAt: payment.expiresAt,
      },
      transitions: await listTransitions(db, payment.id),
      refunds: await db
        .select()
        .from(refunds)
        .where(eq(refunds.paymentId, payment.id))
        .orderBy(refunds.createdAt),
    });
  });

  // Staff send a payment link from the inbox: it queues behind the customer's messages.
  router.post('/payments', async (req, res) => {
    const body = paymentRequestBody.parse(req.body ?? {});
    const conversation = await getConversation(db, body.conversationId);
    if (!conversation) throw new NotFound(`No conversation ${body.conversationId}`);
    const { conversationId, ...rest } = body;
    const payload: PaymentRequestPayload = { ...rest, reference: rest.reference.toUpperCase() };
    const stored = await insertInboundEvents(
      db,
      [
        {
          source: 'staff',
          kind: 'payment_request',
          externalId: `payment_request:${idempotencyKey(req)}`,
          conversationId,
          payload,
        },
      ],
      clock.now(),
    );
    onEventStored();
    res.status(202).json({ accepted: true, duplicate: stored === 0 });
  });

  router.post('/payments/:id/refunds', async (req, res) => {
    const body = refundBody.parse(req.body ?? {});
    const key = idempotencyKey(req);
    const result = await db.transaction((tx) =>
      issueRefund(
        tx as unknown as Db,
        { paymentId: req.params.id, amount: body.amount, reason: body.reason, staff: body.staff, key },
        deps,
        clock.now(),
      ),
    );
    if (result.problem === 'not_found') throw new NotFound(`No payment ${req.params.id}`);
    if (result.problem) throw new Conflict('refund_refused', result.problem);
    onEventStored();
    res.status(201).json({ refund: result.refund });
  });

  router.get('/refunds', async (req, res) => {
    const q = refundsQuery.parse(req.query);
    const rows = await db
      .select()
      .from(refunds)
      .where(q.status ? eq(refunds.status, q.status) : undefined)
      .orderBy(desc(refunds.createdAt))
      .limit(q.limit);
    res.json({ refunds: rows });
  });

  for (const decision of ['approve', 'reject'] as const) {
    router.post(`/refunds/:id/${decision}`, async (req, res) => {
      const body = decisionBody.parse(req.body ?? {});
      const result = await db.transaction((tx) =>
        decideRefund(
          tx as unknown as Db,
          { refundId: req.params.id as string, decision, staff: body.staff, note: body.note },
          deps,
          clock.now(),
        ),
      );
      if (result.problem === 'not_found') throw new NotFound(`No refund ${req.params.id}`);
      if (result.problem) throw new Conflict('refund_not_pending', result.problem);
      onEventStored();
      res.json({ refund: result.refund });
    });
  }

  router.get('/invoices', async (req, res) => {
    const q = invoicesQuery.parse(req.query);
    const rows = await db
      .select()
      .from(invoiceOrders)
      .where(
        and(
          q.status ? eq(invoiceOrders.status, q.status) : undefined,
          q.waId ? eq(invoiceOrders.waId, q.waId) : undefined,
          q.dueBefore ? lt(invoiceOrders.dueDate, q.dueBefore) : undefined,
        ),
      )
      .orderBy(invoiceOrders.dueDate)
      .limit(q.limit);
    res.json({ invoices: rows });
  });

  router.post('/invoices', async (req, res) => {
    const input = invoiceInput.parse(req.body ?? {});
    const result = await createInvoice(db, input, clock.now());
    if ('conflict' in result) throw new Conflict('invoice_exists', result.conflict);
    res.status(result.created ? 201 : 200).json(result);
  });

  router.post(
    '/invoices/import',
    express.text({ type: ['text/csv', 'text/plain', 'application/csv'], limit: '2mb' }),
    async (req, res) => {
      if (typeof req.body !== 'string' || req.body.trim() === '')
        throw new InvalidPayload('Send the CSV as the body with Content-Type: text/csv');
      const nul = req.body.indexOf('\u0000');
      if (nul >= 0) {
        const line = req.body.slice(0, nul).split('\n').length;
        throw new InvalidPayload(
          `Line ${line} of the file contains the NUL character (U+0000), which cannot be stored`,
        );
      }
      const confirm = z.enum(['true', 'false']).default('false').parse(req.query.confirm) === 'true';
      try {
        const report = await importInvoicesCsv(db, req.body, { confirm, now: clock.now() });
        res.status(confirm && report.created > 0 ? 201 : 200).json(report);
      } catch (error) {
        if (error instanceof CsvError) throw new InvalidPayload(error.message);
        throw error;
      }
    },
  );

  return router;
}
