/** Entries that stand for content kept elsewhere: Git LFS pointers, git-annex pointers and links, broken links. */

import type { ErrorReason } from '../errors.js';
import { isLfsPointer } from '../formats/read.js';

/** git-annex pointers are one key line, as short as Git LFS pointers (under 1024 bytes). */
const MAX_POINTER_BYTES = 1024;

const ANNEX_LINK = /(^|\/)\.git\/annex\/objects\//;

const GET_ANNEXED = 'fetch it with `git annex get` (or `datalad get`)';

/** Why bytes are not a file's content but a pointer to it, or null when they are not a pointer. */
export function pointerCause(bytes: Uint8Array): { detail: string; reason: ErrorReason | null } | null {
  if (bytes.length === 0 || bytes.length >= MAX_POINTER_BYTES) return null;
  if (isLfsPointer(bytes)) {
    return { detail: 'is a Git LFS pointer, not the file itself: fetch the LFS objects (actions/checkout with lfs: true, or git lfs pull)', reason: 'lfs_pointer' };
  }
  const line = new TextDecoder().decode(bytes).trimEnd();
  if (!line.includes('\n') && (/^\/annex\/objects\/\S+$/.test(line) || (ANNEX_LINK.test(line) && /^\S+$/.test(line)))) {
    return { detail: `is a git-annex pointer, not the file: ${GET_ANNEXED}`, reason: null };
  }
  return null;
}

/** Whether a link target points into git-annex's object store. */
export const isAnnexTarget = (target: string): boolean => ANNEX_LINK.test(target) || target.startsWith('/annex/objects/');

/**
 * Why a symbolic link whose target is absent cannot be read; `inCommit` when read from a git commit, which never
 * holds annexed content.
 */
export function brokenLinkCause(target: string, inCommit: boolean): string {
  if (isAnnexTarget(target)) {
    return inCommit
      ? `is a git-annex link (→ ${target}); annexed content is not stored in git commits: check the working tree after \`git annex get\``
      : `is a git-annex link whose content is not present (→ ${target}): ${GET_ANNEXED}`;
  }
  return `is a broken symbolic link (→ ${target})`;
}
