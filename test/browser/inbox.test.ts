import {
  customerSays,
  MOBILE_VIEWPORT,
  newPage,
  openSandboxPhone,
  shot,
  signInToInbox,
  startBrowserServer,
  type BrowserServer,
} from '../helpers/browserServer.js';

/**
 * The inbox as staff use it: the real server in sandbox mode, a customer on the sandbox phone
 * page and a staff member in the inbox, both in headless Chromium.
 */

const PHONE = '393331234567';
const DESKTOP = { width: 1366, height: 860 };

let server: BrowserServer;

beforeAll(async () => {
  server = await startBrowserServer({ name: 'inbox', publicBaseUrl: true, demoAdmin: true });
}, 90_000);

afterAll(async () => {
  await server?.stop();
}, 30_000);

test('staff sign in, take a handed-over conversation, reply with ticks, resolve, and the bot answers again', async () => {
  const phone = await openSandboxPhone(server);
  expect(await phone.getByRole('textbox', { name: 'Customer', exact: true }).inputValue()).toBe(PHONE);
  await customerSays(phone, 'hello');
  await phone.locator('li.msg.theirs').filter({ hasText: 'How can I help you?' }).waitFor();
  await customerSays(phone, 'I want to talk to a person please');
  await phone.locator('li.msg.theirs').filter({ hasText: 'passing you to our team' }).waitFor();

  const inbox = await newPage(server.browser, { viewport: DESKTOP });
  await signInToInbox(inbox, server);
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
  const small = await newPage(server.browser, { viewport: MOBILE_VIEWPORT });
  await small.context().addCookies(await inbox.context().cookies());
  await small.goto(`${server.baseUrl}/inbox/`);
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
  const inbox = await newPage(server.browser, { viewport: DESKTOP });
  await signInToInbox(inbox, server);
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

  const bruno = await newPage(server.browser, { viewport: MOBILE_VIEWPORT });
  await bruno.goto(link);
  await bruno.getByLabel('New password').fill('short');
  await bruno.getByLabel('Repeat it').fill('short');
  await bruno.getByRole('button', { name: 'Set password and sign in' }).click();
  await bruno.getByRole('alert').filter({ hasText: 'at least 10' }).waitFor();
  await bruno.getByLabel('New password').fill('a sentence to remember');
  await bruno.getByLabel('Repeat it').fill('a sentence to remember');
  await bruno.getByRole('button', { name: 'Set password and sign in' }).click();
  await bruno.waitForURL(`${server.baseUrl}/inbox/`);
  await bruno.locator('#me-name').filter({ hasText: 'Bruno Rossi' }).waitFor();
  expect(await bruno.getByRole('link', { name: 'Team' }).isVisible()).toBe(false);

  // The link worked once.
  const again = await newPage(server.browser, { viewport: MOBILE_VIEWPORT });
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
