/** Which slices of an item are worth a picture, chosen from the voxels: where two masks differ most, where a finding is. */
import type { Segmentation } from '../model.js';
import { labelLayer, presentValues } from '../model.js';
import type { FindingLocation } from '../rules/types.js';

type Voxels = Segmentation['layers'][number]['data'];

/** Voxels of [from, to) where two arrays differ; Uint8 arrays are compared four voxels at a time where they are equal. */
function countDiffering(a: Voxels, b: Voxels, from: number, to: number): number {
  let n = 0, x = from;
  if (a instanceof Uint8Array && b instanceof Uint8Array && (a.byteOffset + from) % 4 === 0 && (b.byteOffset + from) % 4 === 0) {
    const words = (to - from) >>> 2;
    const wa = new Uint32Array(a.buffer, a.byteOffset + from, words), wb = new Uint32Array(b.buffer, b.byteOffset + from, words);
    for (let w = 0; w < words; w++) {
      if (wa[w] === wb[w]) continue;
      const o = from + w * 4;
      n += (a[o] !== b[o] ? 1 : 0) + (a[o + 1] !== b[o + 1] ? 1 : 0) + (a[o + 2] !== b[o + 2] ? 1 : 0) + (a[o + 3] !== b[o + 3] ? 1 : 0);
    }
    x = from + words * 4;
  }
  for (; x < to; x++) if (a[x] !== b[x]) n++;
  return n;
}

/** The 32-bit words of a Uint8 array's range [from, to) when it is aligned for them (labels are never 0: a zero word holds none). */
function wordsOf(d: Voxels, from: number, to: number): Uint32Array | null {
  if (!(d instanceof Uint8Array) || (d.byteOffset + from) % 4 !== 0) return null;
  return new Uint32Array(d.buffer, d.byteOffset + from, (to - from) >>> 2);
}

/**
 * Counts the voxels of [from, to) where label `va` of `a` and label `vb` of `b` disagree; with `out`, marks them
 * (out[x − from] = 1) and counts only the ones not marked before. Runs of background on both sides are skipped a
 * word (four voxels) at a time.
 */
function markXor(a: Voxels | null, va: number, b: Voxels | null, vb: number, from: number, to: number, out: Uint8Array | null): number {
  let n = 0;
  const visit = (x: number) => {
    const ia = a !== null && a[x] === va, ib = b !== null && b[x] === vb;
    if (ia === ib) return;
    if (!out) n++;
    else if (!out[x - from]) {
      out[x - from] = 1;
      n++;
    }
  };
  let x = from;
  const wa = a ? wordsOf(a, from, to) : null, wb = b ? wordsOf(b, from, to) : null;
  if ((wa || !a) && (wb || !b)) {
    const words = (to - from) >>> 2;
    for (let w = 0; w < words; w++) {
      if ((wa ? wa[w] : 0) === 0 && (wb ? wb[w] : 0) === 0) continue;
      const o = from + w * 4;
      visit(o);
      visit(o + 1);
      visit(o + 2);
      visit(o + 3);
    }
    x = from + words * 4;
  }
  for (; x < to; x++) visit(x);
  return n;
}

/** Each label of either side as (value, its voxels on a, on b): the labels whose voxels are compared. */
function labelPairs(a: Segmentation | null, b: Segmentation | null, values?: number[]) {
  const vs = values ?? [...new Set([...(a ? presentValues(a) : []), ...(b ? presentValues(b) : [])])];
  return vs
    .map((v) => ({ ma: a ? labelLayer(a, v) : null, mb: b ? labelLayer(b, v) : null }))
    .filter((p) => p.ma !== null || p.mb !== null);
}

/** Voxels per slice (k) whose labels differ between two segmentations of one grid (in `values`, or any label). */
export function differenceBySlice(a: Segmentation | null, b: Segmentation | null, values?: number[]): Int32Array {
  const g = (a ?? b)!.geometry;
  const [nx, ny, nz] = g.shape;
  const plane = nx * ny;
  const out = new Int32Array(nz);
  if (!values && a && b && a.layers.length === 1 && b.layers.length === 1) {
    // One label map a side (NIfTI, PNG, a label-map SEG): a voxel changed when its value did.
    for (let k = 0; k < nz; k++) out[k] = countDiffering(a.layers[0].data, b.layers[0].data, k * plane, (k + 1) * plane);
    return out;
  }
  const pairs = labelPairs(a, b, values);
  if (pairs.length === 1) {
    const { ma, mb } = pairs[0];
    for (let k = 0; k < nz; k++) out[k] = markXor(ma?.data ?? null, ma?.value ?? 0, mb?.data ?? null, mb?.value ?? 0, k * plane, (k + 1) * plane, null);
    return out;
  }
  // A voxel whose label changed from one to another differs in both labels: mark, then count it once.
  const marks = new Uint8Array(plane);
  for (let k = 0; k < nz; k++) {
    marks.fill(0);
    for (const { ma, mb } of pairs) out[k] += markXor(ma?.data ?? null, ma?.value ?? 0, mb?.data ?? null, mb?.value ?? 0, k * plane, (k + 1) * plane, marks);
  }
  return out;
}

