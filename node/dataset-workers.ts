/** `segqc check` and pull-request diffs on worker threads: batches of items checked where they are read, reports back in the plan's order. */
import { fsTree } from './fs-tree.js';
import { runPool, serveWorker, type WorkerRole } from './worker-pool.js';
import { SegqcError } from '../shared/errors.js';
import { loadDatasetContext, type DatasetContext } from '../shared/dataset/context.js';
import { checkBatch, checkBatches, checkReport, planCheck, type BatchItem, type CheckOptions } from '../shared/dataset/check.js';
import type { DatasetTree } from '../shared/dataset/tree.js';
import type { DatasetReport, ItemReport } from '../shared/report/types.js';
import type { KeptPictures, PictureCollector } from '../shared/pictures/item-pictures.js';
import { pageCollector } from '../shared/pictures/page.js';
import { picturesConfig } from '../shared/guideline/config.js';
import { openGitRepository, type GitRepository } from './git.js';
import { finishPullRequest, planPullRequest, pullRequestTolerance, type PullRequestAnalysis, type PullRequestInput, type PullRequestPlan } from '../shared/dataset/pull-request.js';
import { diffBatch, pullRequestBatches, type DiffBatch } from '../shared/dataset/pull-request-batch.js';
import type { ItemDiff } from '../shared/report/diff.js';

/** What a check worker opens by itself: the dataset directory and its config, and whether to sample pictures. */
interface CheckWorkerData {
  root: string;
  configPath: string;
  maxVoxels?: number;
  pictures: boolean;
}

type CheckTask = { items: BatchItem[]; scope: string[] };
type CheckMessage = { index: number; report: ItemReport };

/** A test hook: `SEGQC_TEST_WORKER_FAULT=throw:ID` (or `exit:ID`) makes the worker checking item ID fail that way. */
function testFault(id: string): void {
  const fault = process.env.SEGQC_TEST_WORKER_FAULT;
  if (!fault) return;
  if (fault === `throw:${id}`) throw new Error(`test fault while checking ${id}`);
  if (fault === `exit:${id}`) process.exit(70);
}

const names = (items: Array<{ id: string }>) => (items.length <= 3 ? items.map((i) => i.id).join(', ') : `${items[0].id} … ${items[items.length - 1].id} (${items.length} items)`);

/** Options of a check on worker threads. */
export interface ParallelCheckOptions extends CheckOptions {
  jobs: number;
  /** The bundle workers run (it serves them through `serveDatasetWorker`). */
  script: URL;
  /** The dataset directory `tree` lists; workers open it themselves. */
  root: string;
  /** Collects the pictures of the review page (workers sample them; `onItem` is not called). */
  pictures?: PictureCollector | null;
}

/** Checks a dataset directory on `jobs` worker threads: the same report, in the same order, as `checkDataset`. */
export async function checkDatasetInWorkers(tree: DatasetTree, ctx: DatasetContext, opts: ParallelCheckOptions): Promise<DatasetReport> {
  let ids: string[] = [];
  let reports: Array<ItemReport | undefined> = [];
  let done = 0;
  const data: CheckWorkerData = { root: opts.root, configPath: ctx.configPath, maxVoxels: opts.maxVoxels, pictures: Boolean(opts.pictures) };
  await runPool<CheckTask, CheckMessage, KeptPictures | null>({
    script: opts.script,
    jobs: opts.jobs,
    role: { segqcWorker: 'check', data },
    tasks: () => {
      // Only the ids outlive the plan: the workers read the items again, so the exports parsed here can go.
      const plan = planCheck(tree, ctx.config, ctx.guideline, opts);
      ids = plan.items.map((p) => p.id);
      reports = new Array(ids.length);
      // An export's tasks stay in one batch unless that would leave a core idle; items of their own files go a few at a time.
      return checkBatches(plan, Math.ceil(ids.length / (opts.jobs * 2)), Math.ceil(ids.length / (opts.jobs * 64)));
    },
    describe: (t) => names(t.items),
    onMessage: (m) => {
      reports[m.index] = m.report;
      opts.onProgress?.(++done, ids.length, m.report.id);
    },
    onFinished: (kept) => {
      if (kept) opts.pictures?.merge(kept);
    },
  });
  const missing = ids.filter((_, i) => !reports[i]).map((id) => ({ id }));
  if (missing.length > 0) throw new SegqcError('internal', `the worker threads gave no report for ${names(missing)}`, {}, 'internal');
  return checkReport(reports as ItemReport[], ctx.config, ctx.guideline, opts);
}

