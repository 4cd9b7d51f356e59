/** Pull-request diffs on worker threads: batches of items diffed where their exports are read, the analysis in the plan's order. */
import { createHash } from 'node:crypto';
import { fsTree } from './fs-tree.js';
import { runPool, serveWorker, type StartedWorkers } from './worker-pool.js';
import { SegqcError } from '../shared/errors.js';
import { discoveryOptions } from '../shared/dataset/check.js';
import { labelStudioExportItems, readLabelStudioExport, type SourceSpec } from '../shared/dataset/items.js';
import { summarizeItems, summaryItems, type ItemSummary } from '../shared/dataset/scope.js';
import type { DatasetTree } from '../shared/dataset/tree.js';
import type { ItemReport } from '../shared/report/types.js';
import { firstRanked, type ItemPictures, type KeptPictures, type PictureCollector, type PictureRank } from '../shared/pictures/item-pictures.js';
import { pageCollector } from '../shared/pictures/page.js';
import { picturesConfig } from '../shared/guideline/config.js';
import { openGitRepository, type GitRepository } from './git.js';
import { openBlobStream, type BlobStream } from './blob-stream.js';
import {
  discover,
  finishPullRequest,
  planPullRequest,
  pullRequestTolerance,
  taskTexts,
  tasksByItem,
  type BaseContext,
  type PlanKnown,
  type PullRequestAnalysis,
  type PullRequestInput,
  type PullRequestPlan,
} from '../shared/dataset/pull-request.js';
import { diffBatch, pullRequestBatches, type DiffBatch } from '../shared/dataset/pull-request-batch.js';
import type { ItemDiff } from '../shared/report/diff.js';
import { useNodeInflate } from './inflate.js';
import { MaskRecycler } from '../shared/formats/mask-recycler.js';
import { KEPT_EXPORT_BYTES, KeptExports, exportKey, exportsRead, heldFirst, names, testFault } from './worker-tasks.js';

/** Where a worker opens one side of a pull request: a commit of the repository holding `dir`, or a directory. */
export type TreeSource = { kind: 'commit'; dir: string; sha: string; prefix: string } | { kind: 'directory'; root: string };

/** What a diff worker opens by itself: both sides; the base's config as the main thread read it, the tolerance of the label diffs. */
export interface DiffWorkerData {
  base: TreeSource;
  head: TreeSource;
  context: BaseContext;
  toleranceMm: number;
  pictures: boolean;
  jobs: number;
}

type Side = 'base' | 'head';
/** An export of a pull request read for the plan: on the sides that need it read (a file the PR leaves alone is read once); `digest`: also its tasks' digests. */
type DiffScan = { kind: 'scan'; file: string; source: number; sides: Side[]; digest: boolean };
/** A worker's share of the review page's pictures: the items it holds sampled that the page shows. */
type DrawTask = { kind: 'draw'; ids: string[] };
type DiffTask = DiffScan | ({ kind: 'diff' } & DiffBatch) | DrawTask;
type DiffItemMessage = { index: number; entry: ItemDiff; base: ItemReport | null; head: ItemReport | null };
type DiffMessage =
  | { kind: 'scanned'; sides: Array<{ side: Side; items: ItemSummary[]; tasks: Array<[string, string]> | null | undefined }> }
  | ({ kind: 'item'; pictured: PictureRank | null } & DiffItemMessage)
  | { kind: 'drawn'; pictures: ItemPictures[] };

/** The key of an export's items on a side: the same on both sides when git says the bytes are. */
function sideExportKey(side: Side, tree: DatasetTree, source: number, file: string): string {
  const id = tree.objectId?.(file) ?? null;
  return id ? `${source}\0${file}\0${id}` : `${source}\0${side}\0${file}`;
}

/** sha256 of each item's task texts: equal exactly when the texts are (they are compared, never shown). */
const digests = (texts: Map<string, string> | null): Array<[string, string]> | null =>
  texts && [...texts].map(([id, text]) => [id, createHash('sha256').update(text).digest('hex')]);

