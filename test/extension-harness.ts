/** Serves the real Label Studio editor and segqc's extension builds on 127.0.0.1, and drives Debian chromium. */
import { createServer, type Server } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { encode as encodePng } from 'fast-png';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const LSF_DIR = join(ROOT, 'node_modules/label-studio-frontend/dist/lsf');

/** An editor build the extension is tested against: its `js/main.js` and `css/main.css` are served under `/lsf/`. */
export interface EditorBuild {
  /** Package and version, as the test names show them. */
  name: string;
  /** The directory holding `js/main.js` and `css/main.css`. */
  dir: string;
}

const packageVersion = (pkgDir: string): string => {
  try {
    return String(JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')).version);
  } catch {
    return '?';
  }
};

const editorBuild = (pkg: string, sub: string): EditorBuild => {
  const pkgDir = join(ROOT, 'node_modules', pkg);
  return { name: `${pkg}@${packageVersion(pkgDir)}`, dir: join(pkgDir, sub) };
};

/**
 * The editor builds the browser tests run against (both set `window.LabelStudio` from a UMD bundle): the standalone
 * `label-studio-frontend` and the editor published as `@heartexlabs/label-studio` (its 1.8.0 is empty: 1.4.0).
 * `SEGQC_EDITORS` (comma-separated package names) selects some of them.
 */
export const EDITOR_BUILDS: EditorBuild[] = [
  editorBuild('label-studio-frontend', 'dist/lsf'),
  editorBuild('@heartexlabs/label-studio', 'build/static'),
].filter((b) => !process.env.SEGQC_EDITORS || process.env.SEGQC_EDITORS.split(',').some((n) => b.name.startsWith(`${n.trim()}@`)));

/** Fails when an editor build is not installed (both are devDependencies). */
export function assertEditorBuild(b: EditorBuild): void {
  for (const f of ['js/main.js', 'css/main.css']) {
    if (!existsSync(join(b.dir, f))) throw new Error(`${join(b.dir, f)} is missing: run "npm install" (${b.name.split('@').slice(0, -1).join('@')} is a devDependency)`);
  }
}
/** The extension build under test (`SEGQC_EXT_DIST` to test another build). */
export const EXT_DIST = process.env.SEGQC_EXT_DIST ? resolve(process.env.SEGQC_EXT_DIST) : join(ROOT, 'extension/dist');
export const CHROMIUM = process.env.SEGQC_CHROMIUM ?? '/usr/bin/chromium';
export const ARTIFACTS = join(ROOT, 'test-artifacts');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.png': 'image/png',
  '.wasm': 'application/wasm',
  '.yaml': 'text/yaml; charset=utf-8',
};

function newestSource(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) t = Math.max(t, newestSource(p));
    else if (/\.(ts|json|html|js)$/.test(e.name)) t = Math.max(t, statSync(p).mtimeMs);
  }
  return t;
}

/** Fails when a build under test is missing or older than the sources it is built from (the tests load the bundles). */
export function assertFreshBuild(files: string[]): void {
  for (const f of files) if (!existsSync(f)) throw new Error(`${f} is missing: run "npm run build" first`);
  if (process.env.SEGQC_EXT_DIST) return;
  const src = Math.max(newestSource(join(ROOT, 'extension/src')), newestSource(join(ROOT, 'shared')), newestSource(join(ROOT, 'guidelines')));
  const stale = files.filter((f) => statSync(f).mtimeMs < src);
  if (stale.length > 0) throw new Error(`${stale.join(', ')} ${stale.length === 1 ? 'is' : 'are'} older than the sources: run "npm run build" first`);
}

/** A route: a path and its body (with extra headers), or a directory served under a prefix. */
export type Routes = Record<string, string | Uint8Array | { dir: string } | { body: string | Uint8Array; headers: Record<string, string> }>;

