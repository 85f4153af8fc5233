import { sql } from 'drizzle-orm';
import request from 'supertest';
import type { Store } from '../../src/store/index.js';
import { hashPassword } from '../../src/inbox/passwords.js';
import { createStaffUser } from '../../src/inbox/staffRepo.js';
import type { TestApp } from '../helpers/testApp.js';

export const PASSWORD = 'correct horse battery';

/** Empties the inbox's tables too (the shared reset knows only the core ones). */
export async function resetInbox(store: Store): Promise<void> {
  await store.db.execute(
    sql`TRUNCATE staff_users, staff_sessions, staff_invites, handoffs, handoff_events, conversation_notes, staff_replies`,
  );
}

/** A signed-in browser: keeps the session cookie and sends the CSRF token on writes. */
export interface Staff {
  id: string;
  agent: ReturnType<typeof request.agent>;
  csrf: string;
  get(path: string): request.Test;
  post(path: string, body?: object): request.Test;
  put(path: string, body?: object): request.Test;
}

export async function signIn(app: TestApp, email: string, password = PASSWORD): Promise<Staff> {
  const agent = request.agent(app.http);
  const login = await agent.post('/inbox/login').send({ email, password }).expect(200);
  const csrf = login.body.csrfToken as string;
  return {
    id: login.body.user.id as string,
    agent,
    csrf,
    get: (path) => agent.get(path),
    post: (path, body = {}) => agent.post(path).set('X-CSRF-Token', csrf).send(body),
    put: (path, body = {}) => agent.put(path).set('X-CSRF-Token', csrf).send(body),
  };
}

export async function addStaff(
  app: TestApp,
  email: string,
  role: 'admin' | 'agent',
  name = email.split('@')[0] as string,
): Promise<Staff> {
  await createStaffUser(app.store.db, { email, name, role, passwordHash: await hashPassword(PASSWORD) });
  return signIn(app, email);
}
