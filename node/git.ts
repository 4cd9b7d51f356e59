/**
 * Git behind a small interface: what the CLI's `diff` and the Action's `mode: check` ask of a repository (commits,
 * merge bases, changed files, the files of a commit). `openGitRepository` spawns git; tests of the callers can hand
 * them an in-memory one (test/memory-git.ts). The pure core never sees git: it gets DatasetTrees and ChangedFiles.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { SegqcError } from '../shared/errors.js';
import type { DatasetTree } from '../shared/dataset/tree.js';
import { brokenLinkCause, isAnnexTarget } from '../shared/dataset/pointer.js';
import type { ChangedFile } from '../shared/dataset/pull-request.js';
import type { Committer } from '../shared/report/diff.js';
import type { BlobStream } from './blob-stream.js';

/** A commit's files under a prefix, that can be told which files will be read so that they come in one batch. */
export interface CommitTree extends DatasetTree {
  /** Announces files about to be read (relative to the prefix); they are then fetched together, a bounded batch at a time. */
  prefetch(paths: string[]): void;
  /**
   * Reads the files of `paths` through `stream` (a running `git cat-file --batch` of this repository) and holds them,
   * within the prefetch budget, for `read` to take; what an earlier `load` held and `read` never took is dropped. A
   * file git does not give is left to `read`, which says why.
   */
  load(paths: string[], stream: BlobStream): Promise<void>;
}

/** One repository, as segqc uses it. */
export interface GitRepository {
  /** The top directory of the working tree. */
  readonly top: string;
  /** The directory it was opened at, relative to `top`: '' at the top, else 'a/b/'. */
  readonly prefix: string;
  /** The full SHA of a ref, or a usage error (with the shallow-clone hint when that is why it is missing). */
  resolveCommit(ref: string): string;
  /** The merge base of two commits, or null when their histories share no commit. */
  mergeBase(a: string, b: string): string | null;
  /** The files of commit `sha` under `prefix` (a path relative to `top`, '' or ending in '/'), relative to `prefix`. */
  commitTree(sha: string, prefix: string): CommitTree;
  /** Files changed between two commits (`head` null: the working tree, untracked files included), relative to `prefix`. */
  changedFiles(base: string, head: string | null, prefix: string): ChangedFile[];
  /** The contents of files of commit `sha` (paths relative to `top`), read in one batch; a usage error names a missing one. */
  readBlobs(sha: string, paths: string[]): Uint8Array[];
  /**
   * Who changed each file under `prefix` in the commits `since..head` (`git log`): the authors of the commits that
   * touch it, oldest first, each once; paths relative to `prefix`.
   */
  committers(since: string, head: string, prefix: string): Map<string, Committer[]>;
}

/** Parses `git log --format=%x01%aN%x00%aE --name-only -z` (newest commit first) into authors per path, oldest first. */
export function parseCommitters(out: string, prefix: string): Map<string, Committer[]> {
  const byPath = new Map<string, Committer[]>();
  const commits = out.split('\x01').filter((c) => c.length > 0).reverse();
  for (const c of commits) {
    const [name = '', email = '', ...paths] = c.split('\0');
    for (const raw of paths) {
      const p = raw.startsWith('\n') ? raw.slice(1) : raw;
      if (!p || !p.startsWith(prefix)) continue;
      const rel = p.slice(prefix.length);
      const list = byPath.get(rel) ?? [];
      if (!list.some((a) => a.name === name && a.email === email)) list.push({ name, email });
      byPath.set(rel, list);
    }
  }
  return byPath;
}

const MAX_BUFFER = 2 * 1024 * 1024 * 1024;
/** Bytes of announced blobs a commit tree holds at once, at most (a larger file still comes, alone). */
const PREFETCH_BYTES = 64 * 1024 * 1024;

