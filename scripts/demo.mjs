// `npm run demo`: segqc check on each bundled example dataset. They hold deliberate violations, so the gate fails;
// the demo itself succeeds when segqc ran to a verdict (exit 0 or 1) on every dataset.
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
let bad = 0;
for (const dataset of ['examples/liver-ct', 'examples/liver-ct-review', 'examples/pathology']) {
  console.log(`\n$ segqc check ${dataset}\n`);
  const r = spawnSync(process.execPath, [join(root, 'bin/segqc.js'), 'check', join(root, dataset)], { stdio: 'inherit' });
  if (r.status !== 0 && r.status !== 1) bad++;
}
process.exit(bad ? 2 : 0);
