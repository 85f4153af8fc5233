import path from 'node:path';
import type { Page } from 'playwright-core';
import { loadBusiness } from '../../src/business/loadBusiness.js';
import { isOpen } from '../../src/inbox/businessHours.js';
import {
  MOBILE_VIEWPORT,
  openSandboxPhone,
  shot,
  startBrowserServer,
  type BrowserServer,
  type WatchedPage,
} from '../helpers/browserServer.js';

/**
 * The sandbox as someone running `npm start` sees it: the real server in its own process (sandbox
 * mode, embedded database, nothing configured) and the phone page in headless Chromium.
 */

const FIRST_PHONE = '393331234567';
const SECOND_PHONE = '447700900123';

let server: BrowserServer;
const business = loadBusiness(path.join(process.cwd(), 'seed/bella-studio.yaml'));
let afterHours = 0;

const phoneField = (page: Page) => page.getByRole('textbox', { name: 'Customer', exact: true });
const messageField = (page: Page) => page.getByRole('textbox', { name: 'Message', exact: true });

const bubble = (page: Page, side: 'mine' | 'theirs', text: string | RegExp) =>
  page.locator(`li.msg.${side}`).filter({ hasText: text });

const openPhone = (viewport = MOBILE_VIEWPORT): Promise<WatchedPage> =>
  openSandboxPhone(server, { viewport });

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

// Nothing configured: sandbox mode on PGlite, as after `npm ci && npm start`.
beforeAll(async () => {
  server = await startBrowserServer({ name: 'sandbox' });
}, 90_000);

afterAll(async () => {
  await server?.stop();
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
  expect(page.problems).toEqual([]);
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
  expect(page.problems).toEqual([]);
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
