// `npm run demo:labelstudio`: serves the real Label Studio editor with the segqc extension, the liver-ct-slice example
// guideline and a synthetic CT slice on 127.0.0.1, and prints the address.
//   --port N             port to listen on (default 8765; 0 picks a free one)
//   --screenshot FILE    open the page in headless chromium, save a screenshot, and exit (the README's picture)
import { createServer } from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { importTs } from './run-ts.mjs';
import { parse as parseYaml } from 'yaml';
import { encode as encodePng } from 'fast-png';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const port = Number(opt('--port', process.env.PORT ?? '8765'));
const screenshot = opt('--screenshot', null);

const lsf = join(root, 'node_modules/label-studio-frontend/dist/lsf');
const ext = join(root, 'extension/dist');
for (const [path, hint] of [
  [join(lsf, 'js/main.js'), 'npm ci (label-studio-frontend is a devDependency)'],
  [join(ext, 'segqc-labelstudio.js'), 'npm run build'],
]) {
  if (!existsSync(path)) {
    console.error(`demo-labelstudio: ${path} is missing; run: ${hint}`);
    process.exit(2);
  }
}

// The labeling config and the brush encoder come from the same TypeScript sources the extension is built from.
const { labelConfig, encodeBrushRle } = await importTs(
  "export { labelConfig } from './shared/guideline/labelconfig.ts'; export { encodeBrushRle } from './shared/formats/brush-rle.ts';",
);

const guidelinePath = join(root, 'guidelines/examples/liver-ct-slice.yaml');
const guidelineText = readFileSync(guidelinePath, 'utf8');
const guideline = parseYaml(guidelineText);
const config = labelConfig(guideline, { tool: 'both' });

// A synthetic axial CT slice (no patient data): body, liver on the image's left, spine, kidneys; 0.78 mm pixels.
const N = 512;
const inEllipse = (x, y, cx, cy, rx, ry) => ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1;
const liver = (x, y) => inEllipse(x, y, 190, 235, 105, 90) && !inEllipse(x, y, 300, 300, 60, 70);
const pixels = new Uint8Array(N * N);
const liverAlpha = new Uint8Array(N * N);
for (let y = 0; y < N; y++) {
  for (let x = 0; x < N; x++) {
    let v = 8;
    if (inEllipse(x, y, 256, 260, 215, 165)) v = 95;
    if (inEllipse(x, y, 256, 260, 200, 150) && !inEllipse(x, y, 256, 260, 185, 138)) v = 70;
    if (liver(x, y)) {
      v = 128;
      liverAlpha[y * N + x] = 255;
    }
    if (inEllipse(x, y, 165, 250, 14, 12)) v = 96; // a hypodense lesion inside the liver
    if (inEllipse(x, y, 256, 360, 30, 28)) v = 235; // vertebral body
    if (inEllipse(x, y, 175, 345, 26, 34) || inEllipse(x, y, 337, 345, 26, 34)) v = 120; // kidneys
    if (inEllipse(x, y, 330, 220, 45, 40)) v = 60; // stomach
    pixels[y * N + x] = Math.max(0, Math.min(255, v + ((x * 31 + y * 17) % 9) - 4));
  }
}
// The liver mask leaves a stray island, and the tumour polygon is drawn partly outside the liver: two findings to show.
for (let y = 120; y < 132; y++) for (let x = 330; x < 342; x++) liverAlpha[y * N + x] = 255;
const pct = (x, y) => [(x / N) * 100, (y / N) * 100];
const tumourPolygon = (id, points) => ({
  id,
  from_name: 'label_polygon',
  to_name: 'image',
  type: 'polygonlabels',
  original_width: N,
  original_height: N,
  image_rotation: 0,
  value: { points, closed: true, polygonlabels: ['Liver tumour'] },
});
const pre = [
  {
    id: 'liver',
    from_name: 'label',
    to_name: 'image',
    type: 'brushlabels',
    original_width: N,
    original_height: N,
    image_rotation: 0,
    value: { format: 'rle', rle: encodeBrushRle(liverAlpha, N, N), brushlabels: ['Liver'] },
  },
  tumourPolygon('tumour', [pct(150, 236), pct(182, 238), pct(184, 262), pct(152, 266)]),
  tumourPolygon('tumour2', [pct(286, 170), pct(318, 172), pct(316, 200), pct(288, 198)]),
];
const task = { id: 1, data: { image: '/img/ct_slice.png', pixel_spacing: [0.78, 0.78] }, annotations: [], predictions: [] };

