/**
 * The walk of `segqc history`: the first-parent commits of a branch, and at each one the items it changed judged under
 * the guideline in force there. Steps and item results are cached by git object ids (see node/cache.ts), blobs are
 * read by long-running `git cat-file --batch` processes, the exports ahead of their use; items are judged in batches,
 * on worker threads with `jobs` > 1, while the walk goes on.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { SegqcError, isSegqcError } from '../shared/errors.js';
import { catFileBatch, openGitRepository, type GitRepository } from './git.js';
import type { ResultCache } from './cache.js';
import { cacheKey } from './cache.js';
import { memoryTree } from '../shared/dataset/tree.js';
import { guidelinePathOf, loadDatasetContext, type DatasetContext } from '../shared/dataset/context.js';
import { parseConfig } from '../shared/guideline/config.js';
import { guidelineSha256 } from '../shared/guideline/hash.js';
import { globToRegExp } from '../shared/dataset/glob.js';
import { MAX_EXPORT_BYTES, itemStem, sidecarOf, type SourceSpec } from '../shared/dataset/items.js';
import type { ItemReport } from '../shared/report/types.js';
import { diffParsedExports, exportWith, parseExport, type ExportDiff, type ParsedExport } from '../shared/history/export-diff.js';
import type { HistoryCommit, HistoryStep, StepItem } from '../shared/history/types.js';
import { objectSizes, openBlobStream, readAhead, type BlobStream, type ReadAhead } from './blob-stream.js';
import { historyJudge, type JudgeResult, type JudgeTask } from './history-workers.js';

/** Bumped when the meaning of a cached step or item changes. */
const CACHE_FORMAT = 2;
const MAX_BUFFER = 1024 * 1024 * 1024;
/** Bytes of Label Studio exports read ahead of the walk, at most (one export at least). */
const READ_AHEAD_BYTES = 16 * 1024 * 1024;
/** Items judged together, at most: a large step (an import) is cut so that every worker thread takes a share. */
const BATCH_ITEMS = 24;

/** Options of a walk. */
export interface HistoryWalkOptions {
  /** Worker threads judging the items (default 1: this thread). */
  jobs?: number;
  /** The bundle worker threads run (it serves them with `serveHistoryWorker`); without it, items are judged in this thread. */
  script?: URL | null;
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
const LINK_MODE = '120000';

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

/** A commit's files under `prefix` by path relative to it: their blob ids, and which are symbolic links. */
interface FileIds {
  ids: Map<string, string>;
  links: Set<string>;
}

function blobIds(top: string, sha: string, prefix: string): FileIds {
  const out: FileIds = { ids: new Map(), links: new Set() };
  for (const rec of git(top, ['ls-tree', '-r', '-z', sha, '--', prefix || '.']).split('\0')) {
    if (!rec) continue;
    const tab = rec.indexOf('\t');
    const [mode, type, oid] = rec.slice(0, tab).split(' ');
    if (type !== 'blob') continue;
    const path = rec.slice(tab + 1).slice(prefix.length);
    out.ids.set(path, oid);
    if (mode === LINK_MODE) out.links.add(path);
  }
  return out;
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

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

/** A step's dataset context: its key (the config's and guideline's blob ids), the files it is loaded from, which files are exports and item files. */
type LoadedContext = { ctx: DatasetContext; key: string; configOid: string; guidelineOid: string; files: Map<string, Uint8Array>; isExport: (p: string) => boolean; isItemFile: (p: string) => boolean } | { error: string };

/** An export's last version the walk read, parsed (null: not an export), with its size. */
interface SeenExport {
  oid: string;
  parsed: ParsedExport | null;
  size: number;
}

/** Groups of items that share a file (a DICOM series file belongs to its stem and its folder), each group in one batch, in `ids` order. */
function batchesOf(ids: string[], filesById: Map<string, string[]>, size: number): string[][] {
  const root = new Map<string, string>(ids.map((id) => [id, id]));
  const find = (id: string): string => {
    let r = id;
    while (root.get(r) !== r) r = root.get(r)!;
    root.set(id, r);
    return r;
  };
  const owner = new Map<string, string>();
  for (const id of ids) {
    for (const f of filesById.get(id) ?? []) {
      const other = owner.get(f);
      if (other === undefined) owner.set(f, id);
      else root.set(find(id), find(other));
    }
  }
  const groups = new Map<string, string[]>();
  for (const id of ids) {
    const r = find(id);
    groups.set(r, [...(groups.get(r) ?? []), id]);
  }
  const out: string[][] = [];
  let current: string[] = [];
  for (const g of groups.values()) {
    if (current.length > 0 && current.length + g.length > size) {
      out.push(current);
      current = [];
    }
    current.push(...g);
  }
  if (current.length > 0) out.push(current);
  return out;
}

/** Walks the history of the dataset in `dir` (see module doc). */
export async function walkHistory(dir: string, opts: HistoryWalkOptions): Promise<HistoryWalk> {
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
  // The contexts batches are judged under, by key (worker threads load their own from the same files).
  const judgeContexts = new Map<string, DatasetContext>();
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
      const files = new Map<string, Uint8Array>([[opts.configPath, configBytes]]);
      if (guidelineOid) files.set(guidelinePath, readSmall(guidelinePath, guidelineOid));
      try {
        const ctx = loadDatasetContext(memoryTree(Object.fromEntries(files), 'commit'), opts.configPath);
        const sources = ctx.config.sources as SourceSpec[];
        const reference = (ctx.config.reference as SourceSpec | undefined) ?? null;
        const lsGlobs = sources.filter((s) => s.format === 'labelstudio').map((s) => globToRegExp(s.path));
        const fileGlobs = [...sources.filter((s) => s.format !== 'labelstudio').flatMap((s) => [s.path, ...(s.images ? [s.images.replace(/\{id\}/g, '*')] : [])]), ...(reference ? [reference.path] : [])].map(globToRegExp);
        const isExport = (p: string) => lsGlobs.some((re) => re.test(p));
        const isItemFile = (p: string) => fileGlobs.some((re) => re.test(p));
        loaded = { ctx, key, configOid, guidelineOid, files, isExport, isItemFile };
        judgeContexts.set(key, ctx);
      } catch (e) {
        if (!isSegqcError(e)) throw e;
        loaded = { error: e.message };
      }
      contexts.set(key, loaded);
    }
    return loaded;
  };