/** The slice with the largest count; ties go to the one nearest the middle of the non-zero run. Null when all are zero. */
export function largestSlice(counts: Int32Array): number | null {
  let best = -1, first = -1, last = -1;
  for (let k = 0; k < counts.length; k++) {
    if (counts[k] === 0) continue;
    if (first < 0) first = k;
    last = k;
    if (best < 0 || counts[k] > counts[best]) best = k;
  }
  if (best < 0) return null;
  const mid = (first + last) / 2;
  let pick = best;
  for (let k = first; k <= last; k++) if (counts[k] === counts[best] && Math.abs(k - mid) < Math.abs(pick - mid)) pick = k;
  return pick;
}

/** Voxels per slice holding any of `values` (any label when absent). */
export function areaBySlice(s: Segmentation, values?: number[]): Int32Array {
  const [nx, ny, nz] = s.geometry.shape;
  const plane = nx * ny;
  const out = new Int32Array(nz);
  const vs = values ?? presentValues(s);
  for (const v of vs) {
    const m = labelLayer(s, v);
    if (!m) continue;
    for (let k = 0; k < nz; k++) {
      let n = 0;
      for (let x = k * plane, e = x + plane; x < e; x++) if (m.data[x] === m.value) n++;
      out[k] += n;
    }
  }
  return out;
}

/** Where two segmentations of one grid differ most: the slice, its count, all slices' total, and the box on that slice. */
export interface LargestDifference {
  k: number;
  count: number;
  total: number;
  box: [number, number, number, number];
}

/** The slice where two segmentations differ most (in `values`, or any label), or null when they do not differ. */
export function largestDifference(a: Segmentation | null, b: Segmentation | null, values?: number[]): LargestDifference | null {
  const g = (a ?? b)!.geometry;
  const flat = g.shape[2] === 1;
  // A 2D grid has one slice: its count is the box pass's own.
  const counts = flat ? null : differenceBySlice(a, b, values);
  let total = 0;
  if (counts) for (const c of counts) total += c;
  const k = counts ? largestSlice(counts) : 0;
  if (k === null) return null;
  const marked = differenceMarks(a, b, k, values);
  if (!marked) return null;
  return { k, count: marked.count, total: counts ? total : marked.count, box: marked.box };
}

/** The voxels of slice k where two segmentations differ: how many, and their bounding box [i0, j0, i1, j1]. */
function differenceMarks(a: Segmentation | null, b: Segmentation | null, k: number, values?: number[]): { count: number; box: [number, number, number, number] } | null {
  const g = (a ?? b)!.geometry;
  const [nx, ny] = g.shape;
  const plane = nx * ny;
  const differs = new Uint8Array(plane);
  let count = 0;
  for (const { ma, mb } of labelPairs(a, b, values)) count += markXor(ma?.data ?? null, ma?.value ?? 0, mb?.data ?? null, mb?.value ?? 0, k * plane, (k + 1) * plane, differs);
  if (count === 0) return null;
  let i0 = nx, j0 = ny, i1 = -1, j1 = -1;
  for (let j = 0; j < ny; j++) {
    const row = j * nx;
    const first = differs.indexOf(1, row);
    if (first < 0) break;
    if (first >= row + nx) {
      j = Math.floor(first / nx) - 1;
      continue;
    }
    const last = differs.lastIndexOf(1, row + nx - 1);
    if (first - row < i0) i0 = first - row;
    if (last - row > i1) i1 = last - row;
    if (j0 > j) j0 = j;
    j1 = j;
  }
  return { count, box: [i0, j0, i1, j1] };
}

/** The bounding box [i0, j0, i1, j1] of the voxels of slice k where two segmentations differ (in `values`, or any label), or null. */
export const differenceBox = (a: Segmentation | null, b: Segmentation | null, k: number, values?: number[]): [number, number, number, number] | null =>
  differenceMarks(a, b, k, values)?.box ?? null;

/**
 * The slice to show a located finding on: within its box's slices, the one where `values` cover most of the box
 * (nearest the location's own slice on ties); the location's slice when none do, or when no labels are given.
 */
export function findingSlice(loc: FindingLocation, s: Segmentation | null, values: number[]): number | null {
  const k0 = loc.slices?.[0] ?? loc.bbox?.[2] ?? loc.slice ?? null;
  const k1 = loc.slices?.[1] ?? loc.bbox?.[5] ?? loc.slice ?? null;
  const own = loc.slice ?? k0;
  if (k0 === null || k1 === null || own === null) return null;
  if (!s || values.length === 0 || !loc.bbox) return own;
  const [nx, ny] = s.geometry.shape;
  const [i0, j0, , i1, j1] = loc.bbox;
  const masks = values.map((v) => labelLayer(s, v)).filter((m) => m !== null);
  let best = own, bestN = 0;
  for (let k = Math.max(0, k0); k <= Math.min(s.geometry.shape[2] - 1, k1); k++) {
    let n = 0;
    for (let j = Math.max(0, j0); j <= Math.min(ny - 1, j1); j++) {
      const row = (k * ny + j) * nx;
      for (let i = Math.max(0, i0); i <= Math.min(nx - 1, i1); i++) for (const m of masks) if (m.data[row + i] === m.value) n++;
    }
    if (n > bestN || (n === bestN && n > 0 && Math.abs(k - own) < Math.abs(best - own))) {
      best = k;
      bestN = n;
    }
  }
  return best;
}
