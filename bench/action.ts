/**
 * The GitHub Action end to end on a big pull request: 200 Label Studio tasks (1024×1024 brush masks) and 20 CT label
 * maps (512×512×96) edited in one PR, `node action/dist/index.js` run as the runner runs it against a local GitHub fake.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { brushAlpha, ctGeometry, ctLabelMap } from './synthetic.js';
import { BENCH_GUIDELINE } from './dataset.js';
import { encodeBrushRle } from '../shared/formats/brush-rle.js';
import { encodeNifti } from '../shared/formats/nifti-write.js';
import { FakeGitHub } from '../test/action-fake-github.js';
import { openGitRepository } from '../node/git.js';
import { loadDatasetContext } from '../shared/dataset/context.js';
import { analyzePullRequest } from '../shared/dataset/pull-request.js';
import { picturesConfig } from '../shared/guideline/config.js';
import { pageCollector, pagePictures } from '../shared/pictures/page.js';
import { renderReviewPage } from '../shared/report/html-page.js';

const root = process.env.SEGQC_ROOT ?? resolve(import.meta.dirname ?? '.', '..');
const TASKS = 400, TOUCHED = 200, VOLUMES = 20, W = 1024, H = 1024;

/** A brush task; `edited` adds a stroke to the liver (same task id and image: the same item, changed). */
function task(id: number, edited: boolean) {
  const liverAlpha = brushAlpha(W, H, id * 2 + 1);
  if (edited) {
    const cx = W * 0.5, cy = H * 0.5, r = 30;
    for (let y = cy - r; y <= cy + r; y++) for (let x = cx - r; x <= cx + r; x++) if ((x - cx) ** 2 + (y - cy) ** 2 <= r * r) liverAlpha[y * W + x] = 255;
  }
  const tumourAlpha = brushAlpha(W, H, id * 2 + 2).map((v, i) => (i % W < W / 3 ? v : 0));
  const region = (rid: string, alpha: Uint8Array, label: string) => ({
    id: rid, type: 'brushlabels', from_name: 'label', to_name: 'image', original_width: W, original_height: H, image_rotation: 0,
    value: { format: 'rle', rle: encodeBrushRle(alpha, W, H), brushlabels: [label] },
  });
  return {
    id,
    data: { image: `/data/upload/1/slice_${String(id).padStart(4, '0')}.png`, pixel_spacing: [0.7, 0.7] },
    annotations: [{ id: id * 10, completed_by: 1 + (id % 5), result: [region(`l${id}`, liverAlpha, 'Liver'), region(`t${id}`, tumourAlpha, 'Tumour')] }],
  };
}

function writeSide(dir: string, head: boolean): void {
  mkdirSync(join(dir, 'labelstudio'), { recursive: true });
  mkdirSync(join(dir, 'labels'), { recursive: true });
  writeFileSync(join(dir, 'guideline.yaml'), BENCH_GUIDELINE);
  writeFileSync(
    join(dir, 'segqc.yaml'),
    'guideline: guideline.yaml\nsources:\n  - format: labelstudio\n    path: labelstudio/*.json\n    spacing: pixel_spacing\n  - format: nifti\n    path: labels/*.nii.gz\ngate:\n  fail-on: never\n',
  );
  for (let start = 0; start < TASKS; start += 100) {
    // The PR edits the tasks of the first exports only; the rest stay byte for byte.
    if (head && start >= TOUCHED) continue;
    const chunk = [];
    for (let t = start; t < start + 100; t++) chunk.push(task(t, head));
    writeFileSync(join(dir, `labelstudio/export_${String(start / 100).padStart(3, '0')}.json`), JSON.stringify(chunk));
  }
  const g = ctGeometry();
  for (let v = 0; v < VOLUMES; v++) {
    writeFileSync(join(dir, `labels/ct_${String(v).padStart(3, '0')}.nii.gz`), encodeNifti({ geometry: g, data: ctLabelMap(v * 7 + (head ? 1 : 0), g) }, { gzip: true }));
  }
}

