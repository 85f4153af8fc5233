import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadBusiness } from '../../src/business/loadBusiness.js';
import { describeOpening, isOpen, nextOpening } from '../../src/inbox/businessHours.js';
import { listQueue } from '../../src/inbox/handoffRepo.js';
import { loadWhatsAppTemplates } from '../../src/inbox/loadWhatsAppTemplates.js';
import { verifyPassword } from '../../src/inbox/passwords.js';
import { seedFirstAdmin } from '../../src/inbox/seedFirstAdmin.js';
import { findStaffByEmail, listStaff } from '../../src/inbox/staffRepo.js';
import { metaWebhook, text } from '../fixtures/metaWebhook.js';
import { resetStore, storeKinds, type TestStore } from '../helpers/stores.js';
import { createTestApp, type TestApp } from '../helpers/testApp.js';
import { addStaff, resetInbox } from './helpers.js';

const business = await loadBusiness(path.resolve('seed/bella-studio.yaml'));

describe('opening hours of the demo business (Europe/Rome, Tue–Sat 09:00–19:00)', () => {
  test.each([
    ['2026-03-03T08:00:00Z', true], // Tuesday 09:00 in Rome
    ['2026-03-03T07:59:00Z', false],
    ['2026-03-03T18:00:00Z', false], // Tuesday 19:00: closed
    ['2026-03-02T12:00:00Z', false], // Monday
    ['2026-07-04T16:59:00Z', true], // Saturday 18:59 in summer time
  ])('%s open: %s', (at, open) => {
    expect(isOpen(business, new Date(at))).toBe(open);
  });

  test('the next opening is found to the minute, across the weekend and summer time', () => {
    expect(nextOpening(business, new Date('2026-03-07T18:30:00Z'))?.toISOString()).toBe(
      '2026-03-10T08:00:00.000Z',
    );
    expect(nextOpening(business, new Date('2026-03-28T19:00:00Z'))?.toISOString()).toBe(
      '2026-03-31T07:00:00.000Z',
    );
    const now = new Date('2026-03-04T10:00:00Z');
    expect(nextOpening(business, now)).toBe(now);
    expect(describeOpening(business, new Date('2026-03-10T08:00:00Z'), 'it')).toBe('martedì 09:00');
  });
});

test('template definitions are checked: placeholders must match the declared variables', async () => {
  const templates = await loadWhatsAppTemplates(path.resolve('templates/staff-templates.yaml'));
  expect(templates.map((t) => t.name)).toEqual(['conversation_follow_up', 'appointment_reminder']);
  const dir = await mkdtemp(path.join(tmpdir(), 'wca-templates-'));
  try {
    const file = path.join(dir, 'bad.yaml');
    await import('node:fs/promises').then((fs) =>
      fs.writeFile(
        file,
        'templates:\n  - name: x\n    category: utility\n    variables: []\n    languages: { en: "Hi {{1}}" }\n',
      ),
    );
    await expect(loadWhatsAppTemplates(file)).rejects.toThrow(/languages\.en: uses \{\{1\}\} but 0 variable/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

describe.each(storeKinds)('escalation on %s', (_kind, open) => {
  let store: TestStore;
  let app: TestApp;
  beforeAll(async () => {
    store = await open();
  });
  afterAll(() => store.close());
  beforeEach(async () => {
    await resetStore(store);
    await resetInbox(store);
  });
  afterEach(() => app?.close());

  const say = async (body: string) => {
    await app.post(
      metaWebhook({
        messages: [text(body, { timestamp: String(Math.floor(app.clock.now().getTime() / 1000)) })],
      }),
    );
    await app.settle();
  };

  test('not understanding twice offers a person, and yes puts the conversation in the queue', async () => {
    app = await createTestApp(store);
    app.clock.set('2026-03-04T10:00:00Z');
    await say('hello');
    await say('qwertyuiop asdf');
    await say('zxcvbnm lkjh');
    const offer = app.graph.sent.at(-1) as unknown as {
      interactive: { action: { buttons: { reply: { id: string; title: string } }[] } };
    };
    const yes = offer.interactive.action.buttons[0]?.reply;
    expect(yes?.id).toMatch(/yes$/);
    await app.post(
      metaWebhook({
        messages: [
          {
            type: 'interactive',
            interactive: { type: 'button_reply', button_reply: { id: yes!.id, title: yes!.title } },
            timestamp: String(Math.floor(app.clock.now().getTime() / 1000)),
          },
        ],
      }),
    );
    await app.settle();
    const [item] = await listQueue(store.db, 'waiting', null, 10);
    expect(item?.handoff).toMatchObject({ status: 'waiting', reason: 'bot_not_understood' });
  });

  test('with HANDOFF_ROUND_ROBIN new handoffs go to whoever got one longest ago', async () => {
    app = await createTestApp(store, { HANDOFF_ROUND_ROBIN: 'true' });
    app.clock.set('2026-03-04T10:00:00Z');
    const ada = await addStaff(app, 'ada@studio.test', 'admin', 'Ada');
    const bruno = await addStaff(app, 'bruno@studio.test', 'agent', 'Bruno');
    const owners: string[] = [];
    for (const from of ['390000000001', '390000000002', '390000000003']) {
      await app.post(
        metaWebhook({
          from,
          messages: [
            text('I want to talk to a person', {
              timestamp: String(Math.floor(app.clock.now().getTime() / 1000)),
            }),
          ],
        }),
      );
      await app.settle();
      app.clock.advance(1_000);
      const items = await listQueue(store.db, 'all', null, 10);
      owners.push(items.find((i) => i.waId === from)?.handoff?.assignee?.name as string);
    }
    expect(owners).toEqual(['Ada', 'Bruno', 'Ada']);
    expect(ada.id).not.toBe(bruno.id);
  });

  test('the first admin comes from ADMIN_EMAIL/ADMIN_PASSWORD, or is a demo admin in sandbox', async () => {
    app = await createTestApp(store);
    const dir = await mkdtemp(path.join(tmpdir(), 'wca-admin-'));
    try {
      expect(
        await seedFirstAdmin(store.db, {
          admin: { email: 'Owner@Studio.test', password: 'owner password 123' },
          sandbox: false,
          dataDir: dir,
        }),
      ).toBeNull();
      const owner = await findStaffByEmail(store.db, 'owner@studio.test');
      expect(owner?.role).toBe('admin');
      expect(await verifyPassword(owner?.passwordHash ?? null, 'owner password 123')).toBe(true);
      // Not again once someone exists.
      await seedFirstAdmin(store.db, {
        admin: { email: 'x@y.test', password: 'whatever 1234' },
        sandbox: false,
        dataDir: dir,
      });
      expect(await listStaff(store.db)).toHaveLength(1);

      await resetInbox(store);
      const demo = await seedFirstAdmin(store.db, { admin: undefined, sandbox: true, dataDir: dir });
      expect(demo?.email).toBe('admin@bella-studio.test');
      const file = path.join(dir, 'inbox-demo-admin.json');
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      expect(JSON.parse(await readFile(file, 'utf8'))).toEqual(demo);
      // A restart shows the same credentials.
      expect(await seedFirstAdmin(store.db, { admin: undefined, sandbox: true, dataDir: dir })).toEqual(demo);
      const stored = await findStaffByEmail(store.db, demo!.email);
      expect(await verifyPassword(stored?.passwordHash ?? null, demo!.password)).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
