import {
  customerSays,
  newPage,
  openSandboxPhone,
  shot,
  signInToInbox,
  startBrowserServer,
  type BrowserServer,
} from '../helpers/browserServer.js';

/**
 * Payments in the inbox: staff send a payment link from a conversation, the customer pays it on
 * the sandbox pay page, and the card in the transcript turns paid without a reload.
 */

const PHONE = '393331234567';
const DESKTOP = { width: 1366, height: 860 };

let server: BrowserServer;

beforeAll(async () => {
  server = await startBrowserServer({ name: 'inbox-pay', publicBaseUrl: true, demoAdmin: true });
}, 90_000);

afterAll(async () => {
  await server?.stop();
}, 30_000);

test('staff send a payment link, the customer pays it, and the card turns paid live', async () => {
  const phone = await openSandboxPhone(server);
  expect(await phone.getByRole('textbox', { name: 'Customer', exact: true }).inputValue()).toBe(PHONE);
  await customerSays(phone, 'I want to talk to a person please');
  await phone.locator('li.msg.theirs').filter({ hasText: 'passing you to our team' }).waitFor();

  const inbox = await newPage(server.browser, { viewport: DESKTOP });
  await signInToInbox(inbox, server);
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
  expect(payPage.url()).toMatch(new RegExp(`^${server.baseUrl}/pay/[\\w-]{24}$`));
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
