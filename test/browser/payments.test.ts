import type { Page } from 'playwright-core';
import {
  customerSays,
  openSandboxPhone,
  shot,
  startBrowserServer,
  type BrowserServer,
} from '../helpers/browserServer.js';

/**
 * Paying in sandbox mode as a customer would: the real server in its own process, the phone page
 * and the pay page in headless Chromium. Staff send a payment link; the customer taps it, pays on
 * the sandbox pay page, and the receipt arrives in the chat by itself.
 */

const CUSTOMER = '393331234567';
const API_TOKEN = 'browser-test-token-0123456789abcdef';

let server: BrowserServer;

const bubble = (page: Page, side: 'mine' | 'theirs', text: string | RegExp) =>
  page.locator(`li.msg.${side}`).filter({ hasText: text });

beforeAll(async () => {
  server = await startBrowserServer({ name: 'payments', publicBaseUrl: true, env: { API_TOKEN } });
}, 90_000);

afterAll(async () => {
  await server?.stop();
}, 30_000);

test('a customer taps the payment link, pays on the sandbox page and reads the receipt in the chat', async () => {
  const phone = await openSandboxPhone(server);
  const context = phone.context();
  await customerSays(phone, 'hello');
  await bubble(phone, 'theirs', 'How can I help you?').waitFor();

  // Staff send a payment link from the inbox (the same API the inbox uses).
  const response = await fetch(`${server.baseUrl}/api/payments`, {
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
  expect(payPage.url()).toMatch(new RegExp(`^${server.baseUrl}/pay/[\\w-]{24}$`));
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
  expect(phone.problems).toEqual([]);
  await context.close();
});
