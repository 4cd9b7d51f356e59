/** Deterministic shares of a dataset for a matrix of runners (`mergeShardReports` joins their partial reports). */
import { sha256Hex } from '../guideline/hash.js';
import { SegqcError } from '../errors.js';

/** A share `index` of `count` (input `shard: i/n`, 1-based in the input, 0-based here). */
export interface Shard {
  index: number;
  count: number;
}

/** Parses `i/n` (1 ≤ i ≤ n). */
export function parseShard(text: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  const i = m ? Number(m[1]) : NaN, n = m ? Number(m[2]) : NaN;
  if (!m || n < 1 || i < 1 || i > n) throw new SegqcError('usage', `shard must look like i/n with 1 <= i <= n, got "${text}"`);
  return { index: i - 1, count: n };
}

/** Whether an item belongs to a shard. */
export function inShard(itemId: string, shard: Shard): boolean {
  if (shard.count === 1) return true;
  const h = parseInt(sha256Hex(new TextEncoder().encode(itemId)).slice(0, 8), 16);
  return h % shard.count === shard.index;
}
