/** The working directory as a DatasetTree. */
import { closeSync, constants, fstatSync, lstatSync, openSync, readdirSync, readFileSync, readlinkSync, realpathSync, statSync, type Dirent, type Stats } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { SegqcError } from '../shared/errors.js';
import type { DatasetTree, TreeDirectory } from '../shared/dataset/tree.js';
import { brokenLinkCause } from '../shared/dataset/pointer.js';

// .segqc holds segqc's own result cache (segqc history, the PR trend lines), never dataset files.
const SKIP = new Set(['.git', 'node_modules', '.segqc']);

/** Why a file system call failed, in words (the errno code when there are none). */
export function errnoCause(e: unknown): string {
  const code = (e as NodeJS.ErrnoException)?.code;
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENOENT':
      return 'does not exist';
    case 'ELOOP':
      return 'is a symbolic link loop';
    case 'EISDIR':
      return 'is a directory, not a file';
    case 'EIO':
      return 'input/output error (a failing disk or network mount)';
    default:
      return `cannot be read (${code ?? (e as Error)?.message ?? String(e)})`;
  }
}

/** What a non-regular entry is, for messages. */
function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'is a directory, not a file';
  if (st.isFIFO()) return 'is a FIFO (named pipe), not a regular file';
  if (st.isSocket()) return 'is a socket, not a regular file';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'is a device, not a regular file';
  return 'is not a regular file';
}

/** Why `full` cannot be opened: a link names its target (git-annex links their missing content). */
function openCause(full: string, e: unknown): string {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT' || code === 'ELOOP') {
    try {
      if (lstatSync(full).isSymbolicLink()) {
        const target = readlinkSync(full);
        return code === 'ELOOP' ? `is a symbolic link loop (→ ${target})` : brokenLinkCause(target, false);
      }
    } catch {
      /* the entry itself is gone: the errno says so */
    }
  }
  try {
    const st = statSync(full);
    if (!st.isFile()) return kindOf(st);
  } catch {
    /* the errno says why */
  }
  return errnoCause(e);
}

/**
 * Lists entries under `root` (skipping .git, node_modules and .segqc; following links to directories, not in loops), reading
 * them on demand. Entries that are not readable files are listed too; `read` refuses them with the reason.
 */
export function fsTree(root: string): DatasetTree {
  let files: string[] | null = null;
  let dirs: TreeDirectory[] = [];
  const rel = (p: string) => relative(root, p).split(sep).join('/');
  const listDir = (dir: string) => {
    try {
      return readdirSync(dir, { withFileTypes: true });
    } catch (e) {
      return `its contents cannot be listed: ${errnoCause(e)}`;
    }
  };
  const isDirectory = (p: string) => {
    try {
      return statSync(p).isDirectory();
    } catch {
      return false;
    }
  };
  const walk = (dir: string, entries: Dirent[], ancestors: Set<string>, out: string[]) => {
    for (const e of entries) {
      if (SKIP.has(e.name)) continue;
      const p = join(dir, e.name);
      if (!(e.isDirectory() || (e.isSymbolicLink() && isDirectory(p)))) {
        out.push(rel(p));
        continue;
      }
      let real: string;
      try {
        real = realpathSync(p);
      } catch (err) {
        dirs.push({ path: rel(p), unlisted: `its contents cannot be listed: ${errnoCause(err)}` });
        continue;
      }
      if (ancestors.has(real)) {
        dirs.push({ path: rel(p), unlisted: 'links back to a directory above it (a loop), not followed' });
        continue;
      }
      const inner = listDir(p);
      if (typeof inner === 'string') {
        dirs.push({ path: rel(p), unlisted: inner });
        continue;
      }
      dirs.push({ path: rel(p), unlisted: null });
      walk(p, inner, new Set([...ancestors, real]), out);
    }
  };
  const list = () => {
    if (!files) {
      const out: string[] = [];
      dirs = [];
      const top = listDir(root);
      if (typeof top === 'string') throw new SegqcError('usage', top, { file: root });
      walk(root, top, new Set([realpathSync(root)]), out);
      files = out.sort();
      dirs.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    }
    return files;
  };
  return {
    name: 'working tree',
    list,
    directories: () => {
      list();
      return dirs;
    },
    read: (p) => {
      const full = join(root, p);
      let fd: number;
      try {
        // Non-blocking, so a FIFO put in place of a file cannot hang the run.
        fd = openSync(full, constants.O_RDONLY | constants.O_NONBLOCK);
      } catch (e) {
        throw new SegqcError('format.unreadable', openCause(full, e), { file: p });
      }
      try {
        const st = fstatSync(fd);
        if (!st.isFile()) throw new SegqcError('format.unreadable', kindOf(st), { file: p });
        return readFileSync(fd);
      } catch (e) {
        if (e instanceof SegqcError) throw e;
        throw new SegqcError('format.unreadable', errnoCause(e), { file: p });
      } finally {
        closeSync(fd);
      }
    },
  };
}
