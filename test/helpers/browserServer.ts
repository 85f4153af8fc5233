import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContextOptions, type Page } from 'playwright-core';
import { freePort } from './freePort.js';

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

/** A phone-sized viewport, as the sandbox phone page is meant to be seen. */
export const MOBILE_VIEWPORT = { width: 390, height: 844 };

/** The staff account a sandbox server seeds on first start and prints on its banner. */
export interface DemoAdmin {
  email: string;
  password: string;
}

export interface BrowserServerOptions {
  /** Names the temporary data directory (`wca-<name>-browser-…`). */
  name: string;
  /** Variables on top of the defaults: nothing configured, so sandbox mode on PGlite. */
  env?: Record<string, string>;
  /** Sets PUBLIC_BASE_URL to the server's own address, so the links it sends lead back to it. */
  publicBaseUrl?: boolean;
  /** Waits for the demo admin on the start banner and reads it, for tests that sign in as staff. */
  demoAdmin?: boolean;
}

/** The real server in its own process group, and headless Chromium to look at it with. */
export interface BrowserServer {
  /** `http://127.0.0.1:<port>` */
  baseUrl: string;
  browser: Browser;
  /** Set when started with `demoAdmin: true`. */
  demoAdmin: DemoAdmin | null;
  /** Everything the server has printed so far (banner, warnings). */
  output(): string;
  /** Closes Chromium, stops the server and removes its data directory; safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Starts `src/main.ts` with a fresh data directory on a free port, waits until `/readyz` answers
 * (and, if asked, the demo admin is on the banner), then launches Chromium.
 *
 * @throws when Chromium is missing, the server exits or is not ready within 45 s; nothing is left running.
 * @example const server = await startBrowserServer({ name: 'inbox', publicBaseUrl: true, demoAdmin: true });
 */
export async function startBrowserServer(options: BrowserServerOptions): Promise<BrowserServer> {
  requireChromium();
  await mkdir(SCREENSHOTS, { recursive: true });
  const dataDir = await mkdtemp(path.join(tmpdir(), `wca-${options.name}-browser-`));
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const child = spawn(path.join(ROOT, 'node_modules/.bin/tsx'), ['src/main.ts'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      PORT: String(port),
      ...(options.publicBaseUrl ? { PUBLIC_BASE_URL: baseUrl } : {}),
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      ...options.env,
    },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));

  let browser: Browser | null = null;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await browser?.close().catch(() => undefined);
    await stopProcessGroup(child);
    await rm(dataDir, { recursive: true, force: true });
  };

  try {
    const banner = options.demoAdmin ? /Demo admin/ : null;
    await waitUntilReady(child, `${baseUrl}/readyz`, () => output, banner);
    const demoAdmin = options.demoAdmin ? readDemoAdmin(output) : null;
    browser = await launchChromium();
    return { baseUrl, browser, demoAdmin, output: () => output, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Headless Chromium from `CHROMIUM_PATH` (default /usr/bin/chromium), with nothing phoning home. */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: requireChromium(), args: CHROMIUM_ARGS });
}

/** A page that collects uncaught errors and `console.error` lines, for tests to require none at the end. */
export type WatchedPage = Page & { problems: string[] };

/** Context options for a new page. */
export type NewPageOptions = BrowserContextOptions;

/**
 * Opens a page in a context of its own, in en-GB unless `locale` says otherwise.
 *
 * @example const inbox = await newPage(server.browser, { viewport: { width: 1366, height: 860 } });
 */
export async function newPage(browser: Browser, contextOptions: NewPageOptions): Promise<WatchedPage> {
  const context = await browser.newContext({ locale: 'en-GB', ...contextOptions });
  const page = (await context.newPage()) as WatchedPage;
  page.problems = [];
  page.on('pageerror', (error) => page.problems.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') page.problems.push(message.text());
  });
  return page;
}

/** Opens the sandbox phone page (phone-sized unless `viewport` says otherwise) once it has loaded. */
export async function openSandboxPhone(
  server: BrowserServer,
  options: NewPageOptions = {},
): Promise<WatchedPage> {
  const phone = await newPage(server.browser, { viewport: MOBILE_VIEWPORT, ...options });
  await phone.goto(`${server.baseUrl}/sandbox`);
  await phone.getByRole('heading', { level: 1, name: 'Bella Studio' }).waitFor();
  return phone;
}

/** Types a message on the sandbox phone page and sends it. */
export async function customerSays(phone: Page, text: string): Promise<void> {
  const field = phone.getByRole('textbox', { name: 'Message', exact: true });
  await field.fill(text);
  await field.press('Enter');
}

/**
 * Signs in to the inbox as the demo admin, first with a wrong password to see it refused.
 *
 * @throws when the server was started without `demoAdmin: true`.
 */
export async function signInToInbox(page: WatchedPage, server: BrowserServer): Promise<void> {
  const admin = server.demoAdmin;
  if (!admin) throw new Error('Start the server with demoAdmin: true to sign in as its demo admin');
  await page.goto(`${server.baseUrl}/inbox/`);
  await page.waitForURL(/\/inbox\/login/);
  await page.getByLabel('Email').fill(admin.email);
  await page.getByLabel('Password').fill('wrong password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('alert').filter({ hasText: 'Wrong email or password' }).waitFor();
  // The browser logs the refused sign-in (401) as a console error; that one was expected.
  page.problems.splice(0, page.problems.length, ...page.problems.filter((p) => !/status of 401/.test(p)));
  await page.getByLabel('Password').fill(admin.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${server.baseUrl}/inbox/`);
  await page.locator('#live[data-state="live"]').waitFor();
}

/** Where the screenshot called `name` is saved (test/browser/screenshots, ignored by git). */
export function screenshotPath(name: string): string {
  return path.join(SCREENSHOTS, `${name}.png`);
}

/** Saves a screenshot of what the page shows (or all of it, with `fullPage`). */
export async function shot(page: Page, name: string, { fullPage = false } = {}): Promise<Buffer> {
  return page.screenshot({ path: screenshotPath(name), fullPage });
}

function requireChromium(): string {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `No Chromium at ${CHROMIUM}: install it (apt-get install -y chromium) or set CHROMIUM_PATH`,
    );
  }
  return CHROMIUM;
}

async function waitUntilReady(
  child: ChildProcess,
  url: string,
  output: () => string,
  banner: RegExp | null,
  timeoutMs = 45_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`The server exited early:\n${output()}`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (response.ok && (!banner || banner.test(output()))) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`The server was not ready within ${timeoutMs} ms:\n${output()}`);
}

function readDemoAdmin(output: string): DemoAdmin {
  const match = /Demo admin:\s+(\S+)\s+password (\S+)/.exec(output);
  if (!match) throw new Error(`No demo admin on the start banner:\n${output}`);
  return { email: match[1] as string, password: match[2] as string };
}

async function stopProcessGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.pid === undefined) return;
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
