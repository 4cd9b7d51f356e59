// Builds the CLI (dist/) and the Label Studio extension (extension/dist/); with `--action`, also the GitHub Action
// bundle (action/dist/, committed). `npm ci` (prepare) leaves the committed bundle alone, so the staleness test checks
// what was committed. `node scripts/build.mjs --out DIR` writes only the action bundle, to DIR.
import { build } from 'esbuild';
import { existsSync, mkdirSync, writeFileSync, cpSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const outIdx = args.indexOf('--out');
const actionOnly = outIdx >= 0;
const actionOut = actionOnly ? resolve(args[outIdx + 1]) : join(root, 'action/dist');

const nodeBanner = {
  js: "import { createRequire as __segqcCreateRequire } from 'node:module'; const require = __segqcCreateRequire(import.meta.url);",
};

export const actionBuildOptions = (outfile) => ({
  entryPoints: [join(root, 'action/src/main.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  banner: nodeBanner,
  legalComments: 'none',
  logLevel: 'warning',
  minify: false,
  sourcemap: false,
  // Worktrees link node_modules; the bundle must not depend on where the install really lives.
  preserveSymlinks: true,
});

async function main() {
  if ((actionOnly || args.includes('--action')) && existsSync(join(root, 'action/src/main.ts'))) {
    mkdirSync(actionOut, { recursive: true });
    await build(actionBuildOptions(join(actionOut, 'index.js')));
    writeFileSync(join(actionOut, 'package.json'), '{ "type": "module" }\n');
  }
  if (actionOnly) return;

  // One chunk per command's needs, so `segqc compare` loads neither ajv, yaml nor dcmjs.
  rmSync(join(root, 'dist'), { recursive: true, force: true });
  await build({
    entryPoints: [{ in: join(root, 'cli/main.ts'), out: 'segqc' }],
    outdir: join(root, 'dist'),
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    // Chunk names hash their content, paths included: the same wherever the checkout is and however node_modules is linked.
    absWorkingDir: root,
    preserveSymlinks: true,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    banner: nodeBanner,
    logLevel: 'warning',
    sourcemap: 'linked',
  });

  const ext = join(root, 'extension/src');
  // The live-check worker goes into the page bundles as a string, started from a Blob URL: one file to load or paste.
  const worker = await build({
    entryPoints: [join(ext, 'live-worker.ts')],
    write: false,
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    minify: true,
    legalComments: 'none',
    logLevel: 'warning',
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  const workerSource = worker.outputFiles[0].text;
  const browserEntries = [
    ['index.ts', 'segqc-labelstudio.js', 'iife', 'SegQCModule'],
    ['index.ts', 'segqc-labelstudio.mjs', 'esm', null],
    ['plugin.ts', 'segqc-plugin.js', 'iife', null],
    ['browser/content.ts', 'browser/content.js', 'iife', null],
    ['browser/options.ts', 'browser/options.js', 'iife', null],
    ['browser/background.ts', 'browser/background.js', 'iife', null],
  ];
  for (const [src, out, format, globalName] of browserEntries) {
    if (!existsSync(join(ext, src))) continue;
    await build({
      entryPoints: [join(ext, src)],
      outfile: join(root, 'extension/dist', out),
      bundle: true,
      platform: 'browser',
      format,
      ...(globalName ? { globalName } : {}),
      target: 'es2022',
      logLevel: 'warning',
      define: { 'process.env.NODE_ENV': '"production"', __SEGQC_LIVE_WORKER__: JSON.stringify(workerSource) },
    });
  }
  const staticDir = join(ext, 'browser/static');
  if (existsSync(staticDir)) cpSync(staticDir, join(root, 'extension/dist/browser'), { recursive: true });
}

main().catch((e) => {
  console.error(e.message ?? e);
  process.exit(1);
});
