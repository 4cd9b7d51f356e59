import { describe, it, expect } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

const shared = join(__dirname, '..', 'shared');
const files = (dir: string): string[] =>
  readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? files(join(dir, n)) : n.endsWith('.ts') ? [join(dir, n)] : []));

describe('shared/ is the pure core', () => {
  it('imports nothing from node:, action/ or extension/', () => {
    for (const f of files(shared)) {
      const text = readFileSync(f, 'utf8');
      expect(text, f).not.toMatch(/from ['"]node:|require\(|from ['"](\.\.\/)+(action|extension)\//);
    }
  });

  it('bundles for the browser with every module, without Node built-ins', async () => {
    const entry = files(shared).map((f) => `export * as m${Math.random().toString(36).slice(2)} from ${JSON.stringify(f)};`).join('\n');
    const r = await build({ stdin: { contents: entry, resolveDir: shared, loader: 'ts' }, bundle: true, write: false, platform: 'browser', format: 'esm', logLevel: 'silent' });
    expect(r.errors).toEqual([]);
    expect(r.outputFiles[0].text.length).toBeGreaterThan(1000);
  });
});
