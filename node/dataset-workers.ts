/** `segqc check` on worker threads: batches of items checked where they are read, reports back in the plan's order. */
import { fsTree } from './fs-tree.js';
import { runPool, serveWorker, withRoleData, type StartedWorkers, type WorkerRole } from './worker-pool.js';
import { SegqcError } from '../shared/errors.js';
import type { DatasetContext } from '../shared/dataset/context.js';
import { checkBatch, checkBatches, checkReport, discoveryOptions, planCheck, type BatchItem, type CheckOptions } from '../shared/dataset/check.js';
import { discoverItems, labelStudioExportItems, readLabelStudioExport, type SourceSpec } from '../shared/dataset/items.js';
import { summarizeItems, summaryItems, type ItemSummary } from '../shared/dataset/scope.js';
import type { DatasetTree } from '../shared/dataset/tree.js';
import type { DatasetReport, ItemReport } from '../shared/report/types.js';
import type { KeptPictures, PictureCollector } from '../shared/pictures/item-pictures.js';
import { pageCollector } from '../shared/pictures/page.js';
import { picturesConfig } from '../shared/guideline/config.js';
import { useNodeInflate } from './inflate.js';
import { KEPT_EXPORT_BYTES, KeptExports, exportKey, exportsRead, heldFirst, names, testFault } from './worker-tasks.js';
import { serveDiff, type DiffWorkerData } from './diff-workers.js';
import { MaskRecycler } from '../shared/formats/mask-recycler.js';

/** What a check worker opens by itself: the dataset directory; its config as the main thread read it, and whether to sample pictures. */
interface CheckWorkerData {
  root: string;
  context: DatasetContext;
  maxVoxels?: number;
  pictures: boolean;
  jobs: number;
}

type CheckTask = { kind: 'scan'; file: string; source: number } | { kind: 'check'; items: BatchItem[]; scope: string[] };
type CheckMessage = { kind: 'scanned'; items: ItemSummary[] } | { kind: 'item'; index: number; report: ItemReport };

/** Options of a check on worker threads. */
export interface ParallelCheckOptions extends CheckOptions {
  jobs: number;
  /** The bundle workers run (it serves them through `serveDatasetWorker`). */
  script: URL;
  /** The dataset directory `tree` lists; workers open it themselves. */
  root: string;
  /** Collects the pictures of the review page (workers sample them; `onItem` is not called). */
  pictures?: PictureCollector | null;
  /** Worker threads started ahead (role `check`), loading while this thread read the config. */
  started?: StartedWorkers;
}

/**
 * Checks a dataset directory on `jobs` worker threads: the same report, in the same order, as `checkDataset`. The
 * workers read the Label Studio exports (each once) and send back what the plan needs; each item is then checked by
 * the worker holding its export, when it is free. This thread checks no item: it plans, hands out batches and gathers
 * the reports, so a worker never waits for it.
 */
export async function checkDatasetInWorkers(tree: DatasetTree, ctx: DatasetContext, opts: ParallelCheckOptions): Promise<DatasetReport> {
  let ids: string[] = [];
  let reports: Array<ItemReport | undefined> = [];
  let done = 0;
  const data: CheckWorkerData = { root: opts.root, context: ctx, maxVoxels: opts.maxVoxels, pictures: Boolean(opts.pictures), jobs: opts.jobs };
  const scanned = new Map<string, ItemSummary[]>();
  const holders = new Map<string, number>();
  const prefer = new Map<CheckTask, number>();
  let planned = false;
  const plan = (): CheckTask[] => {
    planned = true;
    const exportItems = (file: string, source: number) => {
      const s = scanned.get(exportKey(source, file));
      return s && summaryItems(s);
    };
    const p = planCheck(tree, ctx.config, ctx.guideline, { ...opts, exportItems });
    ids = p.items.map((i) => i.id);
    reports = new Array(ids.length);
    // A few batches of exports' tasks per worker, so that a worker done with its own can take a share of another's;
    // items of their own files (3D maps, the costliest) last and one at a time (up to 512 per thread): any worker takes
    // them at no extra cost, so the one whose exports hold fewer items takes more of them and the run ends evenly.
    const batches = checkBatches(p, Math.ceil(ids.length / (opts.jobs * 4)), Math.ceil(ids.length / (opts.jobs * 512))).map((b) => ({ kind: 'check' as const, ...b }));
    return heldFirst(batches, (b: (typeof batches)[number]) => b.scope, holders, prefer);
  };
  await runPool<CheckTask, CheckMessage, KeptPictures | null>({
    script: opts.script,
    jobs: opts.jobs,
    role: { segqcWorker: 'check', data },
    started: opts.started,
    tasks: () => {
      const dry = exportsRead((exportItems) => discoverItems(tree, ctx.config.sources as SourceSpec[], discoveryOptions(ctx.config, ctx.guideline, opts.maxVoxels, exportItems)));
      if (dry.length === 0) return plan();
      const seen = new Set<string>();
      return dry.filter((d) => !seen.has(exportKey(d.source, d.file)) && seen.add(exportKey(d.source, d.file))).map((d) => ({ kind: 'scan', ...d }));
    },
    more: () => (planned ? [] : plan()),
    affinity: (t) => prefer.get(t) ?? null,
    describe: (t) => (t.kind === 'scan' ? t.file : names(t.items)),
    onMessage: (m, t, worker) => {
      if (m.kind === 'scanned') {
        if (t.kind === 'scan') {
          scanned.set(exportKey(t.source, t.file), m.items);
          holders.set(t.file, worker);
        }
        return;
      }
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
  useNodeInflate();
  const tree = fsTree(data.root);
  const ctx = data.context;
  const pictures = data.pictures ? pageCollector(picturesConfig(ctx.config), ctx.guideline) : null;
  // The page's pictures keep masks of the items they sample; without them an item's masks die with it.
  const masks = pictures ? undefined : new MaskRecycler();
  const kept = new KeptExports(KEPT_EXPORT_BYTES / Math.max(1, data.jobs));
  const sources = ctx.config.sources as SourceSpec[];
  const exportItems = (file: string, source: number) => kept.get(exportKey(source, file));
  serveWorker<CheckTask, CheckMessage, KeptPictures | null>(
    (task, post) => {
      if (task.kind === 'scan') {
        testFault(task.file);
        const read = readLabelStudioExport(tree, task.file);
        const items = labelStudioExportItems(task.file, read, sources[task.source], discoveryOptions(ctx.config, ctx.guideline, data.maxVoxels));
        if ('json' in read) kept.keep(exportKey(task.source, task.file), items, read.bytes);
        post({ kind: 'scanned', items: summarizeItems(items) });
        return;
      }
      checkBatch(
        tree,
        ctx.config,
        ctx.guideline,
        task,
        data.maxVoxels,
        (b, checked) => {
          testFault(b.id);
          pictures?.addCheckItem({ ...checked, tree });
          post({ kind: 'item', index: b.index, report: checked.report });
        },
        exportItems,
        masks,
      );
    },
    () => ({ message: pictures?.keptItems() ?? null }),
  );
}

/** Serves the work of a segqc worker thread (called by the bundle's entry when `workerRole()` gives a role). */
export function serveDatasetWorker(role: WorkerRole): void {
  testFault('(start)');
  if (role.segqcWorker === 'check') withRoleData(role, (data) => serveCheck(data as CheckWorkerData));
  else if (role.segqcWorker === 'diff') withRoleData(role, (data) => serveDiff(data as DiffWorkerData));
  else throw new Error(`unknown segqc worker "${role.segqcWorker}"`);
}
