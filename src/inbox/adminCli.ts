import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { ConfigError, loadConfig } from '../config.js';
import { openStore } from '../store/index.js';
import { hashPassword, PASSWORD_MIN_LENGTH } from './passwords.js';
import { createStaffUser, StaffExists } from './staffRepo.js';

/**
 * `npm run admin:create -- --email a@b.c [--name "Ada"]`: creates an admin on the configured
 * database. The password comes from ADMIN_PASSWORD, or is generated and printed once.
 */
async function main() {
  const { values } = parseArgs({
    options: { email: { type: 'string' }, name: { type: 'string' }, role: { type: 'string' } },
    strict: true,
  });
  const email = z.email().safeParse(values.email);
  if (!email.success) {
    console.error(
      'Usage: npm run admin:create -- --email person@example.com [--name "Full Name"] [--role admin|agent]',
    );
    process.exit(64);
  }
  const role = z.enum(['admin', 'agent']).safeParse(values.role ?? 'admin');
  if (!role.success) {
    console.error('--role must be admin or agent');
    process.exit(64);
  }
  const given = process.env.ADMIN_PASSWORD;
  if (given !== undefined && given.length < PASSWORD_MIN_LENGTH) {
    console.error(`ADMIN_PASSWORD must have at least ${PASSWORD_MIN_LENGTH} characters`);
    process.exit(64);
  }
  // ADMIN_PASSWORD is this command's input here, not the first-start pair the server checks.
  const config = loadConfig({ ...process.env, ADMIN_EMAIL: undefined, ADMIN_PASSWORD: undefined });
  const store = await openStore({ databaseUrl: config.store.databaseUrl, dataDir: config.store.dataDir });
  const password = given ?? randomBytes(12).toString('base64url');
  try {
    const user = await createStaffUser(store.db, {
      email: email.data,
      name: values.name?.trim() || email.data.split('@')[0] || 'Admin',
      role: role.data,
      passwordHash: await hashPassword(password),
    });
    process.stdout.write(`Created ${user.role} ${user.email}.\n`);
    if (given === undefined) process.stdout.write(`Password (shown once): ${password}\n`);
  } catch (error) {
    if (error instanceof StaffExists) {
      console.error(error.message);
      process.exitCode = 1;
    } else throw error;
  } finally {
    await store.close();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError || error instanceof Error ? error.message : error);
  process.exit(1);
});
