/**
 * The walk of `segqc history`: the first-parent commits of a branch, and at each one the items it changed judged under
 * the guideline in force there. Steps and item results are cached by git object ids (see node/cache.ts), blobs are
 * read in batches by `git cat-file --batch`.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { SegqcError, isSegqcError } from '../shared/errors.js';
import { catFileBatch, openGitRepository, type CommitTree, type GitRepository } from './git.js';
import type { ResultCache } from './cache.js';
import { cacheKey } from './cache.js';
import { memoryTree, type DatasetTree } from '../shared/dataset/tree.js';
import { guidelinePathOf, loadDatasetContext, type DatasetContext } from '../shared/dataset/context.js';
import { parseConfig } from '../shared/guideline/config.js';
import { guidelineSha256 } from '../shared/guideline/hash.js';
import { globToRegExp } from '../shared/dataset/glob.js';
import { MAX_EXPORT_BYTES, discoverItems, itemStem, sidecarOf, type SourceSpec } from '../shared/dataset/items.js';
import { checkPendingItem } from '../shared/dataset/check.js';
import type { ItemReport } from '../shared/report/types.js';
import { diffParsedExports, exportWith, parseExport, type ExportDiff, type ParsedExport } from '../shared/history/export-diff.js';
import type { HistoryCommit, HistoryStep, StepItem } from '../shared/history/types.js';

/** Bumped when the meaning of a cached step or item changes. */
const CACHE_FORMAT = 2;
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
  newMode: string;
}

const ZERO = /^0+$/;
const GITLINK_MODE = '160000';

/**
 * What each commit changed against its first parent (everything, for a root commit), under `prefix`, paths relative
 * to it: one `git diff-tree --stdin` for all of them. Its answer is, per commit with changes, the commit's id and then
 * a `:<modes> <oids> <status>` record and a path per file (`-z`).
 */
