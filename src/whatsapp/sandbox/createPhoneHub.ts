import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { Request, Response } from 'express';

/** Where a message stands, as the phone page shows it. `accepted`: Meta (here, the emulator) took it. */
export type ChatStatus = 'accepted' | 'sent' | 'delivered' | 'read' | 'failed';

const RANK: Record<ChatStatus, number> = { accepted: 0, sent: 1, delivered: 2, read: 3, failed: 4 };

/**
 * One message of a chat as the phone page receives it, from the live stream or from the history.
 * `direction` is the server's: `in` is what the customer wrote, `out` what the business sent.
 */
export interface ChatItem {
  /** The wamid, or a stand-in for a message that never got one (refused before sending). */
  id: string;
  wamid: string | null;
  direction: 'in' | 'out';
  type: string;
  /** The Graph request body for `out`; the message minus id/from/timestamp for `in`. */
  content: unknown;
  status: ChatStatus;
  at: string;
  error?: string;
}

/** A business message the emulator accepted for a phone. */
export interface PhoneMessage {
  wamid: string;
  at: Date;
  body: Record<string, unknown>;
  status: ChatStatus;
  /** Status webhooks of one message go out one after the other, so the server sees them in order. */
  chain: Promise<void>;
}

export interface PhoneHub {
  /** Keeps a business message for the phone and shows it on the phone's open pages. */
  addBusinessMessage(phone: string, message: PhoneMessage): void;
  findBusinessMessage(phone: string, wamid: string): PhoneMessage | undefined;
  /** The newest business message offering this button or list row, for the reply's `context`. */
  findOffer(phone: string, replyId: string): { message: PhoneMessage; description?: string } | undefined;
  /** Moves a kept message's status forward only. @returns whether it moved. */
  advance(phone: string, wamid: string, status: ChatStatus): boolean;
  /** Notes which phone wrote a message, so a mark-as-read (which names only the wamid) finds it. */
  rememberCustomerMessage(phone: string, wamid: string): void;
  phoneOfCustomerMessage(wamid: string): string | undefined;
  /** Meta's conversation (billing window) id for the phone, stable while the process runs. */
  conversationId(phone: string): string;
  /** Sends one Server-Sent Event to every open page of the phone. */
  publish(phone: string, event: 'message' | 'status' | 'typing', data: unknown): void;
  /** Turns the response into an event stream for the phone until the page goes away. */
  subscribe(phone: string, req: Request, res: Response): void;
}

export interface PhoneHubOptions {
  /** Messages kept per phone; older ones are still in the store's transcript. */
  maxMessagesPerPhone?: number;
  /** Phones kept; the least recently used without an open page is forgotten first. */
  maxPhones?: number;
  heartbeatMs?: number;
}

interface Phone {
  messages: PhoneMessage[];
  streams: Set<Response>;
  conversationId: string;
}