function serveCheck(data: CheckWorkerData): void {
  const tree = fsTree(data.root);
  const ctx = loadDatasetContext(tree, data.configPath);
  const pictures = data.pictures ? pageCollector(picturesConfig(ctx.config), ctx.guideline) : null;
  serveWorker<CheckTask, CheckMessage, KeptPictures | null>(
    (task, post) =>
      checkBatch(tree, ctx.config, ctx.guideline, task, data.maxVoxels, (b, checked) => {
        testFault(b.id);
        pictures?.addCheckItem({ ...checked, tree });
        post({ index: b.index, report: checked.report });
      }),
    () => ({ message: pictures?.keptItems() ?? null }),
  );
}

/** Where a worker opens one side of a pull request: a commit of the repository holding `dir`, or a directory. */
export type TreeSource = { kind: 'commit'; dir: string; sha: string; prefix: string } | { kind: 'directory'; root: string };

/** What a diff worker opens by itself: both sides, the base's config, the tolerance of the label diffs. */
interface DiffWorkerData {
  base: TreeSource;
  head: TreeSource;
  configPath: string;
  toleranceMm: number;
  pictures: boolean;
}

type DiffMessage = { index: number; entry: ItemDiff; base: ItemReport | null; head: ItemReport | null };

/** Options of a pull request's analysis on worker threads. */
export interface ParallelDiffOptions {
  jobs: number;
  script: URL;
  /** Where workers open `input.base` and `input.head`. */
  sources: { base: TreeSource; head: TreeSource };
  /** Collects the pictures of the review page (workers sample them; `input.onItem` is not called). */
  pictures?: PictureCollector | null;
}

/** Analyses a pull request on `jobs` worker threads: the same analysis, in the same order, as `analyzePullRequest`. */
export async function analyzePullRequestInWorkers(input: PullRequestInput, opts: ParallelDiffOptions): Promise<PullRequestAnalysis> {
  let plan: PullRequestPlan | null = null;
  let results: Array<DiffMessage | undefined> = [];
  let done = 0;
  const data: DiffWorkerData = { ...opts.sources, configPath: input.context.configPath, toleranceMm: pullRequestTolerance(input), pictures: Boolean(opts.pictures) };
  await runPool<DiffBatch, DiffMessage, KeptPictures | null>({
    script: opts.script,
    jobs: opts.jobs,
    role: { segqcWorker: 'diff', data },
    tasks: () => {
      plan = planPullRequest(input);
      results = new Array(plan.selected.length);
      const n = plan.selected.length;
      return pullRequestBatches(plan, Math.ceil(n / (opts.jobs * 2)), Math.ceil(n / (opts.jobs * 64)));
    },
    describe: (t) => names(t.items),
    onMessage: (m) => {
      results[m.index] = m;
      input.onProgress?.(++done, results.length);
    },
    onFinished: (kept) => {
      if (kept) opts.pictures?.merge(kept);
    },
  });
  const p = plan as PullRequestPlan | null;
  if (!p) throw new SegqcError('internal', 'the pull request was not planned', {}, 'internal');
  const missing = p.selected.filter((_, i) => !results[i]).map((id) => ({ id }));
  if (missing.length > 0) throw new SegqcError('internal', `the worker threads gave no diff for ${names(missing)}`, {}, 'internal');
  return finishPullRequest(input, p, results as DiffMessage[]);
}

function openSource(src: TreeSource, repos: Map<string, GitRepository>): DatasetTree & { prefetch?: (paths: string[]) => void } {
  if (src.kind === 'directory') return fsTree(src.root);
  let repo = repos.get(src.dir);
  if (!repo) repos.set(src.dir, (repo = openGitRepository(src.dir)));
  return repo.commitTree(src.sha, src.prefix);
}

function serveDiff(data: DiffWorkerData): void {
  const repos = new Map<string, GitRepository>();
  const base = openSource(data.base, repos);
  const head = openSource(data.head, repos);
  const ctx = loadDatasetContext(base, data.configPath);
  const pictures = data.pictures ? pageCollector(picturesConfig(ctx.config), ctx.guideline) : null;
  serveWorker<DiffBatch, DiffMessage, KeptPictures | null>(
    (task, post) => {
      base.prefetch?.(task.baseScope);
      head.prefetch?.(task.headScope);
      diffBatch(ctx, { base, head }, task, data.toleranceMm, (b, d) => {
        testFault(b.id);
        pictures?.addDiffItem(d.entry, d.base && { ...d.base, tree: base }, d.head && { ...d.head, tree: head });
        post({ index: b.index, entry: d.entry, base: d.base?.report ?? null, head: d.head?.report ?? null });
      });
    },
    () => ({ message: pictures?.keptItems() ?? null }),
  );
}

/** Serves the work of a segqc worker thread (called by the bundle's entry when `workerRole()` gives a role). */
export function serveDatasetWorker(role: WorkerRole): void {
  if (role.segqcWorker === 'check') serveCheck(role.data as CheckWorkerData);
  else if (role.segqcWorker === 'diff') serveDiff(role.data as DiffWorkerData);
  else throw new Error(`unknown segqc worker "${role.segqcWorker}"`);
}
