/**
 * Worker threads: `segqc check` on the check bench's dataset (1,000 Label Studio tasks of 1024² + 20 CT maps) and the
 * Action on the PR bench's pull request, each with `--jobs 1` (`jobs: 1`) and `--jobs 2`, alternated, best of `runs`.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { writeDataset } from './dataset.js';
import { actionEnv, ensureRepo } from './action.js';
import { FakeGitHub } from '../test/action-fake-github.js';

const root = process.env.SEGQC_ROOT ?? resolve(import.meta.dirname ?? '.', '..');
const work = join(process.cwd(), '.tmp/bench-data');

/** Wall time, CPU time (user + system of the process and its threads) and peak RSS of one run of a command. */
interface Run {
  s: number;
  cpuS: number;
  rssMb: number;
}

function timed(args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<Run> {
  const t0 = performance.now();
  const child = spawn('/usr/bin/time', ['-f', '%U %S %M', process.execPath, ...args], { cwd, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((done, fail) =>
    child.on('close', (code) => {
      const s = (performance.now() - t0) / 1000;
      if (code !== 0 && code !== 1) return fail(new Error(`${args.join(' ')} failed (${code}): ${stderr}`));
      const [user, sys, rssKb] = stderr.trim().split('\n').pop()!.split(' ').map(Number);
      done({ s, cpuS: user + sys, rssMb: rssKb / 1024 });
    }),
  );
}

/** Best (least wall time) of `runs` alternating runs of each setting. */
async function alternate(runs: number, settings: Array<() => Promise<Run>>): Promise<Run[]> {
  const best: Array<Run | null> = settings.map(() => null);
  for (let i = 0; i < runs; i++) {
    for (const [k, run] of settings.entries()) {
      const r = await run();
      if (!best[k] || r.s < best[k]!.s) best[k] = r;
    }
  }
  return best as Run[];
}

const line = (what: string, [one, two]: Run[]) =>
  `${what}: --jobs 1 ${one.s.toFixed(1)} s (CPU ${one.cpuS.toFixed(1)} s, peak RSS ${one.rssMb.toFixed(0)} MiB), ` +
  `--jobs 2 ${two.s.toFixed(1)} s (CPU ${two.cpuS.toFixed(1)} s, peak RSS ${two.rssMb.toFixed(0)} MiB): ${(one.s / two.s).toFixed(2)}x  [target >= 1.7x on 2 cores]`;

/** The Action on the PR bench's repository with input `jobs`, against a local GitHub fake. */
async function actionRun(repo: string, base: string, head: string, jobs: number): Promise<Run> {
  const fake = new FakeGitHub('acme/bench');
  await fake.start();
  const runner = mkdtempSync(join(tmpdir(), 'segqc-bench-jobs-'));
  const env: NodeJS.ProcessEnv = { ...actionEnv(runner, repo, base, head, fake.url), INPUT_JOBS: String(jobs) };
  try {
    return await timed([join(root, 'action/dist/index.js')], repo, env);
  } finally {
    await fake.stop();
    rmSync(runner, { recursive: true, force: true });
  }
}

/** Prints `--jobs 1` against `--jobs 2` for the check bench and the PR bench (`SEGQC_BENCH_JOBS=check` or `pr`: only that one); returns the figures. */
export async function benchJobs(runs = 2): Promise<Record<string, { jobs1: Run; jobs2: Run; speedup: number }>> {
  const only = process.env.SEGQC_BENCH_JOBS;
  const figure = ([one, two]: Run[]) => ({ jobs1: one, jobs2: two, speedup: one.s / two.s });
  const out: Record<string, { jobs1: Run; jobs2: Run; speedup: number }> = {};
  if (only !== 'pr') out.check_jobs = figure(await benchCheckJobs(runs));
  if (only !== 'check') out.action_jobs = figure(await benchActionJobs(runs));
  return out;
}

async function benchCheckJobs(runs: number): Promise<Run[]> {
  const dir = join(work, 'check');
  if (!existsSync(join(dir, 'segqc.yaml'))) {
    rmSync(dir, { recursive: true, force: true });
    writeDataset(dir, 1000, 20);
  }
  const cli = join(root, 'bin/segqc.js');
  const check = await alternate(runs, [1, 2].map((j) => () => timed([cli, 'check', dir, '--quiet', '--jobs', String(j), '--json', join(work, `check-jobs${j}.json`)], root)));
  console.log(`\n${line('segqc check, 1000 Label Studio tasks (1024x1024) + 20 CT label maps (512x512x96)', check)}`);
  const same = readFileSync(join(work, 'check-jobs1.json'), 'utf8') === readFileSync(join(work, 'check-jobs2.json'), 'utf8');
  console.log(`  the JSON reports of --jobs 1 and --jobs 2 are ${same ? 'the same, byte for byte' : 'DIFFERENT'}`);
  return check;
}

async function benchActionJobs(runs: number): Promise<Run[]> {
  const repo = join(work, 'action-pr-repo');
  const { base, head } = ensureRepo(repo);
  const pr = await alternate(runs, [1, 2].map((j) => () => actionRun(repo, base, head, j)));
  console.log(line('GitHub Action (mode: check), PR touching 200 LS tasks + 20 CT NIfTI pairs', pr));
  return pr;
}
