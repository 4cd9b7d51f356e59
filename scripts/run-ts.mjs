// Runs a TypeScript script of this repository: bundles it with esbuild into .tmp/ and imports it.
import { build } from 'esbuild';
import { mkdirSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const entry = resolve(process.argv[2] ?? '');
process.env.SEGQC_ROOT = root;
const out = join(root, '.tmp/run', basename(entry).replace(/\.ts$/, '.mjs'));
mkdirSync(dirname(out), { recursive: true });
await build({
  entryPoints: [entry],
  outfile: out,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  logLevel: 'warning',
  packages: 'external',
});
await import(pathToFileURL(out).href);
