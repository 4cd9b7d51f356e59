/**
 * A git repository held in memory (node/git.ts's GitRepository), for tests of the CLI and the Action where a real
 * repository is not the point. Commits are file sets with parents; renames are found when a deleted file's bytes
 * come back whole under another path (git finds those too, and similar ones besides); no working tree.
 */
import { createHash } from 'node:crypto';
import { SegqcError } from '../shared/errors.js';
import type { ChangedFile } from '../shared/dataset/pull-request.js';
import type { CommitTree, GitRepository } from '../node/git.js';
import type { Committer } from '../shared/report/diff.js';

interface Commit {
  parents: string[];
  files: Map<string, Uint8Array>;
  author: Committer;
}

const enc = new TextEncoder();
const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

export class MemoryGitRepository implements GitRepository {
  readonly top = '/memory-repo';
  private readonly commits = new Map<string, Commit>();
  private readonly refs = new Map<string, string>();
  /** Every file a commit tree was asked to read, in order ("<sha7>:<path>"). */
  readonly reads: string[] = [];

  constructor(readonly prefix = '') {}

  /**
   * Commits `files` (null deletes) on top of `parent` (a ref or SHA; default the branch's tip, none on a new branch),
   * moves `branch` (default `main`) and HEAD to it; returns the SHA.
   */
  commit(files: Record<string, Uint8Array | string | null>, opts: { branch?: string; parent?: string; author?: Committer } = {}): string {
    const branch = opts.branch ?? 'main';
    const parent = opts.parent !== undefined ? this.resolveCommit(opts.parent) : (this.refs.get(branch) ?? null);
    const parents = parent ? [parent] : [];
    const tree = new Map(parent ? this.commits.get(parent)!.files : []);
    for (const [p, v] of Object.entries(files)) {
      if (v === null) tree.delete(p);
      else tree.set(p, typeof v === 'string' ? enc.encode(v) : v);
    }
    const h = createHash('sha1').update(parents.join(',')).update(String(this.commits.size));
    for (const [p, v] of [...tree].sort(([a], [b]) => (a < b ? -1 : 1))) h.update(p).update('\0').update(v);
    const sha = h.digest('hex');
    this.commits.set(sha, { parents, files: tree, author: opts.author ?? { name: 'Test', email: 'test@example.com' } });
    this.refs.set(branch, sha);
    this.refs.set('HEAD', sha);
    return sha;
  }

  resolveCommit(ref: string): string {
    const sha = this.commits.has(ref) ? ref : this.refs.get(ref);
    if (!sha) throw new SegqcError('usage', `commit ${ref} is not in this clone; check the ref name, or fetch it first`);
    return sha;
  }

  /** The nearest common ancestor found walking back from `b` breadth first (git's answer on histories of one merge base). */
  mergeBase(a: string, b: string): string | null {
    const ancestors = new Set<string>();
    for (const queue = [a]; queue.length; ) {
      const c = queue.shift()!;
      if (ancestors.has(c)) continue;
      ancestors.add(c);
      queue.push(...this.commits.get(c)!.parents);
    }
    const seen = new Set<string>();
    for (const queue = [b]; queue.length; ) {
      const c = queue.shift()!;
      if (ancestors.has(c)) return c;
      if (seen.has(c)) continue;
      seen.add(c);
      queue.push(...this.commits.get(c)!.parents);
    }
    return null;
  }

  private filesOf(sha: string): Map<string, Uint8Array> {
    const c = this.commits.get(sha);
    if (!c) throw new SegqcError('usage', `commit ${sha} is not in this clone`);
    return c.files;
  }

  commitTree(sha: string, prefix: string): CommitTree {
    const files = this.filesOf(sha);
    return {
      name: `commit ${sha.slice(0, 7)}`,
      list: () => [...files.keys()].filter((p) => p.startsWith(prefix)).map((p) => p.slice(prefix.length)).sort(),
      prefetch: () => {},
      load: async () => {},
      objectId: (p) => {
        const v = files.get(prefix + p);
        return v ? createHash('sha1').update(`blob ${v.length}\0`).update(v).digest('hex') : null;
      },
      read: (p) => {
        const v = files.get(prefix + p);
        if (!v) throw new SegqcError('usage', `git cat-file failed: ${prefix}${p} is not a file of commit ${sha.slice(0, 7)}`);
        this.reads.push(`${sha.slice(0, 7)}:${prefix}${p}`);
        return v;
      },
    };
  }

  changedFiles(base: string, head: string | null, prefix: string): ChangedFile[] {
    if (head === null) throw new SegqcError('usage', 'the in-memory repository has no working tree: give a head commit');
    const a = this.filesOf(base), b = this.filesOf(head);
    const under = (m: Map<string, Uint8Array>) => [...m.keys()].filter((p) => p.startsWith(prefix));
    const deleted = under(a).filter((p) => !b.has(p));
    const out: ChangedFile[] = [];
    for (const p of under(b)) {
      const old = a.get(p);
      if (old) {
        if (!same(old, b.get(p)!)) out.push({ status: 'M', path: p.slice(prefix.length) });
        continue;
      }
      const from = deleted.findIndex((d) => same(a.get(d)!, b.get(p)!));
      if (from < 0) out.push({ status: 'A', path: p.slice(prefix.length) });
      else out.push({ status: 'R', path: p.slice(prefix.length), oldPath: deleted.splice(from, 1)[0].slice(prefix.length) });
    }
    for (const p of deleted) out.push({ status: 'D', path: p.slice(prefix.length) });
    return out.sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
  }

  /** Authors of the commits reachable from `head` and not from `since` that change a file under `prefix`, oldest first. */
  committers(since: string, head: string, prefix: string): Map<string, Committer[]> {
    const excluded = new Set<string>();
    for (const queue = [since]; queue.length; ) {
      const c = queue.shift()!;
      if (excluded.has(c)) continue;
      excluded.add(c);
      queue.push(...this.commits.get(c)!.parents);
    }
    const order: string[] = [];
    const seen = new Set<string>();
    for (const queue = [head]; queue.length; ) {
      const c = queue.shift()!;
      if (excluded.has(c) || seen.has(c)) continue;
      seen.add(c);
      order.push(c);
      queue.push(...this.commits.get(c)!.parents);
    }
    const out = new Map<string, Committer[]>();
    for (const sha of order.reverse()) {
      const c = this.commits.get(sha)!;
      const before = c.parents.length ? this.filesOf(c.parents[0]) : new Map<string, Uint8Array>();
      const paths = new Set([...before.keys(), ...c.files.keys()]);
      for (const p of [...paths].sort()) {
        const a = before.get(p), b = c.files.get(p);
        if (!p.startsWith(prefix) || (a && b && same(a, b))) continue;
        const list = out.get(p.slice(prefix.length)) ?? [];
        if (!list.some((x) => x.name === c.author.name && x.email === c.author.email)) list.push(c.author);
        out.set(p.slice(prefix.length), list);
      }
    }
    return out;
  }

  readBlobs(sha: string, paths: string[]): Uint8Array[] {
    const files = this.filesOf(sha);
    return paths.map((p) => {
      const v = files.get(p);
      if (!v) throw new SegqcError('usage', `git cat-file failed: ${p} in commit ${sha.slice(0, 7)} is not there`);
      return v;
    });
  }
}