/**
 * The scans largest first, each given to the worker with the least to read so far: an edited export (both sides) is
 * read by one worker and diffed there, so spreading them spreads the items the pull request changed.
 */
function spreadScans(scans: DiffScan[], jobs: number, prefer: Map<DiffTask, number>): DiffScan[] {
  const weight = (s: DiffScan) => 2 * s.sides.length + (s.digest ? 1 : 0);
  const sorted = [...scans].sort((a, b) => weight(b) - weight(a));
  const load = new Array<number>(Math.max(1, jobs)).fill(0);
  for (const s of sorted) {
    const w = load.indexOf(Math.min(...load));
    load[w] += weight(s);
    prefer.set(s, w);
  }
  return sorted;
}

/** Options of a pull request's analysis on worker threads. */
export interface ParallelDiffOptions {
  jobs: number;
  script: URL;
  /** Where workers open `input.base` and `input.head`. */
  sources: { base: TreeSource; head: TreeSource };
  /** Collects the pictures of the review page (workers sample them; `input.onItem` is not called). */
  pictures?: PictureCollector | null;
  /** Worker threads started ahead (role `diff`), loading while this thread read the config and the changed files. */
  started?: StartedWorkers;
}

/**
 * Analyses a pull request on `jobs` worker threads: the same analysis, in the same order, as `analyzePullRequest`. The
 * workers read the Label Studio exports of both sides (each once) and send back what the plan needs; each item is
 * then diffed by the worker holding its exports, when it is free. This thread diffs no item: it plans, hands out the
 * batches and gathers the results. A pull request that edits the guideline is planned on this thread (the guideline
 * change checks every item here).
 */