/** The emulator's memory of what each simulated phone received, and the pages watching it. */
export function createPhoneHub(options: PhoneHubOptions = {}): PhoneHub {
  const maxMessages = options.maxMessagesPerPhone ?? 200;
  const maxPhones = options.maxPhones ?? 1_000;
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const phones = new Map<string, Phone>();
  const customerMessages = new Map<string, string>();
  const maxCustomerMessages = maxMessages * 50;
  const servers = new Map<Response, Server | undefined>();
  let ticker: NodeJS.Timeout | null = null;
  let sinceHeartbeat = 0;

  const phoneOf = (phone: string): Phone => {
    let entry = phones.get(phone);
    if (entry) {
      // Map order doubles as recency order.
      phones.delete(phone);
    } else {
      entry = { messages: [], streams: new Set(), conversationId: randomBytes(16).toString('hex') };
      evict();
    }
    phones.set(phone, entry);
    return entry;
  };

  const evict = () => {
    if (phones.size < maxPhones) return;
    for (const [key, entry] of phones) {
      if (entry.streams.size === 0) {
        phones.delete(key);
        return;
      }
    }
  };

  const write = (res: Response, chunk: string) => {
    if (!res.writableEnded) res.write(chunk);
  };

  // One timer for every stream: heartbeats keep proxies from closing an idle stream, and a stream
  // is ended once its server stops listening, because a graceful shutdown waits for open requests.
  const tick = () => {
    sinceHeartbeat += 1_000;
    const beat = sinceHeartbeat >= heartbeatMs;
    if (beat) sinceHeartbeat = 0;
    for (const [res, server] of servers) {
      if (server && !server.listening) res.end();
      else if (beat) write(res, ': ping\n\n');
    }
  };

  const publish: PhoneHub['publish'] = (phone, event, data) => {
    const entry = phones.get(phone);
    if (!entry) return;
    const chunk = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const res of entry.streams) write(res, chunk);
  };

  const findBusinessMessage: PhoneHub['findBusinessMessage'] = (phone, wamid) =>
    phones.get(phone)?.messages.find((message) => message.wamid === wamid);

  return {
    publish,
    findBusinessMessage,
    addBusinessMessage(phone, message) {
      const entry = phoneOf(phone);
      entry.messages.push(message);
      if (entry.messages.length > maxMessages) entry.messages.splice(0, entry.messages.length - maxMessages);
      const item: ChatItem = {
        id: message.wamid,
        wamid: message.wamid,
        direction: 'out',
        type: String(message.body.type ?? 'unknown'),
        content: message.body,
        status: message.status,
        at: message.at.toISOString(),
      };
      publish(phone, 'message', item);
    },
    findOffer(phone, replyId) {
      const messages = phones.get(phone)?.messages ?? [];
      for (let index = messages.length - 1; index >= 0; index--) {
        const message = messages[index] as PhoneMessage;
        const offer = offeredReplies(message.body).find((reply) => reply.id === replyId);
        if (offer) return { message, ...(offer.description ? { description: offer.description } : {}) };
      }
      return undefined;
    },
    advance(phone, wamid, status) {
      const message = findBusinessMessage(phone, wamid);
      if (!message || message.status === 'failed' || RANK[status] <= RANK[message.status]) return false;
      message.status = status;
      return true;
    },
    rememberCustomerMessage(phone, wamid) {
      customerMessages.set(wamid, phone);
      if (customerMessages.size > maxCustomerMessages) {
        const [oldest] = customerMessages.keys();
        if (oldest !== undefined) customerMessages.delete(oldest);
      }
    },
    phoneOfCustomerMessage(wamid) {
      return customerMessages.get(wamid);
    },
    conversationId(phone) {
      return phoneOf(phone).conversationId;
    },
    subscribe(phone, req, res) {
      const entry = phoneOf(phone);
      res.writeHead(200, {
        'Content-Type': 'text/event-stream; charset=utf-8',
        'Cache-Control': 'no-cache, no-transform',
        // Ending the stream then closes the socket, so a stopping server is not held open.
        Connection: 'close',
        'X-Accel-Buffering': 'no',
      });
      res.write('retry: 2000\n: connected\n\n');
      entry.streams.add(res);
      servers.set(res, (req.socket as { server?: Server }).server);
      ticker ??= setInterval(tick, 1_000).unref();
      const cleanup = () => {
        entry.streams.delete(res);
        servers.delete(res);
        if (servers.size === 0 && ticker) {
          clearInterval(ticker);
          ticker = null;
        }
      };
      res.on('close', cleanup);
      req.on('close', cleanup);
    },
  };
}

/** The reply buttons and list rows a Graph message body offers. */
function offeredReplies(body: Record<string, unknown>): { id: string; description?: string }[] {
  const interactive = body.interactive as
    | {
        action?: {
          buttons?: { reply?: { id?: unknown } }[];
          sections?: { rows?: { id?: unknown; description?: unknown }[] }[];
        };
      }
    | undefined;
  const action = interactive?.action;
  if (!action) return [];
  const offers: { id: string; description?: string }[] = [];
  for (const button of action.buttons ?? [])
    if (typeof button.reply?.id === 'string') offers.push({ id: button.reply.id });
  for (const section of action.sections ?? [])
    for (const row of section.rows ?? [])
      if (typeof row.id === 'string')
        offers.push({
          id: row.id,
          ...(typeof row.description === 'string' ? { description: row.description } : {}),
        });
  return offers;
}
