import { Counter, Histogram, type Registry } from 'prom-client';

/** Handoff metrics, on the product's registry (exposed at /metrics). */
export function createInboxMetrics(registry: Registry) {
  return {
    handoffEvents: new Counter({
      name: 'wca_handoff_events_total',
      help: 'Handoff events: started, assigned, unassigned, resolved, bot_resumed, pickup_timeout',
      labelNames: ['type'] as const,
      registers: [registry],
    }),
    firstReplySeconds: new Histogram({
      name: 'wca_handoff_first_reply_seconds',
      help: 'Time from a handoff starting to the first staff reply',
      buckets: [15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 43200, 86400],
      registers: [registry],
    }),
    staffReplies: new Counter({
      name: 'wca_staff_replies_total',
      help: 'Messages written by staff in the inbox, by kind (text, template)',
      labelNames: ['kind'] as const,
      registers: [registry],
    }),
    liveStreams: new Counter({
      name: 'wca_inbox_streams_opened_total',
      help: 'Live update streams opened by inbox pages',
      registers: [registry],
    }),
  };
}

export type InboxMetrics = ReturnType<typeof createInboxMetrics>;