/** Starts a static server on 127.0.0.1 with a free port. */
export async function serve(routes: Routes): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const exact = routes[path];
    let body: string | Uint8Array | null = null;
    let headers: Record<string, string> = {};
    let file = path;
    if (typeof exact === 'string' || exact instanceof Uint8Array) body = exact;
    else if (exact && 'body' in exact) {
      body = exact.body;
      headers = exact.headers;
    } else {
      for (const [prefix, r] of Object.entries(routes)) {
        if (typeof r === 'object' && 'dir' in r && path.startsWith(prefix)) {
          const p = normalize(join(r.dir, path.slice(prefix.length)));
          if (p.startsWith(r.dir) && existsSync(p)) {
            body = readFileSync(p);
            file = p;
          }
          break;
        }
      }
    }
    if (body === null && path === '/favicon.ico') {
      res.writeHead(204).end();
      return;
    }
    if (body === null) {
      res.writeHead(404).end('not found');
      return;
    }
    const type = TYPES[extname(file)] ?? (extname(file) === '' ? TYPES['.html'] : 'application/octet-stream');
    res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store', ...headers });
    res.end(body);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const addr = server.address();
  if (!addr || typeof addr === 'string') throw new Error('no server address');
  return {
    url: `http://127.0.0.1:${addr.port}`,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Launches chromium with a fresh profile; `extensionDir` loads an unpacked extension. */
export async function launch(opts: { extensionDir?: string } = {}): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), 'segqc-chromium-'));
  const args = [...CHROMIUM_ARGS];
  if (opts.extensionDir) args.push(`--disable-extensions-except=${opts.extensionDir}`, `--load-extension=${opts.extensionDir}`);
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args,
    ignoreDefaultArgs: opts.extensionDir ? ['--disable-extensions'] : [],
    viewport: { width: 1400, height: 900 },
    timeout: 120_000,
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** A grey "CT slice" PNG with a brighter disc, so the editor has a real image to load. */
export function slicePng(width: number, height: number): Uint8Array {
  const data = new Uint8Array(width * height);
  const cx = width * 0.45;
  const cy = height * 0.5;
  const r = Math.min(width, height) * 0.35;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const d = Math.hypot(x - cx, y - cy);
      data[y * width + x] = d < r ? 150 + ((x * 7 + y * 13) % 20) : 40 + ((x + y) % 10);
    }
  }
  return encodePng({ width, height, data, channels: 1, depth: 8 });
}

/** The page hosting the editor: `setup` is a script run after the editor bundle has loaded. */
export function editorPage(opts: { head?: string; setup: string }): string {
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>segqc editor test</title>
<link rel="stylesheet" href="/lsf/css/main.css">
${opts.head ?? ''}
</head><body>
<div style="display:flex;gap:8px"><div id="label-studio" style="flex:1"></div><div id="segqc-panel-host" style="width:380px"></div></div>
<script src="/lsf/js/main.js"></script>
<script>
window.__submitted = [];
window.__updated = [];
${opts.setup}
</script>
</body></html>`;
}

/** Collects page errors so a failing test shows what the page said. */
export function watchConsole(page: Page): string[] {
  const lines: string[] = [];
  page.on('console', (m) => lines.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => lines.push(`pageerror: ${e.message}`));
  page.on('response', (r) => {
    if (r.status() >= 400) lines.push(`http ${r.status()}: ${r.url()}`);
  });
  page.on('requestfailed', (r) => lines.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ''}`));
  return lines;
}

/** The first ```js block of README.md after the line containing `marker`, with the list indentation removed. */
export function readmeJsBlock(marker: string): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const at = readme.indexOf(marker);
  if (at < 0) throw new Error(`README.md has no "${marker}"`);
  const m = /^( *)```js\n([\s\S]*?)^ *```$/m.exec(readme.slice(at));
  if (!m) throw new Error(`README.md has no js block after "${marker}"`);
  const indent = m[1].length;
  return m[2]
    .split('\n')
    .map((l) => l.slice(Math.min(indent, l.length - l.trimStart().length)))
    .join('\n');
}

/**
 * Selects the brush label `label` (the configs list the brush labels first, so its first text on the page is the
 * brush's) and paints one stroke with the mouse from image pixel `from` to `to`, in 10 moves. Returns once the mouse
 * is up; the caller waits for the region it expects.
 */
export async function paintStroke(page: Page, label: string, from: [number, number], to: [number, number], timeout = 30_000): Promise<void> {
  await page.getByText(label, { exact: true }).first().click();
  await page.waitForFunction(
    (l) => (window as any).Htx.annotationStore.selected.names.get('label').selectedLabels.map((s: any) => s.value).join() === l,
    label,
    { timeout },
  );
  const { x, y, scale } = await page.evaluate(() => {
    const img = (window as any).Htx.annotationStore.selected.objects[0];
    const r = (document.querySelector('.konvajs-content canvas') as HTMLCanvasElement).getBoundingClientRect();
    return { x: r.x, y: r.y, scale: img.stageWidth / img.naturalWidth };
  });
  const at = (k: number): [number, number] => [x + (from[0] + ((to[0] - from[0]) * k) / 10) * scale, y + (from[1] + ((to[1] - from[1]) * k) / 10) * scale];
  await page.mouse.move(...at(0));
  await page.mouse.down();
  for (let k = 1; k <= 10; k++) await page.mouse.move(...at(k));
  await page.mouse.up();
}