function changesOf(top: string, commits: HistoryCommit[], prefix: string): Map<string, Change[]> {
  const out = new Map<string, Change[]>();
  if (commits.length === 0) return out;
  const input = commits.map((c) => (c.parent ? `${c.sha} ${c.parent}` : c.sha)).join('\n') + '\n';
  let r;
  try {
    r = execFileSync('git', ['diff-tree', '--stdin', '--root', '-r', '-z', '--no-renames', '--', prefix || '.'], { cwd: top, input, maxBuffer: MAX_BUFFER, stdio: ['pipe', 'pipe', 'pipe'] }).toString();
  } catch (e) {
    const stderr = String((e as { stderr?: Buffer }).stderr ?? '').trim();
    throw new SegqcError('usage', `git diff-tree failed: ${stderr || (e as Error).message}`);
  }
  const parts = r.split('\0');
  let current: Change[] = [];
  for (let i = 0; i < parts.length; i++) {
    const t = parts[i].replace(/^\n/, '');
    if (!t) continue;
    if (!t.startsWith(':')) {
      current = [];
      out.set(t, current);
      continue;
    }
    const [, newMode, oldOid, newOid, status] = t.slice(1).split(' ');
    const path = parts[++i];
    current.push({ status: status[0], path: path.slice(prefix.length), oldOid: ZERO.test(oldOid) ? null : oldOid, newOid: ZERO.test(newOid) ? null : newOid, newMode });
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

/** An attestation or review sidecar: read with its mask, and a change to it is a change to its item. */
const isSidecar = (p: string) => p.endsWith('.segqc.json') || p.endsWith('.review.json');

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

/** An export's last version the walk read, parsed (null: not an export), with its size. */
interface SeenExport {
  oid: string;
  parsed: ParsedExport | null;
  size: number;
}

/** Walks the history of the dataset in `dir` (see module doc). */
export function walkHistory(dir: string, opts: HistoryWalkOptions): HistoryWalk {
  const repo = openGitRepository(dir);
  const { top, prefix } = repo;
  const shallow = git(top, ['rev-parse', '--is-shallow-repository']).trim() === 'true';
  const boundary = shallow ? shallowCommits(top) : new Set<string>();
  const commits = firstParentCommits(repo, opts);
  const stats: WalkStats = { steps: commits.length, stepsFromCache: 0, itemsJudged: 0, itemsFromCache: 0, reads: [] };
  const readBlobs = (wanted: Array<{ path: string; oid: string }>): Uint8Array[] => {
    if (wanted.length === 0) return [];
    const got = catFileBatch(top, wanted.map((m) => m.oid));
    return wanted.map((m, i) => {
      stats.reads.push(m.path);
      const e = got[i];
      if ('problem' in e) throw new SegqcError('usage', `git cat-file failed: ${prefix}${m.path} (${m.oid.slice(0, 7)}) is ${e.problem}`);
      return e.data;
    });
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
  const configs = new Map<string, { bytes: Uint8Array; guidelinePath: string } | { error: string }>();
  const contexts = new Map<string, LoadedContext>();
  const loadContext = (ids: Map<string, string>): LoadedContext => {
    const configOid = ids.get(opts.configPath);
    if (!configOid) return { error: `no ${opts.configPath} in this commit` };
    let config = configs.get(configOid);
    if (!config) {
      const bytes = readSmall(opts.configPath, configOid);
      try {
        const cfg = parseConfig(new TextDecoder().decode(bytes), opts.configPath);
        config = { bytes, guidelinePath: guidelinePathOf(opts.configPath, cfg.guideline) };
      } catch (e) {
        if (!isSegqcError(e)) throw e;
        config = { error: e.message };
      }
      configs.set(configOid, config);
    }
    if ('error' in config) return config;
    const { bytes: configBytes, guidelinePath } = config;
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

  // The files of the last judged commit, kept up to date along first parents by applying each commit's changes.
  let tree: { sha: string; ids: Map<string, string> } | null = null;
  const idsAt = (c: HistoryCommit, changes: Change[]): Map<string, string> => {
    if (tree && c.parent !== null && tree.sha === c.parent) {
      for (const ch of changes) {
        if (ch.newOid === null || ch.newMode === GITLINK_MODE) tree.ids.delete(ch.path);
        else tree.ids.set(ch.path, ch.newOid);
      }
      tree = { sha: c.sha, ids: tree.ids };
    } else tree = { sha: c.sha, ids: blobIds(top, c.sha, prefix) };
    return tree.ids;
  };
  // Each export's last version, parsed once: the next commit that edits it diffs against it without reading it again.
  const seenExports = new Map<string, SeenExport>();
  const exportsAt = (wanted: Array<{ path: string; oid: string }>): Map<string, SeenExport> => {
    const out = new Map<string, SeenExport>();
    const latest = new Map<string, SeenExport>();
    const missing: Array<{ path: string; oid: string }> = [];
    for (const w of wanted) {
      const seen = seenExports.get(w.path);
      if (seen && seen.oid === w.oid) out.set(`${w.path}\0${w.oid}`, seen);
      else if (!missing.some((m) => m.oid === w.oid && m.path === w.path)) missing.push(w);
    }
    const bytes = readBlobs(missing);
    // In the order asked (an old version before its new one), each parsed against the path's previous version.
    missing.forEach((m, i) => {
      const previous = latest.get(m.path) ?? seenExports.get(m.path) ?? null;
      const seen = { oid: m.oid, parsed: parseExport(bytes[i], previous?.parsed ?? null), size: bytes[i].length };
      latest.set(m.path, seen);
      out.set(`${m.path}\0${m.oid}`, seen);
    });
    return out;
  };

  const judgeStep = (c: HistoryCommit, allChanges: Change[]): HistoryStep => {
    const base = { commit: c, guideline: null, failOn: 'error' as const, items: [] };
    const ids = idsAt(c, allChanges);
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
    const exportChanges = allChanges.filter((ch) => ch.newOid !== null && isExport(ch.path));
    const diffs = new Map<Change, ExportDiff>();
    const uncached: Change[] = [];
    for (const ch of exportChanges) {
      const diff = opts.cache.get<{ diff: ExportDiff }>('export', cacheKey(['export-diff', CACHE_FORMAT, ch.oldOid, ch.newOid]))?.diff;
      if (diff === undefined) uncached.push(ch);
      else diffs.set(ch, diff);
    }
    const versions = exportsAt(uncached.flatMap((ch) => [...(ch.oldOid ? [{ path: ch.path, oid: ch.oldOid }] : []), { path: ch.path, oid: ch.newOid! }]));
    for (const ch of uncached) {
      const after = versions.get(`${ch.path}\0${ch.newOid}`)!;
      const before = ch.oldOid ? versions.get(`${ch.path}\0${ch.oldOid}`)! : null;
      const diff = after.parsed === null ? null : diffParsedExports(before?.parsed ?? null, after.parsed);
      opts.cache.put('export', cacheKey(['export-diff', CACHE_FORMAT, ch.oldOid, ch.newOid]), { diff });
      diffs.set(ch, diff);
    }
    for (const ch of exportChanges) {
      const after = versions.get(`${ch.path}\0${ch.newOid}`);
      if (after) seenExports.set(ch.path, after);
      else seenExports.delete(ch.path);
    }
    for (const ch of allChanges) {
      if (ch.newOid === null) continue;
      if (isExport(ch.path)) {
        const diff = diffs.get(ch)!;
        if (diff === null) {
          changedIds.add(itemStem(ch.path));
          lsTasks.set(itemStem(ch.path), [{ file: ch.path, hash: ch.newOid, annotations: [] }]);
        } else {
          for (const t of diff) {
            changedIds.add(t.item);
            lsTasks.set(t.item, [...(lsTasks.get(t.item) ?? []), { file: ch.path, hash: t.hash, annotations: t.annotations }]);
          }
        }
      } else if (isItemFile(ch.path) || isSidecar(ch.path)) {
        changedPaths.add(ch.path);
        for (const id of itemIdsOf(ch.path)) changedIds.add(id);
      }
    }
    if (changedIds.size === 0) return { ...base, guideline, failOn, gap: null };

    const filesById = new Map<string, string[]>();
    for (const p of ids.keys()) {
      if (isExport(p) || !(isItemFile(p) || isSidecar(p))) continue;
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
      const listed = [...files].sort();
      // An export is read as if it held only the tasks of the items judged here (their masks are the only ones decoded).
      const judged = new Set(toJudge);
      const reduced = new Map<string, Uint8Array>();
      const exportFiles = listed.filter((p) => isExport(p) && ids.has(p));
      const parsedExports = exportsAt(exportFiles.map((p) => ({ path: p, oid: ids.get(p)! })));
      for (const p of exportFiles) {
        const seen = parsedExports.get(`${p}\0${ids.get(p)}`)!;
        seenExports.set(p, seen);
        const bytes = seen.parsed && seen.size <= MAX_EXPORT_BYTES ? exportWith(seen.parsed, judged) : null;
        if (bytes) reduced.set(p, bytes);
      }
      let commitTree: CommitTree | null = null;
      const tree: DatasetTree = {
        name: `commit ${c.sha.slice(0, 7)}`,
        list: () => listed,
        read: (p) => {
          const own = reduced.get(p);
          if (own) return own;
          if (!commitTree) {
            commitTree = repo.commitTree(c.sha, prefix);
            commitTree.prefetch(listed.filter((f) => !reduced.has(f)));
          }
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
    const reasons = ctx.guideline.review?.reasons ?? [];
    return { commit: c, guideline, failOn, gap: null, items, ...(reasons.length > 0 ? { reasons: Object.fromEntries(reasons.map((r) => [r.id, r.title])) } : {}) };
  };

  const stepKey = (c: HistoryCommit) => cacheKey(['step', CACHE_FORMAT, opts.toolVersion, c.sha, c.parent, prefix, opts.configPath, boundary.has(c.sha) ? 'boundary' : '']);
  const cached = commits.map((c) => opts.cache.get<HistoryStep>('step', stepKey(c)));
  const changes = changesOf(top, commits.filter((c, i) => !cached[i] && !boundary.has(c.sha)), prefix);
  const steps: HistoryStep[] = [];
  commits.forEach((c, i) => {
    let step = cached[i];
    if (step) stats.stepsFromCache++;
    else {
      step = boundary.has(c.sha)
        ? { commit: c, guideline: null, failOn: 'error', items: [], gap: `the clone's history starts here (shallow clone): fetch the rest with git fetch --unshallow, or actions/checkout with fetch-depth: 0` }
        : judgeStep(c, changes.get(c.sha) ?? []);
      opts.cache.put('step', stepKey(c), step);
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
