/**
 * Surfaces of a pair of masks cropped to their union box, in the two conventions of SOURCES.md:
 * `voxel` (foreground voxels with a background face-neighbour) and `surfel` (DeepMind surface-distance: elements
 * on the voxel-corner grid, weighted by marching-cubes area in 3D or contour length in 2D).
 *
 * The crop keeps each mask as runs of foreground along i, row by row; surfaces, counts and components are computed
 * from the runs, so their cost follows the number of runs and surface points, not the box volume.
 */
import { is2D, type Vec3 } from '../model.js';
import { firstIn, floatView, wordView, type Box, type MaskRef } from './bbox.js';
import { SURFEL_NORMALS } from './marching-cubes-table.js';

/** Runs of foreground along i of a grid, row by row (row r = k·dims[1] + j). */
export interface Runs {
  /** Runs of row r are rowStart[r] .. rowStart[r + 1] - 1 (length rows + 1). */
  rowStart: Int32Array;
  /** First i of each run. */
  start: Int32Array;
  /** Last i of each run (inclusive). */
  end: Int32Array;
}

/** Two masks as runs in one box (the union box padded by `pad` voxels; outside the image is background). */
export interface CropPair {
  dims: Vec3;
  /** Image index of crop voxel (0, 0, 0); may be negative. */
  origin: Vec3;
  a: Runs;
  b: Runs;
  countA: number;
  countB: number;
  countAB: number;
}

/** A growable list of runs (start, end) with the row of each. */
export class RunList {
  rowStart: Int32Array;
  start = new Int32Array(256);
  end = new Int32Array(256);
  /** Row of each run (kept by `rowsFrom`). */
  row = new Int32Array(0);
  n = 0;
  constructor(rows: number) {
    this.rowStart = new Int32Array(rows + 1);
  }
  push(s: number, e: number): void {
    if (this.n === this.start.length) {
      const a = new Int32Array(this.n * 2), b = new Int32Array(this.n * 2);
      a.set(this.start);
      b.set(this.end);
      this.start = a;
      this.end = b;
    }
    this.start[this.n] = s;
    this.end[this.n++] = e;
  }
  /** Records row `r` for the runs pushed since run `from`. */
  rowsFrom(from: number, r: number): void {
    if (this.row.length < this.n) {
      const t = new Int32Array(this.start.length);
      t.set(this.row.subarray(0, from));
      this.row = t;
    }
    this.row.fill(r, from, this.n);
  }
}

/** Appends the runs of `data[src .. src + w) === v` to `out`, shifted by `off`; returns their voxel count. */
function scanRow(data: MaskRef['data'], v: number, src: number, w: number, off: number, out: RunList): number {
  let c = 0;
  let i = 0;
  while (i < w) {
    if (data[src + i] !== v) {
      i++;
      continue;
    }
    const s = i++;
    while (i < w && data[src + i] === v) i++;
    out.push(s + off, i - 1 + off);
    c += i - s;
  }
  return c;
}

/**
 * `scanRow` for bytes with a 4-byte view `w32` of the same memory: words holding no byte `v` and words all `v` are
 * passed four voxels at a time.
 */
function scanRowBytes(data: Uint8Array, w32: Uint32Array, v: number, src: number, w: number, off: number, out: RunList): number {
  const vv = (v * 0x01010101) >>> 0;
  let c = 0;
  const end = src + w;
  let x = src;
  while (x < end) {
    // Outside a run: skip words with no byte v.
    if ((x & 3) === 0 && x + 4 <= end) {
      const y = w32[x >> 2] ^ vv;
      if (((y - 0x01010101) & ~y & 0x80808080) === 0) {
        x += 4;
        continue;
      }
    }
    if (data[x] !== v) {
      x++;
      continue;
    }
    const s = x++;
    for (;;) {
      if ((x & 3) === 0 && x + 4 <= end && w32[x >> 2] === vv) {
        x += 4;
        continue;
      }
      if (x < end && data[x] === v) {
        x++;
        continue;
      }
      break;
    }
    out.push(s - src + off, x - 1 - src + off);
    c += x - s;
  }
  return c;
}

