import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The product's Prometheus metrics, on a registry of their own so tests can create several apps. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    webhookSeconds: new Histogram({
      name: 'wca_webhook_duration_seconds',
      help: 'Time from receiving a webhook to answering it (events durably stored)',
      labelNames: ['source', 'status'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers: [registry],
    }),
    webhookEvents: new Counter({
      name: 'wca_webhook_events_total',
      help: 'Events received in webhooks, by kind and whether they were new or repeats',
      labelNames: ['source', 'kind', 'outcome'] as const,
      registers: [registry],
    }),
    unparsedPayloads: new Counter({
      name: 'wca_webhook_unparsed_total',
      help: 'Signed payloads or items we could not read; stored raw for inspection',
      registers: [registry],
    }),
    eventsProcessed: new Counter({
      name: 'wca_events_processed_total',
      help: 'Inbound events handled by the worker, by kind and outcome (done, retry, dead)',
      labelNames: ['kind', 'outcome'] as const,
      registers: [registry],
    }),
    deadLetters: new Counter({
      name: 'wca_dead_letters_total',
      help: 'Events that exhausted their retries and wait in the dead-letter state',
      registers: [registry],
    }),
    outboxLag: new Gauge({
      name: 'wca_outbox_lag_seconds',
      help: 'How long the oldest due outbox row has waited',
      registers: [registry],
    }),
    sends: new Counter({
      name: 'wca_messages_sent_total',
      help: 'Messages accepted by the WhatsApp Graph API',
      labelNames: ['type'] as const,
      registers: [registry],
    }),
    sendErrors: new Counter({
      name: 'wca_send_errors_total',
      help: 'Failed send attempts by Meta error code (none = no answer) and whether they will be retried',
      labelNames: ['code', 'retry'] as const,
      registers: [registry],
    }),
    ambiguousSends: new Counter({
      name: 'wca_ambiguous_sends_total',
      help: 'Sends interrupted mid-flight (process crash) and held for a status webhook before any retry',
      registers: [registry],
    }),
    handoffs: new Counter({
      name: 'wca_handoffs_total',
      help: 'Conversations handed to staff, by reason',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
