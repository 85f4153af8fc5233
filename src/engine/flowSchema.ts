import { z } from 'zod';
import { COMMANDS, INTENTS, PAYMENT_STATUSES } from './types.js';

const name = z.string().regex(/^[a-z][a-z0-9_-]*$/, { message: 'use lowercase letters, digits, - and _' });
/** A key into templates/<locale>.yaml, e.g. `menu.body`. */
const textKey = z
  .string()
  .regex(/^[a-z][a-z0-9_.-]*$/, { message: 'expected a template key such as menu.body' });

export const messageSpec = z.union([
  z.strictObject({ text: textKey }),
  z.strictObject({
    buttons: z.strictObject({
      body: textKey,
      footer: textKey.optional(),
      options: z.array(z.strictObject({ id: name, title: textKey })).min(1),
    }),
  }),
  z.strictObject({
    list: z.strictObject({
      body: textKey,
      button: textKey,
      footer: textKey.optional(),
      sections: z
        .array(
          z.strictObject({
            title: textKey.optional(),
            rows: z
              .array(z.strictObject({ id: name, title: textKey, description: textKey.optional() }))
              .min(1),
          }),
        )
        .min(1),
    }),
  }),
  z.strictObject({ cta: z.strictObject({ body: textKey, button: textKey, url: z.url() }) }),
]);
export type MessageSpec = z.infer<typeof messageSpec>;

export const actionSpec = z.strictObject({
  say: z.array(messageSpec).optional(),
  /** `step` in this flow, or `flow.step`. Entering a step sends what it says. */
  goto: z.string().optional(),
  /** Start another flow at its first step. */
  flow: name.optional(),
  /** Hand the conversation to staff, with this reason. */
  handoff: name.optional(),
  consent: z.enum(['opt_in', 'opt_out']).optional(),
  timer: z.strictObject({ name, afterMinutes: z.number().positive() }).optional(),
  cancelTimer: name.optional(),
  /** Leave the flow; the next message starts from the menu. */
  end: z.literal(true).optional(),
});
export type ActionSpec = z.infer<typeof actionSpec>;

const triggerKey = z.union([
  z.string().regex(/^choice:[a-z][a-z0-9_-]*$/),
  z.templateLiteral(['intent:', z.enum(INTENTS)]),
  z.templateLiteral(['command:', z.enum(COMMANDS)]),
  z.string().regex(/^timer:[a-z][a-z0-9_-]*$/),
  z.templateLiteral(['payment:', z.enum(PAYMENT_STATUSES)]),
  z.enum(['welcome', 'otherwise', 'misunderstood_twice', 'staff_released']),
]);

const handlers = z.record(z.string(), actionSpec).superRefine((record, ctx) => {
  for (const key of Object.keys(record)) {
    if (!triggerKey.safeParse(key).success) {
      ctx.addIssue({
        code: 'custom',
        path: [key],
        message: `unknown trigger "${key}": use choice:<id>, intent:<intent>, command:<${COMMANDS.join('|')}>, timer:<name>, payment:<status>, welcome, otherwise, misunderstood_twice or staff_released`,
      });
    }
  }
});

export const stepSpec = z.strictObject({
  say: z.array(messageSpec).optional(),
  on: handlers.optional(),
  otherwise: actionSpec.optional(),
});
export type StepSpec = z.infer<typeof stepSpec>;

export const flowSpec = z.strictObject({
  id: name,
  version: z.number().int().positive(),
  description: z.string().optional(),
  start: name,
  steps: z.record(name, stepSpec),
  /** Handlers that apply in every step of every flow, unless the step handles the trigger itself. */
  global: handlers.optional(),
});
export type FlowSpec = z.infer<typeof flowSpec>;