/** A 4-byte view of a byte label map (null when not bytes, or not 4-byte aligned). */
const bytesWords = (d: MaskRef['data']): Uint32Array | null =>
  d instanceof Uint8Array && d.byteOffset % 4 === 0 ? new Uint32Array(d.buffer, d.byteOffset, d.length >>> 2) : null;

/** The runs of one mask over its whole image (row r = k·shape[1] + j, i in image coordinates) and its box. */
export interface MaskRuns {
  box: Box | null;
  count: number;
  n: number;
  row: Int32Array;
  start: Int32Array;
  end: Int32Array;
}

/**
 * The runs of the voxels equal to `mask.value`, in one pass over the image: zero data is passed 32 bytes at a time
 * (per row, four words at a time, when the data is not bytes or not 8-byte aligned), and a row holding data is read
 * as runs from there, passing words of no or only that value whole.
 */
export function maskRuns(mask: MaskRef, shape: Vec3): MaskRuns {
  const [nx, ny, nz] = shape;
  const { data, value } = mask;
  const none: MaskRuns = { box: null, count: 0, n: 0, row: new Int32Array(0), start: new Int32Array(0), end: new Int32Array(0) };
  if (data.length === 0) return none;
  if (data.length !== nx * ny * nz) throw new RangeError(`mask has ${data.length} voxels, shape ${shape.join('x')} needs ${nx * ny * nz}`);
  const w = wordView(data);
  const fv = floatView(data, value);
  const per = data instanceof Uint8Array ? 4 : data instanceof Uint16Array ? 2 : 1;
  const w8 = bytesWords(data);
  const fast = w8 !== null && value > 0 && value < 256;
  const out = new RunList(0);
  let count = 0;
  let i0 = nx, j0 = ny, k0 = nz, i1 = -1, j1 = -1, k1 = -1;
  /** Reads row r from index `from` (everything before it in the row is known to hold no `value`). */
  const readRow = (r: number, from: number): void => {
    const rs = r * nx, re = rs + nx;
    const n0 = out.n;
    count += fast ? scanRowBytes(data as Uint8Array, w8!, value, from, re - from, from - rs, out) : scanRow(data, value, from, re - from, from - rs, out);
    if (out.n === n0) return;
    out.rowsFrom(n0, r);
    const j = r % ny, k = (r - j) / ny;
    if (out.start[n0] < i0) i0 = out.start[n0];
    if (out.end[out.n - 1] > i1) i1 = out.end[out.n - 1];
    if (j < j0) j0 = j;
    if (j > j1) j1 = j;
    if (k < k0) k0 = k;
    k1 = k;
  };
  const rows = ny * nz;
  if (fast && fv !== null) {
    // One flat pass over 32-byte groups; a non-zero group sends the rows it touches to `readRow`, once each.
    const n = nx * rows;
    const ng = fv.length >>> 2;
    let done = -1;
    for (let gi = 0; gi < ng; gi++) {
      const q = gi << 2;
      if (fv[q] === 0 && fv[q + 1] === 0 && fv[q + 2] === 0 && fv[q + 3] === 0) continue;
      const x = gi << 5;
      const ra = Math.floor(x / nx), rb = Math.floor((x + 31) / nx);
      for (let r = ra > done ? ra : done + 1; r <= rb && r < rows; r++) readRow(r, r === ra ? x : r * nx);
      done = rb;
      // Continue with the group holding the next row's start.
      const next = Math.floor(((rb + 1) * nx) / 32) - 1;
      if (next > gi) gi = next;
    }
    // The tail after the last whole group.
    for (let x = ng << 5; x < n; x++) {
      const r = Math.floor(x / nx);
      if (r > done && data[x] === value) {
        readRow(r, x);
        done = r;
      }
    }
  } else {
    for (let r = 0; r < rows; r++) {
      const rs = r * nx;
      const f = firstIn(data, w, per, rs, rs + nx, value, fv);
      if (f >= 0) readRow(r, f);
    }
  }
  if (i1 < 0) return none;
  return { box: [i0, j0, k0, i1, j1, k1], count, n: out.n, row: out.row, start: out.start, end: out.end };
}

