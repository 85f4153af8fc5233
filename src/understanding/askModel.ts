import type OpenAI from 'openai';
import { APIConnectionError, APIError } from 'openai';
import { z } from 'zod';
import { INTENTS, LOCALES } from '../engine/types.js';

/** What the model must answer; the same shape is sent as its JSON schema. */
export const modelAnswerSchema = z.object({
  intent: z.enum(INTENTS),
  language: z.enum(LOCALES).nullable(),
  answer: z.enum(['yes', 'no']).nullable(),
  date: z.string().nullable(),
  time: z.string().nullable(),
  people: z.number().nullable(),
  product: z.string().nullable(),
  variant: z.string().nullable(),
  reference: z.string().nullable(),
  amount: z.number().nullable(),
});
export type ModelAnswer = z.infer<typeof modelAnswerSchema>;

const nullable = (schema: Record<string, unknown>) => ({
  ...schema,
  type: [schema.type as string, 'null'],
});

/** The JSON schema of `response_format`, strict: every field present, nothing else. */
export function answerJsonSchema(productIds: string[]) {
  return {
    type: 'object',
    additionalProperties: false,
    required: Object.keys(modelAnswerSchema.shape),
    properties: {
      intent: { type: 'string', enum: [...INTENTS] },
      language: { type: ['string', 'null'], enum: [...LOCALES, null] },
      answer: { type: ['string', 'null'], enum: ['yes', 'no', null] },
      date: nullable({ type: 'string', description: 'YYYY-MM-DD' }),
      time: nullable({ type: 'string', description: 'HH:MM, 24 hours' }),
      people: nullable({ type: 'integer' }),
      product: { type: ['string', 'null'], enum: [...productIds, null] },
      variant: nullable({ type: 'string' }),
      reference: nullable({ type: 'string' }),
      amount: nullable({ type: 'integer', description: 'minor units (cents)' }),
    },
  };
}

/** Why a model answer was not used. */
export class ModelAnswerError extends Error {
  constructor(
    readonly reason: 'timeout' | 'unavailable' | 'rejected' | 'invalid',
    message: string,
  ) {
    super(message);
    this.name = 'ModelAnswerError';
  }
}

export interface AskModelOptions {
  client: OpenAI;
  model: string;
  system: string;
  text: string;
  productIds: string[];
  timeoutMs: number;
  /** Attempts in all, for timeouts, connection errors, 429 and 5xx; never for a bad answer. */
  attempts: number;
}

const isRetryable = (error: unknown) =>
  error instanceof APIConnectionError ||
  (error instanceof APIError && (error.status === 429 || (error.status ?? 0) >= 500));

/**
 * Asks an OpenAI-compatible chat model for a structured understanding of one message.
 * @throws {ModelAnswerError} on timeout, transport or HTTP errors after the retries, or an answer
 * that is not JSON or not in the closed set.
 */
export async function askModel(options: AskModelOptions): Promise<ModelAnswer> {
  let lastError: unknown;
  for (let attempt = 1; attempt <= options.attempts; attempt++) {
    let content: string | null | undefined;
    try {
      const completion = await options.client.chat.completions.create(
        {
          model: options.model,
          temperature: 0,
          messages: [
            { role: 'system', content: options.system },
            { role: 'user', content: options.text },
          ],
          response_format: {
            type: 'json_schema',
            json_schema: {
              name: 'understanding',
              strict: true,
              schema: answerJsonSchema(options.productIds),
            },
          },
        },
        { timeout: options.timeoutMs, maxRetries: 0 },
      );
      content = completion.choices[0]?.message?.content;
    } catch (error) {
      lastError = error;
      if (isRetryable(error) && attempt < options.attempts) continue;
      if (error instanceof APIConnectionError) {
        const timedOut = error.name === 'APIConnectionTimeoutError';
        throw new ModelAnswerError(timedOut ? 'timeout' : 'unavailable', error.message);
      }
      if (error instanceof APIError) {
        throw new ModelAnswerError(isRetryable(error) ? 'unavailable' : 'rejected', `HTTP ${error.status}`);
      }
      throw new ModelAnswerError('unavailable', error instanceof Error ? error.message : String(error));
    }
    if (!content) throw new ModelAnswerError('invalid', 'the model returned no content');
    let json: unknown;
    try {
      json = JSON.parse(content);
    } catch {
      throw new ModelAnswerError('invalid', 'the model answer is not JSON');
    }
    const parsed = modelAnswerSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ModelAnswerError(
        'invalid',
        `the model answer does not match: ${issue?.path.join('.')} ${issue?.message}`,
      );
    }
    return parsed.data;
  }
  throw new ModelAnswerError('unavailable', lastError instanceof Error ? lastError.message : 'no answer');
}
