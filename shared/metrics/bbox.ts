/** Bounding boxes of labels found in one pass over a label map, and the box arithmetic the metrics share. */
import { is2D, type Geometry, type Vec3 } from '../model.js';

/** A mask: the voxels of `data` equal to `value`. */
export interface MaskRef {
  data: Uint8Array | Uint16Array | Uint32Array;
  value: number;
}

/** Inclusive voxel box [i0, j0, k0, i1, j1, k1]. */
export type Box = [number, number, number, number, number, number];

type LabelData = MaskRef['data'];

/** A Uint32 view over the same bytes when the data is 4-byte aligned, else null. */
export function wordView(data: LabelData): Uint32Array | null {
  if (data instanceof Uint32Array) return data;
  if (data.byteOffset % 4 !== 0) return null;
  return new Uint32Array(data.buffer, data.byteOffset, data.byteLength >>> 2);
}

const littleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * A Float64 view over the same bytes, to skip zero data 32 bytes at a time, or null: when the data is not 8-byte
 * aligned, and when `v` is the one value a group can hold while comparing equal to 0 (the bit pattern of -0).
 */
export function floatView(data: LabelData, v: number): Float64Array | null {
  if (!littleEndian || data.byteOffset % 8 !== 0) return null;
  const minusZero = data instanceof Uint8Array ? 0x80 : data instanceof Uint16Array ? 0x8000 : 0x80000000;
  if (v === minusZero) return null;
  return new Float64Array(data.buffer, data.byteOffset, data.byteLength >>> 3);
}

/**
 * First index in [s, e) holding v, or -1; skips zero data when v is not 0: 32 bytes at a time through `f` (from
 * `floatView`), else four words at a time through `w`.
 */
export function firstIn(data: LabelData, w: Uint32Array | null, per: number, s: number, e: number, v: number, f: Float64Array | null = null): number {
  let x = s;
  if (f !== null && v !== 0) {
    const group = 8 * per;
    const ge = e - (e % group);
    while (x < ge && x % group !== 0) {
      if (data[x] === v) return x;
      x++;
    }
    if (x < ge) {
      const fe = (ge / group) * 4;
      for (let fi = (x / group) * 4; fi < fe; fi += 4) {
        if (f[fi] !== 0 || f[fi + 1] !== 0 || f[fi + 2] !== 0 || f[fi + 3] !== 0) {
          const b = (fi / 4) * group;
          for (let t = b; t < b + group; t++) if (data[t] === v) return t;
        }
      }
      x = ge;
    }
  } else if (w !== null && v !== 0) {
    const group = 4 * per;
    const ge = e - (e % group);
    while (x < ge && x % group !== 0) {
      if (data[x] === v) return x;
      x++;
    }
    if (x < ge) {
      let wi = x / per;
      const we = ge / per;
      for (; wi < we; wi += 4) {
        if ((w[wi] | w[wi + 1] | w[wi + 2] | w[wi + 3]) !== 0) {
          const b = wi * per;
          for (let t = b; t < b + group; t++) if (data[t] === v) return t;
        }
      }
      x = ge;
    }
  }
  for (; x < e; x++) if (data[x] === v) return x;
  return -1;
}

/** Last index in [s, e) holding v, or -1. */
function lastIn(data: LabelData, w: Uint32Array | null, per: number, s: number, e: number, v: number): number {
  let x = e - 1;
  if (w !== null && v !== 0) {
    const group = 4 * per;
    const gs = s + ((group - (s % group)) % group);
    while (x >= gs && (x + 1) % group !== 0) {
      if (data[x] === v) return x;
      x--;
    }
    if (x >= gs) {
      let wi = (x + 1) / per - 4;
      const ws = gs / per;
      for (; wi >= ws; wi -= 4) {
        if ((w[wi] | w[wi + 1] | w[wi + 2] | w[wi + 3]) !== 0) {
          const b = wi * per;
          for (let t = b + group - 1; t >= b; t--) if (data[t] === v) return t;
        }
      }
      x = gs - 1;
    }
  }
  for (; x >= s; x--) if (data[x] === v) return x;
  return -1;
}

/** Bounding box of the voxels equal to `mask.value`, or null when there are none (an empty `data` is an empty mask). */
export function boundingBox(mask: MaskRef, shape: Vec3): Box | null {
  const [nx, ny, nz] = shape;
  const { data, value } = mask;
  if (data.length === 0) return null;
  if (data.length !== nx * ny * nz) throw new RangeError(`mask has ${data.length} voxels, shape ${shape.join('x')} needs ${nx * ny * nz}`);
  const w = wordView(data);
  const fv = floatView(data, value);
  const per = data instanceof Uint8Array ? 4 : data instanceof Uint16Array ? 2 : 1;
  let i0 = nx, j0 = ny, k0 = nz, i1 = -1, j1 = -1, k1 = -1;
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      const rs = (k * ny + j) * nx;
      const f = firstIn(data, w, per, rs, rs + nx, value, fv);
      if (f < 0) continue;
      const l = lastIn(data, w, per, f, rs + nx, value);
      if (f - rs < i0) i0 = f - rs;
      if (l - rs > i1) i1 = l - rs;
      if (j < j0) j0 = j;
      if (j > j1) j1 = j;
      if (k < k0) k0 = k;
      k1 = k;
    }
  }
  return i1 < 0 ? null : [i0, j0, k0, i1, j1, k1];
}

