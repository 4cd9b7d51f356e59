/** Dataset-scale benchmarks: `segqc check` over a generated dataset, and a PR diff over a generated git repository. */
import { mkdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { ctGeometry, ctLabelMap, brushAlpha } from './synthetic.js';
import { encodeNifti } from '../shared/formats/nifti-write.js';
import { encodeBrushRle } from '../shared/formats/brush-rle.js';

const root = process.env.SEGQC_ROOT ?? resolve(import.meta.dirname ?? '.', '..');
const work = join(process.cwd(), '.tmp/bench-data');

export const BENCH_GUIDELINE = `schema_version: 1
id: bench-liver
version: 1.0.0
title: Benchmark guideline
modalities: [CT]
labels:
  - name: Liver
    value: 1
    color: "#d4a373"
    required: true
    max_components: 1
  - name: Tumour
    value: 2
    color: "#e63946"
    inside: { label: Liver, tolerance_mm: 2 }
    min_component_volume_mm3: 5
checklist:
  - id: margins
    prompt: Tumour margins reviewed on adjacent slices
    required: true
review:
  audit_rate: 0.05
`;

function lsTask(id: number, w: number, h: number) {
  const liver = encodeBrushRle(brushAlpha(w, h, id * 2 + 1), w, h);
  const tumour = encodeBrushRle(brushAlpha(w, h, id * 2 + 2).map((v, i) => (i % w < w / 3 ? v : 0)), w, h);
  const region = (rid: string, rle: number[], label: string) => ({
    id: rid, type: 'brushlabels', from_name: 'label', to_name: 'image', original_width: w, original_height: h, image_rotation: 0,
    value: { format: 'rle', rle, brushlabels: [label] },
  });
  return {
    id,
    data: { image: `/data/upload/1/slice_${String(id).padStart(4, '0')}.png`, pixel_spacing: [0.7, 0.7] },
    annotations: [{ id: id * 10, completed_by: 1 + (id % 5), result: [region(`l${id}`, liver, 'Liver'), region(`t${id}`, tumour, 'Tumour')] }],
  };
}

/** Writes a dataset: `tasks` Label Studio tasks of w x h brush masks (in exports of 100 tasks) and `volumes` CT label maps. */
export function writeDataset(dir: string, tasks: number, volumes: number, variant = 0, w = 1024, h = 1024): void {
  mkdirSync(join(dir, 'labelstudio'), { recursive: true });
  mkdirSync(join(dir, 'labels'), { recursive: true });
  writeFileSync(join(dir, 'guideline.yaml'), BENCH_GUIDELINE);
  writeFileSync(
    join(dir, 'segqc.yaml'),
    `guideline: guideline.yaml\nsources:\n  - format: labelstudio\n    path: labelstudio/*.json\n    spacing: pixel_spacing\n  - format: nifti\n    path: labels/*.nii.gz\ngate:\n  fail-on: never\n`,
  );
  for (let start = 0; start < tasks; start += 100) {
    const chunk = [];
    for (let t = start; t < Math.min(tasks, start + 100); t++) chunk.push(lsTask(t + variant * 100000, w, h));
    writeFileSync(join(dir, `labelstudio/export_${String(start / 100).padStart(3, '0')}.json`), JSON.stringify(chunk));
  }
  const g = ctGeometry();
  for (let v = 0; v < volumes; v++) {
    writeFileSync(join(dir, `labels/ct_${String(v).padStart(3, '0')}.nii.gz`), encodeNifti({ geometry: g, data: ctLabelMap(v * 7 + variant, g) }, { gzip: true }));
  }
}

const cli = join(root, 'bin/segqc.js');

function timedRun(args: string[], cwd: string): { ms: number; rssMb: number } {
  const t0 = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, cli, ...args], { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = performance.now() - t0;
  const stderr = r.stderr?.toString() ?? '';
  if (r.status !== 0 && r.status !== 1) throw new Error(`segqc ${args[0]} failed (${r.status}): ${stderr}`);
  const rssKb = Number(stderr.trim().split('\n').pop());
  return { ms, rssMb: rssKb / 1024 };
}

export async function runDatasetBenches(which: { check: boolean; action: boolean }): Promise<void> {
  if (which.check) {
    const dir = join(work, 'check');
    if (!existsSync(join(dir, 'segqc.yaml'))) {
      rmSync(dir, { recursive: true, force: true });
      const t0 = performance.now();
      writeDataset(dir, 1000, 20);
      console.log(`\ngenerated check dataset (1000 LS tasks 1024x1024, 20 CT label maps 512x512x96) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
    const r = timedRun(['check', dir, '--quiet', '--json', join(work, 'check-report.json')], root);
    console.log(`segqc check, 1000 Label Studio tasks + 20 CT label maps: ${(r.ms / 1000).toFixed(1)} s, peak RSS ${r.rssMb.toFixed(0)} MiB  [target < 30 s]`);
  }
  if (which.action) {
    const repo = join(work, 'pr-repo');
    if (!existsSync(join(repo, '.git'))) {
      rmSync(repo, { recursive: true, force: true });
      writeDataset(repo, 200, 20, 0);
      const git = (...a: string[]) => execFileSync('git', a, { cwd: repo, stdio: 'ignore' });
      git('init', '-q', '-b', 'main');
      git('-c', 'user.email=b@x', '-c', 'user.name=b', 'add', '-A');
      git('-c', 'user.email=b@x', '-c', 'user.name=b', 'commit', '-qm', 'base');
      writeDataset(repo, 200, 20, 1);
      git('-c', 'user.email=b@x', '-c', 'user.name=b', 'add', '-A');
      git('-c', 'user.email=b@x', '-c', 'user.name=b', 'commit', '-qm', 'head');
    }
    const r = timedRun(['diff', '--base', 'HEAD~1', '--head', 'HEAD', '.', '--quiet'], repo);
    console.log(`segqc diff (the action's analysis), PR touching 200 LS tasks + 20 CT NIfTI pairs: ${(r.ms / 1000).toFixed(1)} s, peak RSS ${r.rssMb.toFixed(0)} MiB  [target < 60 s]`);
  }
}
