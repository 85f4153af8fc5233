import { z } from 'zod';
import { COMMANDS, INTENTS, PAYMENT_PURPOSES, PAYMENT_STATUSES } from './types.js';

const name = z.string().regex(/^[a-z][a-z0-9_-]*$/, { message: 'use lowercase letters, digits, - and _' });
/** A conversation variable set by a task, e.g. `bookingStart`. */
const varName = z
  .string()
  .regex(/^[a-zA-Z][a-zA-Z0-9_]*$/, { message: 'expected a variable name such as bookingStart' });
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
  /**
   * Options computed by a task (free slots, services, products): reply buttons when they fit
   * (at most 3, titles up to 20 characters), a list otherwise. A tap triggers `pick`.
   */
  z.strictObject({
    choices: z.strictObject({
      body: textKey,
      /** The list button, used when the options do not fit in reply buttons. */
      button: textKey,
      /** The variable holding `{ id, title, description? }[]`, set by a task. */
      from: varName,
      footer: textKey.optional(),
      /** Fixed options after the computed ones, such as "another day". */
      extra: z.array(z.strictObject({ id: name, title: textKey })).optional(),
    }),
  }),
  /**
   * A message that may go out after the 24-hour window (reminders, follow-ups, payment news):
   * free text inside the window, the named WhatsApp template outside it.
   */
  z.strictObject({ notify: name }),
]);
export type MessageSpec = z.infer<typeof messageSpec>;

const timerSpec = z
  .strictObject({
    name,
    /** Fire this long after now. */
    afterMinutes: z.number().positive().optional(),
    /** Fire relative to the instant in this variable (e.g. the appointment start). */
    atVar: varName.optional(),
    /** With `atVar`: minutes before that instant. */
    beforeMinutes: z.number().nonnegative().optional(),
    /** A variable whose value tells timers of the same name apart (one per booking). */
    keyVar: varName.optional(),
  })
  .refine((t) => (t.afterMinutes === undefined) !== (t.atVar === undefined), {
    message: 'a timer needs exactly one of afterMinutes or atVar',
  });

export interface ActionSpec {
  /** Run a named task first; its outcome picks the branch in `then`. */
  do?: string;
  /** Parameters for the task, configurable per flow (policy hours, windows). */
  with?: Record<string, string | number | boolean>;
  then?: Record<string, ActionSpec>;
  say?: MessageSpec[];
  /** `step` in this flow, or `flow.step`. Entering a step sends what it says. */
  goto?: string;
  /** Start another flow at its first step. */
  flow?: string;
  /** Hand the conversation to staff, with this reason. */
  handoff?: string;
  consent?: 'opt_in' | 'opt_out';
  timer?: z.infer<typeof timerSpec> | z.infer<typeof timerSpec>[];
  cancelTimer?: string | string[];
  /** Leave the flow; the next message starts from the menu. */
  end?: true;
  /** Ask the current step's question again (after answering a question midway), or show the menu. */
  resume?: true;
}

export const actionSpec: z.ZodType<ActionSpec> = z.lazy(() =>
  z.strictObject({
    do: z
      .string()
      .regex(/^[a-z][a-z0-9_-]*\.[a-z][a-z0-9_]*$/, { message: 'expected a task name such as quote.price' })
      .optional(),
    with: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
    then: z.record(name, actionSpec).optional(),
    say: z.array(messageSpec).optional(),
    goto: z.string().optional(),
    flow: name.optional(),
    handoff: name.optional(),
    consent: z.enum(['opt_in', 'opt_out']).optional(),
    timer: z.union([timerSpec, z.array(timerSpec)]).optional(),
    cancelTimer: z.union([name, z.array(name)]).optional(),
    end: z.literal(true).optional(),
    resume: z.literal(true).optional(),
  }),
);

const triggerKey = z.union([
  z.string().regex(/^choice:[a-z][a-z0-9_-]*$/),
  z.templateLiteral(['intent:', z.enum(INTENTS)]),
  z.templateLiteral(['command:', z.enum(COMMANDS)]),
  z.string().regex(/^timer:[a-z][a-z0-9_-]*$/),
  /** A payment changed status: `payment:<status>` or `payment:<purpose>:<status>`. */
  z.templateLiteral(['payment:', z.enum(PAYMENT_STATUSES)]),
  z.templateLiteral(['payment:', z.enum(PAYMENT_PURPOSES), ':', z.enum(PAYMENT_STATUSES)]),
  /** The text holds a reference of this kind (INV-2026-0001, ORD-…, BKG-…, QUO-…). */
  z.enum(['reference:inv', 'reference:ord', 'reference:bkg', 'reference:quo']),
  /**
   * `text`: any text, before intents are looked at (a task answering `none` lets it through);
   * `pick`: one of the computed `choices`; `order`: a catalog order; `location`: a shared location.
   */
  z.enum([
    'welcome',
    'otherwise',
    'misunderstood_twice',
    'staff_released',
    'text',
    'pick',
    'order',
    'location',
  ]),
]);

const handlers = z.record(z.string(), actionSpec).superRefine((record, ctx) => {
  for (const key of Object.keys(record)) {
    if (!triggerKey.safeParse(key).success) {
      ctx.addIssue({
        code: 'custom',
        path: [key],
        message: `unknown trigger "${key}": use choice:<id>, intent:<intent>, command:<${COMMANDS.join('|')}>, timer:<name>, payment:[<purpose>:]<status>, reference:<inv|ord|bkg|quo>, text, pick, order, location, welcome, otherwise, misunderstood_twice or staff_released`,
      });
    }
  }
});

export const stepSpec = z.strictObject({
  /** Runs on entering the step, before it speaks (computes what the step shows); a move skips the step's say. */
  prepare: actionSpec.optional(),
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
