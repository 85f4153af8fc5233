import { loadConfig, type Env } from '../../src/config.js';
import { createApp, type App } from '../../src/createApp.js';
import type { StaffEventPayload } from '../../src/jobs/handleEvent.js';
import { createLogger } from '../../src/logger.js';
import { insertInboundEvents } from '../../src/store/index.js';
import type { GraphMessage } from '../../src/whatsapp/builders.js';
import type { GraphSendError } from '../../src/whatsapp/graphClient.js';
import { type GraphClient } from '../../src/whatsapp/graphClient.js';
import { signBody } from '../../src/whatsapp/verifySignature.js';
import type { TestStore } from './stores.js';

export const APP_SECRET = 'test-app-secret-0123456789abcdef0123456789';
export const API_TOKEN = 'test-api-token-0123456789abcdef';

/** A clock tests move by hand. */
export function manualClock(start = new Date((1_750_000_000 + 60) * 1000).toISOString()) {
  let now = new Date(start).getTime();
  return {
    now: () => new Date(now),
    set: (iso: string) => void (now = new Date(iso).getTime()),
    advance: (ms: number) => void (now += ms),
  };
}

/** Records what would go to Meta; a queued failure makes the next send fail like Meta would. */
export function recordingGraph() {
  const sent: GraphMessage[] = [];
  const failures: GraphSendError[] = [];
  let counter = 0;
  const graph: GraphClient & { sent: GraphMessage[]; failNext(error: GraphSendError): void } = {
    sent,
    failNext: (error) => void failures.push(error),
    async sendMessage(message) {
      const failure = failures.shift();
      if (failure) throw failure;
      sent.push(JSON.parse(JSON.stringify(message)) as GraphMessage);
      return `wamid.test-${++counter}`;
    },
  };
  return graph;
}

export type TestApp = App & {
  graph: ReturnType<typeof recordingGraph>;
  clock: ReturnType<typeof manualClock>;
  /** Signs and receives a webhook body, as Meta would send it. */
  post(body: unknown): ReturnType<App['receive']>;
  /** Stores a staff action (take over, release) for a conversation, as the API would. */
  staff(conversationId: string, payload: StaffEventPayload): Promise<void>;
};

/** The whole product on a test store, with loops off: `settle()` runs them. */
let staffActions = 0;

export async function createTestApp(store: TestStore, env: Env = {}): Promise<TestApp> {
  const clock = manualClock();
  const graph = recordingGraph();
  const config = loadConfig({ LOG_LEVEL: 'silent', DATA_DIR: '/tmp/wca-test-unused', ...env });
  const app = await createApp({
    config,
    store,
    logger: createLogger('silent'),
    secrets: { appSecret: APP_SECRET, apiToken: API_TOKEN, accessToken: 'test-access-token' },
    clock,
    graph,
    startLoops: false,
  });
  return Object.assign(app, {
    graph,
    clock,
    post: (body: unknown) => {
      const raw = JSON.stringify(body);
      return app.receive(raw, signBody(raw, APP_SECRET));
    },
    staff: async (conversationId: string, payload: StaffEventPayload) => {
      const externalId = `staff:test-${++staffActions}`;
      await insertInboundEvents(
        app.store.db,
        [{ source: 'staff', kind: 'staff', externalId, conversationId, payload }],
        clock.now(),
      );
    },
  });
}
