import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { freePort } from '../helpers/freePort.js';

/**
 * Paying in sandbox mode as a customer would: the real server in its own process, the phone page
 * and the pay page in headless Chromium. Staff send a payment link; the customer taps it, pays on
 * the sandbox pay page, and the receipt arrives in the chat by itself.
 */

const ROOT = process.cwd();
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOTS = path.join(ROOT, 'test/browser/screenshots');
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
];
const CUSTOMER = '393331234567';
const API_TOKEN = 'browser-test-token-0123456789abcdef';
const MOBILE = { width: 390, height: 844 };

let server: ChildProcess | null = null;
let serverOutput = '';
let dataDir = '';
let base = '';
let browser: Browser | null = null;

async function waitUntilReady(url: string, timeoutMs = 45_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (server?.exitCode !== null) throw new Error(`The server exited early:\n${serverOutput}`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`The server was not ready within ${timeoutMs} ms:\n${serverOutput}`);
}

async function stopServer(): Promise<void> {
  const child = server;
  server = null;
  if (!child || child.exitCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  process.kill(-child.pid, 'SIGTERM');
  const timer = setTimeout(() => {
    try {
      process.kill(-(child.pid as number), 'SIGKILL');
    } catch {
      // Already gone.
    }
  }, 10_000);
  await exited;
  clearTimeout(timer);
}

const shot = (page: Page, name: string) =>
  page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: false });
const bubble = (page: Page, side: 'mine' | 'theirs', text: string | RegExp) =>
  page.locator(`li.msg.${side}`).filter({ hasText: text });

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `No Chromium at ${CHROMIUM}: install it (apt-get install -y chromium) or set CHROMIUM_PATH`,
    );
  }
  await mkdir(SCREENSHOTS, { recursive: true });
  dataDir = await mkdtemp(path.join(tmpdir(), 'wca-payments-browser-'));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  server = spawn(path.join(ROOT, 'node_modules/.bin/tsx'), ['src/main.ts'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      PORT: String(port),
      PUBLIC_BASE_URL: base,
      DATA_DIR: dataDir,
      API_TOKEN,
      LOG_LEVEL: 'warn',
    },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  server.stdout?.on('data', (chunk: Buffer) => (serverOutput += chunk.toString()));
  server.stderr?.on('data', (chunk: Buffer) => (serverOutput += chunk.toString()));
  try {
    await waitUntilReady(`${base}/readyz`);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  } catch (error) {
    await stopServer();
    throw error;
  }
}, 90_000);

afterAll(async () => {
  await browser?.close().catch(() => undefined);
  await stopServer();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
}, 30_000);

test('a customer taps the payment link, pays on the sandbox page and reads the receipt in the chat', async () => {
  const context = await (browser as Browser).newContext({ viewport: MOBILE, locale: 'en-GB' });
  const phone = await context.newPage();
  const problems: string[] = [];
  phone.on('pageerror', (error) => problems.push(error.message));
  await phone.goto(`${base}/sandbox`);
  await phone.getByRole('heading', { level: 1, name: 'Bella Studio' }).waitFor();
  const message = phone.getByRole('textbox', { name: 'Message', exact: true });
  await message.fill('hello');
  await message.press('Enter');
  await bubble(phone, 'theirs', 'How can I help you?').waitFor();

  // Staff send a payment link from the inbox (the same API the inbox uses).
  const response = await fetch(`${base}/api/payments`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${API_TOKEN}`,
      'content-type': 'application/json',
      'idempotency-key': 'bracelet-1',
    },
    body: JSON.stringify({
      conversationId: `100000000000001:${CUSTOMER}`,
      purpose: 'order',
      reference: 'ORD-1001',
      amount: 4500,
      currency: 'EUR',
      description: 'Engraved bracelet (M)',
    }),
  });
  expect(response.status).toBe(202);

  const request = bubble(phone, 'theirs', 'ORD-1001');
  await request.waitFor();
  expect(await request.innerText()).toContain('€45.00');
  await shot(phone, 'pay-01-link-in-chat');

  const [payPage] = await Promise.all([
    context.waitForEvent('page'),
    request.getByRole('link', { name: /Pay now/ }).click(),
  ]);
  await payPage.waitForLoadState();
  expect(payPage.url()).toMatch(new RegExp(`^${base}/pay/[\\w-]{24}$`));
  await payPage.getByRole('heading', { name: 'Engraved bracelet (M)' }).waitFor();
  expect(await payPage.locator('.amount').innerText()).toBe('€45.00');
  await payPage.getByRole('img', { name: 'Scan to pay on another phone' }).waitFor();
  await shot(payPage, 'pay-02-sandbox-page');

  await payPage.getByRole('button', { name: 'Pay', exact: true }).click();
  await payPage
    .getByRole('status')
    .filter({ hasText: 'This payment has been received' })
    .waitFor({ timeout: 15_000 });
  await shot(payPage, 'pay-03-paid');

  const receipt = bubble(phone, 'theirs', 'Payment received');
  await receipt.waitFor({ timeout: 15_000 });
  expect(await receipt.innerText()).toMatch(/Payment received: €45\.00 for ORD-1001/);
  await phone.bringToFront();
  await shot(phone, 'pay-04-receipt-in-chat');

  // The link now shows that it is paid, and cannot be paid twice.
  await payPage.goto(payPage.url());
  await payPage.getByText('This payment has been received').waitFor();
  expect(await payPage.getByRole('button', { name: 'Pay', exact: true }).count()).toBe(0);
  expect(problems).toEqual([]);
  await context.close();
});
