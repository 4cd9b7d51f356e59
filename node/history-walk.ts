/**
 * The walk of `segqc history`: the first-parent commits of a branch, and at each one the items it changed judged under
 * the guideline in force there. Steps and item results are cached by git object ids (see node/cache.ts), blobs are
 * read in batches by `git cat-file --batch`.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { SegqcError, isSegqcError } from '../shared/errors.js';
import { catFileBatch, openGitRepository, type GitRepository } from './git.js';
import type { ResultCache } from './cache.js';
import { cacheKey } from './cache.js';
import { memoryTree, type DatasetTree } from '../shared/dataset/tree.js';
import { guidelinePathOf, loadDatasetContext, type DatasetContext } from '../shared/dataset/context.js';
import { parseConfig } from '../shared/guideline/config.js';
import { guidelineSha256 } from '../shared/guideline/hash.js';
import { globToRegExp } from '../shared/dataset/glob.js';
import { discoverItems, itemStem, sidecarOf, type SourceSpec } from '../shared/dataset/items.js';
import { checkPendingItem } from '../shared/dataset/check.js';
import type { ItemReport } from '../shared/report/types.js';
import { diffExport, type ExportDiff } from '../shared/history/export-diff.js';
import type { HistoryCommit, HistoryStep, StepItem } from '../shared/history/types.js';

/** Bumped when the meaning of a cached step or item changes. */
const CACHE_FORMAT = 1;
const MAX_BUFFER = 1024 * 1024 * 1024;

/** Options of a walk. */
export interface HistoryWalkOptions {
  /** The dataset config, relative to the dataset directory. */
  configPath: string;
  /** Only commits after this revision, or since this date (git's `--since`). */
  since?: string | null;
  /** The last commit (default HEAD). */
  until?: string | null;
  cache: ResultCache;
  toolVersion: string;
  onStep?: (done: number, total: number) => void;
}

/** What the walk did: steps and items taken from the cache or computed, and every blob it read (dataset-relative paths). */
export interface WalkStats {
  steps: number;
  stepsFromCache: number;
  itemsJudged: number;
  itemsFromCache: number;
  reads: string[];
}

/** The steps of the walk, whether the clone is shallow, and notes for the reader. */
export interface HistoryWalk {
  steps: HistoryStep[];
  shallow: boolean;
  notes: string[];
  stats: WalkStats;
}

function git(top: string, args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: top, maxBuffer: MAX_BUFFER, stdio: ['ignore', 'pipe', 'pipe'] }).toString();
  } catch (e) {
    const stderr = String((e as { stderr?: Buffer }).stderr ?? '').trim();
    throw new SegqcError('usage', `git ${args[0]} failed: ${stderr || (e as Error).message}`);
  }
}

