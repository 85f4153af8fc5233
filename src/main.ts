import type { Server } from 'node:http';
import { ConfigError, loadConfig } from './config.js';
import { createApp } from './createApp.js';
import { createLogger } from './logger.js';
import { loadSandboxSecrets } from './sandboxSecrets.js';
import { openStore } from './store/index.js';
import { createSandbox } from './whatsapp/sandbox/createSandbox.js';

async function main() {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(78);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  const sandbox = config.whatsapp.mode === 'sandbox';
  const generated = sandbox ? await loadSandboxSecrets(config.store.dataDir) : null;
  const secrets = {
    appSecret: config.whatsapp.appSecret ?? generated?.appSecret ?? '',
    apiToken: config.apiToken ?? generated?.apiToken ?? '',
    accessToken: config.whatsapp.accessToken ?? generated?.accessToken ?? '',
  };

  const store = await openStore({
    databaseUrl: config.store.databaseUrl,
    dataDir: config.store.dataDir,
    onConnectionError: (error) =>
      logger.warn({ err: error }, 'a PostgreSQL connection broke; the pool replaces it'),
  });
  const app = await createApp({
    config,
    store,
    logger,
    secrets,
    mounts: (core) => (sandbox ? [['/sandbox', createSandbox({ core, logger, secrets })]] : []),
  });

  const demoAdmin = await app.inbox.seedFirstAdmin(sandbox);

  const server: Server = app.http.listen(config.server.port, config.server.host);
  await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject));
  server.keepAliveTimeout = 65_000;
  logger.info(
    { host: config.server.host, port: config.server.port, mode: config.whatsapp.mode, database: store.kind },
    'listening',
  );
  if (sandbox) {
    const base = config.server.publicBaseUrl;
    process.stdout.write(
      [
        '',
        `  ${app.business.name} is running in sandbox mode (${store.kind === 'pglite' ? `embedded database in ${config.store.dataDir}` : 'PostgreSQL'})`,
        `  Chat as a customer:  ${base}/sandbox`,
        `  Staff inbox:         ${base}/inbox`,
        `  Campaigns:           ${base}/campaigns  (signed in as staff)`,
        ...(demoAdmin ? [`  Demo admin:          ${demoAdmin.email}  password ${demoAdmin.password}`] : []),
        `  API token:           ${secrets.apiToken}`,
        `                       (curl -H "Authorization: Bearer <token>" ${base}/api/conversations)`,
        `  Health and metrics:  ${base}/healthz  ${base}/readyz  ${base}/metrics`,
        '',
      ].join('\n') + '\n',
    );
  }

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: no new requests, finishing the turns and sends in flight');
    const force = setTimeout(() => {
      logger.error('shutdown took longer than 25 s; exiting');
      process.exit(1);
    }, 25_000);
    force.unref();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    // Requests still open after a grace period (a slow client, a live stream) are cut.
    const cut = setTimeout(() => server.closeAllConnections(), 5_000);
    await closed;
    clearTimeout(cut);
    await app.close();
    await store.close();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
