// TypeScript sources of this repository from plain Node scripts, bundled with esbuild:
//   node scripts/run-ts.mjs FILE.ts    runs a script (bundled into .tmp/run/ and imported);
//   importTs("export { x } from './shared/...ts'")   imports modules into a .mjs script (demo, benches).
import { build } from 'esbuild';
import { mkdirSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
process.env.SEGQC_ROOT ??= root;

/** Bundles `entry` (a .ts file) for Node into .tmp/run/ and imports it. */
export async function runTs(entry) {
  const out = join(root, '.tmp/run', basename(entry).replace(/\.ts$/, '.mjs'));
  mkdirSync(dirname(out), { recursive: true });
  await build({ entryPoints: [entry], outfile: out, bundle: true, platform: 'node', format: 'esm', target: 'node20', logLevel: 'warning', packages: 'external' });
  return import(pathToFileURL(out).href);
}

/** Bundles an ESM snippet that re-exports repository modules (paths relative to the root) and imports it. */
export async function importTs(contents) {
  const r = await build({ stdin: { contents, resolveDir: root, loader: 'ts' }, bundle: true, write: false, format: 'esm', platform: 'neutral', logLevel: 'error' });
  return import(`data:text/javascript;base64,${Buffer.from(r.outputFiles[0].text).toString('base64')}`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await runTs(resolve(process.argv[2] ?? ''));