/** The commits of the range, oldest first, along first parents. */
function firstParentCommits(repo: GitRepository, opts: HistoryWalkOptions): HistoryCommit[] {
  const until = repo.resolveCommit(opts.until ?? 'HEAD');
  const range = [until];
  if (opts.since) {
    let sinceRev: string | null = null;
    try {
      sinceRev = execFileSync('git', ['rev-parse', '--verify', '--quiet', `${opts.since}^{commit}`], { cwd: repo.top, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim() || null;
    } catch {
      sinceRev = null;
    }
    if (sinceRev) range.push(`^${sinceRev}`);
    else if (/^\d{4}-\d{2}(-\d{2})?([T ].*)?$/.test(opts.since)) range.push(`--since=${opts.since}`);
    else throw new SegqcError('usage', `--since "${opts.since}" is neither a commit of this clone nor a date (YYYY-MM-DD)`);
  }
  const out = git(repo.top, ['log', '--first-parent', '--reverse', '--format=%H%x1f%P%x1f%an%x1f%ae%x1f%aI%x1f%s%x1e', ...range, '--']);
  return out
    .split('\x1e')
    .map((r) => r.replace(/^\n/, ''))
    .filter((r) => r.length > 0)
    .map((r) => {
      const [sha, parents, author, email, date, subject] = r.split('\x1f');
      const ps = parents.split(' ').filter(Boolean);
      return { sha, parent: ps[0] ?? null, author, email, date, subject: subject ?? '', merge: ps.length > 1 };
    });
}

/** Shallow boundary commits (their parents are not in the clone). */
function shallowCommits(top: string): Set<string> {
  const file = git(top, ['rev-parse', '--git-path', 'shallow']).trim();
  const abs = isAbsolute(file) ? file : join(top, file);
  return new Set(existsSync(abs) ? readFileSync(abs, 'utf8').split('\n').filter(Boolean) : []);
}

interface Change {
  status: string;
  path: string;
  oldOid: string | null;
  newOid: string | null;
}

const ZERO = /^0+$/;

/** What a commit changed against its first parent (everything, for a root commit), under `prefix`, paths relative to it. */
function changesOf(top: string, c: HistoryCommit, prefix: string): Change[] {
  const args = c.parent
    ? ['diff-tree', '-r', '-z', '--no-renames', '--no-commit-id', c.parent, c.sha, '--', prefix || '.']
    : ['diff-tree', '--root', '-r', '-z', '--no-renames', '--no-commit-id', c.sha, '--', prefix || '.'];
  const parts = git(top, args).split('\0');
  const out: Change[] = [];
  for (let i = 0; i + 1 < parts.length; i += 2) {
    const head = parts[i];
    if (!head.startsWith(':')) continue;
    const [, , oldOid, newOid, status] = head.slice(1).split(' ');
    out.push({ status: status[0], path: parts[i + 1].slice(prefix.length), oldOid: ZERO.test(oldOid) ? null : oldOid, newOid: ZERO.test(newOid) ? null : newOid });
  }
  return out;
}

/** Blob ids of a commit's files under `prefix`, by path relative to it. */
function blobIds(top: string, sha: string, prefix: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const rec of git(top, ['ls-tree', '-r', '-z', sha, '--', prefix || '.']).split('\0')) {
    if (!rec) continue;
    const tab = rec.indexOf('\t');
    const [, type, oid] = rec.slice(0, tab).split(' ');
    if (type === 'blob') out.set(rec.slice(tab + 1).slice(prefix.length), oid);
  }
  return out;
}

const parentDir = (p: string) => {
  const parts = p.split('/');
  return parts.length >= 2 ? parts[parts.length - 2] : null;
};

/** The item ids a file may belong to: its stem, and its folder for a DICOM series file. */
const itemIdsOf = (p: string): string[] => {
  const ids = [itemStem(p)];
  if (p.toLowerCase().endsWith('.dcm') && parentDir(p)) ids.push(parentDir(p)!);
  return ids;
};

/** For a merge step: the latest author of each file on the merged branch (the merge's own author only merged them). */
function branchAuthors(top: string, c: HistoryCommit, prefix: string): Map<string, string> {
  const out = new Map<string, string>();
  const log = git(top, ['-c', 'core.quotePath=false', 'log', '--format=%x1e%an', '--name-only', `${c.parent}..${c.sha}`, '--', prefix || '.']);
  for (const rec of log.split('\x1e')) {
    const [author, ...paths] = rec.split('\n');
    for (const p of paths) if (p && p.startsWith(prefix) && !out.has(p.slice(prefix.length))) out.set(p.slice(prefix.length), author);
  }
  return out;
}

type LoadedContext = { ctx: DatasetContext; configOid: string; guidelineOid: string } | { error: string };

/** Walks the history of the dataset in `dir` (see module doc). */
export function walkHistory(dir: string, opts: HistoryWalkOptions): HistoryWalk {
  const repo = openGitRepository(dir);
  const { top, prefix } = repo;
  const shallow = git(top, ['rev-parse', '--is-shallow-repository']).trim() === 'true';
  const boundary = shallow ? shallowCommits(top) : new Set<string>();
  const commits = firstParentCommits(repo, opts);
  const stats: WalkStats = { steps: commits.length, stepsFromCache: 0, itemsJudged: 0, itemsFromCache: 0, reads: [] };
  const blobMemo = new Map<string, Uint8Array>();
  const readBlobs = (wanted: Array<{ path: string; oid: string }>): Uint8Array[] => {
    const missing = wanted.filter((w) => !blobMemo.has(w.oid));
    if (missing.length > 0) {
      const got = catFileBatch(top, missing.map((m) => m.oid));
      missing.forEach((m, i) => {
        stats.reads.push(m.path);
        const e = got[i];
        if ('problem' in e) throw new SegqcError('usage', `git cat-file failed: ${prefix}${m.path} (${m.oid.slice(0, 7)}) is ${e.problem}`);
        blobMemo.set(m.oid, e.data);
      });
    }
    return wanted.map((w) => blobMemo.get(w.oid)!);
  };
  // segqc.yaml and the guideline are small and read at most once per version: kept in the cache by blob id.
  const readSmall = (path: string, oid: string): Uint8Array => {
    const key = cacheKey(['text', oid]);
    const hit = opts.cache.get<{ base64: string }>('text', key);
    if (hit) return new Uint8Array(Buffer.from(hit.base64, 'base64'));
    const [bytes] = readBlobs([{ path, oid }]);
    opts.cache.put('text', key, { base64: Buffer.from(bytes).toString('base64') });
    return bytes;
  };
  const contexts = new Map<string, LoadedContext>();
  const loadContext = (ids: Map<string, string>): LoadedContext => {
    const configOid = ids.get(opts.configPath);
    if (!configOid) return { error: `no ${opts.configPath} in this commit` };
    const configBytes = readSmall(opts.configPath, configOid);
    let guidelinePath: string;
    try {
      const cfg = parseConfig(new TextDecoder().decode(configBytes), opts.configPath);
      guidelinePath = guidelinePathOf(opts.configPath, cfg.guideline);
    } catch (e) {
      if (!isSegqcError(e)) throw e;
      return { error: e.message };
    }
    const guidelineOid = ids.get(guidelinePath) ?? '';
    const key = `${configOid}:${guidelineOid}`;
    let loaded = contexts.get(key);
    if (!loaded) {
      const files: Record<string, Uint8Array> = { [opts.configPath]: configBytes };
      if (guidelineOid) files[guidelinePath] = readSmall(guidelinePath, guidelineOid);
      try {
        loaded = { ctx: loadDatasetContext(memoryTree(files, 'commit'), opts.configPath), configOid, guidelineOid };
      } catch (e) {
        if (!isSegqcError(e)) throw e;
        loaded = { error: e.message };
      }
      contexts.set(key, loaded);
    }
    return loaded;
  };

  const judgeStep = (c: HistoryCommit): HistoryStep => {
    const base = { commit: c, guideline: null, failOn: 'error' as const, items: [] };
    if (boundary.has(c.sha)) {
      return { ...base, gap: `the clone's history starts here (shallow clone): fetch the rest with git fetch --unshallow, or actions/checkout with fetch-depth: 0` };
    }
    const ids = blobIds(top, c.sha, prefix);
    const loaded = loadContext(ids);
    if ('error' in loaded) return { ...base, gap: loaded.error };
    const { ctx } = loaded;
    const guideline = { id: ctx.guideline.id, version: ctx.guideline.version, sha256: guidelineSha256(ctx.guideline), path: ctx.guidelinePath };
    const failOn = ctx.config.gate.fail_on;
    const sources = ctx.config.sources as SourceSpec[];
    const reference = (ctx.config.reference as SourceSpec | undefined) ?? null;
    const lsGlobs = sources.filter((s) => s.format === 'labelstudio').map((s) => globToRegExp(s.path));
    const fileGlobs = [...sources.filter((s) => s.format !== 'labelstudio').flatMap((s) => [s.path, ...(s.images ? [s.images.replace(/\{id\}/g, '*')] : [])]), ...(reference ? [reference.path] : [])].map(globToRegExp);
    const isExport = (p: string) => lsGlobs.some((re) => re.test(p));
    const isItemFile = (p: string) => fileGlobs.some((re) => re.test(p));

    const changedPaths = new Set<string>();
    const changedIds = new Set<string>();
    // Per item: the LS tasks' hashes (for the cache key) and the LS annotations that changed.
    const lsTasks = new Map<string, Array<{ file: string; hash: string; annotations: string[] }>>();
    for (const ch of changesOf(top, c, prefix)) {
      if (ch.newOid === null) continue;
      if (isExport(ch.path)) {
        const key = cacheKey(['export-diff', CACHE_FORMAT, ch.oldOid, ch.newOid]);
        let diff = opts.cache.get<{ diff: ExportDiff }>('export', key)?.diff;
        if (diff === undefined) {
          const wanted = [{ path: ch.path, oid: ch.newOid }, ...(ch.oldOid ? [{ path: ch.path, oid: ch.oldOid }] : [])];
          const [after, before] = readBlobs(wanted);
          diff = diffExport(before ?? null, after);
          opts.cache.put('export', key, { diff });
        }
        if (diff === null) {
          changedIds.add(itemStem(ch.path));
          lsTasks.set(itemStem(ch.path), [{ file: ch.path, hash: ch.newOid, annotations: [] }]);
        } else {
          for (const t of diff) {
            changedIds.add(t.item);
            lsTasks.set(t.item, [...(lsTasks.get(t.item) ?? []), { file: ch.path, hash: t.hash, annotations: t.annotations }]);
          }
        }
      } else if (isItemFile(ch.path) || ch.path.endsWith('.segqc.json')) {
        changedPaths.add(ch.path);
        for (const id of itemIdsOf(ch.path)) changedIds.add(id);
      }
    }
    if (changedIds.size === 0) return { ...base, guideline, failOn, gap: null };

    const filesById = new Map<string, string[]>();
    for (const p of ids.keys()) {
      if (isExport(p) || !(isItemFile(p) || p.endsWith('.segqc.json'))) continue;
      for (const id of itemIdsOf(p)) if (changedIds.has(id)) filesById.set(id, [...(filesById.get(id) ?? []), p]);
    }
    const keys = new Map<string, string>();
    for (const id of changedIds) {
      const parts: string[] = [];
      for (const p of filesById.get(id) ?? []) parts.push(p, ids.get(p)!);
      for (const t of lsTasks.get(id) ?? []) parts.push(t.file, t.hash);
      keys.set(id, cacheKey(['item', CACHE_FORMAT, opts.toolVersion, loaded.configOid, loaded.guidelineOid, id, ...parts]));
    }
    const reports = new Map<string, ItemReport | null>();
    const toJudge: string[] = [];
    for (const [id, key] of keys) {
      const hit = opts.cache.get<{ report: ItemReport | null }>('item', key);
      if (hit) {
        stats.itemsFromCache++;
        reports.set(id, hit.report);
      } else toJudge.push(id);
    }
    if (toJudge.length > 0) {
      const files = new Set<string>();
      for (const id of toJudge) {
        for (const p of filesById.get(id) ?? []) files.add(p);
        for (const t of lsTasks.get(id) ?? []) files.add(t.file);
      }
      const commitTree = repo.commitTree(c.sha, prefix);
      const listed = [...files].sort();
      commitTree.prefetch(listed);
      const tree: DatasetTree = {
        name: `commit ${c.sha.slice(0, 7)}`,
        list: () => listed,
        read: (p) => {
          stats.reads.push(p);
          return commitTree.read(p);
        },
      };
      const labelValues = Object.fromEntries(ctx.guideline.labels.map((l) => [l.name, l.value]));
      const found = discoverItems(tree, sources, { labelValues, reference });
      const orphans = new Set(found.orphans);
      const pending = new Map(found.items.map((i) => [i.id, i]));
      for (const id of toJudge) {
        const p = pending.get(id);
        const report = p ? checkPendingItem(ctx.guideline, tree, p, orphans.has(id)) : null;
        stats.itemsJudged++;
        reports.set(id, report);
        opts.cache.put('item', keys.get(id)!, { report });
      }
    }
    const mergedAuthors = c.merge && c.parent ? branchAuthors(top, c, prefix) : null;
    const items: StepItem[] = [];
    for (const id of [...changedIds].sort()) {
      const report = reports.get(id);
      if (!report) continue;
      const lsChanged = new Set((lsTasks.get(id) ?? []).flatMap((t) => t.annotations));
      const changed = report.annotations
        .filter((a) => changedPaths.has(a.source) || (a.id !== null && (changedPaths.has(a.id) || lsChanged.has(a.id))) || changedPaths.has(sidecarOf(a.source)))
        .map((a) => a.id ?? a.source);
      const authors: Record<string, string> = {};
      if (mergedAuthors) {
        for (const a of report.annotations) {
          const by = mergedAuthors.get(a.source) ?? (lsTasks.get(id) ?? []).map((t) => mergedAuthors.get(t.file)).find((x) => x !== undefined);
          if (by !== undefined) authors[a.id ?? a.source] = by;
        }
      }
      items.push(Object.keys(authors).length > 0 ? { report, changed, authors } : { report, changed });
    }
    return { commit: c, guideline, failOn, gap: null, items };
  };

  const steps: HistoryStep[] = [];
  commits.forEach((c, i) => {
    const key = cacheKey(['step', CACHE_FORMAT, opts.toolVersion, c.sha, c.parent, prefix, opts.configPath, boundary.has(c.sha) ? 'boundary' : '']);
    let step = opts.cache.get<HistoryStep>('step', key);
    if (step) stats.stepsFromCache++;
    else {
      step = judgeStep(c);
      opts.cache.put('step', key, step);
    }
    steps.push(step);
    opts.onStep?.(i + 1, commits.length);
  });
  const notes: string[] = [];
  if (shallow) {
    notes.push(`this is a shallow clone: the history seen is ${commits.length} commit${commits.length === 1 ? '' : 's'}; fetch the rest with git fetch --unshallow (on GitHub: actions/checkout with fetch-depth: 0)`);
  }
  return { steps, shallow, notes, stats };
}
