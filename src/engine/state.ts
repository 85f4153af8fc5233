import { z } from 'zod';
import { LOCALES } from './types.js';

/**
 * Stored conversation state, versioned so that a change of shape migrates on read instead of
 * stranding customers. Version 1 kept only the step; version 2 adds the locale and the
 * misunderstanding counter the fallback policy needs.
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

const storedState = z.discriminatedUnion('version', [stateV1, stateV2]);

export type ConversationState = z.infer<typeof stateV2>;
export const STATE_VERSION = 2;

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
      return { ...state, version: 2, locale: null, misunderstood: 0, vars: {} };
    case 2:
      return state;
  }
}
