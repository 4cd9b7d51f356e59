/** Writes a file whole or not at all: a temporary sibling renamed into place. */
import { renameSync, writeFileSync, unlinkSync } from 'node:fs';
import { SegqcError } from '../shared/errors.js';

export function writeFileAtomic(path: string, content: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, content);
    renameSync(tmp, path);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      /* nothing was written */
    }
    throw new SegqcError('usage', `cannot be written (${(e as NodeJS.ErrnoException).code ?? 'error'})`, { file: path });
  }
}
