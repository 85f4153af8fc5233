import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { z } from 'zod';
import { LOCALES } from '../engine/types.js';

const quickReply = z.strictObject({
  shortcut: z.string().regex(/^[a-z][a-z0-9-]{0,30}$/),
  title: z.string().min(1).max(60),
  text: z.record(z.enum(LOCALES), z.string().min(1).max(4096)),
});
export type QuickReply = z.infer<typeof quickReply>;

/** Reads templates/quick-replies.yaml. @throws {Error} naming the file and each bad field. */
export async function loadQuickReplies(path: string): Promise<QuickReply[]> {
  const parsed = z
    .strictObject({ quickReplies: z.array(quickReply) })
    .safeParse(parse(await readFile(path, 'utf8')));
  if (!parsed.success)
    throw new Error(
      `${path}:\n${parsed.error.issues.map((i) => `  - ${i.path.join('.')}: ${i.message}`).join('\n')}`,
    );
  return parsed.data.quickReplies;
}