/** Bounding boxes of several labels of one label map in a single pass; null for a label with no voxel. */
export function boundingBoxes(data: LabelData, shape: Vec3, values: number[]): (Box | null)[] {
  const [nx, ny, nz] = shape;
  const n = nx * ny * nz;
  const m = values.length;
  const out: (Box | null)[] = values.map(() => null);
  if (m === 0 || data.length === 0) return out;
  if (data.length !== n) throw new RangeError(`label map has ${data.length} voxels, shape ${shape.join('x')} needs ${n}`);
  const lut = new Map<number, number>();
  values.forEach((v, i) => lut.set(v, i));
  const small = new Int32Array(256).fill(-1);
  for (const [v, i] of lut) if (v >= 0 && v < 256) small[v] = i;
  const zeroWanted = lut.has(0);
  const b = new Int32Array(6 * m);
  for (let t = 0; t < m; t++) {
    b[6 * t] = nx; b[6 * t + 1] = ny; b[6 * t + 2] = nz;
    b[6 * t + 3] = -1; b[6 * t + 4] = -1; b[6 * t + 5] = -1;
  }
  const w = zeroWanted ? null : wordView(data);
  const per = data instanceof Uint8Array ? 4 : data instanceof Uint16Array ? 2 : 1;
  const hitAt = (i: number, j: number, k: number, v: number) => {
    const t = v < 256 ? small[v] : (lut.get(v) ?? -1);
    if (t < 0) return;
    const o = 6 * t;
    if (i < b[o]) b[o] = i;
    if (j < b[o + 1]) b[o + 1] = j;
    if (k < b[o + 2]) b[o + 2] = k;
    if (i > b[o + 3]) b[o + 3] = i;
    if (j > b[o + 4]) b[o + 4] = j;
    b[o + 5] = k;
  };
  const hit = (x: number, v: number) => {
    const i = x % nx, r = (x - i) / nx, j = r % ny;
    hitAt(i, j, (r - j) / ny, v);
  };
  if (w !== null && per > 1) {
    // Groups of four words; coordinates advance with x instead of being divided out per voxel.
    const nw = Math.floor(n / per);
    const n4 = nw - (nw % 4);
    const gsz = 4 * per;
    for (let wi = 0; wi < n4; wi += 4) {
      if ((w[wi] | w[wi + 1] | w[wi + 2] | w[wi + 3]) === 0) continue;
      const s = wi * per;
      const r = Math.floor(s / nx);
      let i = s - r * nx, j = r % ny, k = (r - j) / ny;
      for (let x = s; x < s + gsz; x++, i++) {
        if (i === nx) {
          i = 0;
          if (++j === ny) {
            j = 0;
            k++;
          }
        }
        const v = data[x];
        if (v !== 0) hitAt(i, j, k, v);
      }
    }
    for (let x = n4 * per; x < n; x++) if (data[x] !== 0) hit(x, data[x]);
  } else {
    for (let x = 0; x < n; x++) {
      const v = data[x];
      if (v !== 0 || zeroWanted) hit(x, v);
    }
  }
  for (let t = 0; t < m; t++) {
    const o = 6 * t;
    if (b[o + 3] >= 0) out[t] = [b[o], b[o + 1], b[o + 2], b[o + 3], b[o + 4], b[o + 5]];
  }
  return out;
}

/** A box that holds nothing yet: `extendBox` grows it. */
export const emptyBox = (): Box => [Infinity, Infinity, Infinity, -1, -1, -1];

/** Grows `box` to hold voxel (i, j, k). */
export function extendBox(box: Box, i: number, j: number, k: number): void {
  if (i < box[0]) box[0] = i;
  if (j < box[1]) box[1] = j;
  if (k < box[2]) box[2] = k;
  if (i > box[3]) box[3] = i;
  if (j > box[4]) box[4] = j;
  if (k > box[5]) box[5] = k;
}

/** Smallest box holding both boxes (either may be null). */
export function unionBox(a: Box | null, b: Box | null): Box | null {
  if (a === null) return b;
  if (b === null) return a;
  return [Math.min(a[0], b[0]), Math.min(a[1], b[1]), Math.min(a[2], b[2]), Math.max(a[3], b[3]), Math.max(a[4], b[4]), Math.max(a[5], b[5])];
}

/** Voxel volume in mm³ (pixel area in mm² for a 2D image). */
export const voxelVolume = (g: Geometry): number => (is2D(g) ? g.spacing[0] * g.spacing[1] : g.spacing[0] * g.spacing[1] * g.spacing[2]);
