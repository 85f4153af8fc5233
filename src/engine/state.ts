import { z } from 'zod';
import { LOCALES } from './types.js';

/**
 * Stored conversation state, versioned so that a change of shape migrates on read instead of
 * stranding customers. Version 1 kept only the step; version 2 adds the locale and the
 * misunderstanding counter the fallback policy needs; version 3 adds when the customer last wrote,
 * so a turn knows whether WhatsApp's 24-hour window is open without asking the store.
 */
const stateV1 = z.object({
  version: z.literal(1),
  flow: z.string(),
  step: z.string().nullable(),
  flowVersion: z.number().int(),
});

const stateV2 = z.object({
  version: z.literal(2),
  flow: z.string(),
  step: z.string().nullable(),
  flowVersion: z.number().int(),
  locale: z.enum(LOCALES).nullable(),
  misunderstood: z.number().int().min(0),
  vars: z.record(z.string(), z.unknown()),
});

const stateV3 = stateV2.extend({
  version: z.literal(3),
  /** ISO instant of the customer's last message, null if unknown. */
  lastInboundAt: z.string().nullable(),
});

const storedState = z.discriminatedUnion('version', [stateV1, stateV2, stateV3]);

export type ConversationState = z.infer<typeof stateV3>;
export const STATE_VERSION = 3;

/**
 * Reads stored state of any known version and returns the current shape.
 * @returns `null` for no state or state that cannot be read (the conversation starts afresh).
 */
export function migrateState(stored: unknown): ConversationState | null {
  if (stored === null || stored === undefined) return null;
  const parsed = storedState.safeParse(stored);
  if (!parsed.success) return null;
  const state = parsed.data;
  switch (state.version) {
    case 1:
      return { ...state, version: 3, locale: null, misunderstood: 0, vars: {}, lastInboundAt: null };
    case 2:
      return { ...state, version: 3, lastInboundAt: null };
    case 3:
      return state;
  }
}
