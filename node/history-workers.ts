/**
 * The items of `segqc history` judged in batches: in this thread, or on worker threads (`--jobs`). A batch carries
 * the bytes of its items' files as read at its commit, so a worker needs no git of its own (but for the rare file a
 * batch does not carry, a symbolic link). The reports are the same either way.
 */
import { SegqcError } from '../shared/errors.js';
import { memoryTree, type DatasetTree } from '../shared/dataset/tree.js';
import { loadDatasetContext, type DatasetContext } from '../shared/dataset/context.js';
import { discoverItems, type SourceSpec } from '../shared/dataset/items.js';
import { checkPendingItem } from '../shared/dataset/check.js';
import type { ItemReport } from '../shared/report/types.js';
import { openGitRepository, type CommitTree } from './git.js';
import { serveWorker, startPool, type TaskFeed } from './worker-pool.js';

/** Items of one step to judge together, with what judging them reads. */
export interface JudgeTask {
  /** The commit judged at: where a file the batch does not carry is read (`top`: the repository's top directory). */
  commit: { top: string; sha: string; prefix: string };
  /** The dataset context (config and guideline) by key, with the files it is loaded from. */
  context: { key: string; configPath: string; files: Map<string, Uint8Array> };
  /** Every file of the batch's items, sorted. */
  listed: string[];
  /** The bytes of the listed files as read, or why git could not read one. */
  bytes: Map<string, Uint8Array | { error: string }>;
  /** The items to judge. */
  ids: string[];
}

/** The report of each item of a batch (null: the item is not there any more), and the files read beyond its bytes. */
export interface JudgeResult {
  reports: Array<ItemReport | null>;
  reads: string[];
}

/** Judges the items of a batch; `contexts` keeps loaded contexts by key across batches. */
export function judgeBatch(task: JudgeTask, contexts: Map<string, DatasetContext>): JudgeResult {
  let ctx = contexts.get(task.context.key);
  if (!ctx) {
    ctx = loadDatasetContext(memoryTree(Object.fromEntries(task.context.files), 'commit'), task.context.configPath);
    contexts.set(task.context.key, ctx);
  }
  const reads: string[] = [];
  let commitTree: CommitTree | null = null;
  const tree: DatasetTree = {
    name: `commit ${task.commit.sha.slice(0, 7)}`,
    list: () => task.listed,
    read: (p) => {
      const own = task.bytes.get(p);
      if (own instanceof Uint8Array) return own;
      if (own) throw new SegqcError('usage', own.error);
      commitTree ??= openGitRepository(task.commit.top).commitTree(task.commit.sha, task.commit.prefix);
      reads.push(p);
      return commitTree.read(p);
    },
  };
  const reference = (ctx.config.reference as SourceSpec | undefined) ?? null;
  const labelValues = Object.fromEntries(ctx.guideline.labels.map((l) => [l.name, l.value]));
  const found = discoverItems(tree, ctx.config.sources as SourceSpec[], { labelValues, reference });
  const orphans = new Set(found.orphans);
  const pending = new Map(found.items.map((i) => [i.id, i]));
  const guideline = ctx.guideline;
  const reports = task.ids.map((id) => {
    const p = pending.get(id);
    return p ? checkPendingItem(guideline, tree, p, orphans.has(id)) : null;
  });
  return { reports, reads };
}

/** Where batches are judged: `submit` resolves when the batch is taken (waiting while too many are queued). */
export interface Judge {
  submit(task: JudgeTask): Promise<{ result: Promise<JudgeResult> }>;
  /** Waits for every batch; rejects when a worker failed. */
  close(): Promise<void>;
}

const describe = (t: JudgeTask) => `${t.ids.length <= 3 ? t.ids.join(', ') : `${t.ids[0]} … ${t.ids[t.ids.length - 1]} (${t.ids.length} items)`} at commit ${t.commit.sha.slice(0, 7)}`;

/**
 * Judges batches in this thread (`jobs` 1, or no worker script), else on `jobs` worker threads, as `--jobs` means for
 * the other dataset commands (this thread walks the history meanwhile). The first `inThread` items are judged here all
 * the same: a worker costs its start and its own guideline schemas, more than a run after one more commit judges.
 */
export function historyJudge(opts: { jobs: number; script?: URL | null; contexts: Map<string, DatasetContext>; inThread?: number }): Judge {
  const script = opts.script;
  const here = async (task: JudgeTask) => ({ result: Promise.resolve(judgeBatch(task, opts.contexts)) });
  if (opts.jobs <= 1 || !script) return { submit: here, close: async () => undefined };
  let feed: TaskFeed<JudgeTask> | null = null;
  let early = opts.inThread ?? 0;
  const waiting = new Map<JudgeTask, { resolve: (r: JudgeResult) => void; reject: (e: unknown) => void }>();
  return {
    submit: async (task) => {
      if (!feed && early >= task.ids.length) {
        early -= task.ids.length;
        return here(task);
      }
      feed ??= startPool<JudgeTask, JudgeResult>({
        script,
        jobs: opts.jobs,
        role: { segqcWorker: 'history', data: null },
        describe,
        onMessage: (m, t) => {
          waiting.get(t)?.resolve(m);
          waiting.delete(t);
        },
      });
      const result = new Promise<JudgeResult>((resolve, reject) => waiting.set(task, { resolve, reject }));
      result.catch(() => undefined);
      await feed.submit(task);
      return { result };
    },
    close: async () => {
      try {
        await feed?.close();
      } catch (e) {
        for (const w of waiting.values()) w.reject(e);
        throw e;
      }
    },
  };
}

/** A test hook: `SEGQC_TEST_WORKER_FAULT=throw:ID` (or `exit:ID`) makes the worker given item ID fail that way. */
function testFault(ids: string[]): void {
  const fault = process.env.SEGQC_TEST_WORKER_FAULT;
  if (!fault) return;
  if (ids.some((id) => fault === `throw:${id}`)) throw new Error(`test fault at ${fault.slice(6)}`);
  if (ids.some((id) => fault === `exit:${id}`)) process.exit(70);
}

/** Serves batches in a worker thread (the bundle's entry calls it for the role `history`). */
export function serveHistoryWorker(): void {
  const contexts = new Map<string, DatasetContext>();
  serveWorker<JudgeTask, JudgeResult, null>((task, post) => {
    testFault(task.ids);
    post(judgeBatch(task, contexts));
  });
}
