import { z } from 'zod';
import { PAYMENT_PURPOSES, PAYMENT_STATUSES, type PaymentFacts } from './types.js';

const minor = z.number().int().nonnegative();
const instant = z
  .string()
  .refine((value) => !Number.isNaN(Date.parse(value)), { message: 'expected an ISO instant' });

/** A `payment_update` event's payload, checked before it reaches a flow. */
export const paymentFactsSchema: z.ZodType<PaymentFacts> = z.object({
  id: z.string().min(1),
  reference: z.string().min(1),
  purpose: z.enum(PAYMENT_PURPOSES),
  subjectId: z.string().nullable(),
  status: z.enum(PAYMENT_STATUSES),
  amount: minor,
  refundedAmount: minor,
  currency: z.string().regex(/^[A-Z]{3}$/),
  description: z.string(),
  link: z.string().nullable(),
  createdAt: instant,
  paidAt: instant.nullable(),
});
