// Live-check speed of the Label Studio extension in the real editor (headless Debian chromium): a 2048x2048 image with
// 20 regions (5 brush, 15 polygons); after each edit (a polygon point moved through the editor's own store action)
// the time of one `check()` — serializing what changed, rasterizing it, and the whole rule engine — is recorded.
// Then brush strokes painted with the mouse (`--strokes`, default 12), each timed the same way: inside the liver, then
// far outside it (each a `containment.outside` tumour), then strokes that extend one region outside it.
// The live check runs in a Web Worker: each case gives the time on the page's thread per edit or stroke (reading the
// editor and posting it, then drawing the panel when the answer comes: what can hold up a frame) and the latency
// until the panel shows the answer. `--in-thread` measures the live check on the page's thread instead (the figure
// before the worker: one `check()`).
// Target: p95 ≤ 16 ms on the page's thread. Run: `node scripts/build.mjs && node bench/extension.mjs [--edits 80] [--pace 150] [--in-thread] [--json out.json]`.
import { createServer } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { importTs } from '../scripts/run-ts.mjs';
import { encode as encodePng } from 'fast-png';
import { chromium } from 'playwright-core';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const EDITS = Number(opt('--edits', '80'));
// Edits arrive at most once per debounce interval (150 ms) in the extension; 0 runs them back to back.
const PACE = Number(opt('--pace', '150'));
const WARMUP = 5;
const jsonOut = opt('--json', null);
const IN_THREAD = args.includes('--in-thread');
const N = 2048;

const lsf = join(root, 'node_modules/label-studio-frontend/dist/lsf');
const ext = process.env.SEGQC_EXT_DIST ? resolve(process.env.SEGQC_EXT_DIST) : join(root, 'extension/dist');
if (!existsSync(join(ext, 'segqc-labelstudio.js'))) {
  console.error('bench/extension: extension/dist/segqc-labelstudio.js is missing; run: node scripts/build.mjs');
  process.exit(2);
}

const { labelConfig, encodeBrushRle } = await importTs(
  "export { labelConfig } from './shared/guideline/labelconfig.ts'; export { encodeBrushRle } from './shared/formats/brush-rle.ts';",
);
const { parse: parseYaml } = await import('yaml');
const guidelineText = readFileSync(join(root, 'guidelines/examples/liver-ct.yaml'), 'utf8');
const config = labelConfig(parseYaml(guidelineText), { tool: 'both' });

// 5 liver brush regions (one large, four small discs at its edge) and 15 tumour polygons inside the liver.
const disc = (cx, cy, r) => {
  const a = new Uint8Array(N * N);
  for (let y = Math.max(0, cy - r); y < Math.min(N, cy + r); y++) for (let x = Math.max(0, cx - r); x < Math.min(N, cx + r); x++) if ((x - cx) ** 2 + (y - cy) ** 2 <= r * r) a[y * N + x] = 255;
  return encodeBrushRle(a, N, N);
};
const result = [];
const brushes = [
  [1000, 1000, 700],
  [1600, 700, 120],
  [450, 1350, 100],
  [1300, 1600, 90],
  [700, 500, 80],
];
brushes.forEach(([cx, cy, r], i) =>
  result.push({ id: `liver_${i}`, from_name: 'label', to_name: 'image', type: 'brushlabels', original_width: N, original_height: N, image_rotation: 0, value: { format: 'rle', rle: disc(cx, cy, r), brushlabels: ['Liver'] } }),
);
for (let i = 0; i < 15; i++) {
  const cx = 700 + (i % 5) * 150;
  const cy = 750 + Math.floor(i / 5) * 220;
  const pts = Array.from({ length: 8 }, (_, k) => {
    const t = (k / 8) * 2 * Math.PI;
    return [((cx + 45 * Math.cos(t)) / N) * 100, ((cy + 35 * Math.sin(t)) / N) * 100];
  });
  result.push({ id: `tumour_${i}`, from_name: 'label_polygon', to_name: 'image', type: 'polygonlabels', original_width: N, original_height: N, image_rotation: 0, value: { points: pts, closed: true, polygonlabels: ['Liver tumour'] } });
}