/** Re-indexes a mask's runs onto the rows of the crop box (origin `o`, `dy` rows per plane). */
function cropRunsOf(m: MaskRuns, ny: number, o: Vec3, dy: number, rows: number): Runs {
  const rowStart = new Int32Array(rows + 1);
  const start = new Int32Array(m.n), end = new Int32Array(m.n);
  let cr = 0;
  for (let t = 0; t < m.n; t++) {
    const r = m.row[t];
    const j = r % ny, k = (r - j) / ny;
    const c = (k - o[2]) * dy + (j - o[1]);
    while (cr < c) rowStart[++cr] = t;
    start[t] = m.start[t] - o[0];
    end[t] = m.end[t] - o[0];
  }
  while (cr < rows) rowStart[++cr] = m.n;
  return { rowStart, start, end };
}

/** The two masks' runs on their union box padded by `pad` voxels (outside the image is background), with counts. */
export function cropRuns(ra: MaskRuns, rb: MaskRuns, shape: Vec3, box: Box, pad: number): CropPair {
  const ny = shape[1];
  const flat = is2D({ shape });
  const pz = flat ? 0 : pad;
  const o: Vec3 = [box[0] - pad, box[1] - pad, box[2] - pz];
  const dx = box[3] - box[0] + 1 + 2 * pad, dy = box[4] - box[1] + 1 + 2 * pad, dz = box[5] - box[2] + 1 + 2 * pz;
  const rows = dy * dz;
  const a = cropRunsOf(ra, ny, o, dy, rows), b = cropRunsOf(rb, ny, o, dy, rows);
  let countAB = 0;
  for (let r = 0; r < rows; r++) {
    let p = a.rowStart[r], q = b.rowStart[r];
    const pe = a.rowStart[r + 1], qe = b.rowStart[r + 1];
    while (p < pe && q < qe) {
      const lo = a.start[p] > b.start[q] ? a.start[p] : b.start[q];
      const hi = a.end[p] < b.end[q] ? a.end[p] : b.end[q];
      if (hi >= lo) countAB += hi - lo + 1;
      if (a.end[p] < b.end[q]) p++;
      else q++;
    }
  }
  return { dims: [dx, dy, dz], origin: o, a, b, countA: ra.count, countB: rb.count, countAB };
}

/** Surface points of one mask: their linear indices on the grid they live on, ascending. */
export interface SurfacePoints {
  dims: Vec3;
  index: Int32Array;
  /** Area (mm², or length in mm in 2D) of each point; null for voxel surfaces, whose points all weigh 1. */
  weight: Float64Array | null;
  /** Neighbourhood code of each surfel (its weight is the table's entry for it); null for voxel surfaces. */
  code: Uint8Array | null;
}

/** Growable output of surface points. */
class PointList {
  index = new Int32Array(1024);
  weight: Float64Array | null;
  code: Uint8Array | null;
  n = 0;
  constructor(weighted: boolean) {
    this.weight = weighted ? new Float64Array(1024) : null;
    this.code = weighted ? new Uint8Array(1024) : null;
  }
  grow(): void {
    const t = new Int32Array(this.n * 2);
    t.set(this.index);
    this.index = t;
    if (this.weight !== null && this.code !== null) {
      const u = new Float64Array(this.n * 2);
      u.set(this.weight);
      this.weight = u;
      const c = new Uint8Array(this.n * 2);
      c.set(this.code);
      this.code = c;
    }
  }
}

/**
 * Merges the run lists of up to four rows (row `rows[t]` carries bit `bits[t]`; a negative row is empty) into the
 * positions where the set of rows covering i changes: `pos[e]` and the bit mask `mask[e]` that holds from there on.
 * Each surface owns one, so no two calls share its buffers.
 */
class RowSweep {
  pos = new Int32Array(64);
  mask = new Int32Array(64);
  private readonly cur = new Int32Array(4);
  private readonly lim = new Int32Array(4);
  private readonly phase = new Int32Array(4);

