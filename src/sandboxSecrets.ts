import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';

const secretsSchema = z.object({
  appSecret: z.string().min(32),
  apiToken: z.string().min(24),
  accessToken: z.string().min(16),
});
export type SandboxSecrets = z.infer<typeof secretsSchema>;

/**
 * The sandbox's own app secret, API token and Graph token, generated once per data directory and
 * kept there (mode 600), so restarts keep working links and tokens.
 */
export async function loadSandboxSecrets(dataDir: string): Promise<SandboxSecrets> {
  const file = path.join(dataDir, 'sandbox-secrets.json');
  try {
    return secretsSchema.parse(JSON.parse(await readFile(file, 'utf8')));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new Error(`${file} is damaged; delete it to generate new sandbox secrets`);
  }
  const secrets = {
    appSecret: randomBytes(32).toString('hex'),
    apiToken: randomBytes(24).toString('base64url'),
    accessToken: randomBytes(24).toString('base64url'),
  };
  await mkdir(dataDir, { recursive: true });
  await writeFile(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}