const page = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>segqc · Label Studio demo</title>
<link rel="stylesheet" href="/lsf/css/main.css">
<style>body{margin:0}#wrap{display:flex;gap:8px;padding:8px}#label-studio{flex:1;min-width:0}#segqc{width:380px;flex:none}</style>
<script src="/ext/segqc-labelstudio.js"></script>
</head><body>
<div id="wrap"><div id="label-studio"></div><div id="segqc"></div></div>
<script src="/lsf/js/main.js"></script>
<script>
const pre = ${JSON.stringify(pre)};
window.submitted = [];
window.ls = new LabelStudio('label-studio', {
  config: ${JSON.stringify(config)},
  task: ${JSON.stringify(task)},
  interfaces: ['panel', 'update', 'submit', 'controls', 'side-column', 'topbar', 'annotations:menu', 'annotations:add-new', 'edit-history'],
  user: { pk: 1, id: 1, firstName: 'Demo', lastName: 'Annotator', email: 'demo@example.org' },
  onLabelStudioLoad(store) {
    const c = store.annotationStore.addAnnotation({ userGenerate: true });
    store.annotationStore.selectAnnotation(c.id);
    c.deserializeResults(pre);
  },
  onSubmitAnnotation(store, annotation) {
    const result = annotation.serializeAnnotation();
    window.submitted.push(result);
    console.log('submitted', JSON.stringify(result.find((r) => r.from_name === 'segqc_attestation')?.value.text[0]));
  },
  onUpdateAnnotation(store, annotation) { window.submitted.push(annotation.serializeAnnotation()); },
});
fetch('/guideline.yaml').then((r) => r.text()).then((text) => {
  window.segqc = SegQC.attach(window.ls, { guideline: text, panel: '#segqc' });
});
</script>
</body></html>`;

const routes = {
  '/': [page, 'text/html; charset=utf-8'],
  '/guideline.yaml': [guidelineText, 'text/yaml; charset=utf-8'],
  '/img/ct_slice.png': [encodePng({ width: N, height: N, data: pixels, channels: 1, depth: 8 }), 'image/png'],
};
const types = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.css': 'text/css', '.wasm': 'application/wasm', '.json': 'application/json' };
const server = createServer((req, res) => {
  const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
  if (routes[path]) {
    res.writeHead(200, { 'content-type': routes[path][1] }).end(routes[path][0]);
    return;
  }
  for (const [prefix, dir] of [
    ['/lsf/', lsf],
    ['/ext/', ext],
  ]) {
    if (!path.startsWith(prefix)) continue;
    const file = normalize(join(dir, path.slice(prefix.length)));
    if (file.startsWith(dir) && existsSync(file)) {
      res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
      return;
    }
  }
  res.writeHead(404).end('not found');
});
await new Promise((ok) => server.listen(port, '127.0.0.1', ok));
const url = `http://127.0.0.1:${server.address().port}/`;

if (!screenshot) {
  console.log(`segqc Label Studio demo: ${url}`);
  console.log(`Guideline: guidelines/examples/liver-ct-slice.yaml (${guideline.id} ${guideline.version}). Ctrl+C stops the server.`);
} else {
  const { chromium } = await import('playwright-core');
  const profile = mkdtempSync(join(tmpdir(), 'segqc-demo-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.SEGQC_CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1280, height: 800 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const p = await context.newPage();
    await p.goto(url);
    await p.waitForFunction(() => (document.querySelector('[data-segqc="findings"] li') !== null), null, { timeout: 120_000 });
    // Show the gate too: ask to submit with the checklist half done; then open the override of the stray island.
    await p.locator('#segqc-check-veins_excluded').check();
    await p.getByRole('button', { name: 'submit' }).click();
    await p.locator('[data-segqc="gate-note"]').waitFor({ state: 'visible', timeout: 60_000 });
    await p.locator('[data-key="override:components.too_many|Liver"]').click();
    await p.locator('input[data-key="reason:components.too_many|Liver"]').fill('lobe cut by the slice plane');
    mkdirSync(dirname(resolve(screenshot)), { recursive: true });
    writeFileSync(resolve(screenshot), await p.screenshot());
    console.log(`demo-labelstudio: wrote ${screenshot}`);
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
    server.close();
  }
}
