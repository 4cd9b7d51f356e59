/**
 * Benchmarks of segqc; prints figures and writes them as JSON (bench/results.json, or `--json PATH`). Sections: metrics,
 * compare, process (whole-process compare vs the Python peer), rle, difffull (diff --full vs check), check, history,
 * action, jobs (worker threads).
 */
import { performance } from 'node:perf_hooks';
import { ctGeometry, ctLabelMap, brushAlpha } from './synthetic.js';
import { compareMasks } from '../shared/metrics/compare.js';
import { boundingBoxes } from '../shared/metrics/bbox.js';
import { overlapStats } from '../shared/metrics/overlap.js';
import { encodeBrushRle, decodeBrushRle } from '../shared/formats/brush-rle.js';
import { encodeNifti } from '../shared/formats/nifti-write.js';
import { readNifti } from '../shared/formats/nifti.js';
import { resolve } from 'node:path';
import { BenchResults, benchArgs } from './results.js';

const root = process.env.SEGQC_ROOT ?? resolve(import.meta.dirname ?? '.', '..');
const { sections: only, json } = benchArgs(process.argv.slice(2), root);
const want = (s: string) => only.length === 0 || only.includes(s);
const results = new BenchResults();

/** Median and p95 of `runs` timings of fn, in ms, after one warm-up. */
function time(fn: () => unknown, runs = 7): { median: number; p95: number; min: number } {
  fn();
  const ts: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    ts.push(performance.now() - t0);
  }
  ts.sort((a, b) => a - b);
  return { median: ts[Math.floor(ts.length / 2)], p95: ts[Math.min(ts.length - 1, Math.ceil(ts.length * 0.95) - 1)], min: ts[0] };
}

const fmt = (t: { median: number; p95: number; min: number }) => `median ${t.median.toFixed(1)} ms (min ${t.min.toFixed(1)}, p95 ${t.p95.toFixed(1)})`;

async function main() {
  results.capture();
  console.log(`segqc bench — node ${process.version}, ${process.arch}`);
  if (want('metrics') || want('compare')) {
    const g = ctGeometry();
    const ref = ctLabelMap(0, g);
    const cand = ctLabelMap(1, g);
    let organ = 0, lesion = 0;
    for (let i = 0; i < ref.length; i++) if (ref[i] === 1) organ++; else if (ref[i] === 2) lesion++;
    console.log(`\nCT-like pair 512x512x96 @ 0.7x0.7x2.5 mm: organ ${organ} voxels, lesion ${lesion} voxels (reference)`);
    const pass = time(() => {
      let s = 0;
      for (let i = 0; i < ref.length; i++) s += ref[i];
      return s;
    });
    console.log(`  one pass over the label map (sum):             ${fmt(pass)}`);
    results.add('ct_one_pass', pass);
    const ov = time(() => overlapStats(ref, cand, [1, 2]));
    console.log(`  Dice/IoU/volumes, both labels, one pass:       ${fmt(ov)}  (${(ov.median / pass.median).toFixed(1)}x one pass)`);
    results.add('ct_overlap', ov);
    const bb = time(() => boundingBoxes(ref, g.shape, [1, 2]));
    console.log(`  bounding boxes, both labels, one pass:         ${fmt(bb)}`);
    results.add('ct_bounding_boxes', bb);
    for (const surface of ['voxel', 'surfel'] as const) {
      const full = time(() => [1, 2].map((v) => compareMasks({ data: ref, value: v }, { data: cand, value: v }, g, { tolerances: [1, 2], surface })));
      console.log(`  full metric set, both labels (${surface.padEnd(6)}):      ${fmt(full)}   [DeepMind ~250 ms, MONAI ~470 ms]`);
      results.add(`ct_metrics_${surface}`, full);
    }
    if (want('compare')) {
      const a = encodeNifti({ geometry: g, data: ref }, { gzip: true });
      const b = encodeNifti({ geometry: g, data: cand }, { gzip: true });
      const whole = time(() => {
        const r = readNifti(a, 'ref.nii.gz');
        const c = readNifti(b, 'cand.nii.gz');
        return [1, 2].map((v) => compareMasks({ data: r.layers[0].data, value: v }, { data: c.layers[0].data, value: v }, g, { tolerances: [1, 2] }));
      }, 5);
      console.log(`  whole compare incl. reading two .nii.gz (${(a.length / 1024).toFixed(0)} KiB, ${(b.length / 1024).toFixed(0)} KiB): ${fmt(whole)}`);
      results.add('ct_compare_in_process', whole);
    }
  }
  if (want('rle')) {
    const w = 4096, h = 4096;
    const alpha = brushAlpha(w, h, 7);
    const rle = encodeBrushRle(alpha, w, h);
    const dec = time(() => decodeBrushRle(rle, w, h, 'bench.json'), 5);
    console.log(`\nLabel Studio brush RLE 4096x4096 (${rle.length} numbers) decode + binarize: ${fmt(dec)}`);
    results.add('brush_rle_4096', dec);
  }
  if (want('process')) {
    const { benchCompareProcess } = await import('./compare-process.js');
    benchCompareProcess(results);
  }
  if (want('difffull')) {
    const { benchDiffFull } = await import('./diff-full.js');
    benchDiffFull(results);
  }
  if (want('check')) {
    const { runDatasetBenches } = await import('./dataset.js');
    await runDatasetBenches({ check: true, action: false });
  }
  if (want('history')) {
    const { benchHistory } = await import('./history.js');
    // The full size with SEGQC_BENCH_HISTORY=full (1024x1024 tasks, 512x512x96 CT maps); reduced images otherwise.
    const full = process.env.SEGQC_BENCH_HISTORY === 'full';
    await benchHistory({ commits: 200, tasks: 1000, volumes: 20, side: full ? 1024 : 256, ct: full ? [512, 512, 96] : [256, 256, 48] });
  }
  if (want('action')) {
    const { benchAction } = await import('./action.js');
    await benchAction();
  }
  if (want('jobs')) {
    const { benchJobs } = await import('./jobs.js');
    await benchJobs();
  }
}

main()
  .then(() => {
    results.write(json);
    console.log(`\nfigures written to ${json}`);
  })
  .catch((e) => {
    console.error(e);
    process.exit(1);
  });