  /** Sweeps the rows; returns the number of change positions, then in `pos` and `mask`. */
  run(runs: Runs, rows: Int32Array, bits: Int32Array, nr: number): number {
    const { rowStart, start, end } = runs;
    const { cur, lim, phase } = this;
    let total = 0;
    for (let t = 0; t < nr; t++) {
      const r = rows[t];
      if (r < 0) {
        cur[t] = lim[t] = 0;
      } else {
        cur[t] = rowStart[r];
        lim[t] = rowStart[r + 1];
      }
      phase[t] = 0;
      total += 2 * (lim[t] - cur[t]);
    }
    if (this.pos.length < total) {
      this.pos = new Int32Array(total * 2);
      this.mask = new Int32Array(total * 2);
    }
    const evPos = this.pos, evMask = this.mask;
    let n = 0;
    let mask = 0;
    for (;;) {
      let p = 0x7fffffff;
      for (let t = 0; t < nr; t++) {
        if (cur[t] >= lim[t]) continue;
        const x = phase[t] === 0 ? start[cur[t]] : end[cur[t]] + 1;
        if (x < p) p = x;
      }
      if (p === 0x7fffffff) break;
      for (let t = 0; t < nr; t++) {
        if (cur[t] >= lim[t]) continue;
        const x = phase[t] === 0 ? start[cur[t]] : end[cur[t]] + 1;
        if (x !== p) continue;
        mask ^= bits[t];
        if (phase[t] === 0) phase[t] = 1;
        else {
          phase[t] = 0;
          cur[t]++;
        }
      }
      evPos[n] = p;
      evMask[n++] = mask;
    }
    return n;
  }
}

/** Foreground voxels with a background face-neighbour (4 in 2D, 6 in 3D). The mask must not touch the crop border. */
export function voxelSurface(runs: Runs, dims: Vec3): SurfacePoints {
  const [nx, ny, nz] = dims;
  const flat = is2D({ shape: dims });
  const { rowStart, start, end } = runs;
  const out = new PointList(false);
  const sweep = new RowSweep();
  const nbRows = new Int32Array(4), nbBits = new Int32Array([1, 2, 4, 8]);
  const nn = flat ? 2 : 4;
  const full = (1 << nn) - 1;
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      const r = k * ny + j;
      const r0 = rowStart[r], r1 = rowStart[r + 1];
      if (r0 === r1) continue;
      nbRows[0] = j > 0 ? r - 1 : -1;
      nbRows[1] = j < ny - 1 ? r + 1 : -1;
      nbRows[2] = !flat && k > 0 ? r - ny : -1;
      nbRows[3] = !flat && k < nz - 1 ? r + ny : -1;
      // Stretches of i covered by all neighbour rows.
      const ne = sweep.run(runs, nbRows, nbBits, nn);
      const evPos = sweep.pos, evMask = sweep.mask;
      const base = r * nx;
      let e = 0;
      for (let t = r0; t < r1; t++) {
        const s = start[t], f = end[t];
        // The run minus the stretches of (s, f) covered by all neighbour rows. The last event's mask is 0.
        while (e < ne - 1 && evPos[e + 1] <= s + 1) e++;
        let x = s;
        for (let g = e; g < ne - 1 && evPos[g] <= f - 1; g++) {
          if (evMask[g] !== full) continue;
          const lo = evPos[g] > s + 1 ? evPos[g] : s + 1;
          const hi = evPos[g + 1] - 1 < f - 1 ? evPos[g + 1] - 1 : f - 1;
          if (lo > hi) continue;
          for (; x < lo; x++) {
            if (out.n === out.index.length) out.grow();
            out.index[out.n++] = base + x;
          }
          x = hi + 1;
        }
        for (; x <= f; x++) {
          if (out.n === out.index.length) out.grow();
          out.index[out.n++] = base + x;
        }
      }
    }
  }
  return { dims, index: out.index.subarray(0, out.n), weight: null, code: null };
}

/** Area (mm²) of the surface elements of each 3D neighbourhood code, for a spacing, as DeepMind computes it. */
export function surfelAreaTable3D(spacing: Vec3): Float64Array {
  const [s0, s1, s2] = spacing;
  const table = new Float64Array(256);
  for (let code = 0; code < 256; code++) {
    const t = SURFEL_NORMALS[code];
    let sum = 0;
    for (let i = 0; i < t.length; i += 3) {
      const n0 = t[i] * s1 * s2, n1 = t[i + 1] * s0 * s2, n2 = t[i + 2] * s0 * s1;
      sum += Math.sqrt(n0 * n0 + n1 * n1 + n2 * n2);
    }
    table[code] = sum;
  }
  return table;
}

