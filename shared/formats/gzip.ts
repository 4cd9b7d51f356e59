/** Bounded gunzip: a compressed file never expands past a limit, so a gzip bomb is refused, not allocated. */
import { Gunzip } from 'fflate';
import { SegqcError } from '../errors.js';

export const isGzip = (b: Uint8Array): boolean => b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;

class Enough extends Error {}

/**
 * Decompresses at most `maxBytes` of a gzip stream. With `prefixOnly`, stops quietly once `maxBytes` are out
 * (to read a header); otherwise more output than `maxBytes` is a `format.too_large` error.
 */
export function gunzipBounded(bytes: Uint8Array, file: string, maxBytes: number, prefixOnly = false): Uint8Array {
  const chunks: Uint8Array[] = [];
  let total = 0;
  let ended = false;
  const g = new Gunzip((chunk, final) => {
    total += chunk.length;
    chunks.push(chunk);
    if (final) ended = true;
    if (total > maxBytes) throw new Enough();
  });
  const STEP = 1 << 16;
  try {
    for (let i = 0; i < bytes.length; i += STEP) {
      const end = Math.min(bytes.length, i + STEP);
      g.push(bytes.subarray(i, end), end === bytes.length);
    }
  } catch (e) {
    if (!(e instanceof Enough)) {
      const msg = (e as Error).message ?? String(e);
      if (prefixOnly && total > 0) ended = true;
      else throw new SegqcError(/EOF|end/i.test(msg) ? 'format.truncated' : 'format.unreadable', `gzip data is ${/EOF|end/i.test(msg) ? 'truncated' : 'corrupt'}: ${msg}`, { file });
    }
    if (!prefixOnly) {
      throw new SegqcError('format.too_large', `decompresses to more than ${maxBytes} bytes, the limit for this file`, { file });
    }
  }
  if (!ended && !prefixOnly) throw new SegqcError('format.truncated', 'gzip stream ends early: the file is truncated', { file });
  const out = new Uint8Array(Math.min(total, prefixOnly ? maxBytes : total));
  let off = 0;
  for (const c of chunks) {
    if (off >= out.length) break;
    const part = c.subarray(0, out.length - off);
    out.set(part, off);
    off += part.length;
  }
  return out;
}
