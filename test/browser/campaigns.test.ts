import { readFile } from 'node:fs/promises';
import {
  newPage,
  screenshotPath,
  shot,
  startBrowserServer,
  type BrowserServer,
} from '../helpers/browserServer.js';

/**
 * The campaigns page as a marketer uses it, against the real server in sandbox mode: sign in as
 * staff, create a campaign, download its QR code, bring a customer in through its link, run a dry
 * run and a broadcast, watch it progress (pausing and resuming it), and read the funnel chart.
 */

const CUSTOMER = '393331234567';
const RECIPIENTS = 120;

let server: BrowserServer;
let token = '';

async function api(pathname: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${server.baseUrl}/api${pathname}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${pathname}: ${response.status} ${await response.text()}`);
  return response.json();
}

beforeAll(async () => {
  server = await startBrowserServer({
    name: 'campaigns',
    demoAdmin: true,
    // A slow number, so the broadcast takes long enough to watch, pause and resume.
    env: { WHATSAPP_MPS: '20', BROADCAST_SEND_HOURS: '00:00-24:00' },
  });
  token = (/API token:\s+(\S+)/.exec(server.output()) as RegExpExecArray)[1] as string;
}, 90_000);

afterAll(async () => {
  await server?.stop();
}, 30_000);

test('create a campaign, download its QR code, broadcast to an imported list and read the funnel', async () => {
  const page = await newPage(server.browser, {
    viewport: { width: 1280, height: 900 },
    locale: undefined,
    acceptDownloads: true,
  });
  const context = page.context();
  const admin = server.demoAdmin!;

  // Signed out, the page sends the marketer to the staff sign-in, then back to the campaigns.
  await page.goto(`${server.baseUrl}/campaigns`);
  await page.waitForURL(/\/inbox\/login\?next=%2Fcampaigns$/);
  await page.getByLabel('Email').fill(admin.email);
  await page.getByLabel('Password').fill(admin.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${server.baseUrl}/campaigns/`);
  await page.getByText('No campaigns yet').waitFor();
  expect(await page.locator('#me-name').innerText()).toBe('Demo Admin');

  // A campaign with a ref code, starting the help flow after a welcome text.
  const form = page.locator('#campaign-form');
  await form.getByLabel('Name').fill('Spring colour');
  await form.getByLabel('Ref code').fill('spring26');
  await form.getByLabel('Entry flow').selectOption('help');
  await form.getByLabel('Welcome text').fill('Welcome, spring colour fans!');
  await form.getByLabel('Amount').fill('50');
  await form.getByLabel('Currency').fill('EUR');
  await form.getByRole('button', { name: 'Create campaign' }).click();
  await page.getByRole('heading', { level: 2, name: 'Spring colour' }).waitFor();
  const tracked = page.locator('#tracked-link');
  expect(await tracked.innerText()).toBe(`http://localhost:${new URL(server.baseUrl).port}/c/SPRING26`);
  expect(await page.locator('#prefill').innerText()).toBe('Hi! I would like to know more. [ref:SPRING26]');
  await page.locator('#qr[src^="blob:"]').waitFor();
  expect(await page.locator('#qr').evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(0);
  await shot(page, 'campaigns-01-created', { fullPage: true });

  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Download QR (PNG)' }).click(),
  ]);
  expect(download.suggestedFilename()).toBe('spring26-qr.png');
  const png = await readFile((await download.path()) as string);
  expect(png.subarray(0, 8)).toEqual(Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]));

  // A customer follows the link: the click is counted, and WhatsApp opens with the ref code.
  const redirect = await fetch(`${server.baseUrl}/c/SPRING26`, { redirect: 'manual' });
  expect(redirect.status).toBe(302);
  const prefilled = new URL(redirect.headers.get('location') as string).searchParams.get('text') as string;
  // They send the prefilled text from the sandbox phone and tap a button of the entry flow.
  await fetch(`${server.baseUrl}/sandbox/api/send`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ phone: CUSTOMER, text: prefilled }),
  });
  const phone = await context.newPage();
  await phone.goto(`${server.baseUrl}/sandbox`);
  await phone.getByRole('textbox', { name: 'Customer', exact: true }).fill(CUSTOMER);
  await phone.getByRole('textbox', { name: 'Customer', exact: true }).press('Enter');
  await phone.locator('li.msg.theirs').filter({ hasText: 'Welcome, spring colour fans!' }).waitFor();
  await phone.getByRole('button', { name: 'Menu' }).first().click();
  await phone.locator('li.msg.theirs').filter({ hasText: 'How can I help you?' }).waitFor();
  await shot(phone, 'campaigns-02-customer-arrives');
  await phone.close();
  await api(`/contacts/${CUSTOMER}/consent`, {
    action: 'opt_in',
    wording: 'Yes, send me Bella Studio offers',
  });

  // Broadcast: the imported list plus a bad row and a duplicate, and the customer above.
  const rows = ['phone,name,language', `+${CUSTOMER},Giulia,it`];
  for (let i = 0; i < RECIPIENTS - 1; i++) rows.push(`+44 7700 9${String(i).padStart(5, '0')},Guest ${i},en`);
  rows.push('12ab,Broken,en', `+${CUSTOMER},Giulia again,it`);
  const broadcast = page.locator('#broadcast-form');
  await broadcast.getByLabel('Name', { exact: true }).fill('Spring offer');
  await broadcast.getByLabel('Template').selectOption('spring_offer');
  await page.locator('[data-variable="offer"] select').selectOption('text');
  await page.locator('[data-variable="offer"] input[name="var-value-offer"]').fill('20% off colour');
  await page.locator('[data-variable="name"] input[name="var-fallback-name"]').fill('there');
  await broadcast.getByLabel('Import a CSV').check();
  await broadcast.getByLabel('CSV file').setInputFiles({
    name: 'spring.csv',
    mimeType: 'text/csv',
    buffer: Buffer.from(rows.join('\n')),
  });
  await broadcast
    .getByLabel('Opt-in wording these contacts agreed to')
    .fill('I agree to receive Bella Studio offers on WhatsApp');
  await broadcast.getByLabel('Where it was collected').fill('spring_fair_form');
  await broadcast.getByRole('button', { name: 'Dry run' }).click();
  const preview = page.locator('#preview');
  await preview.getByText(`${RECIPIENTS} of ${RECIPIENTS + 2} will receive it`).waitFor();
  expect(await preview.locator('[data-reason="invalid_number"] td').innerText()).toBe('1');
  expect(await preview.locator('[data-reason="duplicate"] td').innerText()).toBe('1');
  expect(await preview.locator('#csv-report').innerText()).toMatch(/Row \d+: Invalid number \(12ab\)/);
  expect(await preview.locator('#samples').innerText()).toContain(
    'Ciao Giulia! Questa primavera da Bella Studio: 20% off colour.',
  );
  await shot(page, 'campaigns-03-dry-run', { fullPage: true });

  const send = page.getByRole('button', { name: 'Send broadcast' });
  expect(await send.isDisabled()).toBe(true);
  await page.getByLabel(`I confirm sending this broadcast to ${RECIPIENTS} recipients`).check();
  await send.click();

  // Progress updates by itself; pause part-way, then resume.
  const progress = page.locator('#progress');
  await progress.getByRole('progressbar').waitFor();
  await page.waitForFunction(() => {
    const value = Number(document.querySelector('#progress-bar')?.getAttribute('aria-valuenow'));
    return value >= 10 && value < 80;
  });
  await page.getByRole('button', { name: 'Pause' }).click();
  await page.getByRole('heading', { name: /^Paused at \d+%/ }).waitFor();
  await shot(page, 'campaigns-04-paused', { fullPage: true });
  const progressNow = async () => Number(await page.locator('#progress-bar').getAttribute('aria-valuenow'));
  // Only what was already with the sender may still leave while paused: wait until that has
  // settled, then nothing more may move while the broadcast stays paused.
  let settled = await progressNow();
  for (let tries = 0; tries < 20; tries++) {
    await page.waitForTimeout(1000);
    const now = await progressNow();
    if (now === settled) break;
    settled = now;
  }
  expect(settled).toBeLessThan(100);
  await page.waitForTimeout(1500);
  expect(await progressNow()).toBe(settled);
  await page.getByRole('button', { name: 'Resume' }).click();
  await page.getByRole('heading', { name: /^Sending… \d+%/ }).waitFor();
  await shot(page, 'campaigns-05-sending', { fullPage: true });
  await page.getByRole('heading', { name: 'Finished' }).waitFor({ timeout: 30_000 });
  const delivered = async () =>
    ['sent', 'delivered', 'read', 'replied'].reduce(
      async (sum, status) =>
        (await sum) + Number(await page.locator(`dd[data-status="${status}"]`).innerText()),
      Promise.resolve(0),
    );
  expect(await delivered()).toBe(RECIPIENTS);
  expect(await page.locator('dd[data-status="failed"]').innerText()).toBe('0');
  await page.locator('#progress').screenshot({ path: screenshotPath('campaigns-06-finished') });

  // The funnel: 1 click, 1 first message, engaged (a tap on the menu button).
  await page.locator('.campaign-item', { hasText: 'Spring colour' }).click();
  const stage = (name: string) => page.locator(`#funnel-chart [data-stage="${name}"] text.value`);
  await stage('clicks').waitFor();
  expect(await stage('clicks').textContent()).toBe('1');
  expect(await stage('firstMessages').textContent()).toBe('1 (100%)');
  expect(await stage('engaged').textContent()).toBe('1 (100%)');
  expect(await stage('paid').textContent()).toBe('0');
  expect(await page.locator('#funnel-table tbody tr').count()).toBe(1);
  expect(await page.locator('#roas').innerText()).toMatch(/Spend €50\.00/);
  const [csv] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Export CSV' }).click(),
  ]);
  expect((await readFile((await csv.path()) as string, 'utf8')).split('\n')[0]).toBe(
    'day,clicks,first_messages,engaged,quote_or_cart,payment_requested,paid,revenue_EUR',
  );
  await page.locator('#campaign-detail').screenshot({ path: screenshotPath('campaigns-07-funnel') });

  // The same session opens the inbox, and its header leads back to the campaigns.
  await page.getByRole('link', { name: 'Inbox' }).click();
  await page.waitForURL(`${server.baseUrl}/inbox/`);
  await page.getByRole('link', { name: 'Campaigns' }).click();
  await page.waitForURL(`${server.baseUrl}/campaigns/`);
  await page.locator('.campaign-item', { hasText: 'Spring colour' }).waitFor();
  expect(page.problems).toEqual([]);
  await context.close();
}, 120_000);
