// `npm run bench`: bundles bench/main.ts with esbuild and runs it. Figures are printed, never asserted.
import { join } from 'node:path';
import { root, runTs } from '../scripts/run-ts.mjs';

await runTs(join(root, 'bench/main.ts'));