/** The PR repository of the Action bench, generated once: its base and head commits. */
export function ensureRepo(repo: string): { base: string; head: string } {
  const git = (...a: string[]) => execFileSync('git', ['-c', 'user.email=b@x', '-c', 'user.name=b', ...a], { cwd: repo, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  if (!existsSync(join(repo, '.git'))) {
    rmSync(repo, { recursive: true, force: true });
    mkdirSync(repo, { recursive: true });
    const t0 = performance.now();
    writeSide(repo, false);
    git('init', '-q', '-b', 'main');
    git('add', '-A');
    git('commit', '-qm', 'base');
    writeSide(repo, true);
    git('add', '-A');
    git('commit', '-qm', 'head: 200 tasks and 20 volumes edited');
    console.log(`\ngenerated the PR repository (${TASKS} LS tasks, ${TOUCHED} edited; ${VOLUMES} CT label maps, all edited) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  return { base: git('rev-parse', 'HEAD~1'), head: git('rev-parse', 'HEAD') };
}

/** The environment of the Action run on a pull request from `base` to `head` of `repo`, its files in `runner`. */
export function actionEnv(runner: string, repo: string, base: string, head: string, apiUrl: string): Record<string, string> {
  const file = (n: string, content = '') => (writeFileSync(join(runner, n), content), join(runner, n));
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? runner,
    GITHUB_EVENT_PATH: file('event.json', JSON.stringify({ pull_request: { number: 1, base: { sha: base }, head: { sha: head, repo: { full_name: 'acme/bench' } } } })),
    GITHUB_REPOSITORY: 'acme/bench',
    GITHUB_API_URL: apiUrl,
    GITHUB_SERVER_URL: 'https://github.example',
    GITHUB_RUN_ID: '1',
    GITHUB_OUTPUT: file('output'),
    GITHUB_STEP_SUMMARY: file('summary.md'),
    GITHUB_WORKSPACE: repo,
    RUNNER_TEMP: runner,
    'INPUT_GITHUB-TOKEN': 'ghs_bench',
    INPUT_CONFIG: 'segqc.yaml',
  };
}

/** Runs the bundled action once (`mode: check`) on the generated PR and prints its time, peak RSS and comment size. */
export async function benchAction(): Promise<void> {
  const action = join(root, 'action/dist/index.js');
  if (!existsSync(action)) throw new Error('action/dist/index.js is missing: npm run build');
  const repo = join(process.cwd(), '.tmp/bench-data/action-pr-repo');
  const { base, head } = ensureRepo(repo);
  const fake = new FakeGitHub('acme/bench');
  await fake.start();
  const runner = mkdtempSync(join(tmpdir(), 'segqc-bench-runner-'));
  const env = actionEnv(runner, repo, base, head, fake.url);
  const t0 = performance.now();
  const child = spawn('/usr/bin/time', ['-f', '%M', process.execPath, action], { cwd: repo, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stdout.resume();
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((r) => child.on('close', r));
  const ms = performance.now() - t0;
  await fake.stop();
  if (code !== 0 && code !== 1) throw new Error(`the action failed (${code}): ${stderr}`);
  const rssMb = Number(stderr.trim().split('\n').pop()) / 1024;
  const comment = fake.list(1)[0]?.body ?? '';
  const summaryBytes = readFileSync(join(runner, 'summary.md')).length;
  const pagePath = join(runner, 'segqc', 'segqc-report.html');
  const pageBytes = existsSync(pagePath) ? readFileSync(pagePath).length : 0;
  rmSync(runner, { recursive: true, force: true });
  console.log(
    `GitHub Action (node action/dist/index.js, mode: check), PR touching ${TOUCHED} LS tasks + ${VOLUMES} CT NIfTI pairs: ${(ms / 1000).toFixed(1)} s, ` +
      `peak RSS ${rssMb.toFixed(0)} MiB, comment ${comment.length} chars, job summary ${summaryBytes} bytes, review page ${(pageBytes / 1024 / 1024).toFixed(2)} MiB  [target < 60 s]`,
  );
  benchReviewPage(repo, base, head);
}

/**
 * What the review page adds to the same PR, measured in one process so that the run-to-run noise of whole commands
 * does not hide it: the pull request's analysis without and with the pictures' collector, plus drawing and writing
 * the page; best of three alternating runs each, wall and CPU time.
 */
export function benchReviewPage(repoDir: string, baseRef: string, headRef: string): void {
  const analyze = (withPage: boolean): { wall: number; cpu: number; html: string } => {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const repo = openGitRepository(repoDir);
    const baseSha = repo.resolveCommit(baseRef), headSha = repo.resolveCommit(headRef);
    const base = repo.commitTree(baseSha, ''), head = repo.commitTree(headSha, '');
    const context = loadDatasetContext(base, 'segqc.yaml');
    const changed = repo.changedFiles(repo.mergeBase(baseSha, headSha) ?? baseSha, headSha, '');
    base.prefetch(changed.map((c) => c.oldPath ?? c.path));
    head.prefetch(changed.map((c) => c.path));
    const pictures = withPage ? pageCollector(picturesConfig(context.config), context.guideline) : null;
    const analysis = analyzePullRequest({
      base, head, baseSha, headSha, changed, context, failOn: context.config.gate.fail_on, full: false, shard: null, toolVersion: 'bench',
      onItem: pictures ? (d, b, h) => pictures.addDiffItem(d, b && { ...b, tree: base }, h && { ...h, tree: head }) : undefined,
    });
    const html = pictures ? renderReviewPage({ report: analysis.report, diff: analysis.diff, guidelineChange: analysis.guidelineChange, pictures: pagePictures(pictures) }) : '';
    if (pictures) writeFileSync(join(repoDir, '..', 'review-page.html'), html);
    const c = process.cpuUsage(c0);
    return { wall: (performance.now() - t0) / 1000, cpu: (c.user + c.system) / 1e6, html };
  };
  const plain: Array<ReturnType<typeof analyze>> = [], withPage: typeof plain = [];
  for (let i = 0; i < 3; i++) {
    plain.push(analyze(false));
    withPage.push(analyze(true));
  }
  const html = withPage[0].html;
  const pictured = /(\d+) items? pictured/.exec(html)?.[1] ?? '?';
  const figures = html.match(/<figure/g)?.length ?? 0;
  const best = (xs: typeof plain, k: 'wall' | 'cpu') => Math.min(...xs.map((x) => x[k]));
  const fmt = (k: 'wall' | 'cpu') => `${best(plain, k).toFixed(1)} s → ${best(withPage, k).toFixed(1)} s (+${(best(withPage, k) - best(plain, k)).toFixed(2)} s)`;
  console.log(
    `review page, same PR (the analysis in one process, without → with the page): ${(html.length / 1024 / 1024).toFixed(2)} MiB, ${pictured} items pictured in ${figures} pictures; ` +
      `wall ${fmt('wall')}, CPU ${fmt('cpu')}  [targets < 10 MiB, < 2 s added]`,
  );
}
