import { parseArgs } from 'node:util';

export interface FlagSpec {
  /** Default value; the flag's type follows it. */
  default: number | string | boolean;
  help: string;
}

export type FlagValues<T extends Record<string, FlagSpec>> = {
  [K in keyof T]: T[K]['default'] extends number
    ? number
    : T[K]['default'] extends boolean
      ? boolean
      : string;
};

/**
 * Reads `--name value` flags for a bench script; numbers are checked, `--help` prints them all.
 * @example const flags = readFlags('bench:send', { count: { default: 20000, help: 'messages' } });
 */
export function readFlags<T extends Record<string, FlagSpec>>(script: string, specs: T): FlagValues<T> {
  const options: Record<string, { type: 'string' | 'boolean' }> = { help: { type: 'boolean' } };
  for (const [name, spec] of Object.entries(specs)) {
    options[name] = { type: typeof spec.default === 'boolean' ? 'boolean' : 'string' };
  }
  const { values } = parseArgs({ options, allowPositionals: false, allowNegative: true } as never) as {
    values: Record<string, string | boolean | undefined>;
  };
  if (values.help) {
    console.log(`usage: npm run ${script} -- [flags]`);
    for (const [name, spec] of Object.entries(specs)) {
      console.log(`  --${name.padEnd(14)} ${spec.help} (default ${String(spec.default)})`);
    }
    process.exit(0);
  }
  const out: Record<string, number | string | boolean> = {};
  for (const [name, spec] of Object.entries(specs)) {
    const given = values[name];
    if (given === undefined) {
      out[name] = spec.default;
    } else if (typeof spec.default === 'number') {
      const value = Number(given);
      if (!Number.isFinite(value) || value < 0) {
        console.error(`--${name}: expected a number ≥ 0, got ${JSON.stringify(given)}`);
        process.exit(64);
      }
      out[name] = value;
    } else {
      out[name] = given;
    }
  }
  return out as FlagValues<T>;
}
