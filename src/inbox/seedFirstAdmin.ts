import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { Db } from '../store/index.js';
import { hashPassword } from './passwords.js';
import { countStaff, createStaffUser, findStaffByEmail } from './staffRepo.js';

export const DEMO_ADMIN_EMAIL = 'admin@bella-studio.test';

const demoFile = z.object({ email: z.email(), password: z.string().min(10) });

/**
 * Creates the first admin when nobody has an account yet: from ADMIN_EMAIL/ADMIN_PASSWORD, or in
 * sandbox mode a demo admin whose password is generated once per data directory (mode 600).
 * @returns the sandbox demo credentials to show on the start banner, if any.
 */
export async function seedFirstAdmin(
  db: Db,
  options: { admin: { email: string; password: string } | undefined; sandbox: boolean; dataDir: string },
): Promise<{ email: string; password: string } | null> {
  const empty = (await countStaff(db)) === 0;
  if (empty && options.admin) {
    await createStaffUser(db, {
      email: options.admin.email,
      name: 'Admin',
      role: 'admin',
      passwordHash: await hashPassword(options.admin.password),
    });
    return null;
  }
  if (!options.sandbox) return null;
  const file = path.join(options.dataDir, 'inbox-demo-admin.json');
  let demo: z.infer<typeof demoFile> | null = null;
  try {
    demo = demoFile.parse(JSON.parse(await readFile(file, 'utf8')));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new Error(`${file} is damaged; delete it to generate a new demo admin password`);
  }
  if (!demo) {
    if (!empty) return null;
    demo = { email: DEMO_ADMIN_EMAIL, password: randomBytes(12).toString('base64url') };
    await mkdir(options.dataDir, { recursive: true });
    await writeFile(file, JSON.stringify(demo, null, 2), { mode: 0o600 });
  }
  if (!(await findStaffByEmail(db, demo.email))) {
    await createStaffUser(db, {
      email: demo.email,
      name: 'Demo Admin',
      role: 'admin',
      passwordHash: await hashPassword(demo.password),
    });
  }
  return demo;
}
