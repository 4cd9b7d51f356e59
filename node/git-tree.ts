/** A git commit as a DatasetTree, and what changed between two commits: git decides, never the API. */
import { execFileSync } from 'node:child_process';
import { SegqcError } from '../shared/errors.js';
import type { DatasetTree } from '../shared/dataset/tree.js';
import type { ChangedFile } from '../shared/dataset/pull-request.js';

const MAX_BUFFER = 2 * 1024 * 1024 * 1024;

/** Runs git in `cwd`, returning stdout bytes; failures become typed errors with git's own message. */
export function git(cwd: string, args: string[]): Buffer {
  try {
    return execFileSync('git', args, { cwd, maxBuffer: MAX_BUFFER, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const stderr = String((e as { stderr?: Buffer }).stderr ?? '').trim();
    throw new SegqcError('usage', `git ${args[0]} failed: ${stderr || (e as Error).message}`);
  }
}

/** Resolves a ref to a full commit SHA, with a clear message for shallow clones that lack it. */
export function resolveCommit(cwd: string, ref: string): string {
  try {
    return execFileSync('git', ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], { cwd, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  } catch {
    const hint = isShallow(cwd)
      ? 'this is a shallow clone: use actions/checkout with fetch-depth: 0 (or git fetch --deepen) so the base commit is present'
      : 'check the ref name, or fetch it first';
    throw new SegqcError('usage', `commit ${ref} is not in this clone; ${hint}`);
  }
}

/** Whether the clone is shallow (history cut off: a base commit or merge base may be missing). */
export function isShallow(cwd: string): boolean {
  try {
    return execFileSync('git', ['rev-parse', '--is-shallow-repository'], { cwd, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim() === 'true';
  } catch {
    return false;
  }
}

/**
 * The merge base of two commits: a pull request's changes are what its head adds since it branched off, as GitHub's
 * "Files changed" shows (`git diff base...head`). Null when the histories share no commit.
 */
export function mergeBase(cwd: string, a: string, b: string): string | null {
  try {
    return execFileSync('git', ['merge-base', a, b], { cwd, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim() || null;
  } catch {
    if (isShallow(cwd)) {
      throw new SegqcError('usage', `the merge base of ${a.slice(0, 7)} and ${b.slice(0, 7)} is not in this shallow clone; use actions/checkout with fetch-depth: 0 (or git fetch --deepen)`);
    }
    return null;
  }
}

/** The directory of `cwd` inside its repository ('' at the top, else 'a/b/'). */
export const repoPrefix = (cwd: string): string => git(cwd, ['rev-parse', '--show-prefix']).toString().trim();

/** Files of `sha` under `prefix`, as paths relative to `prefix`. */
export function commitTree(cwd: string, sha: string, prefix: string): DatasetTree {
  let files: string[] | null = null;
  const top = git(cwd, ['rev-parse', '--show-toplevel']).toString().trim();
  return {
    name: `commit ${sha.slice(0, 7)}`,
    list: () => {
      if (!files) {
        // `<mode> <type> <object>\t<path>` records: blobs only (a submodule's gitlink has no content to read).
        const out = git(top, ['ls-tree', '-r', '-z', sha, '--', prefix || '.']).toString();
        files = out
          .split('\0')
          .filter((rec) => rec.split(' ', 2)[1] === 'blob')
          .map((rec) => rec.slice(rec.indexOf('\t') + 1).slice(prefix.length))
          .sort();
      }
      return files;
    },
    read: (p) => git(top, ['cat-file', 'blob', `${sha}:${prefix}${p}`]),
  };
}

/** Files changed between two commits under `prefix` (renames followed), relative to `prefix`. */
export function changedFiles(cwd: string, base: string, head: string | null, prefix: string): ChangedFile[] {
  const top = git(cwd, ['rev-parse', '--show-toplevel']).toString().trim();
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
}