const gray = new Uint8Array(N * N);
for (let i = 0; i < gray.length; i++) gray[i] = 40 + ((i * 7) % 23);
const png = encodePng({ width: N, height: N, data: gray, channels: 1, depth: 8 });

const page = `<!doctype html><html><head><meta charset="utf-8"><link rel="stylesheet" href="/lsf/css/main.css">
<script src="/ext/segqc-labelstudio.js"></script></head><body>
<div style="display:flex"><div id="label-studio" style="flex:1"></div><div id="segqc" style="width:360px"></div></div>
<script src="/lsf/js/main.js"></script><script>
window.ls = new LabelStudio('label-studio', {
  config: ${JSON.stringify(config)},
  task: { id: 1, data: { image: '/img.png', pixel_spacing: [0.5, 0.5] }, annotations: [], predictions: [] },
  interfaces: ['panel', 'update', 'submit', 'controls', 'side-column', 'topbar'],
  user: { pk: 1, id: 1, firstName: 'Bench', lastName: 'Mark' },
  onLabelStudioLoad(store) {
    const c = store.annotationStore.addAnnotation({ userGenerate: true });
    store.annotationStore.selectAnnotation(c.id);
    c.deserializeResults(${JSON.stringify(result)});
  },
});
window.segqc = SegQC.attach(window.ls, { guideline: ${JSON.stringify(guidelineText)}, panel: '#segqc', pollMs: 60000, debounceMs: 60000, liveCheck: ${JSON.stringify(IN_THREAD ? 'main-thread' : 'worker')} });
// One live check of what the editor shows: the page thread's share of it, and the wait until the panel shows it.
window.__measure = async () => {
  if (${IN_THREAD}) {
    const s = performance.now();
    const r = window.segqc.check();
    const ms = performance.now() - s;
    return { main: ms, readPost: ms, apply: 0, latency: ms, engine: r.ms, findings: r.findings.map((f) => f.rule) };
  }
  const r = await window.segqc.checkNow();
  const t = window.segqc.liveCheck.last;
  return { main: t.readPostMs + t.applyMs, readPost: t.readPostMs, apply: t.applyMs, latency: t.latencyMs, engine: t.checkMs, findings: r.findings.map((f) => f.rule) };
};
</script></body></html>`;

