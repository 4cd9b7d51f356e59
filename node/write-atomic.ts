/** Writes a file whole or not at all: a temporary sibling renamed into place. */
import { realpathSync, renameSync, statSync, writeFileSync, unlinkSync } from 'node:fs';
import { SegqcError } from '../shared/errors.js';

const cannotWrite = (path: string, e: unknown) =>
  new SegqcError('usage', `cannot be written (${(e as NodeJS.ErrnoException).code ?? 'error'})`, { file: path });

/**
 * Writes `content` to `path` atomically. A path that is not a regular file (`/dev/stdout`, a FIFO, a device) is
 * written in place, never replaced; a symbolic link to a file keeps the link and replaces the file it points to.
 */
export function writeFileAtomic(path: string, content: string): void {
  let target = path;
  try {
    if (!statSync(path).isFile()) {
      try {
        writeFileSync(path, content);
        return;
      } catch (e) {
        throw cannotWrite(path, e);
      }
    }
    target = realpathSync(path);
  } catch (e) {
    if (e instanceof SegqcError) throw e;
  }
  const tmp = `${target}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, content);
    renameSync(tmp, target);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      /* nothing was written */
    }
    throw cannotWrite(path, e);
  }
}
