import { metaWebhookBatch, text, type MetaWebhookChange } from '../../test/fixtures/metaWebhook.js';
import { signBody } from '../../src/whatsapp/verifySignature.js';

/** One customer message. */
export interface ChaosEvent {
  wamid: string;
  from: string;
  /** This customer's n-th message, from 0. */
  turn: number;
  text: string;
}

/** One webhook POST as Meta would send it: the signed raw body and the events it carries. */
export interface ChaosWebhook {
  raw: string;
  signature: string;
  /** Indexes into the event list. */
  events: number[];
}

// Greetings in the demo business's languages: each one gets the welcome text and the menu,
// whatever state the conversation is in, so every event has replies to count.
const GREETINGS = ['hello', 'ciao', 'hola', 'bonjour', 'hi', 'buongiorno', 'salut', 'good morning'];

/** `customers × perCustomer` text messages with wamids unique to the run. */
export function buildChaosEvents(options: {
  customers: number;
  perCustomer: number;
  runId: string;
}): ChaosEvent[] {
  const events: ChaosEvent[] = [];
  for (let customer = 0; customer < options.customers; customer++) {
    const from = `39347${String(customer).padStart(7, '0')}`;
    for (let turn = 0; turn < options.perCustomer; turn++) {
      events.push({
        wamid: `wamid.CHAOS.${options.runId}.${customer}.${turn}`,
        from,
        turn,
        text: GREETINGS[(customer + turn) % GREETINGS.length] as string,
      });
    }
  }
  return events;
}

/**
 * Packs the events, in a shuffled order, into signed webhook bodies of up to `perWebhook`
 * messages, each message its own change (Meta batches changes when it has a backlog to deliver).
 * Timestamps are now: older ones would fall outside the 24-hour window and get no reply.
 */
export function buildChaosWebhooks(
  events: readonly ChaosEvent[],
  options: { perWebhook: number; phoneNumberId: string; appSecret: string; random?: () => number },
): ChaosWebhook[] {
  const order = events.map((_event, index) => index);
  shuffle(order, options.random ?? Math.random);
  const timestamp = String(Math.floor(Date.now() / 1000));
  const webhooks: ChaosWebhook[] = [];
  for (let start = 0; start < order.length; start += options.perWebhook) {
    const indexes = order.slice(start, start + options.perWebhook);
    const changes: MetaWebhookChange[] = indexes.map((index) => {
      const event = events[index] as ChaosEvent;
      return {
        from: event.from,
        name: `Customer ${event.from.slice(-4)}`,
        phoneNumberId: options.phoneNumberId,
        messages: [text(event.text, { id: event.wamid, timestamp })],
      };
    });
    const raw = JSON.stringify(metaWebhookBatch([{ changes }]));
    webhooks.push({ raw, signature: signBody(raw, options.appSecret), events: indexes });
  }
  return webhooks;
}

export interface DeliveryOutcome {
  /** HTTP attempts made, whatever their answer. */
  attempts: number;
  /** Attempts answered 200. */
  acknowledged: number;
  /** Attempts refused or unanswered (server down, killed mid-request, 5xx...). */
  failed: number;
  /** Distinct events acknowledged at least once. */
  eventsAcknowledged: number;
  /** Indexes of events never acknowledged (only when the deadline cut the loop short). */
  unacknowledged: number[];
  /** Answers other than 200 that were not connection failures, by status. */
  statuses: Record<string, number>;
}

/**
 * Delivers every webhook 2–3 times in a shuffled order, like Meta redelivering: any answer other
 * than 200 puts that delivery back in the queue after a short pause, until each distinct event has
 * been acknowledged at least once. A failed copy of a webhook already acknowledged is dropped, as
 * there is nothing left to deliver for it. Bounded by `deadline`.
 */
export async function deliverChaosWebhooks(options: {
  url: string;
  webhooks: readonly ChaosWebhook[];
  eventCount: number;
  concurrency: number;
  deadline: number;
  random?: () => number;
  /** Checked between attempts; true stops the loop (e.g. the server can no longer start). */
  shouldStop?: () => boolean;
  onProgress?: (outcome: DeliveryOutcome) => void;
}): Promise<DeliveryOutcome> {
  const random = options.random ?? Math.random;
  const queue: number[] = [];
  options.webhooks.forEach((_webhook, index) => {
    const copies = 2 + (random() < 0.5 ? 1 : 0);
    for (let copy = 0; copy < copies; copy++) queue.push(index);
  });
  shuffle(queue, random);
  const webhookAcked = new Uint8Array(options.webhooks.length);
  const eventAcked = new Uint8Array(options.eventCount);
  const outcome: DeliveryOutcome = {
    attempts: 0,
    acknowledged: 0,
    failed: 0,
    eventsAcknowledged: 0,
    unacknowledged: [],
    statuses: {},
  };
  let lastProgress = Date.now();
  let cursor = 0;

  const deliverOne = async (webhook: ChaosWebhook): Promise<boolean> => {
    outcome.attempts++;
    try {
      const response = await fetch(`${options.url}/webhooks/whatsapp`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-hub-signature-256': webhook.signature },
        body: webhook.raw,
        signal: AbortSignal.timeout(5_000),
      });
      await response.arrayBuffer();
      if (response.status === 200) return true;
      outcome.statuses[response.status] = (outcome.statuses[response.status] ?? 0) + 1;
      return false;
    } catch {
      return false;
    }
  };

  const worker = async () => {
    while (Date.now() < options.deadline && !options.shouldStop?.()) {
      if (cursor >= queue.length) return;
      const index = queue[cursor++] as number;
      const webhook = options.webhooks[index] as ChaosWebhook;
      if (await deliverOne(webhook)) {
        outcome.acknowledged++;
        webhookAcked[index] = 1;
        for (const event of webhook.events) {
          if (eventAcked[event]) continue;
          eventAcked[event] = 1;
          outcome.eventsAcknowledged++;
        }
      } else {
        outcome.failed++;
        // Meta retries with backoff; this also keeps the loop from spinning while the server is down.
        if (!webhookAcked[index]) queue.push(index);
        await new Promise((resolve) => setTimeout(resolve, 100 + random() * 200));
      }
      if (Date.now() - lastProgress > 5_000) {
        lastProgress = Date.now();
        options.onProgress?.(outcome);
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  for (let event = 0; event < options.eventCount; event++)
    if (!eventAcked[event]) outcome.unacknowledged.push(event);
  return outcome;
}

function shuffle<T>(items: T[], random: () => number): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
}
