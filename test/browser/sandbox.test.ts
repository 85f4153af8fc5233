import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { loadBusiness } from '../../src/business/loadBusiness.js';
import { isOpen } from '../../src/inbox/businessHours.js';
import { freePort } from '../helpers/freePort.js';

/**
 * The sandbox as someone running `npm start` sees it: the real server in its own process (sandbox
 * mode, embedded database, nothing configured) and the phone page in headless Chromium.
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
const FIRST_PHONE = '393331234567';
const SECOND_PHONE = '447700900123';
const MOBILE = { width: 390, height: 844 };

let server: ChildProcess | null = null;
let serverOutput = '';
let dataDir = '';
let base = '';
let browser: Browser | null = null;
const business = loadBusiness(path.join(ROOT, 'seed/bella-studio.yaml'));
let afterHours = 0;

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
  // The whole group: tsx runs the server in a child process of its own.
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

const phoneField = (page: Page) => page.getByRole('textbox', { name: 'Customer', exact: true });
const messageField = (page: Page) => page.getByRole('textbox', { name: 'Message', exact: true });

const bubble = (page: Page, side: 'mine' | 'theirs', text: string | RegExp) =>
  page.locator(`li.msg.${side}`).filter({ hasText: text });

async function openPhone(viewport = MOBILE): Promise<Page> {
  const context = await (browser as Browser).newContext({ viewport, locale: 'en-GB' });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text());
  });
  Object.assign(page, { problems });
  await page.goto(`${base}/sandbox`);
  await page.getByRole('heading', { level: 1, name: 'Bella Studio' }).waitFor();
  return page;
}

/** Retries an assertion until it passes: the page updates on its own, from the live stream. */
async function eventually(assertion: () => Promise<void>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await assertion();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

const problemsOf = (page: Page) => (page as Page & { problems: string[] }).problems;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `No Chromium at ${CHROMIUM}: install it (apt-get install -y chromium) or set CHROMIUM_PATH`,
    );
  }
  await mkdir(SCREENSHOTS, { recursive: true });
  dataDir = await mkdtemp(path.join(tmpdir(), 'wca-sandbox-browser-'));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  server = spawn(path.join(ROOT, 'node_modules/.bin/tsx'), ['src/main.ts'], {
    cwd: ROOT,
    // Nothing configured: sandbox mode on PGlite, as after `npm ci && npm start`.
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      PORT: String(port),
      DATA_DIR: dataDir,
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

test('a customer says hello, picks "Talk to a person" from the list, and the chat survives a reload', async () => {
  const page = await openPhone();
  expect(await phoneField(page).inputValue()).toBe(FIRST_PHONE);
  await shot(page, '01-empty-chat');

  await messageField(page).fill('hello');
  await messageField(page).press('Enter');

  // The customer's own tick: the webhook accepted the message.
  const hello = bubble(page, 'mine', 'hello');
  await hello.and(page.locator('[data-status="accepted"]')).waitFor();
  await hello.getByRole('img', { name: 'Sent' }).waitFor();

  await bubble(page, 'theirs', 'Welcome to Bella Studio').waitFor();
  const menu = bubble(page, 'theirs', 'How can I help you?');
  await menu.getByRole('button', { name: 'Menu' }).waitFor();
  // The page displayed them, so the server hears `read` after `sent` and `delivered`.
  await page.locator('li.msg.theirs[data-status="read"]').nth(1).waitFor();
  await shot(page, '02-welcome-and-menu');

  await menu.getByRole('button', { name: 'Menu' }).click();
  const sheet = page.getByRole('dialog', { name: 'Menu' });
  await sheet.waitFor();
  await sheet.getByText('Someone from our team answers you here').waitFor();
  await page.waitForFunction(() => document.getAnimations().every((a) => a.playState === 'finished'));
  await shot(page, '03-list-open');
  // Outside opening hours the customer also hears when the team will answer.
  afterHours = isOpen(await business, new Date()) ? 0 : 1;
  await sheet.getByRole('button', { name: /Talk to a person/ }).click();
  await sheet.waitFor({ state: 'hidden' });

  const choice = bubble(page, 'mine', 'Talk to a person');
  await choice.and(page.locator('[data-status="accepted"]')).waitFor();
  expect(await choice.locator('.quote').innerText()).toMatch(/How can I help you\?/);
  const handoff = bubble(page, 'theirs', 'passing you to our team');
  await handoff.and(page.locator('[data-status="read"]')).waitFor();
  await handoff.getByRole('img', { name: 'Read' }).waitFor();
  if (afterHours)
    await bubble(page, 'theirs', 'closed right now').and(page.locator('[data-status="read"]')).waitFor();
  await shot(page, '04-handoff');

  await page.reload();
  await page.getByRole('heading', { level: 1, name: 'Bella Studio' }).waitFor();
  await handoff.waitFor();
  const texts = await page.locator('li.msg .msg-text').allInnerTexts();
  expect(texts.map((text) => text.trim())).toEqual([
    'hello',
    expect.stringContaining('Welcome to Bella Studio'),
    'How can I help you?',
    'Talk to a person',
    expect.stringContaining('passing you to our team'),
    ...(afterHours ? [expect.stringContaining('closed right now')] : []),
  ]);
  await eventually(async () =>
    expect(await page.locator('li.msg.theirs[data-status="read"]').count()).toBe(3 + afterHours),
  );
  expect(await page.locator('li.msg.mine[data-status="accepted"]').count()).toBe(2);
  await shot(page, '05-after-reload');
  expect(problemsOf(page)).toEqual([]);
  await page.context().close();
});

test('a second phone number gets its own conversation', async () => {
  const page = await openPhone();
  await bubble(page, 'theirs', 'passing you to our team').waitFor();

  await phoneField(page).fill(SECOND_PHONE);
  await phoneField(page).press('Enter');
  await page.getByText('Say hello to Bella Studio').waitFor();
  expect(await page.locator('li.msg').count()).toBe(0);

  await messageField(page).fill('hello');
  await page.getByRole('button', { name: 'Send' }).click();
  await bubble(page, 'theirs', 'Welcome to Bella Studio').waitFor();
  await bubble(page, 'theirs', 'How can I help you?').waitFor();
  expect(await bubble(page, 'theirs', 'passing you to our team').count()).toBe(0);
  await shot(page, '06-second-customer');

  // The number is remembered, and the first customer's chat is still theirs alone.
  await page.reload();
  await page.getByRole('heading', { level: 1, name: 'Bella Studio' }).waitFor();
  expect(await phoneField(page).inputValue()).toBe(SECOND_PHONE);
  await bubble(page, 'theirs', 'How can I help you?').waitFor();
  await phoneField(page).fill(FIRST_PHONE);
  await phoneField(page).press('Enter');
  await bubble(page, 'theirs', 'passing you to our team').waitFor();
  await eventually(async () => expect(await page.locator('li.msg').count()).toBe(5 + afterHours));

  await page.getByRole('button', { name: 'New customer' }).click();
  expect(await phoneField(page).inputValue()).toMatch(/^3933\d{8}$/);
  await page.getByText('Say hello to Bella Studio').waitFor();

  await phoneField(page).fill('12ab');
  await phoneField(page).press('Enter');
  await page.getByRole('alert').waitFor();
  expect(await page.getByRole('alert').innerText()).toMatch(/6 to 15 digits/);
  expect(problemsOf(page)).toEqual([]);
  await page.context().close();
});

test('on a desktop screen the phone sits in a frame beside the notes', async () => {
  const page = await openPhone({ width: 1280, height: 860 });
  await phoneField(page).fill(FIRST_PHONE);
  await phoneField(page).press('Enter');
  await bubble(page, 'theirs', 'passing you to our team').waitFor();
  await page.getByRole('heading', { name: 'You are the customer' }).waitFor();

  // Staff have this conversation now, so the bot stays quiet; the text is shown, never parsed.
  const tricky = '<img src=x onerror="document.title=1"> *not* <b>bold</b>\nsecond line';
  await messageField(page).fill(tricky);
  await messageField(page).press('Enter');
  const sent = bubble(page, 'mine', 'second line').and(page.locator('[data-status="accepted"]'));
  await sent.waitFor();
  expect(await sent.locator('.msg-text').innerText()).toBe(tricky.replace('*not*', 'not'));
  expect(await sent.locator('img, b').count()).toBe(0);
  expect(await sent.locator('strong').innerText()).toBe('not');
  const frame = await page.locator('#phone-app').boundingBox();
  expect(frame?.width).toBe(390);
  await shot(page, '07-desktop');
  await page.context().close();
});