export async function analyzePullRequestInWorkers(input: PullRequestInput, opts: ParallelDiffOptions): Promise<PullRequestAnalysis> {
  let plan: PullRequestPlan | null = null;
  let results: Array<DiffItemMessage | undefined> = [];
  let done = 0;
  const data: DiffWorkerData = { ...opts.sources, context: input.context, toleranceMm: pullRequestTolerance(input), pictures: Boolean(opts.pictures), jobs: opts.jobs };
  const ctx = input.context;
  const trees = { base: input.base, head: input.head };
  const scanned = new Map<string, ItemSummary[]>();
  const tasks = { base: new Map<string, Map<string, string> | null>(), head: new Map<string, Map<string, string> | null>() };
  const holders = new Map<string, number>();
  const prefer = new Map<DiffTask, number>();
  const makePlan = (known?: PlanKnown): DiffTask[] => {
    const p = (plan = planPullRequest(input, known));
    results = new Array(p.selected.length);
    const n = p.selected.length;
    // Batches of an export's items a few per thread, each worker diffing those of the exports it holds; items of their
    // own files (3D maps, the costliest) last and one at a time (up to 512 per thread): any worker takes them at no extra
    // cost, so the one whose exports hold fewer items takes more of them, and a worker seldom takes another's export
    // batch (reading both sides of that export again). A worker reads a batch's files through its one `git cat-file`
    // process, so a batch costs no process of its own.
    const batches = pullRequestBatches(p, Math.ceil(n / (opts.jobs * 8)), Math.ceil(n / (opts.jobs * 512))).map((b) => ({ kind: 'diff' as const, ...b }));
    return heldFirst(batches, (b: (typeof batches)[number]) => [...b.baseScope, ...b.headScope], holders, prefer);
  };
  const known = (): PlanKnown => {
    const side = (which: Side) => ({
      exportItems: (file: string, source: number) => {
        const s = scanned.get(sideExportKey(which, trees[which], source, file));
        return s && summaryItems(s);
      },
      tasks: (path: string) => tasks[which].get(path),
    });
    return { base: side('base'), head: side('head') };
  };
  // The page's pictures are drawn where their items were sampled, each worker its share, once every item is judged.
  const ranked: Array<{ rank: PictureRank; worker: number }> = [];
  const drawn: ItemPictures[] = [];
  let drawing = false;
  const draw = (): DiffTask[] => {
    drawing = true;
    const shares = new Map<number, string[]>();
    for (const { rank, worker } of firstRanked(ranked, opts.pictures?.opts.maxItems ?? 0)) shares.set(worker, [...(shares.get(worker) ?? []), rank[1]]);
    return [...shares].map(([worker, ids]) => {
      const task: DiffTask = { kind: 'draw', ids };
      prefer.set(task, worker);
      return task;
    });
  };
  const guidelineEdited = input.changed.some((c) => c.path === ctx.guidelinePath || c.oldPath === ctx.guidelinePath);
  await runPool<DiffTask, DiffMessage, KeptPictures | null>({
    script: opts.script,
    jobs: opts.jobs,
    role: { segqcWorker: 'diff', data },
    started: opts.started,
    tasks: () => {
      if (guidelineEdited) return makePlan();
      const edited = new Set(input.changed.filter((c) => c.status === 'M').map((c) => c.path));
      const scans = new Map<string, DiffScan>();
      const keys = new Set<string>();
      for (const side of ['base', 'head'] as const) {
        for (const { file, source } of exportsRead((exportItems) => discover(trees[side], ctx, ctx.guideline, exportItems))) {
          const key = sideExportKey(side, trees[side], source, file);
          const digest = edited.has(file);
          // A file the same on both sides is read once, unless its tasks are compared.
          if (keys.has(key) && !digest) continue;
          keys.add(key);
          const at = exportKey(source, file);
          const scan = scans.get(at) ?? { kind: 'scan', file, source, sides: [], digest };
          scan.sides.push(side);
          scans.set(at, scan);
        }
      }
      return scans.size > 0 ? spreadScans([...scans.values()], opts.jobs, prefer) : makePlan(known());
    },
    more: () => (plan ? (drawing ? [] : draw()) : makePlan(known())),
    affinity: (t) => prefer.get(t) ?? null,
    describe: (t) => (t.kind === 'scan' ? t.file : t.kind === 'draw' ? `the pictures of ${names(t.ids.map((id) => ({ id })))}` : names(t.items)),
    onMessage: (m, t, worker) => {
      if (m.kind === 'drawn') {
        drawn.push(...m.pictures);
        return;
      }
      if (m.kind === 'scanned') {
        if (t.kind !== 'scan') return;
        for (const s of m.sides) {
          scanned.set(sideExportKey(s.side, trees[s.side], t.source, t.file), s.items);
          if (s.tasks !== undefined) tasks[s.side].set(t.file, s.tasks && new Map(s.tasks));
        }
        holders.set(t.file, worker);
        return;
      }
      results[m.index] = { index: m.index, entry: m.entry, base: m.base, head: m.head };
      if (m.pictured) ranked.push({ rank: m.pictured, worker });
      input.onProgress?.(++done, results.length);
    },
    onFinished: (kept) => {
      if (kept) opts.pictures?.merge(kept);
    },
  });
  opts.pictures?.useDrawn(drawn);
  const p = plan as PullRequestPlan | null;
  if (!p) throw new SegqcError('internal', 'the pull request was not planned', {}, 'internal');
  const missing = p.selected.filter((_, i) => !results[i]).map((id) => ({ id }));
  if (missing.length > 0) throw new SegqcError('internal', `the worker threads gave no diff for ${names(missing)}`, {}, 'internal');
  return finishPullRequest(input, p, results as DiffItemMessage[]);
}

/**
 * The trees of a pull request's sides as a worker opens them, and how to read a batch's files before they are read:
 * the commits of one repository share one long-running `git cat-file --batch`, started here while this thread's heap
 * is small (a process started later costs a copy-on-write fault on each page of the heap written afterwards).
 */
