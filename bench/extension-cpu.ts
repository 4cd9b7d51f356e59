// The editor's live check in Node, timed by CPU: the bench/extension.mjs task (2048x2048, 5 liver brush regions and
// 15 tumour polygons, pixel spacing 0.5 mm) through the extension's LiveChecker, without the browser and the editor.
// Each check's process CPU time (process.cpuUsage) is recorded beside its wall time: on a loaded machine the CPU time
// is the steadier figure. Strokes are given as the editor keeps them (unconverted, painted by segqc), 30 px wide,
// 36x24 px long as the browser bench paints them: tumours inside the liver, far outside it, one tumour region grown
// outside it, then liver strokes: new regions on the liver, and one region grown past the liver's edge.
// The checker is warmed up first as the extension's attach does (`--no-warm-up` skips it); each case's first stroke
// is also given on its own (the p95 of 12 strokes is nearly their maximum).
// Run: `node scripts/run-ts.mjs bench/extension-cpu.ts [--strokes 12] [--no-warm-up] [--json out.json]`.
import { readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { loadGuideline } from '../shared/guideline/load.js';
import { encodeBrushRle } from '../shared/formats/brush-rle.js';
import { LiveChecker } from '../extension/src/live.js';
import { warmUp } from '../extension/src/warm-up.js';

const args = process.argv.slice(2);
const opt = (name: string, fallback: string | null) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const STROKES = Number(opt('--strokes', '12'));
const jsonOut = opt('--json', null);
const root = process.env.SEGQC_ROOT ?? process.cwd();
const guidelinePath = join(root, 'guidelines/examples/liver-ct.yaml');
const guideline = loadGuideline(readFileSync(guidelinePath, 'utf8'), guidelinePath);

const N = 2048;
const disc = (cx: number, cy: number, r: number) => {
  const a = new Uint8Array(N * N);
  for (let y = Math.max(0, cy - r); y < Math.min(N, cy + r); y++) for (let x = Math.max(0, cx - r); x < Math.min(N, cx + r); x++) if ((x - cx) ** 2 + (y - cy) ** 2 <= r * r) a[y * N + x] = 255;
  return encodeBrushRle(a, N, N);
};
type Entry = Record<string, unknown> & { id: string; value: Record<string, unknown> };
const base = { original_width: N, original_height: N, image_rotation: 0 };
let result: Entry[] = [];
[[1000, 1000, 700], [1600, 700, 120], [450, 1350, 100], [1300, 1600, 90], [700, 500, 80]].forEach(([cx, cy, r], i) =>
  result.push({ ...base, id: `liver_${i}`, from_name: 'label', to_name: 'image', type: 'brushlabels', value: { format: 'rle', rle: disc(cx, cy, r), brushlabels: ['Liver'] } }),
);
const polygons: number[][][] = [];
for (let i = 0; i < 15; i++) {
  const cx = 700 + (i % 5) * 150, cy = 750 + Math.floor(i / 5) * 220;
  const pts = Array.from({ length: 8 }, (_, k) => {
    const t = (k / 8) * 2 * Math.PI;
    return [((cx + 45 * Math.cos(t)) / N) * 100, ((cy + 35 * Math.sin(t)) / N) * 100];
  });
  polygons.push(pts);
  result.push({ ...base, id: `tumour_${i}`, from_name: 'label_polygon', to_name: 'image', type: 'polygonlabels', value: { points: pts, closed: true, polygonlabels: ['Liver tumour'] } });
}

const ctx = { task: { pixel_spacing: [0.5, 0.5] }, item: 'task 1', annotation: 'a1', author: null };
const checker = new LiveChecker(guideline);
interface Timed {
  ms: number;
  cpu: number;
  findings: string;
}
const timed = (): Timed => {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const r = checker.check(result, ctx);
  const ms = performance.now() - t0;
  const c = process.cpuUsage(c0);
  if (r.readError) throw new Error(r.readError);
  return { ms, cpu: (c.user + c.system) / 1000, findings: r.findings.map((f) => f.rule).join(',') };
};
const q = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};
const summary = (xs: Timed[]) => ({ n: xs.length, cpu_first: xs[0].cpu, wall_first: xs[0].ms, cpu_p50: q(xs.map((x) => x.cpu), 50), cpu_p95: q(xs.map((x) => x.cpu), 95), wall_p50: q(xs.map((x) => x.ms), 50), wall_p95: q(xs.map((x) => x.ms), 95) });

