import { SegqcError, isSegqcError } from '../errors.js';
import { pointerCause } from './pointer.js';

/** A directory of a tree; `unlisted` says why its contents are unknown (permission denied, a submodule), else null. */
export interface TreeDirectory {
  path: string;
  unlisted: string | null;
}

/** What the dataset checker reads: a working directory, a git commit, or anything else that lists and reads files. */
export interface DatasetTree {
  /**
   * Every entry that is not a directory, as a `/`-separated path relative to the dataset root: files, and also the
   * entries `read` refuses (broken links, pipes), so that a pattern naming one is judged rather than ignored.
   */
  list(): string[];
  /** The bytes of one listed entry; an entry that is not a readable file throws `format.unreadable` saying why. */
  read(path: string): Uint8Array;
  /** Every directory below the root, so a pattern that names a directory, or one whose contents are unknown, is judged. */
  directories?(): TreeDirectory[];
  /** A human label for messages ("working tree", "base 1a2b3c4"). */
  readonly name: string;
  /**
   * The id of a listed file's content (git's blob object id), equal on two trees exactly when the bytes are; null when
   * not known (a symbolic link, not a file). Trees without ids (a working directory) leave it out.
   */
  objectId?(path: string): string | null;
  /** Announces files about to be read, in the order they will be, so a tree that can fetch them together does. */
  prefetch?(paths: string[]): void;
}

/**
 * Reads one entry for the checker: a Git LFS or git-annex pointer in place of the content, and any untyped failure of
 * the tree, become `format.unreadable` naming the file and the cause.
 */
export function readEntry(tree: DatasetTree, path: string): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = tree.read(path);
  } catch (e) {
    if (isSegqcError(e)) throw e;
    throw new SegqcError('format.unreadable', `cannot be read from the ${tree.name}: ${(e as Error)?.message ?? String(e)}`, { file: path });
  }
  const pointer = pointerCause(bytes);
  if (pointer) throw new SegqcError('format.unreadable', pointer.detail, { file: path }, pointer.reason);
  return bytes;
}

/** A tree held in memory (tests, and files fetched by other means). */
export function memoryTree(files: Record<string, Uint8Array | string>, name = 'memory'): DatasetTree {
  const enc = new TextEncoder();
  const paths = Object.keys(files).sort();
  const dirs = new Set<string>();
  for (const p of paths) for (let i = p.indexOf('/'); i > 0; i = p.indexOf('/', i + 1)) dirs.add(p.slice(0, i));
  return {
    name,
    list: () => paths,
    read: (p) => {
      const v = files[p];
      if (v === undefined) throw new SegqcError('format.unreadable', dirs.has(p) ? 'is a directory, not a file' : `is not in the ${name}`, { file: p });
      return typeof v === 'string' ? enc.encode(v) : v;
    },
    directories: () => [...dirs].sort().map((path) => ({ path, unlisted: null })),
  };
}
