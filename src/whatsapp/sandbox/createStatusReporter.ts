import { setTimeout as sleep } from 'node:timers/promises';
import { buildStatusWebhook, type SandboxDeliveryStatus } from './buildSandboxWebhook.js';
import type { PhoneHub, PhoneMessage } from './createPhoneHub.js';
import type { WebhookPoster } from './createWebhookPoster.js';

export interface StatusReporter {
  /** Plays Meta's part after accepting a message: `sent`, then `delivered` shortly after. */
  reportDelivery(phone: string, message: PhoneMessage): void;
  /**
   * The customer saw the message. Queued behind the message's earlier statuses; a message the
   * emulator no longer holds (the server restarted) is reported straight away.
   * @returns once the server has been told, or the webhook was given up on.
   */
  reportRead(
    phone: string,
    message: PhoneMessage | { wamid: string; bizOpaqueCallbackData: string | undefined },
  ): Promise<boolean>;
}

export interface StatusReporterOptions {
  hub: PhoneHub;
  poster: WebhookPoster;
  phoneNumberId: string;
  /** Pause before `sent`, and between `sent` and `delivered`, like a phone on a network. */
  sentAfterMs?: number;
  deliveredAfterMs?: number;
}

/** Sends the status webhooks a real phone would cause, and shows each one on the phone's pages. */
export function createStatusReporter(options: StatusReporterOptions): StatusReporter {
  const { hub, poster, phoneNumberId } = options;
  const sentAfterMs = options.sentAfterMs ?? 150;
  const deliveredAfterMs = options.deliveredAfterMs ?? 400;

  const post = async (
    phone: string,
    wamid: string,
    status: SandboxDeliveryStatus,
    bizOpaqueCallbackData: string | undefined,
    category: 'service' | 'utility',
  ): Promise<boolean> => {
    const outcome = await poster.deliver(
      buildStatusWebhook({
        phoneNumberId,
        recipient: phone,
        wamid,
        status,
        at: new Date(),
        conversationId: hub.conversationId(phone),
        category,
        ...(bizOpaqueCallbackData === undefined ? {} : { bizOpaqueCallbackData }),
      }),
    );
    return outcome.ok;
  };

  const step = (phone: string, message: PhoneMessage, status: SandboxDeliveryStatus, delayMs: number) => {
    const run = async () => {
      if (delayMs > 0) await sleep(delayMs, undefined, { ref: false });
      const current = hub.findBusinessMessage(phone, message.wamid) ?? message;
      if (current.status === 'failed' || rank(current.status) >= rank(status)) return true;
      const ok = await post(phone, message.wamid, status, opaqueOf(message.body), categoryOf(message.body));
      // The page shows what the server was told, not what the emulator meant to say.
      if (ok && hub.advance(phone, message.wamid, status))
        hub.publish(phone, 'status', { id: message.wamid, wamid: message.wamid, status });
      return ok;
    };
    const result = message.chain.then(run, run);
    message.chain = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  };

  return {
    reportDelivery(phone, message) {
      void step(phone, message, 'sent', sentAfterMs);
      void step(phone, message, 'delivered', deliveredAfterMs);
    },
    async reportRead(phone, message) {
      if ('chain' in message) return step(phone, message, 'read', 0);
      const ok = await post(phone, message.wamid, 'read', message.bizOpaqueCallbackData, 'service');
      if (ok) hub.publish(phone, 'status', { id: message.wamid, wamid: message.wamid, status: 'read' });
      return ok;
    },
  };
}

const rank = (status: string) => ['accepted', 'sent', 'delivered', 'read'].indexOf(status);

const opaqueOf = (body: Record<string, unknown>) =>
  typeof body.biz_opaque_callback_data === 'string' ? body.biz_opaque_callback_data : undefined;

const categoryOf = (body: Record<string, unknown>) => (body.type === 'template' ? 'utility' : 'service');
