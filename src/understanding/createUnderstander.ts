import OpenAI from 'openai';
import { Counter, Histogram, type Registry } from 'prom-client';
import { EMPTY_SLOTS, type Clock, type Locale, type Slots, type Understanding } from '../engine/types.js';
import type { Logger } from '../logger.js';
import { askModel, ModelAnswerError, type ModelAnswer } from './askModel.js';
import { getIntentModel } from './classifyIntent.js';
import { getLanguageModel } from './detectLanguage.js';
import type { Catalog } from './parseCatalog.js';
import { loadPrompt, renderUnderstandPrompt } from './renderPrompt.js';
import { understandText } from './understandText.js';

export interface UnderstanderConfig {
  openai: {
    apiKey: string | undefined;
    baseUrl: string | undefined;
    model: string;
    /** Per attempt; default 2,500 ms. */
    timeoutMs?: number;
  };
}

export interface UnderstanderOptions {
  config: UnderstanderConfig;
  catalog: Catalog;
  clock: Clock;
  logger: Logger;
  /** Registers `wca_understanding_total` and `wca_llm_seconds` on this registry. */
  metrics?: { registry: Registry };
  /** Business name and city for the prompt. */
  business?: { name: string; city?: string };
}

export interface Understander {
  /** True when an LLM is configured; otherwise every answer comes from the offline classifier. */
  readonly usesModel: boolean;
  /**
   * The understanding of a customer's text: the LLM's when configured and valid, else the
   * offline classifier's. Never throws; at worst it answers in about two timeouts.
   */
  understand(text: string, options?: { locale?: Locale | null }): Promise<Understanding>;
  /** The offline understanding alone: synchronous, deterministic, well under a millisecond. */
  understandOffline(text: string, options?: { locale?: Locale | null }): Understanding;
}

const DEFAULT_TIMEOUT_MS = 2_500;
const ATTEMPTS = 2;
const DATE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;
const TIME = /^([01]\d|2[0-3]):[0-5]\d$/;

function metricsOn(registry: Registry | undefined) {
  if (!registry) return null;
  const existing = (name: string) => registry.getSingleMetric(name);
  return {
    understood:
      (existing('wca_understanding_total') as Counter<'source' | 'outcome'> | undefined) ??
      new Counter({
        name: 'wca_understanding_total',
        help: 'Messages understood, by source (llm, offline) and outcome of the LLM call',
        labelNames: ['source', 'outcome'] as const,
        registers: [registry],
      }),
    llmSeconds:
      (existing('wca_llm_seconds') as Histogram<'outcome'> | undefined) ??
      new Histogram({
        name: 'wca_llm_seconds',
        help: 'Time spent asking the LLM for an understanding, retries included',
        labelNames: ['outcome'] as const,
        buckets: [0.1, 0.25, 0.5, 1, 2, 3, 5, 8],
        registers: [registry],
      }),
  };
}

/**
 * Merges the model's slots with the offline parser's. What the customer wrote explicitly (dates,
 * times, counts, catalog names) is read by the parser and wins; the model fills only what the
 * parser could not read, and only with values that exist: catalog ids and variants from the
 * catalog, references and amounts only when the parser found the same in the text.
 */
export function mergeSlots(offline: Slots, answer: ModelAnswer, catalog: Catalog): Slots {
  const item = catalog.items.find((i) => i.id === answer.product);
  const product = offline.product ?? item?.id ?? null;
  const productItem = catalog.items.find((i) => i.id === product);
  const variants = Object.values(productItem?.variants ?? {}).flat();
  const people =
    answer.people !== null && Number.isInteger(answer.people) && answer.people > 0 && answer.people <= 100;
  return {
    date: offline.date ?? (answer.date && DATE.test(answer.date) ? answer.date : null),
    time: offline.time ?? (answer.time && TIME.test(answer.time) ? answer.time : null),
    people: offline.people ?? (people ? answer.people : null),
    product,
    variant: offline.variant ?? (answer.variant && variants.includes(answer.variant) ? answer.variant : null),
    // A reference or an amount the text does not contain would be invented: keep the parser's.
    reference: offline.reference,
    amount: offline.amount,
    number: offline.number,
  };
}

/**
 * The intent layer: an OpenAI-compatible model with structured output when `OPENAI_API_KEY` is
 * set, checked against the closed intent set and the catalog, with the offline classifier as the
 * answer on any error, invalid or late reply. Trains the offline classifier at once, so the
 * first message does not wait for it.
 *
 * @example
 * const understander = createUnderstander({ config, catalog, clock, logger });
 * const understanding = await understander.understand('vorrei prenotare un taglio domani');
 */
export function createUnderstander(options: UnderstanderOptions): Understander {
  const { config, catalog, clock, logger } = options;
  getIntentModel();
  getLanguageModel();
  const metrics = metricsOn(options.metrics?.registry);
  const template = loadPrompt('understand');
  const client = config.openai.apiKey
    ? new OpenAI({ apiKey: config.openai.apiKey, baseURL: config.openai.baseUrl, maxRetries: 0 })
    : null;
  const productIds = catalog.items.map((i) => i.id);

  // The conversation's language only guides the model; the offline path reads the text alone.
  const understandOffline = (text: string) => understandText(text, { catalog, now: clock.now() });

  return {
    usesModel: client !== null,
    understandOffline,
    async understand(text, opts = {}) {
      let offline: Understanding;
      try {
        offline = understandOffline(text);
      } catch (error) {
        // The offline path has no I/O; an exception here is a bug, but a turn must still happen.
        logger.error({ err: error }, 'offline understanding failed');
        return { intent: 'other', command: null, language: null, slots: { ...EMPTY_SLOTS }, answer: null };
      }
      if (!client) {
        metrics?.understood.inc({ source: 'offline', outcome: 'disabled' });
        return offline;
      }
      // Keywords, plain yes/no and messages without words ("2", "👍") are exact offline; asking a
      // model would only add latency to the taps that confirm things.
      if (offline.command || offline.answer || !/\p{L}{2}/u.test(text)) {
        metrics?.understood.inc({ source: 'offline', outcome: 'exact' });
        return offline;
      }
      const started = performance.now();
      try {
        const system = renderUnderstandPrompt(template, {
          business: options.business?.name ?? 'the business',
          city: options.business?.city ?? '',
          catalog,
          now: clock.now(),
          conversationLanguage: opts.locale ?? null,
        });
        const answer = await askModel({
          client,
          model: config.openai.model,
          system,
          text,
          productIds,
          timeoutMs: config.openai.timeoutMs ?? DEFAULT_TIMEOUT_MS,
          attempts: ATTEMPTS,
        });
        metrics?.llmSeconds.observe({ outcome: 'ok' }, (performance.now() - started) / 1000);
        metrics?.understood.inc({ source: 'llm', outcome: 'ok' });
        return {
          intent: answer.intent,
          command: null,
          language: answer.language ?? offline.language,
          slots: mergeSlots(offline.slots, answer, catalog),
          // A yes that moves money must be plain; the model only fills in when the parser saw neither.
          answer: offline.answer ?? answer.answer,
        };
      } catch (error) {
        const reason = error instanceof ModelAnswerError ? error.reason : 'unavailable';
        metrics?.llmSeconds.observe({ outcome: reason }, (performance.now() - started) / 1000);
        metrics?.understood.inc({ source: 'offline', outcome: reason });
        logger.warn(
          { reason, err: error instanceof Error ? error.message : String(error) },
          'LLM understanding not used; offline classifier answered',
        );
        return offline;
      }
    },
  };
}