  // The files of the last judged commit, kept up to date along first parents by applying each commit's changes.
  let tree: { sha: string; files: FileIds } | null = null;
  const filesAt = (c: HistoryCommit, changes: Change[]): FileIds => {
    if (tree && c.parent !== null && tree.sha === c.parent) {
      const { ids, links } = tree.files;
      for (const ch of changes) {
        if (ch.newOid === null || ch.newMode === GITLINK_MODE) ids.delete(ch.path);
        else ids.set(ch.path, ch.newOid);
        if (ch.newOid !== null && ch.newMode === LINK_MODE) links.add(ch.path);
        else links.delete(ch.path);
      }
      tree = { sha: c.sha, files: tree.files };
    } else tree = { sha: c.sha, files: blobIds(top, c.sha, prefix) };
    return tree.files;
  };

  const stepKey = (c: HistoryCommit) => cacheKey(['step', CACHE_FORMAT, opts.toolVersion, c.sha, c.parent, prefix, opts.configPath, boundary.has(c.sha) ? 'boundary' : '']);
  const exportKey = (ch: Change) => cacheKey(['export-diff', CACHE_FORMAT, ch.oldOid, ch.newOid]);
  const cachedSteps = commits.map((c) => opts.cache.get<HistoryStep>('step', stepKey(c)));
  const todo = commits.filter((c, i) => !cachedSteps[i] && !boundary.has(c.sha));
  const changes = changesOf(top, todo, prefix);

  // The export versions the walk will read, in its order: read ahead by a process of their own while the walk parses.
  const cachedDiffs = new Map<Change, ExportDiff>();
  const plan: string[] = [];
  {
    const seen = new Map<string, string>();
    for (const c of todo) {
      const all = changes.get(c.sha) ?? [];
      const loaded = loadContext(filesAt(c, all).ids);
      if ('error' in loaded) continue;
      const exportChanges = all.filter((ch) => ch.newOid !== null && loaded.isExport(ch.path));
      const missing: Array<{ path: string; oid: string }> = [];
      for (const ch of exportChanges) {
        const diff = opts.cache.get<{ diff: ExportDiff }>('export', exportKey(ch))?.diff;
        if (diff !== undefined) {
          cachedDiffs.set(ch, diff);
          continue;
        }
        for (const w of [...(ch.oldOid ? [{ path: ch.path, oid: ch.oldOid }] : []), { path: ch.path, oid: ch.newOid! }]) {
          if (seen.get(w.path) !== w.oid && !missing.some((m) => m.oid === w.oid && m.path === w.path)) missing.push(w);
        }
      }
      plan.push(...missing.map((m) => m.oid));
      for (const ch of exportChanges) {
        if (cachedDiffs.has(ch)) seen.delete(ch.path);
        else seen.set(ch.path, ch.newOid!);
      }
    }
    tree = null;
  }
  const streams: BlobStream[] = [];
  const stream = () => {
    const s = openBlobStream(top);
    streams.push(s);
    return s;
  };
  const ahead: ReadAhead | null = plan.length > 0 ? readAhead(stream(), plan, objectSizes(top, [...new Set(plan)]), READ_AHEAD_BYTES) : null;
  let direct: BlobStream | null = null;
  const readDirect = (oid: string) => (direct ??= stream()).read(oid);
  const readExport = async (path: string, oid: string): Promise<Uint8Array> => {
    stats.reads.push(path);
    const e = await (ahead?.take(oid) ?? readDirect(oid));
    if ('problem' in e) throw new SegqcError('usage', `git cat-file failed: ${prefix}${path} (${oid.slice(0, 7)}) is ${e.problem}`);
    return e.data;
  };