const types = { '.js': 'text/javascript', '.css': 'text/css', '.wasm': 'application/wasm' };
const server = createServer((req, res) => {
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  if (path === '/') return res.writeHead(200, { 'content-type': 'text/html' }).end(page);
  if (path === '/img.png') return res.writeHead(200, { 'content-type': 'image/png' }).end(png);
  for (const [prefix, dir] of [['/lsf/', lsf], ['/ext/', ext]]) {
    const file = normalize(join(dir, path.slice(prefix.length)));
    if (path.startsWith(prefix) && file.startsWith(dir) && existsSync(file)) return res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
  }
  res.writeHead(404).end();
});
await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
const profile = mkdtempSync(join(tmpdir(), 'segqc-bench-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.SEGQC_CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  viewport: { width: 1400, height: 1000 },
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const p = await context.newPage();
  await p.goto(`http://127.0.0.1:${server.address().port}/`, { timeout: 180_000 });
  await p.waitForFunction(() => window.Htx?.annotationStore?.selected?.regionStore?.regions?.length === 20, null, { timeout: 180_000 });
  await p.waitForFunction(() => window.segqc.liveCheck.mode !== 'starting', null, { timeout: 180_000 });
  const mode = await p.evaluate(() => ({ mode: window.segqc.liveCheck.mode, reason: window.segqc.liveCheck.reason }));
  if (!IN_THREAD && mode.mode !== 'worker') throw new Error(`bench/extension: no live-check worker (${mode.reason})`);
  // The page thread's CPU time (Chrome's ThreadTime), steadier than wall time on a loaded machine: taken around each
  // measurement, from the read until the panel shows the answer (with whatever else the page thread did meanwhile).
  const perf = await context.newCDPSession(p);
  await perf.send('Performance.enable');
  const metrics = async () => Object.fromEntries((await perf.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value * 1000]));
  /** `__measure()` in the page, with the page thread's CPU ms over it, and the layout and style time in it. */
  const measured = async () => {
    const c0 = await metrics();
    const m = await p.evaluate(() => window.__measure());
    const c1 = await metrics();
    return { ...m, cpu: c1.ThreadTime - c0.ThreadTime, layout: c1.LayoutDuration + c1.RecalcStyleDuration - c0.LayoutDuration - c0.RecalcStyleDuration };
  };
  const cold = await measured();
  // As in an annotator's first seconds on a task: after the first answer the page thread's checker checks once in idle time.
  await p.waitForFunction(() => window.segqc.liveCheck.pageThreadReady, null, { timeout: 180_000 });
  const edited = [];
  for (let i = 0; i < WARMUP + EDITS; i++) {
    await p.evaluate((i) => {
      const polys = window.Htx.annotationStore.selected.regionStore.regions.filter((r) => r.type === 'polygonregion');
      const poly = polys[i % polys.length];
      poly.points[i % poly.points.length].movePoint(i % 2 ? 1.5 : -1.5, i % 3 ? 1 : -1);
    }, i);
    const m = await measured();
    if (PACE > 0) await p.evaluate((pace) => new Promise((ok) => setTimeout(ok, pace)), PACE);
    if (i >= WARMUP) edited.push(m);
  }
  const out = await p.evaluate(
    async () => {
      const ann = window.Htx.annotationStore.selected;
      const exact = [];
      const editorSerialize = [];
      for (let i = 0; i < 5; i++) {
        const s = performance.now();
        window.segqc.beforeSave();
        exact.push(performance.now() - s);
        // What the editor itself spends serializing the annotation (it does the same again when it saves).
        const e = performance.now();
        ann.serializeAnnotation();
        editorSerialize.push(performance.now() - e);
      }
      return { exact, editorSerialize };
    },
  );
  Object.assign(out, { cold, edited, findings: cold.findings });
  // Brush strokes painted with the mouse, each a new tumour region inside the liver: the editor exports the stroke's
  // canvas (its own serialization), segqc decodes and checks it.
  const STROKES = Number(opt('--strokes', '12'));
  // SEGQC_BENCH_PROFILE=1: a CPU profile of the stroke checks only (console.profile around each check() in the page),
  // the hottest functions by self and total time for each kind of stroke.
  const cdp = process.env.SEGQC_BENCH_PROFILE ? await context.newCDPSession(p) : null;
  const profiles = [];
  if (cdp) {
    cdp.on('Profiler.consoleProfileFinished', (e) => profiles.push(e.profile));
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 100 });
  }
  /**
   * Paints `STROKES` strokes, the k-th from (x0 + dx·(k mod 12), y + rowStep·⌊k/12⌋) in image pixels (rows of 12, so
   * that `--strokes 48` gives a p95 that is not simply the slowest stroke); their check times.
   */
  const paint = async (x0, dx, y, extend = false, rowStep = -60) => {
  const brush = [];
  for (let k = 0; k < STROKES; k++) {
    const more = extend && k > 0;
    if (more) {
      // A stroke extends the selected region: the first stroke's region, selected again.
      await p.evaluate(() => {
        const a = window.Htx.annotationStore.selected;
        const regs = a.regionStore.regions;
        if (!regs[regs.length - 1].selected) a.selectArea(regs[regs.length - 1]);
      });
    } else {
      // Deselect, so that the stroke is a new region.
      await p.evaluate(() => window.Htx.annotationStore.selected.unselectAll());
      await p.getByText('Liver tumour', { exact: true }).first().click();
      await p.waitForFunction(() => window.Htx.annotationStore.selected.names.get('label').selectedLabels.length === 1, null, { timeout: 30_000 });
    }
    const geo = await p.evaluate(() => {
      const img = window.Htx.annotationStore.selected.objects[0];
      const r = document.querySelector('.konvajs-content canvas').getBoundingClientRect();
      return { x: r.x, y: r.y, scale: img.stageWidth / img.naturalWidth };
    });
    const before = await p.evaluate(() => {
      const regs = window.Htx.annotationStore.selected.regionStore.regions;
      return { n: regs.length, touches: regs[regs.length - 1]?.touches?.length ?? 0 };
    });
    const sx = geo.x + (x0 + dx * (k % 12)) * geo.scale;
    const sy = geo.y + (y + rowStep * Math.floor(k / 12)) * geo.scale;
    await p.mouse.move(sx, sy);
    await p.mouse.down();
    for (let t = 1; t <= 6; t++) await p.mouse.move(sx + 6 * t * geo.scale, sy + 4 * t * geo.scale);
    await p.mouse.up();
    const painted = ({ b, more }) => {
      const regs = window.Htx.annotationStore.selected.regionStore.regions;
      return more ? regs.length === b.n && (regs[regs.length - 1].touches?.length ?? 0) === b.touches + 1 : regs.length === b.n + 1;
    };
    await p.waitForFunction(painted, { b: before, more }, { timeout: 30_000 }).catch(async (e) => {
      await p.screenshot({ path: 'test-artifacts/bench-stroke-failure.png' });
      throw e;
    });
    const state = await p.evaluate(() => {
      const regs = window.Htx.annotationStore.selected.regionStore.regions;
      const last = regs[regs.length - 1];
      return `touches=${last.touches?.length ?? '-'} rle=${Array.isArray(last.rle) ? last.rle.length : typeof last.rle} mask=${!!last.maskDataURL} points=${last.touches?.at(-1)?.relativePoints?.length ?? '-'} width=${last.touches?.at(-1)?.relativeStrokeWidth?.toFixed(3) ?? '-'}%`;
    });
    if (cdp) await p.evaluate(() => console.profile('check'));
    const m = await measured();
    if (cdp) await p.evaluate(() => console.profileEnd('check'));
    await p.evaluate((pace) => new Promise((ok) => setTimeout(ok, pace)), PACE);
    brush.push({ ...m, state, findings: m.findings.join(',') });
  }
  return brush;
  };
  // Further rows go down, away from the pre-annotated tumour polygons above and still inside the liver.
  const brush = await paint(600, 60, 1350, false, 60);
  // Far outside the liver (its largest disc is centred at (1000, 1000) with radius 700): containment findings.
  const farBrush = await paint(80, 60, 1950);
  // One region painted stroke after stroke (the first stroke makes it, each later one extends it), outside the liver.
  const moreBrush = await paint(100, 30, 1850, true);
  /** Self and total time by function over a list of profiles, the top lines printed. */
  const summarize = (label, list) => {
    const self = new Map();
    const total = new Map();
    for (const profile of list) {
      const dt = profile.timeDeltas;
      const byId = new Map(profile.nodes.map((n) => [n.id, n]));
      const parent = new Map();
      for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
      const nameOf = (n) => `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.split('/').pop()}:${n.callFrame.lineNumber + 1}`;
      profile.samples.forEach((id, k) => {
        const ms = (dt[k + 1] ?? 0) / 1000;
        self.set(nameOf(byId.get(id)), (self.get(nameOf(byId.get(id))) ?? 0) + ms);
        const seen = new Set();
        for (let at = id; at !== undefined; at = parent.get(at)) {
          const name = nameOf(byId.get(at));
          if (!seen.has(name)) total.set(name, (total.get(name) ?? 0) + ms);
          seen.add(name);
        }
      });
    }
    console.log(`  CPU profile of ${list.length} checks after ${label} (self, then total ms):`);
    for (const [name, ms] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 20)) console.log(`    self ${ms.toFixed(1).padStart(7)} ms  ${name}`);
    for (const [name, ms] of [...total].sort((a, b) => b[1] - a[1]).slice(0, 35)) console.log(`    total ${ms.toFixed(1).padStart(7)} ms  ${name}`);
  };
  if (cdp) {
    summarize('strokes inside', profiles.slice(0, STROKES));
    summarize('strokes far outside', profiles.slice(STROKES, 2 * STROKES));
    summarize('strokes growing one region', profiles.slice(2 * STROKES));
  }
  if (process.env.SEGQC_BENCH_VERBOSE) for (const b of [...brush, ...farBrush, ...moreBrush]) console.log(`    stroke: page thread ${b.main.toFixed(1)} ms, CPU ${b.cpu.toFixed(1)} ms, layout+style ${b.layout.toFixed(1)} ms (read + post ${b.readPost.toFixed(1)}, panel ${b.apply.toFixed(1)}), shown after ${b.latency.toFixed(1)} ms (reading + rules ${b.engine.toFixed(1)} ms) ${b.state} ${b.findings}`);
  const q = (xs, p) => {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
  };
  const fmt = (x) => `${x.toFixed(1)} ms`;
  const dist = (xs) => ({ p50: q(xs, 50), p95: q(xs, 95), max: Math.max(...xs) });
  /** Page-thread time (read + post, then the panel), latency until the panel shows the answer, and the check itself. */
  const caseSummary = (xs) =>
    xs.length
      ? {
          n: xs.length,
          main_thread_ms: dist(xs.map((b) => b.main)),
          read_post_ms: dist(xs.map((b) => b.readPost)),
          panel_ms: dist(xs.map((b) => b.apply)),
          latency_ms: dist(xs.map((b) => b.latency)),
          reader_and_rules_ms: dist(xs.map((b) => b.engine)),
          page_thread_cpu_ms: dist(xs.map((b) => b.cpu)),
          layout_and_style_ms: dist(xs.map((b) => b.layout)),
        }
      : null;
  const summary = {
    image: `${N}x${N}`,
    regions: 20,
    edits: EDITS,
    pace_ms: PACE,
    live_check: IN_THREAD ? 'main-thread' : 'worker',
    after_edit: caseSummary(out.edited),
    brush_stroke: caseSummary(brush),
    far_brush_stroke: caseSummary(farBrush),
    more_strokes_on_one_region: caseSummary(moreBrush),
    far_stroke_findings: [...new Set(farBrush.flatMap((b) => b.findings.split(',').filter(Boolean)))],
    cold_check: caseSummary([out.cold]),
    gate_exact_check_ms: { first: out.exact[0], p50: q(out.exact, 50), max: Math.max(...out.exact), editor_serialize_p50: q(out.editorSerialize, 50) },
    target_p95_ms: 16,
    load_average: loadavg(),
  };
  console.log(`segqc live check (${IN_THREAD ? "on the page's thread" : 'in a Web Worker'}), ${summary.image}, ${summary.regions} regions, ${EDITS} edits ${PACE} ms apart (chromium ${context.browser()?.version() ?? ''}; load average ${summary.load_average.map((x) => x.toFixed(2)).join(' ')})`);
  const d = (x) => `p50 ${fmt(x.p50)}  p95 ${fmt(x.p95)}  max ${fmt(x.max)}`;
  const line = (label, c) => {
    if (!c) return;
    console.log(`  ${label} (${c.n}):`);
    console.log(`    page thread (read + post, then panel): ${d(c.main_thread_ms)}   (target p95 ≤ 16 ms: ${c.main_thread_ms.p95 <= 16 ? 'met' : 'NOT met'})`);
    if (!IN_THREAD) console.log(`      of which read + post ${d(c.read_post_ms)}; panel ${d(c.panel_ms)}`);
    console.log(`    until the panel shows it: ${d(c.latency_ms)}; reading + rules ${d(c.reader_and_rules_ms)}`);
    console.log(`    page thread CPU from the read to the panel shown: ${d(c.page_thread_cpu_ms)}; layout and style in it ${d(c.layout_and_style_ms)}`);
  };
  line('after an edit', summary.after_edit);
  line('after a brush stroke, new regions', summary.brush_stroke);
  line(`after a brush stroke far outside the container, new regions (findings: ${summary.far_stroke_findings.join(', ') || 'none'})`, summary.far_brush_stroke);
  line('after a brush stroke on one growing region outside the container', summary.more_strokes_on_one_region);
  line('first check (nothing cached)', summary.cold_check);
  console.log(`  submit gate (exact, on the page's thread: every region serialized, settled brushes from their stored RLE): first ${fmt(summary.gate_exact_check_ms.first)}  p50 ${fmt(summary.gate_exact_check_ms.p50)}  max ${fmt(summary.gate_exact_check_ms.max)}; of which the editor's own serializeAnnotation() p50 ${fmt(summary.gate_exact_check_ms.editor_serialize_p50)}`);
  console.log(`  findings: ${[...new Set(out.findings)].join(', ') || 'none'}`);
  if (jsonOut) writeFileSync(jsonOut, `${JSON.stringify(summary, null, 2)}\n`);
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
  server.close();
}
