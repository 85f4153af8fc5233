import { BOOKING_TASKS } from './booking.js';
import { CHECKOUT_TASKS } from './checkout.js';
import { COMMON_TASKS } from './common.js';
import { INVOICE_TASKS } from './invoice.js';
import { QUOTE_TASKS } from './quote.js';
import { REFUND_TASKS } from './refund.js';
import type { Task } from './task.js';

/** Every named task a flow file may `do`. */
export const TASKS: Readonly<Record<string, Task>> = {
  ...COMMON_TASKS,
  ...QUOTE_TASKS,
  ...BOOKING_TASKS,
  ...CHECKOUT_TASKS,
  ...REFUND_TASKS,
  ...INVOICE_TASKS,
};