  // Each export's last version, parsed once: the next commit that edits it diffs against it without reading it again.
  const seenExports = new Map<string, SeenExport>();
  const exportsAt = async (wanted: Array<{ path: string; oid: string }>): Promise<Map<string, SeenExport>> => {
    const out = new Map<string, SeenExport>();
    const latest = new Map<string, SeenExport>();
    const missing: Array<{ path: string; oid: string }> = [];
    for (const w of wanted) {
      const seen = seenExports.get(w.path);
      if (seen && seen.oid === w.oid) out.set(`${w.path}\0${w.oid}`, seen);
      else if (!missing.some((m) => m.oid === w.oid && m.path === w.path)) missing.push(w);
    }
    const bytes = await Promise.all(missing.map((m) => readExport(m.path, m.oid)));
    // In the order asked (an old version before its new one), each parsed against the path's previous version.
    missing.forEach((m, i) => {
      const previous = latest.get(m.path) ?? seenExports.get(m.path) ?? null;
      const seen = { oid: m.oid, parsed: parseExport(bytes[i], previous?.parsed ?? null), size: bytes[i].length };
      latest.set(m.path, seen);
      out.set(`${m.path}\0${m.oid}`, seen);
    });
    return out;
  };

  const judge = historyJudge({ jobs: opts.jobs ?? 1, script: opts.script, contexts: judgeContexts, inThread: 2 * BATCH_ITEMS });
  // Item results being judged, by cache key: a later step with the same key waits for them as it would read the cache.
  const inflight = new Map<string, Promise<ItemReport | null>>();