/**
 * Contour length (mm) of each 2D neighbourhood code (bits 8, 4, 2, 1 = voxels (i, j), (i, j+1), (i+1, j), (i+1, j+1)
 * around a corner), as DeepMind's table: an edge along i is spacing[0] long, along j spacing[1], a corner cut half a
 * diagonal.
 */
export function contourLengthTable2D(spacing: Vec3): Float64Array {
  const along0 = spacing[0], along1 = spacing[1];
  const diag = 0.5 * Math.sqrt(spacing[0] ** 2 + spacing[1] ** 2);
  const t = new Float64Array(16);
  for (const c of [0b0001, 0b0010, 0b0100, 0b1000, 0b0111, 0b1011, 0b1101, 0b1110]) t[c] = diag;
  t[0b0011] = along1;
  t[0b1100] = along1;
  t[0b0101] = along0;
  t[0b1010] = along0;
  t[0b0110] = 2 * diag;
  t[0b1001] = 2 * diag;
  return t;
}

/**
 * Surface elements of one mask on the corner grid of its crop (dims - 1 per axis; the third stays 1 in 2D): a corner
 * whose 2x2(x2) neighbourhood holds both foreground and background, weighted by `table` of its code. Corner c lies
 * between voxels c and c + 1 of the crop. Only the corners where the covering rows change, or where they disagree,
 * are visited.
 */
export function surfelSurface(runs: Runs, dims: Vec3, table: Float64Array): SurfacePoints {
  const [nx, ny, nz] = dims;
  const flat = is2D({ shape: dims });
  const cx = nx - 1, cy = ny - 1, cz = flat ? 1 : nz - 1;
  const cd: Vec3 = [cx, cy, cz];
  const { rowStart } = runs;
  const out = new PointList(true);
  const sweep = new RowSweep();
  const rows = new Int32Array(4);
  // Voxel (i + a, j + b, k + c) carries bit 1 << (7 - (4a + 2b + c)) in 3D; (i + a, j + b) carries 1 << (3 - (2a + b)) in 2D.
  const bits = flat ? new Int32Array([2, 1, 0, 0]) : new Int32Array([8, 4, 2, 1]);
  const nr = flat ? 2 : 4;
  const shift = flat ? 2 : 4;
  const all = (1 << nr) - 1;
  const has = (r: number) => rowStart[r + 1] > rowStart[r];
  for (let k = 0; k < cz; k++) {
    for (let j = 0; j < cy; j++) {
      const r = k * ny + j;
      if (flat) {
        if (!has(r) && !has(r + 1)) continue;
        rows[0] = r;
        rows[1] = r + 1;
      } else {
        if (!has(r) && !has(r + ny) && !has(r + 1) && !has(r + ny + 1)) continue;
        rows[0] = r; // (j, k)
        rows[1] = r + ny; // (j, k + 1)
        rows[2] = r + 1; // (j + 1, k)
        rows[3] = r + ny + 1; // (j + 1, k + 1)
      }
      const ne = sweep.run(runs, rows, bits, nr);
      const evPos = sweep.pos, evMask = sweep.mask;
      const base = (k * cy + j) * cx;
      let prev = 0;
      for (let e = 0; e < ne; e++) {
        const p = evPos[e], m = evMask[e];
        // Corner p - 1 sees the rows change between voxels p - 1 and p.
        const c0 = p - 1;
        if (c0 >= 0 && c0 < cx) {
          const code = (prev << shift) | m;
          if (out.n === out.index.length) out.grow();
          out.index[out.n] = base + c0;
          out.code![out.n] = code;
          out.weight![out.n++] = table[code];
        }
        // Corners p .. next - 2 lie inside a stretch where the rows disagree.
        if (m !== 0 && m !== all) {
          const next = e + 1 < ne ? evPos[e + 1] : cx + 1;
          const code = (m << shift) | m;
          const wt = table[code];
          const hi = next - 2 < cx - 1 ? next - 2 : cx - 1;
          for (let c = p < 0 ? 0 : p; c <= hi; c++) {
            if (out.n === out.index.length) out.grow();
            out.index[out.n] = base + c;
            out.code![out.n] = code;
            out.weight![out.n++] = wt;
          }
        }
        prev = m;
      }
    }
  }
  return { dims: cd, index: out.index.subarray(0, out.n), weight: out.weight!.subarray(0, out.n), code: out.code!.subarray(0, out.n) };
}
