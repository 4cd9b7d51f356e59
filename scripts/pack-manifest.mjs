// `npm pack` / `npm publish` hooks. `prepack`: build, then drop `scripts` from package.json, so the packed
// package.json has no `prepare` (it needs this checkout's sources and dev tools; npm never runs it for a tarball but
// npm 11 lists it among the tarball's install scripts). `postpack`: put package.json back, byte for byte.
// A git install never packs through these hooks: npm runs `prepare` in its clone, which builds.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const manifest = join(root, 'package.json');
const saved = join(root, '.tmp/package.json.prepack');

function fail(message) {
  console.error(`scripts/pack-manifest.mjs: ${message}`);
  process.exit(1);
}

const mode = process.argv[2];
if (mode === 'strip') {
  if (existsSync(saved)) {
    fail(`${saved} is left from a pack that did not finish, and package.json may lack its scripts: run "node scripts/pack-manifest.mjs restore" first`);
  }
  const build = spawnSync(process.execPath, [join(root, 'scripts/build.mjs')], { stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
  mkdirSync(dirname(saved), { recursive: true });
  copyFileSync(manifest, saved);
  const pkg = JSON.parse(readFileSync(manifest, 'utf8'));
  delete pkg.scripts;
  writeFileSync(`${manifest}.tmp`, JSON.stringify(pkg, null, 2) + '\n');
  renameSync(`${manifest}.tmp`, manifest);
} else if (mode === 'restore') {
  if (existsSync(saved)) renameSync(saved, manifest);
} else {
  fail('usage: node scripts/pack-manifest.mjs strip|restore');
}