  /** Plans the step of commit `c`: its items from the cache or handed to the judge; `step` resolves when all are judged. */
  const planStep = async (c: HistoryCommit, allChanges: Change[]): Promise<{ step: Promise<HistoryStep> }> => {
    const base = { commit: c, guideline: null, failOn: 'error' as const, items: [] };
    const { ids, links } = filesAt(c, allChanges);
    const loaded = loadContext(ids);
    if ('error' in loaded) return { step: Promise.resolve({ ...base, gap: loaded.error }) };
    const { ctx, isExport, isItemFile } = loaded;
    const guideline = { id: ctx.guideline.id, version: ctx.guideline.version, sha256: guidelineSha256(ctx.guideline), path: ctx.guidelinePath };
    const failOn = ctx.config.gate.fail_on;

    const changedPaths = new Set<string>();
    const changedIds = new Set<string>();
    // Per item: the LS tasks' hashes (for the cache key) and the LS annotations that changed.
    const lsTasks = new Map<string, Array<{ file: string; hash: string; annotations: string[] }>>();
    const exportChanges = allChanges.filter((ch) => ch.newOid !== null && isExport(ch.path));
    const diffs = new Map<Change, ExportDiff>();
    const uncached: Change[] = [];
    for (const ch of exportChanges) {
      const diff = cachedDiffs.get(ch);
      if (diff === undefined) uncached.push(ch);
      else diffs.set(ch, diff);
    }
    const versions = await exportsAt(uncached.flatMap((ch) => [...(ch.oldOid ? [{ path: ch.path, oid: ch.oldOid }] : []), { path: ch.path, oid: ch.newOid! }]));
    for (const ch of uncached) {
      const after = versions.get(`${ch.path}\0${ch.newOid}`)!;
      const before = ch.oldOid ? versions.get(`${ch.path}\0${ch.oldOid}`)! : null;
      const diff = after.parsed === null ? null : diffParsedExports(before?.parsed ?? null, after.parsed, sha256);
      opts.cache.put('export', exportKey(ch), { diff });
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
    if (changedIds.size === 0) return { step: Promise.resolve({ ...base, guideline, failOn, gap: null }) };

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
    const reports = new Map<string, ItemReport | null | Promise<ItemReport | null>>();
    const toJudge: string[] = [];
    for (const [id, key] of keys) {
      const judging = inflight.get(key);
      const hit = judging ? null : opts.cache.get<{ report: ItemReport | null }>('item', key);
      if (judging || hit) {
        stats.itemsFromCache++;
        reports.set(id, judging ?? hit!.report);
      } else toJudge.push(id);
    }
    if (toJudge.length > 0) {
      const filesOf = (batch: string[]) => {
        const files = new Set<string>();
        for (const id of batch) {
          for (const p of filesById.get(id) ?? []) files.add(p);
          for (const t of lsTasks.get(id) ?? []) files.add(t.file);
        }
        return [...files].sort();
      };
      const exportFiles = filesOf(toJudge).filter((p) => isExport(p) && ids.has(p));
      const parsedExports = await exportsAt(exportFiles.map((p) => ({ path: p, oid: ids.get(p)! })));
      for (const p of exportFiles) seenExports.set(p, parsedExports.get(`${p}\0${ids.get(p)}`)!);
      const commit = { top, sha: c.sha, prefix };
      const context = { key: loaded.key, configPath: opts.configPath, files: loaded.files };
      for (const batch of batchesOf(toJudge, filesById, BATCH_ITEMS)) {
        const listed = filesOf(batch);
        // An export is read as if it held only the tasks of the items judged here (their masks are the only ones decoded).
        const judged = new Set(batch);
        const bytes = new Map<string, Uint8Array | { error: string }>();
        const reads: Array<{ path: string; entry: Promise<{ data: Uint8Array } | { problem: string }> }> = [];
        for (const p of listed) {
          const oid = ids.get(p);
          if (oid === undefined || links.has(p)) continue;
          const seen = isExport(p) ? seenExports.get(p) : undefined;
          const reduced = seen && seen.oid === oid && seen.parsed && seen.size <= MAX_EXPORT_BYTES ? exportWith(seen.parsed, judged) : null;
          if (reduced) bytes.set(p, reduced);
          else {
            stats.reads.push(p);
            reads.push({ path: p, entry: readDirect(oid) });
          }
        }
        for (const r of reads) {
          const e = await r.entry;
          bytes.set(r.path, 'problem' in e ? { error: `git cat-file failed: ${prefix}${r.path} is not a file of commit ${c.sha.slice(0, 7)}` } : e.data);
        }
        const task: JudgeTask = { commit, context, listed, bytes, ids: batch };
        const { result } = await judge.submit(task);
        const judged2 = result.then((r: JudgeResult) => {
          stats.reads.push(...r.reads);
          batch.forEach((id, k) => {
            stats.itemsJudged++;
            opts.cache.put('item', keys.get(id)!, { report: r.reports[k] });
          });
          return r.reports;
        });
        batch.forEach((id, k) => {
          const report = judged2.then((rs) => rs[k]);
          report.catch(() => undefined);
          inflight.set(keys.get(id)!, report);
          reports.set(id, report);
        });
      }
    }
    const mergedAuthors = c.merge && c.parent ? branchAuthors(top, c, prefix) : null;
    const reasons = ctx.guideline.review?.reasons ?? [];
    const assemble = async (): Promise<HistoryStep> => {
      const items: StepItem[] = [];
      for (const id of [...changedIds].sort()) {
        const report = await reports.get(id);
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
      return { commit: c, guideline, failOn, gap: null, items, ...(reasons.length > 0 ? { reasons: Object.fromEntries(reasons.map((r) => [r.id, r.title])) } : {}) };
    };
    return { step: assemble() };
  };

  const steps: Array<Promise<HistoryStep>> = [];
  let completed = 0;
  const finish = (c: HistoryCommit, step: HistoryStep): HistoryStep => {
    opts.cache.put('step', stepKey(c), step);
    opts.onStep?.(++completed, commits.length);
    return step;
  };
  try {
    for (const [i, c] of commits.entries()) {
      const hit = cachedSteps[i];
      if (hit) {
        stats.stepsFromCache++;
        steps.push(Promise.resolve(hit));
        opts.onStep?.(++completed, commits.length);
      } else if (boundary.has(c.sha)) {
        steps.push(Promise.resolve(finish(c, { commit: c, guideline: null, failOn: 'error', items: [], gap: `the clone's history starts here (shallow clone): fetch the rest with git fetch --unshallow, or actions/checkout with fetch-depth: 0` })));
      } else {
        const { step } = await planStep(c, changes.get(c.sha) ?? []);
        const done = step.then((s) => finish(c, s));
        done.catch(() => undefined);
        steps.push(done);
      }
    }
    await judge.close();
  } catch (e) {
    await judge.close().catch(() => undefined);
    throw e;
  } finally {
    for (const s of streams) s.close();
  }
  const walked = await Promise.all(steps);
  await opts.cache.flush?.();
  const notes: string[] = [];
  if (shallow) {
    notes.push(`this is a shallow clone: the history seen is ${commits.length} commit${commits.length === 1 ? '' : 's'}; fetch the rest with git fetch --unshallow (on GitHub: actions/checkout with fetch-depth: 0)`);
  }
  return { steps: walked, shallow, notes, stats };
}
