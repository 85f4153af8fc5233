import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { freePort } from '../helpers/freePort.js';

/**
 * The inbox as staff use it: the real server in sandbox mode, a customer on the sandbox phone
 * page and a staff member in the inbox, both in headless Chromium.
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
  dataDir = await mkdtemp(path.join(tmpdir(), 'wca-inbox-browser-'));
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

test('staff sign in, take a handed-over conversation, reply with ticks, resolve, and the bot answers again', async () => {
  const phone = await newPage(MOBILE);
  await phone.goto(`${base}/sandbox`);
  await phone.getByRole('heading', { level: 1, name: 'Bella Studio' }).waitFor();
  expect(await phone.getByRole('textbox', { name: 'Customer', exact: true }).inputValue()).toBe(PHONE);
  await customerSays(phone, 'hello');
  await phone.locator('li.msg.theirs').filter({ hasText: 'How can I help you?' }).waitFor();
  await customerSays(phone, 'I want to talk to a person please');
  await phone.locator('li.msg.theirs').filter({ hasText: 'passing you to our team' }).waitFor();

  const inbox = await newPage(DESKTOP);
  await signIn(inbox);
  const item = inbox.locator(`#queue .item[data-id$=":${PHONE}"]`);
  await item.waitFor();
  await expect(item.locator('.pill.reason').innerText()).resolves.toBe('Asked for a person');
  await shot(inbox, 'inbox-01-queue-desktop');

  // Keyboard: j/k select, Enter opens, ? shows the help.
  await inbox.keyboard.press('?');
  await inbox.getByRole('dialog', { name: 'Keyboard shortcuts' }).waitFor();
  await inbox.keyboard.press('Escape');
  await inbox.keyboard.press('Enter');
  await inbox.waitForURL(/\/inbox\/c\//);
  await inbox.locator('#thread-banner').filter({ hasText: 'Waiting for someone' }).waitFor();
  await inbox.getByRole('button', { name: 'Take', exact: true }).click();
  await inbox.locator('#thread-sub').filter({ hasText: 'with you' }).waitFor();

  const reply = 'Hi! Ada from Bella Studio here, how can I help?';
  await inbox.getByRole('textbox', { name: 'Message' }).fill(reply);
  await inbox.getByRole('textbox', { name: 'Message' }).press('Enter');
  // The reply reaches the phone through the Graph endpoint, and its ticks come back to the inbox.
  await phone.locator('li.msg.theirs').filter({ hasText: reply }).waitFor();
  const sentReply = inbox.locator('li.msg.staff').filter({ hasText: reply });
  await sentReply.locator('.msg-author').filter({ hasText: 'Demo Admin' }).waitFor();
  await sentReply.and(inbox.locator('[data-status="read"]')).waitFor({ timeout: 15_000 });
  await sentReply.getByRole('img', { name: 'Read' }).waitFor();

  // The customer answers; it appears live.
  await customerSays(phone, 'I would like to move my appointment');
  await inbox.locator('li.msg.in').filter({ hasText: 'move my appointment' }).waitFor();
  expect(await phone.locator('li.msg.theirs').filter({ hasText: 'How can I help you?' }).count()).toBe(1);

  // A private note and a tag.
  await inbox.getByRole('tab', { name: 'Private note' }).click();
  await inbox.getByRole('textbox', { name: 'Message' }).fill('Regular customer, prefers mornings');
  await inbox.getByRole('button', { name: 'Add note' }).click();
  await inbox.locator('li.note').filter({ hasText: 'prefers mornings' }).waitFor();
  await inbox.getByRole('tab', { name: 'Reply' }).click();
  await inbox.getByLabel('Add a tag').fill('reschedule');
  await inbox.getByLabel('Add a tag').press('Enter');
  await inbox.locator('.panel-body .pill.tag').filter({ hasText: 'reschedule' }).waitFor();
  await shot(inbox, 'inbox-02-conversation-desktop');

  // Phone-sized inbox: the queue, then the conversation on its own.
  const small = await newPage(MOBILE);
  await small.context().addCookies(await inbox.context().cookies());
  await small.goto(`${base}/inbox/`);
  await small.getByRole('tab', { name: /Mine/ }).click();
  await small.locator(`#queue .item[data-id$=":${PHONE}"]`).waitFor();
  await shot(small, 'inbox-03-queue-phone');
  await small.locator('#queue .item').first().click();
  await small.locator('li.msg.staff').filter({ hasText: reply }).waitFor();
  expect(await small.locator('.queue-pane').isVisible()).toBe(false);
  await shot(small, 'inbox-04-conversation-phone');

  // Two staff on one conversation see each other's replies.
  const second = 'Of course, which day suits you?';
  await small.getByRole('textbox', { name: 'Message' }).fill(second);
  await small.getByRole('button', { name: 'Send' }).click();
  await inbox.locator('li.msg.staff').filter({ hasText: second }).waitFor();

  // Resolve with a closing message; the bot answers the next message.
  await inbox.keyboard.press('Escape');
  await inbox.locator('#thread').waitFor({ state: 'hidden' });
  await inbox.keyboard.press('2');
  await inbox.locator(`#queue .item[data-id$=":${PHONE}"]`).waitFor();
  await inbox.keyboard.press('Enter');
  await inbox.locator('#thread-sub').filter({ hasText: 'with you' }).waitFor();
  await inbox.locator('#resolve').waitFor();
  await inbox.locator('#messages').focus();
  await inbox.keyboard.press('e');
  await inbox.getByRole('dialog', { name: /Resolve/ }).waitFor();
  await inbox.getByLabel('Closing message (optional)').fill('Thanks, see you soon!');
  await inbox.getByRole('button', { name: 'Resolve', exact: true }).last().click();
  await phone.locator('li.msg.theirs').filter({ hasText: 'Thanks, see you soon!' }).waitFor();
  await phone.locator('li.msg.theirs').filter({ hasText: "I'm back" }).waitFor();
  await inbox.locator('#thread-banner').filter({ hasText: 'The assistant has this conversation' }).waitFor();

  await customerSays(phone, 'hello');
  await phone.locator('li.msg.theirs').filter({ hasText: 'How can I help you?' }).nth(1).waitFor();
  await inbox.locator('li.msg.bot').filter({ hasText: 'How can I help you?' }).nth(1).waitFor();
  await inbox.locator('li.event').filter({ hasText: 'The assistant is answering again' }).waitFor();

  expect(inbox.problems).toEqual([]);
  expect(small.problems).toEqual([]);
  expect(phone.problems).toEqual([]);
}, 120_000);

test('an admin invites a teammate, who sets a password and signs in; deactivation signs them out', async () => {
  const inbox = await newPage(DESKTOP);
  await signIn(inbox);
  await inbox.getByRole('link', { name: 'Team' }).click();
  const team = inbox.getByRole('dialog', { name: 'Team' });
  await team.waitFor();
  await team.getByLabel('Name').fill('Bruno Rossi');
  await team.getByLabel('Email').fill('bruno@bella-studio.test');
  await team.getByRole('button', { name: 'Invite' }).click();
  const link = await team.locator('#invite-link input').inputValue();
  expect(link).toMatch(/\/inbox\/invite#[\w-]{40,}$/);
  await team.locator('tr').filter({ hasText: 'Bruno Rossi' }).filter({ hasText: 'Invited' }).waitFor();
  await shot(inbox, 'inbox-05-team-desktop');

  const bruno = await newPage(MOBILE);
  await bruno.goto(link);
  await bruno.getByLabel('New password').fill('short');
  await bruno.getByLabel('Repeat it').fill('short');
  await bruno.getByRole('button', { name: 'Set password and sign in' }).click();
  await bruno.getByRole('alert').filter({ hasText: 'at least 10' }).waitFor();
  await bruno.getByLabel('New password').fill('a sentence to remember');
  await bruno.getByLabel('Repeat it').fill('a sentence to remember');
  await bruno.getByRole('button', { name: 'Set password and sign in' }).click();
  await bruno.waitForURL(`${base}/inbox/`);
  await bruno.locator('#me-name').filter({ hasText: 'Bruno Rossi' }).waitFor();
  expect(await bruno.getByRole('link', { name: 'Team' }).isVisible()).toBe(false);

  // The link worked once.
  const again = await newPage(MOBILE);
  await again.goto(link);
  await again.getByLabel('New password').fill('another sentence here');
  await again.getByLabel('Repeat it').fill('another sentence here');
  await again.getByRole('button', { name: 'Set password and sign in' }).click();
  await again.getByRole('alert').filter({ hasText: 'already used or has expired' }).waitFor();

  inbox.once('dialog', (dialog) => void dialog.accept());
  await team
    .locator('tr')
    .filter({ hasText: 'Bruno Rossi' })
    .getByRole('button', { name: 'Deactivate' })
    .click();
  await team.locator('tr').filter({ hasText: 'Bruno Rossi' }).filter({ hasText: 'Deactivated' }).waitFor();
  // Bruno's next request is refused and the page sends him to sign in.
  await bruno.getByRole('tab', { name: /All/ }).click();
  await bruno.waitForURL(/\/inbox\/login/);
  expect(inbox.problems).toEqual([]);
}, 90_000);
