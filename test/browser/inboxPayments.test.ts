import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { freePort } from '../helpers/freePort.js';

/**
 * Payments in the inbox: staff send a payment link from a conversation, the customer pays it on
 * the sandbox pay page, and the card in the transcript turns paid without a reload.
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
const PHONE = '393331234567';
const MOBILE = { width: 390, height: 844 };
const DESKTOP = { width: 1366, height: 860 };

let server: ChildProcess | null = null;
let output = '';
let dataDir = '';
let base = '';
let browser: Browser | null = null;
let admin = { email: '', password: '' };

async function waitUntilReady(url: string, timeoutMs = 45_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (server?.exitCode !== null) throw new Error(`The server exited early:\n${output}`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (response.ok && /Demo admin/.test(output)) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`The server was not ready within ${timeoutMs} ms:\n${output}`);
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

async function newPage(viewport: { width: number; height: number }): Promise<Page & { problems: string[] }> {
  const context = await (browser as Browser).newContext({ viewport, locale: 'en-GB' });
  const page = (await context.newPage()) as Page & { problems: string[] };
  page.problems = [];
  page.on('pageerror', (error) => page.problems.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') page.problems.push(message.text());
  });
  return page;
}

async function signIn(page: Page & { problems: string[] }): Promise<void> {
  await page.goto(`${base}/inbox/`);
  await page.waitForURL(/\/inbox\/login/);
  await page.getByLabel('Email').fill(admin.email);
  await page.getByLabel('Password').fill('wrong password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('alert').filter({ hasText: 'Wrong email or password' }).waitFor();
  // The browser logs the refused sign-in (401) as a console error; that one was expected.
  page.problems.splice(0, page.problems.length, ...page.problems.filter((p) => !/status of 401/.test(p)));
  await page.getByLabel('Password').fill(admin.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${base}/inbox/`);
  await page.locator('#live[data-state="live"]').waitFor();
}

async function customerSays(phone: Page, text: string): Promise<void> {
  const field = phone.getByRole('textbox', { name: 'Message', exact: true });
  await field.fill(text);
  await field.press('Enter');
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `No Chromium at ${CHROMIUM}: install it (apt-get install -y chromium) or set CHROMIUM_PATH`,
    );
  await mkdir(SCREENSHOTS, { recursive: true });
  dataDir = await mkdtemp(path.join(tmpdir(), 'wca-inbox-pay-browser-'));
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
      LOG_LEVEL: 'warn',
    },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  server.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  server.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  try {
    await waitUntilReady(`${base}/readyz`);
    const match = /Demo admin:\s+(\S+)\s+password (\S+)/.exec(output);
    if (!match) throw new Error(`No demo admin on the start banner:\n${output}`);
    admin = { email: match[1] as string, password: match[2] as string };
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

test('staff send a payment link, the customer pays it, and the card turns paid live', async () => {
  const phone = await newPage(MOBILE);
  await phone.goto(`${base}/sandbox`);
  await phone.getByRole('heading', { level: 1, name: 'Bella Studio' }).waitFor();
  expect(await phone.getByRole('textbox', { name: 'Customer', exact: true }).inputValue()).toBe(PHONE);
  await customerSays(phone, 'I want to talk to a person please');
  await phone.locator('li.msg.theirs').filter({ hasText: 'passing you to our team' }).waitFor();

  const inbox = await newPage(DESKTOP);
  await signIn(inbox);
  await inbox.locator(`#queue .item[data-id$=":${PHONE}"]`).click();
  await inbox.waitForURL(/\/inbox\/c\//);
  // Not taken yet: no payment link.
  expect(await inbox.getByRole('button', { name: 'Payment link' }).isVisible()).toBe(false);
  await inbox.getByRole('button', { name: 'Take', exact: true }).click();
  await inbox.locator('#thread-sub').filter({ hasText: 'with you' }).waitFor();

  // The contact panel (always shown on a wide screen) lists the customer's open demo invoices.
  const section = inbox
    .locator('.panel-section')
    .filter({ has: inbox.getByRole('heading', { name: 'Payments' }) });
  await section.waitFor();
  await section.getByText('No payments yet.').waitFor();
  expect(await section.locator('.invoice-line').count()).toBeGreaterThan(0);

  // A bad amount is refused in the page; a good one goes out.
  await inbox.getByRole('button', { name: 'Payment link' }).click();
  await inbox.getByLabel('Amount').fill('abc');
  await inbox.getByLabel('For').fill('Gift card for Giulia');
  await inbox.getByRole('button', { name: 'Send payment link' }).click();
  await inbox.locator('#composer-error').filter({ hasText: 'Enter an amount' }).waitFor();
  await inbox.getByLabel('Amount').fill('45.00');
  await inbox.getByRole('button', { name: 'Send payment link' }).click();

  const card = inbox.locator('li.msg .payment-card');
  await card.and(inbox.locator('[data-status="created"]')).waitFor({ timeout: 15_000 });
  expect(await card.locator('.payment-amount').innerText()).toBe('€45.00');
  await card.locator('.payment-status').filter({ hasText: 'Link sent' }).waitFor();
  // Signed by the staff member who sent it.
  await inbox
    .locator('li.msg.staff')
    .filter({ has: inbox.locator('.payment-card') })
    .locator('.msg-author')
    .filter({ hasText: 'Demo Admin' })
    .waitFor();
  await section.locator('.kv').filter({ hasText: '€45.00' }).filter({ hasText: 'Link sent' }).waitFor();

  // The customer opens the link from the chat and pays on the sandbox page.
  const link = phone.locator('li.msg.theirs').filter({ hasText: 'Gift card for Giulia' });
  await link.waitFor();
  const [payPage] = await Promise.all([
    phone.context().waitForEvent('page'),
    link.getByRole('link').first().click(),
  ]);
  await payPage.waitForLoadState();
  expect(payPage.url()).toMatch(new RegExp(`^${base}/pay/[\\w-]{24}$`));
  await payPage.getByRole('button', { name: 'Pay', exact: true }).click();
  await payPage
    .getByRole('status')
    .filter({ hasText: 'This payment has been received' })
    .waitFor({ timeout: 15_000 });

  // The inbox card turns paid without a reload, and so does the panel.
  await card.and(inbox.locator('[data-status="succeeded"]')).waitFor({ timeout: 15_000 });
  await card.locator('.payment-status').filter({ hasText: 'Paid' }).waitFor();
  await section.locator('.kv').filter({ hasText: '€45.00' }).filter({ hasText: 'Paid' }).waitFor();
  await inbox.locator('li.msg').filter({ hasText: 'Payment received' }).waitFor({ timeout: 15_000 });
  await shot(inbox, 'inbox-06-payment-paid-desktop');

  expect(inbox.problems).toEqual([]);
  expect(phone.problems).toEqual([]);
  await payPage.context().close();
}, 120_000);
