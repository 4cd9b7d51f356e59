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
  // The script bundles wrap their code in `__segqcBundle(worker)`: the live-check worker runs that function's source
  // from a Blob URL (extension/src/live-client.ts), so each file holds the checker once and works pasted or loaded.
  // The ESM build cannot wrap itself: it embeds the worker as a string, without the schema validator and the YAML
  // parser (the live check uses neither; were they reached, the worker would fail and the check fall back).
  const unused = {
    name: 'segqc-worker-unused',
    setup(b) {
      b.onResolve({ filter: /^(ajv|yaml)(\/|$)/ }, (a) => ({ path: a.path, namespace: 'segqc-unused' }));
      b.onLoad({ filter: /.*/, namespace: 'segqc-unused' }, () => ({ contents: 'module.exports = {};', loader: 'js' }));
    },
  };
  const worker = await build({
    entryPoints: [join(ext, 'live-worker-entry.ts')],
    plugins: [unused],
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
    const wrap =
      format === 'iife' && ['index.ts', 'plugin.ts', 'browser/content.ts'].includes(src)
        ? {
            banner: { js: `${globalName ? `var ${globalName} = ` : ''}(function () {\nfunction __segqcBundle(__segqcWorker) {` },
            footer: { js: `${globalName ? `return ${globalName};\n` : ''}}\nreturn __segqcBundle(false);\n})();` },
          }
        : format === 'esm'
          ? { define: { __SEGQC_LIVE_WORKER__: JSON.stringify(workerSource) } }
          : {};
    await build({
      entryPoints: [join(ext, src)],
      outfile: join(root, 'extension/dist', out),
      bundle: true,
      platform: 'browser',
      format,
      ...(globalName ? { globalName } : {}),
      target: 'es2022',
      logLevel: 'warning',
      ...wrap,
      define: { 'process.env.NODE_ENV': '"production"', ...wrap.define },
    });
  }
  const staticDir = join(ext, 'browser/static');
  if (existsSync(staticDir)) cpSync(staticDir, join(root, 'extension/dist/browser'), { recursive: true });
}

main().catch((e) => {
  console.error(e.message ?? e);
  process.exit(1);
});