function openSources(sources: Record<Side, TreeSource>): { trees: Record<Side, DatasetTree>; load: (side: Side, paths: string[]) => Promise<void>; close: () => void } {
  const repos = new Map<string, { repo: GitRepository; stream: BlobStream }>();
  const open = (src: TreeSource): { tree: DatasetTree; load: (paths: string[]) => Promise<void> } => {
    if (src.kind === 'directory') return { tree: fsTree(src.root), load: async () => undefined };
    let r = repos.get(src.dir);
    if (!r) {
      const repo = openGitRepository(src.dir);
      repos.set(src.dir, (r = { repo, stream: openBlobStream(repo.top) }));
    }
    const tree = r.repo.commitTree(src.sha, src.prefix);
    const stream = r.stream;
    return { tree, load: (paths) => tree.load(paths, stream) };
  };
  const sides = { base: open(sources.base), head: open(sources.head) };
  return {
    trees: { base: sides.base.tree, head: sides.head.tree },
    load: (side, paths) => sides[side].load(paths),
    close: () => repos.forEach((r) => r.stream.close()),
  };
}

/** Serves a pull request's scans, diffs and drawings in a worker thread. */
export function serveDiff(data: DiffWorkerData): void {
  useNodeInflate();
  const { trees, load, close } = openSources(data);
  // Exports this worker holds parsed, by side: their files are not read again.
  const held = { base: new Set<string>(), head: new Set<string>() };
  const unheld = (side: Side, paths: string[]) => paths.filter((p) => !held[side].has(p));
  const ctx = data.context;
  const pictures = data.pictures ? pageCollector(picturesConfig(ctx.config), ctx.guideline) : null;
  // The page's pictures keep what they sample of an item's masks, not the masks (jobs 1 gives the same page without this).
  const masks = new MaskRecycler();
  const kept = new KeptExports(KEPT_EXPORT_BYTES / Math.max(1, data.jobs));
  const sources = ctx.config.sources as SourceSpec[];
  const options = discoveryOptions(ctx.config, ctx.guideline);
  const exportItems = (side: Side) => (file: string, source: number) => kept.get(sideExportKey(side, trees[side], source, file));
  serveWorker<DiffTask, DiffMessage, KeptPictures | null>(
    async (task, post) => {
      if (task.kind === 'scan') {
        testFault(task.file);
        const sides = [];
        for (const side of task.sides) {
          const tree = trees[side];
          await load(side, [task.file]);
          const read = readLabelStudioExport(tree, task.file);
          const items = labelStudioExportItems(task.file, read, sources[task.source], options);
          if ('json' in read && kept.keep(sideExportKey(side, tree, task.source, task.file), items, read.bytes)) held[side].add(task.file);
          const texts = task.digest ? digests('json' in read ? taskTexts(read.json) : tasksByItem(tree, task.file)) : undefined;
          sides.push({ side, items: summarizeItems(items), tasks: texts });
        }
        post({ kind: 'scanned', sides });
        return;
      }
      if (task.kind === 'draw') {
        post({ kind: 'drawn', pictures: pictures?.drawKept(new Set(task.ids)) ?? [] });
        return;
      }
      await load('base', unheld('base', task.baseScope));
      await load('head', unheld('head', task.headScope));
      diffBatch(
        ctx,
        trees,
        task,
        data.toleranceMm,
        (b, d) => {
          testFault(b.id);
          const pictured = pictures?.addDiffItem(d.entry, d.base && { ...d.base, tree: trees.base }, d.head && { ...d.head, tree: trees.head }) ?? null;
          post({ kind: 'item', pictured, index: b.index, entry: d.entry, base: d.base?.report ?? null, head: d.head?.report ?? null });
        },
        { base: exportItems('base'), head: exportItems('head') },
        masks,
      );
    },
    () => ({ message: pictures?.keptItems() ?? null }),
    close,
  );
}
