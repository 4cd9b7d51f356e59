/**
 * `segqc diff --full` against `segqc check` on the same tree: 150 CT cases of 256x256x96 with two raters, left alone by
 * the pull request (it adds a note). The target: the diff within 1.5x of the check, as it judges each item once.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { ctGeometry, ctLabelMap } from './synthetic.js';
import { encodeNifti } from '../shared/formats/nifti-write.js';
import { BENCH_GUIDELINE } from './dataset.js';
import { stats, type BenchResults } from './results.js';

const root = process.env.SEGQC_ROOT ?? resolve(import.meta.dirname ?? '.', '..');
/** The CLI measured (SEGQC_BENCH_CLI: another build of it, for a before/after in one run). */
const cli = process.env.SEGQC_BENCH_CLI ?? join(root, 'bin/segqc.js');

const CASES = 150;

function generate(repo: string): void {
  rmSync(repo, { recursive: true, force: true });
  mkdirSync(join(repo, 'labels/rater1'), { recursive: true });
  mkdirSync(join(repo, 'labels/rater2'), { recursive: true });
  writeFileSync(join(repo, 'guideline.yaml'), `${BENCH_GUIDELINE}agreement:\n  - label: Liver\n    dice_min: 0.9\n`);
  writeFileSync(join(repo, 'segqc.yaml'), 'guideline: guideline.yaml\nsources:\n  - format: nifti\n    path: labels/*/*.nii.gz\n    annotator: "{dir}"\ngate:\n  fail-on: never\n');
  const g = ctGeometry(256, 256, 96);
  for (let c = 0; c < CASES; c++) {
    for (const r of [1, 2]) writeFileSync(join(repo, `labels/rater${r}/ct_${String(c).padStart(3, '0')}.nii.gz`), encodeNifti({ geometry: g, data: ctLabelMap(c * 2 + r, g) }, { gzip: true }));
  }
  const git = (...a: string[]) => execFileSync('git', ['-c', 'user.email=b@x', '-c', 'user.name=b', ...a], { cwd: repo, stdio: 'ignore' });
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-qm', 'base');
  writeFileSync(join(repo, 'NOTES.md'), 'A pull request that leaves every mask alone.\n');
  git('add', '-A');
  git('commit', '-qm', 'head');
}

/** Wall and CPU seconds of one run of the CLI. */
function run(args: string[], cwd: string): { wall: number; cpu: number | null } {
  const t0 = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', '%U %S', process.execPath, cli, ...args], { cwd, encoding: 'utf8' });
  const wall = (performance.now() - t0) / 1000;
  if (r.status !== 0 && r.status !== 1) throw new Error(`segqc ${args[0]} failed (${r.status}): ${r.stderr}`);
  const [u, s] = r.stderr.trim().split('\n').pop()!.split(' ').map(Number);
  return { wall, cpu: Number.isFinite(u + s) ? u + s : null };
}

/** `--jobs 1` when the command takes it, so that both run on one thread. */
function oneJob(command: string): string[] {
  const help = spawnSync(process.execPath, [cli, command, '--help'], { encoding: 'utf8' }).stdout ?? '';
  return help.includes('--jobs') ? ['--jobs', '1'] : [];
}

export function benchDiffFull(results: BenchResults, runs = Number(process.env.SEGQC_BENCH_DIFF_RUNS ?? 3)): void {
  const repo = join(process.cwd(), '.tmp/bench-data/diff-full');
  if (!existsSync(join(repo, '.git'))) {
    const t0 = performance.now();
    generate(repo);
    console.log(`\ngenerated the diff --full repository (${CASES} CT cases 256x256x96, two raters, unchanged by the PR) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  const out = mkdtempSync(join(tmpdir(), 'segqc-bench-'));
  const checkJobs = oneJob('check'), diffJobs = oneJob('diff');
  const check = () => run(['check', '.', '--quiet', '--json', join(out, 'check.json'), ...checkJobs], repo);
  const diff = () => run(['diff', '--base', 'HEAD~1', '--head', 'HEAD', '--full', '.', '--quiet', ...diffJobs], repo);
  const c: ReturnType<typeof run>[] = [], d: ReturnType<typeof run>[] = [];
  for (let i = 0; i < runs; i++) {
    c.push(check());
    d.push(diff());
  }
  rmSync(out, { recursive: true, force: true });
  const cw = stats(c.map((x) => x.wall)), dw = stats(d.map((x) => x.wall));
  const cc = c[0].cpu === null ? null : stats(c.map((x) => x.cpu!)), dc = d[0].cpu === null ? null : stats(d.map((x) => x.cpu!));
  const jobs = checkJobs.length || diffJobs.length ? ' (--jobs 1)' : '';
  console.log(
    `\nsegqc diff --full vs segqc check${jobs}, ${CASES} CT cases 256x256x96 x 2 raters, none changed, ${runs} runs: ` +
      `check ${cw.median.toFixed(1)} s${cc ? ` (CPU ${cc.median.toFixed(1)} s)` : ''}, diff --full ${dw.median.toFixed(1)} s${dc ? ` (CPU ${dc.median.toFixed(1)} s)` : ''}: ` +
      `${(dw.median / cw.median).toFixed(2)}x the check${cc && dc ? ` (CPU ${(dc.median / cc.median).toFixed(2)}x)` : ''}  [target ≤ 1.5x]`,
  );
  results.add('diff_full_vs_check', {
    what: `${CASES} CT cases 256x256x96, two raters, unchanged between base and head`,
    runs,
    jobs_1: jobs !== '',
    check_wall_s: cw.median,
    check_cpu_s: cc?.median ?? null,
    diff_full_wall_s: dw.median,
    diff_full_cpu_s: dc?.median ?? null,
    ratio_wall: dw.median / cw.median,
    ratio_cpu: cc && dc ? dc.median / cc.median : null,
    target_ratio: 1.5,
  });
}
