/**
 * `segqc history` over a generated repository: a Label Studio project and CT label maps, each commit changing 5–20
 * items by one of five authors. Figures: the first run (empty cache) and a run after one more commit.
 */
import { mkdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { ctGeometry, ctLabelMap, brushAlpha, rng } from './synthetic.js';
import { encodeNifti } from '../shared/formats/nifti-write.js';
import { encodeBrushRle } from '../shared/formats/brush-rle.js';
import { BENCH_GUIDELINE } from './dataset.js';

const root = process.env.SEGQC_ROOT ?? resolve(import.meta.dirname ?? '.', '..');
const cli = join(root, 'bin/segqc.js');

/** The size of the generated repository (the target: 200 commits, 1000 tasks, 20 CT maps). */
export interface HistoryBenchSize {
  commits: number;
  tasks: number;
  volumes: number;
  /** Label Studio image side, pixels. */
  side: number;
  /** CT label map shape. */
  ct: [number, number, number];
}

const AUTHORS = ['ana', 'ben', 'chen', 'dara', 'eli'];

function task(id: number, rev: number, side: number) {
  const liver = encodeBrushRle(brushAlpha(side, side, id * 7 + rev * 100003 + 1), side, side);
  return {
    id,
    data: { image: `/data/upload/1/slice_${String(id).padStart(4, '0')}.png`, pixel_spacing: [0.7, 0.7] },
    annotations: [
      {
        id: id * 10,
        completed_by: { email: `${AUTHORS[(id + rev) % AUTHORS.length]}@lab.org` },
        result: [{ id: `l${id}`, type: 'brushlabels', from_name: 'label', to_name: 'image', original_width: side, original_height: side, image_rotation: 0, value: { format: 'rle', rle: liver, brushlabels: ['Liver'] } }],
      },
    ],
  };
}

function generate(repo: string, size: HistoryBenchSize): void {
  rmSync(repo, { recursive: true, force: true });
  mkdirSync(join(repo, 'labelstudio'), { recursive: true });
  mkdirSync(join(repo, 'labels'), { recursive: true });
  const git = (args: string[], env: Record<string, string> = {}) => execFileSync('git', args, { cwd: repo, stdio: 'ignore', env: { ...process.env, ...env } });
  git(['init', '-q', '-b', 'main']);
  writeFileSync(join(repo, 'guideline.yaml'), BENCH_GUIDELINE.replace(/checklist:[\s\S]*?review:/, 'review:'));
  writeFileSync(join(repo, 'segqc.yaml'), `guideline: guideline.yaml\nsources:\n  - format: labelstudio\n    path: labelstudio/*.json\n    spacing: pixel_spacing\n  - format: nifti\n    path: labels/*.nii.gz\ngate:\n  fail-on: error\n`);
  const rev = new Array(size.tasks).fill(0);
  const vrev = new Array(size.volumes).fill(0);
  const g = ctGeometry(...size.ct);
  // Each task's JSON is encoded once per revision: an export is rewritten from these.
  const json: string[] = [];
  const writeExport = (e: number) => {
    const tasks: string[] = [];
    for (let t = e * 100; t < Math.min(size.tasks, e * 100 + 100); t++) {
      if (!json[t] || !json[t].startsWith(`{"rev":${rev[t]},`)) json[t] = `{"rev":${rev[t]},` + JSON.stringify(task(t, rev[t], size.side)).slice(1);
      tasks.push(json[t]);
    }
    writeFileSync(join(repo, `labelstudio/export_${String(e).padStart(3, '0')}.json`), `[${tasks.join(',')}]`);
  };
  const writeVolume = (v: number) => writeFileSync(join(repo, `labels/ct_${String(v).padStart(3, '0')}.nii.gz`), encodeNifti({ geometry: g, data: ctLabelMap(v * 7 + vrev[v] * 1000, g) }, { gzip: true }));
  for (let e = 0; e * 100 < size.tasks; e++) writeExport(e);
  for (let v = 0; v < size.volumes; v++) writeVolume(v);
  const env = (i: number) => {
    const a = AUTHORS[i % AUTHORS.length];
    const date = new Date(Date.UTC(2024, 0, 1) + i * 36 * 3600 * 1000).toISOString();
    return { GIT_AUTHOR_NAME: a, GIT_AUTHOR_EMAIL: `${a}@lab.org`, GIT_COMMITTER_NAME: a, GIT_COMMITTER_EMAIL: `${a}@lab.org`, GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date };
  };
  git(['add', '-A']);
  git(['commit', '-qm', 'import'], env(0));
  const r = rng(42);
  for (let c = 1; c < size.commits; c++) {
    const n = 5 + Math.floor(r() * 16);
    const exports = new Set<number>();
    for (let k = 0; k < n; k++) {
      if (r() < 0.05) {
        const v = Math.floor(r() * size.volumes);
        vrev[v]++;
        writeVolume(v);
      } else {
        const t = Math.floor(r() * size.tasks);
        rev[t]++;
        exports.add(Math.floor(t / 100));
      }
    }
    for (const e of exports) writeExport(e);
    git(['add', '-A']);
    git(['commit', '-qm', `commit ${c}`], env(c));
  }
}

/** One run of the CLI: wall time, CPU time (user + system, git's included), peak RSS. */
function timed(args: string[], cwd: string): { ms: number; cpu: number; rssMb: number; stderr: string } {
  const t0 = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', '%M %U %S', process.execPath, cli, ...args], { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = performance.now() - t0;
  const stderr = r.stderr?.toString() ?? '';
  if (r.status !== 0) throw new Error(`segqc ${args[0]} failed (${r.status}): ${stderr}`);
  const [rss, user, sys] = (stderr.trim().split('\n').pop() ?? '').split(' ').map(Number);
  return { ms, cpu: user + sys, rssMb: rss / 1024, stderr: stderr.trim().split('\n').slice(0, -1).join(' ') };
}

/** Generates the repository (once) and times the first and the incremental run. */
export async function benchHistory(size: HistoryBenchSize): Promise<void> {
  const repo = join(process.cwd(), `.tmp/bench-data/history-${size.commits}-${size.tasks}-${size.side}-${size.volumes}`);
  if (!existsSync(join(repo, '.git'))) {
    const t0 = performance.now();
    generate(repo, size);
    console.log(`\ngenerated history repository (${size.commits} commits, ${size.tasks} LS tasks ${size.side}x${size.side}, ${size.volumes} CT maps ${size.ct.join('x')}, 5-20 items a commit) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  rmSync(join(repo, '.segqc'), { recursive: true, force: true });
  const first = timed(['history', '.', '--quiet', '--json', join(repo, '..', 'history.json')], repo);
  console.log(`segqc history, first run (empty cache):  ${(first.ms / 1000).toFixed(1)} s (CPU ${first.cpu.toFixed(1)} s), peak RSS ${first.rssMb.toFixed(0)} MiB  [target < 60 s]  (${first.stderr})`);
  const again = timed(['history', '.', '--quiet'], repo);
  console.log(`segqc history, second run (warm cache):  ${(again.ms / 1000).toFixed(1)} s (CPU ${again.cpu.toFixed(1)} s), peak RSS ${again.rssMb.toFixed(0)} MiB  (${again.stderr})`);
  const env = { GIT_AUTHOR_NAME: 'zoe', GIT_AUTHOR_EMAIL: 'z@lab.org', GIT_COMMITTER_NAME: 'zoe', GIT_COMMITTER_EMAIL: 'z@lab.org' };
  writeFileSync(join(repo, 'labelstudio/export_000.json'), JSON.stringify([task(0, 999, size.side), ...JSON.parse(execFileSync('git', ['show', 'HEAD:labelstudio/export_000.json'], { cwd: repo, maxBuffer: 1 << 30 }).toString()).slice(1)]));
  execFileSync('git', ['commit', '-qam', 'one more'], { cwd: repo, env: { ...process.env, ...env } });
  try {
    const inc = timed(['history', '.', '--quiet'], repo);
    console.log(`segqc history, after one more commit:    ${(inc.ms / 1000).toFixed(1)} s (CPU ${inc.cpu.toFixed(1)} s), peak RSS ${inc.rssMb.toFixed(0)} MiB  [target < 3 s]  (${inc.stderr})`);
  } finally {
    execFileSync('git', ['reset', '-q', '--hard', 'HEAD~1'], { cwd: repo });
  }
}