const out: Record<string, unknown> = { image: `${N}x${N}`, regions: 20, load_average_before: loadavg() };
if (!args.includes('--no-warm-up')) {
  const c0 = process.cpuUsage();
  out.warm_up_ms = warmUp(guideline, checker.sha256).ms;
  const c = process.cpuUsage(c0);
  out.warm_up_cpu = (c.user + c.system) / 1000;
}
out.cold_ms = timed().ms;
const edits: Timed[] = [];
for (let i = 0; i < 85; i++) {
  const k = i % 15;
  const pts = polygons[k].map((p) => [...p]);
  const m = i % 8;
  pts[m][0] += ((i % 2 ? 1.5 : -1.5) / N) * 100;
  pts[m][1] += ((i % 3 ? 1 : -1) / N) * 100;
  polygons[k] = pts;
  result = result.map((e) => (e.id === `tumour_${k}` ? { ...e, value: { ...e.value, points: pts } } : e));
  const t = timed();
  if (i >= 5) edits.push(t);
}
out.edit = summary(edits);

const stroke = (x: number, y: number) => ({ type: 'add', relativePoints: Array.from({ length: 7 }, (_, t) => [((x + 6 * t) / N) * 100, ((y + 4 * t) / N) * 100]).flat(), relativeStrokeWidth: (30 / N) * 100 });
let next = 0;
/** `STROKES` strokes from (x0 + dx·k, y): each a new region, or (`grow`) each after the first extending the first's region. */
const paint = (x0: number, dx: number, y: number, grow: boolean, label: string): Timed[] => {
  const times: Timed[] = [];
  let id = '';
  for (let k = 0; k < STROKES; k++) {
    const s = stroke(x0 + dx * k, y);
    if (grow && k > 0) result = result.map((e) => (e.id === id ? { ...e, segqcStrokes: [...(e.segqcStrokes as unknown[]), s] } : e));
    else {
      id = `stroke_${next++}`;
      result = [...result, { ...base, id, from_name: 'label', to_name: 'image', type: 'brushlabels', value: { format: 'rle', rle: [], brushlabels: [label] }, segqcStrokes: [s] }];
    }
    times.push(timed());
  }
  return times;
};
out.stroke_inside = summary(paint(600, 60, 1350, false, 'Liver tumour'));
const far = paint(80, 60, 1950, false, 'Liver tumour');
out.stroke_far_outside = summary(far);
out.far_findings = [...new Set(far.flatMap((t) => t.findings.split(',')))];
out.strokes_growing_outside_region = summary(paint(100, 30, 1850, true, 'Liver tumour'));
out.liver_stroke_new_region = summary(paint(900, 40, 1200, false, 'Liver'));
out.liver_strokes_growing_past_edge = summary(paint(1650, 10, 1000, true, 'Liver'));
out.load_average_after = loadavg();

const f = (x: number) => x.toFixed(1).padStart(6);
console.log(`segqc live check in Node, ${out.image}, 20 regions, ${STROKES} strokes a case; process CPU and wall ms (load average ${(out.load_average_before as number[]).map((x) => x.toFixed(2)).join(' ')})`);
console.log(`  ${'case'.padEnd(34)} cpu first  p50    p95 | wall first  p50    p95`);
for (const key of ['edit', 'stroke_inside', 'stroke_far_outside', 'strokes_growing_outside_region', 'liver_stroke_new_region', 'liver_strokes_growing_past_edge']) {
  const s = out[key] as ReturnType<typeof summary>;
  console.log(`  ${key.padEnd(34)} ${f(s.cpu_first)} ${f(s.cpu_p50)} ${f(s.cpu_p95)} | ${f(s.wall_first)} ${f(s.wall_p50)} ${f(s.wall_p95)}`);
}
const warm = out.warm_up_ms === undefined ? 'no warm-up' : `warm-up ${(out.warm_up_ms as number).toFixed(0)} ms (cpu ${(out.warm_up_cpu as number).toFixed(0)} ms)`;
console.log(`  ${warm}; first check ${(out.cold_ms as number).toFixed(0)} ms; far strokes found: ${(out.far_findings as string[]).join(', ')}`);
if (jsonOut) writeFileSync(jsonOut, `${JSON.stringify(out, null, 2)}\n`);
