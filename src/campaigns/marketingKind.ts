/** The outbox kind of a broadcast message: a template that needs marketing consent at send time. */
export const MARKETING_KIND = 'MarketingTemplate';

/** Outbox ids of broadcast messages: `bc:<broadcast id>:<recipient row id>`. */
export const broadcastOutboxId = (broadcastId: string, recipientId: number) =>
  `bc:${broadcastId}:${recipientId}`;

/** The broadcast id inside a broadcast message's outbox id. */
export function broadcastIdOf(outboxId: string): string | null {
  const match = /^bc:([^:]+):\d+$/.exec(outboxId);
  return match ? (match[1] as string) : null;
}