/** Runs git in `cwd`, returning stdout bytes; failures become typed errors with git's own message. */
function git(cwd: string, args: string[]): Buffer {
  try {
    return execFileSync('git', args, { cwd, maxBuffer: MAX_BUFFER, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const stderr = String((e as { stderr?: Buffer }).stderr ?? '').trim();
    throw new SegqcError('usage', `git ${args[0]} failed: ${stderr || (e as Error).message}`);
  }
}

/** Whether the clone is shallow (history cut off: a base commit or merge base may be missing). */
function isShallow(cwd: string): boolean {
  try {
    return execFileSync('git', ['rev-parse', '--is-shallow-repository'], { cwd, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim() === 'true';
  } catch {
    return false;
  }
}

/** A blob of a `git cat-file --batch` answer, or why there is none ("missing", or the object's type). */
type BatchEntry = { data: Uint8Array } | { problem: string };

/**
 * Objects by name (`<oid>` or `<commit>:<path>`, one a line) from one `git cat-file --batch` process. The answer is
 * `<oid> <type> <size>\n<bytes>\n` per object, or `<name> missing\n`: parsed by byte counts, so blobs may hold anything.
 */
export function catFileBatch(top: string, names: string[]): BatchEntry[] {
  if (names.length === 0) return [];
  const r = spawnSync('git', ['cat-file', '--batch'], { cwd: top, input: names.join('\n') + '\n', maxBuffer: MAX_BUFFER, stdio: ['pipe', 'pipe', 'pipe'] });
  if (r.error || r.status !== 0) throw new SegqcError('usage', `git cat-file failed: ${String(r.stderr ?? '').trim() || r.error?.message || `exit ${r.status}`}`);
  const out = r.stdout;
  const entries: BatchEntry[] = [];
  let pos = 0;
  for (let n = 0; n < names.length; n++) {
    const eol = out.indexOf(0x0a, pos);
    if (eol < 0) throw new SegqcError('usage', `git cat-file answered ${n} of ${names.length} objects`);
    const header = out.toString('utf8', pos, eol);
    pos = eol + 1;
    const m = /^[0-9a-f]{40,64} (\S+) (\d+)$/.exec(header);
    if (!m) {
      entries.push({ problem: header.endsWith(' missing') ? 'missing' : header });
      continue;
    }
    const size = Number(m[2]);
    if (pos + size + 1 > out.length) throw new SegqcError('usage', `git cat-file answered ${out.length - pos} of the ${size} bytes of ${names[n]}`);
    entries.push(m[1] === 'blob' ? { data: new Uint8Array(out.subarray(pos, pos + size)) } : { problem: `a ${m[1]}, not a file` });
    pos += size + 1;
  }
  return entries;
}

/** One record of `git ls-tree -l`: a blob (mode 120000: a symbolic link), a tree or a gitlink (a submodule). */
interface TreeEntry {
  mode: string;
  type: string;
  oid: string;
  size: number;
  path: string;
}

const LINK_MODE = '120000';

/** `git ls-tree` records (`<mode> <type> <object> <size>\t<path>`, with `-l -z`). */
function lsTree(top: string, args: string[]): TreeEntry[] {
  return git(top, ['ls-tree', ...args])
    .toString()
    .split('\0')
    .filter((rec) => rec.length > 0)
    .map((rec) => {
      const tab = rec.indexOf('\t');
      const [mode, type, oid, size] = rec.slice(0, tab).split(/ +/);
      return { mode, type, oid, size: Number(size), path: rec.slice(tab + 1) };
    });
}

const notAFile = (e: TreeEntry) => (e.type === 'commit' ? 'is a git submodule (another repository), not a file' : 'is a directory, not a file');

/** The repository path a relative link at `linkPath` points to, or null when it leaves the repository. */
function resolveLink(linkPath: string, target: string): string | null {
  if (target.startsWith('/')) return null;
  const parts = linkPath.split('/').slice(0, -1);
  for (const part of target.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (parts.length === 0) return null;
      parts.pop();
    } else parts.push(part);
  }
  return parts.join('/');
}

/** The repository holding `dir` (a usage error carrying git's message when there is none). */
export function openGitRepository(dir: string, opts: { prefetchBytes?: number } = {}): GitRepository {
  const budget = opts.prefetchBytes ?? PREFETCH_BYTES;
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new SegqcError('usage', 'is not a directory', { file: dir });
  const [top, prefix = ''] = git(dir, ['rev-parse', '--show-toplevel', '--show-prefix']).toString().split('\n');

  const resolveCommit = (ref: string): string => {
    try {
      return execFileSync('git', ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], { cwd: top, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    } catch {
      const hint = isShallow(top)
        ? 'this is a shallow clone: use actions/checkout with fetch-depth: 0 (or git fetch --deepen) so the base commit is present'
        : 'check the ref name, or fetch it first';
      throw new SegqcError('usage', `commit ${ref} is not in this clone; ${hint}`);
    }
  };

  // A pull request's changes are what its head adds since it branched off, as GitHub's "Files changed" shows (`git diff base...head`).
  const mergeBase = (a: string, b: string): string | null => {
    try {
      return execFileSync('git', ['merge-base', a, b], { cwd: top, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim() || null;
    } catch {
      if (isShallow(top)) {
        throw new SegqcError('usage', `the merge base of ${a.slice(0, 7)} and ${b.slice(0, 7)} is not in this shallow clone; use actions/checkout with fetch-depth: 0 (or git fetch --deepen)`);
      }
      return null;
    }
  };

  const readBlobs = (sha: string, paths: string[]): Uint8Array[] => {
    // A batch line is one object name, so a path holding a line break is read on its own.
    const odd = (p: string) => /[\n\r]/.test(p);
    const batch = catFileBatch(top, paths.filter((p) => !odd(p)).map((p) => `${sha}:${p}`));
    let b = 0;
    return paths.map((p) => {
      if (odd(p)) return new Uint8Array(git(top, ['cat-file', 'blob', `${sha}:${p}`]));
      const e = batch[b++];
      if ('problem' in e) throw new SegqcError('usage', `git cat-file failed: ${p} in commit ${sha.slice(0, 7)} is ${e.problem === 'missing' ? 'not there' : e.problem}`);
      return e.data;
    });
  };

  const commitTree = (sha: string, prefix: string): CommitTree => {
    let blobs: Map<string, TreeEntry> | null = null;
    let others: Map<string, TreeEntry> | null = null;
    const listing = () => {
      if (!blobs || !others) {
        blobs = new Map();
        others = new Map();
        // Blobs (files and links), trees and gitlinks (submodules); the trees above `prefix` are left out.
        for (const e of lsTree(top, ['-r', '-t', '-l', '-z', sha, '--', prefix || '.'])) {
          if (!e.path.startsWith(prefix) || e.path.length === prefix.length) continue;
          (e.type === 'blob' ? blobs : others).set(e.path.slice(prefix.length), e);
        }
      }
      return blobs;
    };
    const entryAt = (repoPath: string): TreeEntry | null => {
      if (repoPath === '') return { mode: '040000', type: 'tree', oid: '', size: 0, path: '' };
      if (repoPath.startsWith(prefix)) {
        const p = repoPath.slice(prefix.length);
        return listing().get(p) ?? others!.get(p) ?? null;
      }
      return lsTree(top, ['-l', '-z', sha, '--', repoPath]).find((e) => e.path === repoPath) ?? null;
    };
    const unreadable = (p: string, detail: string) => new SegqcError('format.unreadable', detail, { file: p });
    /** The content behind the link `p`, followed inside the commit. */
    const followLink = (p: string, link: TreeEntry): Uint8Array => {
      let at = prefix + p;
      let entry = link;
      for (let hops = 0; ; hops++) {
        const got = catFileBatch(top, [entry.oid])[0];
        if ('problem' in got) throw missing(p);
        if (entry.mode !== LINK_MODE) return got.data;
        const target = Buffer.from(got.data).toString();
        if (hops >= 40) throw unreadable(p, `is a symbolic link loop (→ ${target})`);
        const resolved = resolveLink(at, target);
        if (resolved === null && !isAnnexTarget(target)) throw unreadable(p, `is a symbolic link out of the repository (→ ${target})`);
        const next = resolved === null ? null : entryAt(resolved);
        if (!next) throw unreadable(p, brokenLinkCause(target, true));
        if (next.type !== 'blob') throw unreadable(p, notAFile(next));
        at = resolved!;
        entry = next;
      }
    };
    let files: string[] | null = null;
    const wanted: string[] = [];
    const fetched = new Set<string>();
    const cache = new Map<string, Uint8Array>();
    let cachedBytes = 0;
    const missing = (p: string) => new SegqcError('usage', `git cat-file failed: ${prefix}${p} is not a file of commit ${sha.slice(0, 7)}`);
    return {
      name: `commit ${sha.slice(0, 7)}`,
      list: () => (files ??= [...listing().keys()].sort()),
      objectId: (p) => {
        const e = listing().get(p);
        return e && e.mode !== LINK_MODE ? e.oid : null;
      },
      prefetch: (paths) => {
        for (const p of paths) if (listing().has(p) && listing().get(p)!.mode !== LINK_MODE && !fetched.has(p)) wanted.push(p);
      },
      load: async (paths, stream) => {
        cache.clear();
        cachedBytes = 0;
        const all = listing();
        const take = new Map<string, TreeEntry>();
        let bytes = 0;
        for (const p of paths) {
          const e = all.get(p);
          if (!e || e.mode === LINK_MODE || take.has(p) || (take.size > 0 && bytes + e.size > budget)) continue;
          take.set(p, e);
          bytes += e.size;
        }
        const got = await Promise.all([...take.values()].map((e) => stream.read(e.oid)));
        let i = 0;
        for (const p of take.keys()) {
          const e = got[i++];
          if ('data' in e) {
            cache.set(p, e.data);
            cachedBytes += e.data.length;
          }
        }
      },
      directories: () => {
        listing();
        return [...others!]
          .map(([path, e]) => ({ path, unlisted: e.type === 'commit' ? 'is a git submodule (e.g. a DataLad subdataset): its files are not in this commit' : null }))
          .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
      },
      read: (p) => {
        const hit = cache.get(p);
        if (hit) {
          cache.delete(p);
          cachedBytes -= hit.length;
          return hit;
        }
        const all = listing();
        const own = all.get(p);
        if (!own) {
          const other = others!.get(p);
          throw other ? unreadable(p, notAFile(other)) : missing(p);
        }
        if (own.mode === LINK_MODE) return followLink(p, own);
        // `p` and the announced files not fetched yet, while they fit beside what is already held.
        const batch = [p];
        let bytes = own.size;
        fetched.add(p);
        for (const w of wanted) {
          if (fetched.has(w)) continue;
          const size = all.get(w)!.size;
          if (cachedBytes + bytes + size > budget) continue;
          batch.push(w);
          fetched.add(w);
          bytes += size;
        }
        const got = catFileBatch(top, batch.map((b) => all.get(b)!.oid));
        const first = got[0];
        if ('problem' in first) throw missing(p);
        for (let i = 1; i < batch.length; i++) {
          const e = got[i];
          // A file that cannot be read now fails when it is read, not before.
          if ('problem' in e) fetched.delete(batch[i]);
          else {
            cache.set(batch[i], e.data);
            cachedBytes += e.data.length;
          }
        }
        return first.data;
      },
    };
  };

  const changedFiles = (base: string, head: string | null, prefix: string): ChangedFile[] => {
    const args = ['diff', '--name-status', '-M', '-z', '--no-color', '--no-ext-diff', '--no-relative', base, ...(head ? [head] : []), '--', prefix || '.'];
    const parts = git(top, args).toString().split('\0').filter((s) => s.length > 0);
    const out: ChangedFile[] = [];
    const rel = (p: string) => p.slice(prefix.length);
    for (let i = 0; i < parts.length; ) {
      const status = parts[i++];
      const code = status[0] as ChangedFile['status'];
      if (code === 'R' || code === 'C') {
        const from = parts[i++], to = parts[i++];
        out.push({ status: code, path: rel(to), oldPath: rel(from) });
      } else out.push({ status: code, path: rel(parts[i++]) });
    }
    if (!head) {
      const untracked = git(top, ['ls-files', '--others', '--exclude-standard', '-z', '--', prefix || '.']).toString().split('\0').filter(Boolean);
      for (const p of untracked) out.push({ status: 'A', path: rel(p) });
    }
    return out;
  };

  const committers = (since: string, head: string, prefix: string): Map<string, Committer[]> =>
    parseCommitters(git(top, ['-c', 'core.quotePath=false', 'log', '--no-color', '--format=%x01%aN%x00%aE', '--name-only', '-z', `${since}..${head}`, '--', prefix || '.']).toString(), prefix);

  return { top, prefix, resolveCommit, mergeBase, commitTree, changedFiles, readBlobs, committers };
}

/** `git config user.email` in `dir`, or null when git has none (or `dir` is not in a repository). */
export function gitUserEmail(dir: string): string | null {
  try {
    const v = execFileSync('git', ['config', 'user.email'], { cwd: dir, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    return v || null;
  } catch {
    return null;
  }
}
