/**
 * Whole-image mask arrays of regions the live check no longer uses, cleared and handed out again: a new stroke or a
 * moved polygon on a 2048² image then allocates no 4 MB array (and brings the collector no closer to a pause).
 */
import type { MaskLayer } from '../../shared/model.js';
import { maskArrayType, newMask, type MaskAllocator } from '../../shared/formats/labelstudio.js';

type Data = MaskLayer['data'];

/** Arrays kept at most. */
const KEPT = 8;

/** A pool of mask arrays; give back only arrays nothing else refers to any more. */
export class MaskPool {
  private readonly free: Data[] = [];

  /** A zeroed array of `length` voxels that holds `maxValue`: a fresh view of a pooled buffer, or a new one. */
  readonly take: MaskAllocator = (length, maxValue) => {
    const bytes = maskArrayType(maxValue).BYTES_PER_ELEMENT;
    const k = this.free.findIndex((d) => d.length === length && d.BYTES_PER_ELEMENT === bytes);
    if (k < 0) return newMask(length, maxValue);
    const { buffer } = this.free.splice(k, 1)[0];
    return bytes === 1 ? new Uint8Array(buffer, 0, length) : bytes === 2 ? new Uint16Array(buffer, 0, length) : new Uint32Array(buffer, 0, length);
  };

  /** Takes back an array whose non-zero voxels all lie in `box` ([i0, j0, i1, j1] of a `width`-wide image; null: anywhere). */
  give(data: Data, box: [number, number, number, number] | null, width: number): void {
    if (this.free.length >= KEPT || data.byteOffset !== 0 || data.byteLength !== data.buffer.byteLength) return;
    if (box === null) data.fill(0);
    else for (let j = box[1]; j <= box[3]; j++) data.fill(0, j * width + box[0], j * width + box[2] + 1);
    this.free.push(data);
  }
}
