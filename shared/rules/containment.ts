/**
 * `containment.outside`: every voxel of a label with `inside` lies within its container's filled envelope (the
 * container with its enclosed holes filled, in 3D and on each slice), allowing the tolerance in mm. In a label map a
 * tumour replaces liver voxels, so the tumour is a hole of the liver: filling holes first keeps correct tumours.
 */
import type { Geometry, Vec3 } from '../model.js';
import type { GuidelineLabel } from '../guideline/types.js';
import { insideOf } from '../guideline/types.js';
import { boundingBox, emptyBox, extendBox, unionBox } from '../metrics/bbox.js';
import type { Box, MaskRef } from '../metrics/bbox.js';
import { lowerEnvelope, squaredDistancesToPoints } from '../metrics/distance.js';
import { cropAround, cropMask, fillHoles, type Crop } from './envelope.js';
import { sizeOf, sizeUnits } from '../metrics/size.js';
import type { FindingDraft } from './findings.js';
import { boxLocation } from './location.js';
import { changedSince, isTracked, type MaskEdits } from './mask-edits.js';
import type { PixelBox } from '../metrics/components-incremental.js';

/** Voxels of `inner` outside the filled envelope of `outer` by more than `toleranceMm`, and how far out they reach. */
export interface Outside {
  voxels: number;
  /** Largest distance (mm; pixels when the spacing is unknown) of an outside voxel to the envelope; Infinity when the container is empty. */
  farthest: number;
  bbox: Box | null;
}

/** Voxels of `mask` in `box`. */
function countIn(mask: MaskRef, shape: Vec3, box: Box): number {
  const { data, value } = mask;
  let n = 0;
  for (let k = box[2]; k <= box[5]; k++) {
    for (let j = box[1]; j <= box[4]; j++) {
      const row = (k * shape[1] + j) * shape[0];
      for (let x = row + box[0], end = row + box[3]; x <= end; x++) if (data[x] === value) n++;
    }
  }
  return n;
}

/** A container's filled envelope on its own box (plus a voxel), and the envelope voxels that face non-envelope ones. */
interface Envelope {
  crop: Crop;
  env: Uint8Array;
  /**
   * Envelope voxels with a face neighbour in the image that is not envelope, as crop indices, ascending. The envelope
   * voxel nearest to any voxel outside it is one of these (a step from an interior one toward it is nearer). Found
   * the first time a voxel lies outside.
   */
  boundary: Int32Array | null;
  /**
   * On a 3D image, squared distances (mm²) of voxels outside the envelope already measured, by image index, under
   * `distSpacing` (2D images measure by column, as cheap as looking up).
   */
  dist: Map<number, number>;
  distSpacing: string;
  /** On a 2D image, the face voxels by row (found with `boundary`). */
  faceRows: FaceRows | null;
  /** On a 2D image, the envelope's runs and the background's by crop row (crop columns); `env` is then empty. */
  flat: { start: Int32Array; rs: Int32Array; re: Int32Array; bStart: Int32Array; bs: Int32Array; be: Int32Array } | null;
}

/** Face voxels of a 2D envelope by crop row: row r's image columns are `col[start[r]..start[r + 1])`, ascending. */
interface FaceRows {
  start: Int32Array;
  col: Int32Array;
}

/** Distances kept per envelope at most; past this the memo starts again (a Map entry costs tens of bytes). */
const MAX_KEPT_DISTANCES = 500_000;

function envelopeOf(outer: MaskRef, shape: Vec3, ob: Box): Envelope {
  const crop = cropAround(ob, [1, 1, 1], shape);
  if (shape[2] === 1) return envelope2D(outer, shape, crop);
  const env = cropMask(outer, shape, crop);
  fillHoles(env, crop.size);
  return { crop, env, boundary: null, dist: new Map(), distSpacing: '', faceRows: null, flat: null };
}

/** Root of run `x` in a union-find forest (halving paths). */
function root(parent: Int32Array, x: number): number {
  while (parent[x] !== x) x = parent[x] = parent[parent[x]];
  return x;
}

/** Runs by crop row: row r's runs are [s[t], e[t]] (crop columns) for t in `start[r]..start[r + 1]`. */
interface RowRuns {
  start: Int32Array;
  s: Int32Array;
  e: Int32Array;
}

/** Pushes the background runs of crop row j: scanned from the image. */
function scanRow(data: MaskRef['data'], value: number, row: number, cx: number, bs: number[], be: number[]): void {
  let i = 0;
  while (i < cx) {
    while (i < cx && data[row + i] === value) i++;
    if (i === cx) break;
    const a = i;
    while (i < cx && data[row + i] !== value) i++;
    bs.push(a);
    be.push(i - 1);
  }
}

/**
 * Pushes the background runs of a row from the same row of an envelope on another crop (`old`, row oj, crop from
 * column oc0, ocx wide): the container runs between its background runs, in image columns, then the background
 * between them on the crop from column c0, cx wide.
 */
function shiftedRow(old: RowRuns, oj: number, oc0: number, ocx: number, c0: number, cx: number, bs: number[], be: number[]): void {
  let from = c0;
  let prevEnd = 0;
  const ob0 = old.start[oj], ob1 = old.start[oj + 1];
  for (let t = ob0; t <= ob1; t++) {
    const a = prevEnd, b = t < ob1 ? old.s[t] - 1 : ocx - 1;
    if (t < ob1) prevEnd = old.e[t] + 1;
    if (b < a) continue;
    const ia = a + oc0, ib = b + oc0;
    if (ia > from) {
      bs.push(from - c0);
      be.push(ia - 1 - c0);
    }
    from = ib + 1;
  }
  if (from <= c0 + cx - 1) {
    bs.push(from - c0);
    be.push(cx - 1);
  }
}

/**
 * The background runs of a container's crop by row. Rows of the last envelope's crop outside j0..j1 (image rows) keep
 * their container runs (the edit's box holds every container voxel outside the last crop); the others are scanned.
 */
function backgroundRuns(outer: MaskRef, w: number, crop: Crop, from?: { e: Envelope; j0: number; j1: number }): RowRuns {
  const [cx, cy] = crop.size;
  const [c0, r0] = crop.box;
  const { data, value } = outer;
  const flat = from?.e.flat ?? null;
  const old: RowRuns | null = flat ? { start: flat.bStart, s: flat.bs, e: flat.be } : null;
  const [oc0, or0] = from ? from.e.crop.box : [0, 0];
  const [ocx, ocy] = from ? from.e.crop.size : [0, 0];
  const same = old !== null && oc0 === c0 && ocx === cx;
  const j0 = from ? from.j0 : 0, j1 = from ? from.j1 : -1;
  const start = new Int32Array(cy + 1);
  const bs: number[] = [], be: number[] = [];
  for (let j = 0; j < cy; j++) {
    start[j] = bs.length;
    const oj = j + r0 - or0;
    if (old === null || oj < 0 || oj >= ocy || (j + r0 >= j0 && j + r0 <= j1)) scanRow(data, value, (j + r0) * w + c0, cx, bs, be);
    else if (same) {
      for (let t = old.start[oj]; t < old.start[oj + 1]; t++) {
        bs.push(old.s[t]);
        be.push(old.e[t]);
      }
    } else shiftedRow(old, oj, oc0, ocx, c0, cx, bs, be);
  }
  start[cy] = bs.length;
  return { start, s: Int32Array.from(bs), e: Int32Array.from(be) };
}

/**
 * Joins the background runs of adjacent rows that share a column (face connectivity), with run n (everything outside
 * the crop) joined to those on the crop's border; gives the union-find forest.
 */
function joinBackground(b: RowRuns, cx: number, cy: number): Int32Array {
  const { start, s: bs, e: be } = b;
  const nb = bs.length;
  const parent = new Int32Array(nb + 1);
  for (let t = 0; t <= nb; t++) parent[t] = t;
  for (let j = 0; j < cy; j++) {
    for (let t = start[j]; t < start[j + 1]; t++) {
      if (j === 0 || j === cy - 1 || bs[t] === 0 || be[t] === cx - 1) parent[root(parent, t)] = root(parent, nb);
    }
    if (j === 0) continue;
    let u = start[j - 1];
    for (let t = start[j]; t < start[j + 1]; t++) {
      while (u < start[j] && be[u] < bs[t]) u++;
      for (let v = u; v < start[j] && bs[v] <= be[t]; v++) {
        const a = root(parent, t), c = root(parent, v);
        if (a !== c) parent[a] = c;
      }
    }
  }
  return parent;
}

/** Envelope runs by row: the crop less the background runs joined to the outside. */
function envelopeRuns(b: RowRuns, parent: Int32Array, cx: number, cy: number): RowRuns {
  const { start, s: bs, e: be } = b;
  const eStart = new Int32Array(cy + 1);
  const es: number[] = [], ee: number[] = [];
  const outside = root(parent, bs.length);
  for (let j = 0; j < cy; j++) {
    eStart[j] = es.length;
    let from = 0;
    for (let t = start[j]; t <= start[j + 1]; t++) {
      const last = t === start[j + 1];
      if (!last && root(parent, t) !== outside) continue;
      const to = last ? cx - 1 : bs[t] - 1;
      if (to >= from) {
        es.push(from);
        ee.push(to);
      }
      if (!last) from = be[t] + 1;
    }
  }
  eStart[cy] = es.length;
  return { start: eStart, s: Int32Array.from(es), e: Int32Array.from(ee) };
}

/** Pushes onto `spans` the stretches of [a, b] not covered by the runs of row r, in order. */
function uncovered(runs: RowRuns, a: number, b: number, r: number, spans: number[]): void {
  const { start, s: es, e: ee } = runs;
  let x = a;
  for (let t = start[r]; t < start[r + 1] && x <= b; t++) {
    if (ee[t] < x) continue;
    if (es[t] > b) break;
    if (es[t] > x) spans.push(x, es[t] - 1);
    x = ee[t] + 1;
  }
  if (x <= b) spans.push(x, b);
}

/** Pushes the columns (plus c0) of [a, b] from `next` on; gives the next column not pushed. */
function pushColumns(cols: number[], next: number, a: number, b: number, c0: number): number {
  for (let x = Math.max(next, a); x <= b; x++) cols.push(x + c0);
  return b >= next ? b + 1 : next;
}

/**
 * Face voxels by row, as image columns (crop from column c0): a run's ends and its stretches the runs of the rows
 * above and below leave uncovered, each sorted, merged in order of their start with overlaps listed once.
 */
function faceRowsOfRuns(runs: RowRuns, cx: number, cy: number, c0: number): FaceRows {
  const { start, s: es, e: ee } = runs;
  const fStart = new Int32Array(cy + 1);
  const cols: number[] = [];
  const up: number[] = [], down: number[] = [];
  for (let j = 0; j < cy; j++) {
    fStart[j] = cols.length;
    for (let t = start[j]; t < start[j + 1]; t++) {
      const a = es[t], b = ee[t];
      up.length = down.length = 0;
      if (j > 0) uncovered(runs, a, b, j - 1, up);
      if (j < cy - 1) uncovered(runs, a, b, j + 1, down);
      let next = a;
      if (a > 0) next = pushColumns(cols, next, a, a, c0);
      let u = 0, d = 0;
      while (u < up.length || d < down.length) {
        if (d >= down.length || (u < up.length && up[u] <= down[d])) {
          next = pushColumns(cols, next, up[u], up[u + 1], c0);
          u += 2;
        } else {
          next = pushColumns(cols, next, down[d], down[d + 1], c0);
          d += 2;
        }
      }
      if (b < cx - 1) pushColumns(cols, next, b, b, c0);
    }
  }
  fStart[cy] = cols.length;
  return { start: fStart, col: Int32Array.from(cols) };
}

/**
 * `envelopeOf` on a 2D image, by runs: the background runs of each crop row, joined where runs of adjacent rows
 * share a column (face connectivity); those joined to a run on the crop's border are outside, the rest are holes.
 * The face voxels come from the envelope's runs: a run's ends, and its stretches not under a run of the row above or
 * below. The same envelope and faces as filling and scanning the crop voxel by voxel. Built in steps, each its own
 * function, so that each is compiled early and on its own.
 */
function envelope2D(outer: MaskRef, shape: Vec3, crop: Crop, from?: { e: Envelope; j0: number; j1: number }): Envelope {
  const [cx, cy] = crop.size;
  const background = backgroundRuns(outer, shape[0], crop, from);
  const runs = envelopeRuns(background, joinBackground(background, cx, cy), cx, cy);
  return {
    crop,
    env: new Uint8Array(0),
    boundary: null,
    dist: new Map(),
    distSpacing: '',
    faceRows: faceRowsOfRuns(runs, cx, cy, crop.box[0]),
    flat: { start: runs.start, rs: runs.s, re: runs.e, bStart: background.start, bs: background.s, be: background.e },
  };
}

function faceVoxels(e: Envelope, shape: Vec3): Int32Array {
  const { crop, env } = e;
  const [cx, cy, cz] = crop.size;
  const plane = cx * cy;
  // The envelope lies inside the container's box, one voxel in from the crop's edges except where the image ends:
  // a step off the crop leaves the image, which is never open.
  const faces: number[] = [];
  for (let k = 0, x = 0; k < cz; k++) {
    for (let j = 0; j < cy; j++) {
      for (let i = 0; i < cx; i++, x++) {
        if (env[x] !== 1) continue;
        const open =
          (i > 0 && env[x - 1] !== 1) ||
          (i < cx - 1 && env[x + 1] !== 1) ||
          (j > 0 && env[x - cx] !== 1) ||
          (j < cy - 1 && env[x + cx] !== 1) ||
          (k > 0 && env[x - plane] !== 1) ||
          (k < cz - 1 && env[x + plane] !== 1);
        if (open) faces.push(x);
      }
    }
  }
  return Int32Array.from(faces);
}

function faceRowsOf(e: Envelope, shape: Vec3): FaceRows {
  const boundary = (e.boundary ??= faceVoxels(e, shape));
  const [ex, ey] = e.crop.size;
  const start = new Int32Array(ey + 1);
  const col = new Int32Array(boundary.length);
  let r = 0;
  for (let t = 0; t < boundary.length; t++) {
    const x = boundary[t];
    const fr = (x / ex) | 0;
    while (r < fr) start[++r] = t;
    col[t] = x - fr * ex + e.crop.box[0];
  }
  while (r < ey) start[++r] = boundary.length;
  return { start, col };
}

/** Column distance from column `i` to the nearest face voxel of crop row `r` (-1: the row has none). */
function faceGap(start: Int32Array, col: Int32Array, r: number, i: number): number {
  const s = start[r], end = start[r + 1];
  if (s === end) return -1;
  if (col[s] >= i) return col[s] - i;
  if (col[end - 1] <= i) return i - col[end - 1];
  let lo = s, hi = end - 1;
  while (hi - lo > 1) {
    const m = (lo + hi) >> 1;
    if (col[m] < i) lo = m;
    else hi = m;
  }
  return Math.min(i - col[lo], col[hi] - i);
}

/**
 * The least of f[v[m]] + ((rq - v[m]·step)·sy)² over the parabolas of a lower envelope (`v[0..k]`, boundaries `z`,
 * one sample every `step` rows) at row rq: the one whose right boundary first reaches rq·sy, and its neighbours, since
 * where two parabolas nearly tie, rounding may place the boundary a little off and the value must be the least of them.
 */
function lowestAt(f: Float64Array, v: Int32Array, z: Float64Array, k: number, rq: number, sy: number, step = 1): number {
  const xq = rq * sy;
  let lo = 0, hi = k;
  while (lo < hi) {
    const m = (lo + hi) >> 1;
    if (z[m + 1] < xq) lo = m + 1;
    else hi = m;
  }
  let best = Infinity;
  for (let m = Math.max(0, lo - 1), end = Math.min(k, lo + 1); m <= end; m++) {
    const tj = (rq - v[m] * step) * sy;
    const d = f[v[m]] + tj * tj;
    if (d < best) best = d;
  }
  return best;
}

/** Every `COARSE`-th row gives a first bound on a column's distances, which limits the rows measured. */
const COARSE = 16;

/** Buffers of `distancesByColumn`, grown as needed and reused (one measurement runs at a time). */
const scratch = { f: new Float64Array(0), v: new Int32Array(0), z: new Float64Array(0), g: new Float64Array(0), perCol: new Int32Array(0), fill: new Int32Array(0) };

function scratchFor(n: number, w: number): typeof scratch {
  if (scratch.f.length < n + 1) {
    const m = Math.max(n + 1, 2 * scratch.f.length);
    scratch.f = new Float64Array(m);
    scratch.v = new Int32Array(m);
    scratch.z = new Float64Array(m + 1);
    scratch.g = new Float64Array(m);
  }
  if (scratch.perCol.length < w + 1) {
    scratch.perCol = new Int32Array(w + 1);
    scratch.fill = new Int32Array(w + 1);
  }
  return scratch;
}

/**
 * Squared distances (mm²) of the pixels `at` (image indices, outside the envelope) of a 2D image to the envelope, a
 * column at a time: the squared distance along each face row to its nearest face voxel, then the lower envelope of
 * the parabolas those rows give along the column (the separable transform, on that column only). A pixel costs the
 * same however far out it lies, and each value depends only on the envelope and the pixel, summed as the transform
 * sums it: (Δi·sx)² + (Δj·sy)². A column's envelope takes only the rows that may hold a nearest face voxel: those
 * nearer than the distance the sampled rows give (every value f + (Δj·sy)² is at least (Δj·sy)²).
 */
function distancesByColumn(e: Envelope, at: Int32Array, shape: Vec3, spacing: Vec3): Float64Array {
  const w = shape[0];
  const { start, col } = (e.faceRows ??= faceRowsOf(e, shape));
  const n = e.crop.size[1];
  const r0 = e.crop.box[1];
  const [sx, sy] = spacing;
  const d2 = new Float64Array(at.length);
  if (col.length === 0) return d2.fill(Infinity);
  const { f, v, z, g, perCol, fill } = scratchFor(n, w);
  // The queries by column (a counting sort).
  perCol.fill(0, 0, w + 1);
  for (let q = 0; q < at.length; q++) perCol[(at[q] % w) + 1]++;
  for (let i = 0; i < w; i++) perCol[i + 1] += perCol[i];
  const byCol = new Int32Array(at.length);
  fill.set(perCol.subarray(0, w));
  for (let q = 0; q < at.length; q++) byCol[fill[at[q] % w]++] = q;
  const ns = Math.ceil(n / COARSE);
  for (let i = 0; i < w; i++) {
    const qa = perCol[i], qb = perCol[i + 1];
    if (qa === qb) continue;
    let rmin = n, rmax = -1;
    for (let t = qa; t < qb; t++) {
      const rq = ((at[byCol[t]] / w) | 0) - r0;
      if (rq < rmin) rmin = rq;
      if (rq > rmax) rmax = rq;
    }
    // A bound from the sampled rows (each value is that of a face voxel, so no less than the distance).
    for (let t = 0; t < ns; t++) {
      const di = faceGap(start, col, t * COARSE, i);
      const ti = di * sx;
      g[t] = di < 0 ? Infinity : ti * ti;
    }
    let ra = 0, rb = n;
    const ks = lowerEnvelope(g, v, z, 0, ns, COARSE * sy);
    if (ks >= 0) {
      let bound = 0;
      for (let t = qa; t < qb; t++) {
        const best = lowestAt(g, v, z, ks, ((at[byCol[t]] / w) | 0) - r0, sy, COARSE);
        if (best > bound) bound = best;
      }
      const reach = Math.floor(Math.sqrt(bound) / sy) + 1;
      ra = Math.max(0, rmin - reach);
      rb = Math.min(n, rmax + reach + 1);
    }
    for (let r = ra; r < rb; r++) {
      const di = faceGap(start, col, r, i);
      const ti = di * sx;
      f[r] = di < 0 ? Infinity : ti * ti;
    }
    const k = lowerEnvelope(f, v, z, ra, rb, sy);
    for (let t = qa; t < qb; t++) {
      const q = byCol[t];
      d2[q] = k < 0 ? Infinity : lowestAt(f, v, z, k, ((at[q] / w) | 0) - r0, sy);
    }
  }
  return d2;
}

/** Squared distances (mm²) of the voxels `at` (image indices, outside the envelope, within `ib`) to the envelope. */
function distancesOutside(e: Envelope, at: Int32Array, shape: Vec3, ib: Box, spacing: Vec3): Float64Array {
  if (shape[2] === 1) return distancesByColumn(e, at, shape, spacing);
  const key = spacing.join(',');
  if (e.distSpacing !== key || e.dist.size > MAX_KEPT_DISTANCES) {
    e.dist = new Map();
    e.distSpacing = key;
  }
  const d2 = new Float64Array(at.length);
  const missing: number[] = [];
  for (let q = 0; q < at.length; q++) {
    const known = e.dist.get(at[q]);
    if (known === undefined) missing.push(q);
    else d2[q] = known;
  }
  if (missing.length === 0) return d2;
  // Measured on a grid that holds both the inner box and the envelope, against the envelope's face voxels.
  const grid = cropAround(unionBox(ib, e.crop.box) as Box, [0, 0, 0], shape);
  const [gx, gy] = grid.size;
  const [ex, ey] = e.crop.size;
  const [e0, e1, e2] = e.crop.box;
  const boundary = (e.boundary ??= faceVoxels(e, shape));
  const features = new Int32Array(boundary.length);
  const plane = ex * ey;
  for (let t = 0; t < features.length; t++) {
    const x = boundary[t];
    const i = (x % ex) + e0 - grid.box[0];
    const j = (Math.floor(x / ex) % ey) + e1 - grid.box[1];
    const k = Math.floor(x / plane) + e2 - grid.box[2];
    features[t] = (k * gy + j) * gx + i;
  }
  const sxy = shape[0] * shape[1];
  const queries = new Int32Array(missing.length);
  for (let t = 0; t < missing.length; t++) {
    const x = at[missing[t]];
    const i = (x % shape[0]) - grid.box[0];
    const j = (Math.floor(x / shape[0]) % shape[1]) - grid.box[1];
    const k = Math.floor(x / sxy) - grid.box[2];
    queries[t] = (k * gy + j) * gx + i;
  }
  const found = squaredDistancesToPoints(features, grid.size, spacing, queries, new Float64Array(queries.length));
  for (let t = 0; t < missing.length; t++) {
    d2[missing[t]] = found[t];
    e.dist.set(at[missing[t]], found[t]);
  }
  return d2;
}

/**
 * Per row of a 2D image, the inner voxels outside the envelope beyond the tolerance: their columns (ascending) and
 * squared distances (mm²), how many, their span and the farthest. A row's columns and distances are plain arrays:
 * a typed array each would be an ArrayBuffer per row, which costs ~5-10 µs apiece in Chromium and adds to its GCs.
 */
interface OutsideRows {
  data: MaskRef['data'];
  value: number;
  tol2: number;
  spacing: Vec3;
  cols: Array<number[] | null>;
  d2: Array<number[] | null>;
  count: Int32Array;
  lo: Int32Array;
  hi: Int32Array;
  far: Float64Array;
}

const NO_ROW: readonly number[] = [];
const NO_D2 = new Float64Array(0);

/** Pushes the voxels of row `j` of a 2D inner mask, columns i0..i1, that lie outside the envelope (walking its runs). */
function outsideInRow(e: Envelope, inner: MaskRef, w: number, j: number, i0: number, i1: number, out: number[]): void {
  const { start, rs, re } = e.flat!;
  const { data, value } = inner;
  const r = j - e.crop.box[1];
  const c0 = e.crop.box[0];
  const inCrop = r >= 0 && r < e.crop.size[1];
  let t = inCrop ? start[r] : 0;
  const end = inCrop ? start[r + 1] : 0;
  const base = j * w;
  for (let i = i0; i <= i1; i++) {
    if (data[base + i] !== value) continue;
    const ci = i - c0;
    while (t < end && re[t] < ci) t++;
    if (t < end && rs[t] <= ci) continue;
    out.push(base + i);
  }
}

/** Whether voxel (i, j) of a 2D image was in the container an envelope was built from (not in its crop's background runs). */
function wasContainer(e: Envelope, i: number, j: number): boolean {
  const { bStart, bs, be } = e.flat!;
  const r = j - e.crop.box[1], ci = i - e.crop.box[0];
  if (r < 0 || r >= e.crop.size[1] || ci < 0 || ci >= e.crop.size[0]) return false;
  let lo = bStart[r], hi = bStart[r + 1];
  while (lo < hi) {
    const m = (lo + hi) >> 1;
    if (be[m] < ci) lo = m + 1;
    else hi = m;
  }
  return !(lo < bStart[r + 1] && bs[lo] <= ci);
}

/**
 * Measures rows j0..j1 of `rows` again between columns c0 and c1 (the inner mask's voxels lie in `ib`); the voxels
 * kept in those rows outside the columns stay as they are.
 */
function fillOutsideRows(rows: OutsideRows, e: Envelope, inner: MaskRef, shape: Vec3, ib: Box, spacing: Vec3, tol2: number, j0: number, j1: number, c0: number, c1: number): void {
  const w = shape[0];
  const i0 = Math.max(c0, ib[0]), i1 = Math.min(c1, ib[3]);
  const at: number[] = [];
  for (let j = Math.max(j0, ib[1]); j <= Math.min(j1, ib[4]); j++) outsideInRow(e, inner, w, j, i0, i1, at);
  const found = at.length ? distancesByColumn(e, Int32Array.from(at), shape, spacing) : NO_D2;
  const limit = tol2 * (1 + 1e-9);
  let q = 0;
  const cols: number[] = [];
  const d2: number[] = [];
  for (let j = j0; j <= j1; j++) {
    const oc = rows.cols[j] ?? NO_ROW, od = rows.d2[j] ?? NO_ROW;
    cols.length = 0;
    d2.length = 0;
    let t = 0;
    for (; t < oc.length && oc[t] < c0; t++) {
      cols.push(oc[t]);
      d2.push(od[t]);
    }
    for (const end = (j + 1) * w; q < at.length && at[q] < end; q++) {
      if (found[q] <= limit) continue;
      cols.push(at[q] - j * w);
      d2.push(found[q]);
    }
    while (t < oc.length && oc[t] <= c1) t++;
    for (; t < oc.length; t++) {
      cols.push(oc[t]);
      d2.push(od[t]);
    }
    setRow(rows, j, cols, d2, w);
  }
}

/**
 * `outsideEnvelope` of a 2D inner mask that is edited a box at a time: the outside voxels are kept by row, and after
 * an edit only the voxels of its box are measured again.
 */
function outsideByRows(e: Envelope, mm: Map<string, unknown>, inner: MaskRef, shape: Vec3, ib: Box, spacing: Vec3, toleranceMm: number, edits: MaskEdits): Outside {
  const key = `rows:${inner.value}:${toleranceMm}:${spacing.join(',')}`;
  const tol2 = toleranceMm * toleranceMm;
  const [w, h] = shape;
  let rows = mm.get(key) as OutsideRows | undefined;
  const changed = rows ? changedSince(edits, rows.data, inner.data) : null;
  if (!rows || rows.data !== inner.data) {
    if (!rows || !changed) {
      rows = { data: inner.data, value: inner.value, tol2, spacing, cols: new Array(h).fill(null), d2: new Array(h).fill(null), count: new Int32Array(h), lo: new Int32Array(h), hi: new Int32Array(h), far: new Float64Array(h) };
      fillOutsideRows(rows, e, inner, shape, ib, spacing, tol2, 0, h - 1, 0, w - 1);
    } else {
      const c0 = Math.max(0, changed[0]), c1 = Math.min(w - 1, changed[2]);
      if (c0 <= c1) fillOutsideRows(rows, e, inner, shape, ib, spacing, tol2, Math.max(0, changed[1]), Math.min(h - 1, changed[3]), c0, c1);
      rows.data = inner.data;
    }
    mm.set(key, rows);
  }
  let voxels = 0;
  let farthest = 0;
  const box = emptyBox();
  for (let j = 0; j < h; j++) {
    if (rows.count[j] === 0) continue;
    voxels += rows.count[j];
    if (rows.far[j] > farthest) farthest = rows.far[j];
    extendBox(box, rows.lo[j], j, 0);
    extendBox(box, rows.hi[j], j, 0);
  }
  return voxels === 0 ? { voxels: 0, farthest: 0, bbox: null } : { voxels, farthest: Math.sqrt(farthest), bbox: box };
}

/** Per memo, the last edited 2D container of each value and what was kept for it. */
const lastContainers = new WeakMap<object, Map<number, { data: object; mm: Map<string, unknown> }>>();

/** The span `differingColumns` found: [lo, hi]. */
const span = new Int32Array(2);

/**
 * Whether two rows of runs differ (a's runs `as`/`ae` from ia, na of them, plus column a0; likewise b's); if so,
 * `span` is set to the columns from the first in one and not the other to the last.
 */
function differingColumns(as: Int32Array, ae: Int32Array, ia: number, na: number, a0: number, bs: Int32Array, be: Int32Array, ib: number, nb: number, b0: number): boolean {
  let t = 0;
  while (t < na && t < nb && as[ia + t] + a0 === bs[ib + t] + b0 && ae[ia + t] + a0 === be[ib + t] + b0) t++;
  if (t === na && t === nb) return false;
  let lo: number;
  if (t === na) lo = bs[ib + t] + b0;
  else if (t === nb) lo = as[ia + t] + a0;
  else if (as[ia + t] + a0 !== bs[ib + t] + b0) lo = Math.min(as[ia + t] + a0, bs[ib + t] + b0);
  else lo = Math.min(ae[ia + t] + a0, be[ib + t] + b0) + 1;
  let u = 0;
  while (u < na && u < nb && as[ia + na - 1 - u] + a0 === bs[ib + nb - 1 - u] + b0 && ae[ia + na - 1 - u] + a0 === be[ib + nb - 1 - u] + b0) u++;
  let hi: number;
  const x = ia + na - 1 - u, y = ib + nb - 1 - u;
  if (u === na) hi = be[y] + b0;
  else if (u === nb) hi = ae[x] + a0;
  else if (ae[x] + a0 !== be[y] + b0) hi = Math.max(ae[x] + a0, be[y] + b0);
  else hi = Math.max(as[x] + a0, bs[y] + b0) - 1;
  span[0] = lo;
  span[1] = hi;
  return true;
}

/**
 * What is kept for an edited 2D container, carried over from its last mask when an edit links them: everything when
 * its voxels in the edit's box are the same; else, when the envelope keeps its crop, the new envelope and the kept
 * outside voxels measured again only where the envelope's change may have moved them. Null: start over.
 */
function carriedOver(outer: MaskRef, shape: Vec3, memo: WeakMap<object, Map<string, unknown>>, edits: MaskEdits): Map<string, unknown> | null {
  const prev = lastContainers.get(memo)?.get(outer.value);
  const changed = prev ? changedSince(edits, prev.data, outer.data) : null;
  if (!prev || !changed) return null;
  const envKey = `envelope:${outer.value}`;
  const e = prev.mm.get(envKey) as Envelope | undefined;
  if (!e?.flat) return null;
  const [w, h] = shape;
  const cy = e.crop.size[1];
  const [c0, r0] = e.crop.box;
  const { data, value } = outer;
  let same = true;
  for (let j = Math.max(0, changed[1]); j <= Math.min(h - 1, changed[3]) && same; j++) {
    for (let i = Math.max(0, changed[0]); i <= Math.min(w - 1, changed[2]); i++) {
      if ((data[j * w + i] === value) !== wasContainer(e, i, j)) {
        same = false;
        break;
      }
    }
  }
  if (same) return prev.mm;
  // The container's box: the last one where the edit cannot have moved it, else found again.
  const lastBox = prev.mm.get(`bbox:${value}`) as Box | null | undefined;
  // Outside the edit's box the container is as it was, inside the last box: the last box with the container's voxels
  // in the edit's box holds them all, and is the box when each of its edge rows and columns has one.
  let ob: Box | null = null;
  if (lastBox) {
    const c = boxWithin(outer, w, [Math.max(0, changed[0]), Math.max(0, changed[1]), Math.min(w - 1, changed[2]), Math.min(h - 1, changed[3])]);
    const u = c ? (unionBox(lastBox, c) as Box) : lastBox;
    if (hasEdgeRowsAndColumns(outer, shape, u)) ob = u;
  }
  ob ??= boundingBox(outer, shape);
  if (!ob) return null;
  const crop = cropAround(ob, [1, 1, 1], shape);
  const next = envelope2D(outer, shape, crop, { e, j0: changed[1], j1: changed[3] });
  // Rows where the envelope's runs differ (in image columns; a row outside one crop has no runs in it), and the
  // columns those runs span. Away from the image's edges the envelope never reaches its crop's border, so the face
  // voxels depend on the envelope alone, whatever the crop.
  const a = e.flat, b = next.flat!;
  const [bx, by] = crop.size;
  const [b0, s0] = crop.box;
  let E: PixelBox | null = null;
  for (let J = Math.min(r0, s0); J <= Math.max(r0 + cy, s0 + by) - 1; J++) {
    const ra = J - r0, rb = J - s0;
    const ia = ra >= 0 && ra < cy ? a.start[ra] : 0, na = ra >= 0 && ra < cy ? a.start[ra + 1] - ia : 0;
    const ib = rb >= 0 && rb < by ? b.start[rb] : 0, nb = rb >= 0 && rb < by ? b.start[rb + 1] - ib : 0;
    if (!differingColumns(a.rs, a.re, ia, na, c0, b.rs, b.re, ib, nb, b0)) continue;
    const lo = span[0], hi = span[1];
    E = E ? [Math.min(E[0], lo), Math.min(E[1], J), Math.max(E[2], hi), J] : [lo, J, hi, J];
  }
  const mm = new Map<string, unknown>([
    [`bbox:${value}`, ob],
    [envKey, next],
  ]);
  for (const [key, v] of prev.mm) {
    if (!key.startsWith('rows:')) continue;
    const rows = v as OutsideRows;
    if (E) remeasureNear(rows, next, shape, E);
    mm.set(key, rows);
  }
  return mm;
}

/** Box of a 2D mask's voxels within pixel box `b` (null: none). */
function boxWithin(m: MaskRef, w: number, b: PixelBox): Box | null {
  const { data, value } = m;
  let box: Box | null = null;
  for (let j = b[1]; j <= b[3]; j++) {
    for (let i = b[0]; i <= b[2]; i++) {
      if (data[j * w + i] !== value) continue;
      if (!box) box = [i, j, 0, i, j, 0];
      else {
        if (i < box[0]) box[0] = i;
        if (i > box[3]) box[3] = i;
        box[4] = j;
      }
    }
  }
  return box;
}

/** Whether a 2D mask has a voxel on each edge row and column of `b` (then `b` is still its box, if it holds them all). */
function hasEdgeRowsAndColumns(m: MaskRef, shape: Vec3, b: Box): boolean {
  const w = shape[0];
  const { data, value } = m;
  const rowHas = (j: number) => {
    for (let x = j * w + b[0], end = j * w + b[3]; x <= end; x++) if (data[x] === value) return true;
    return false;
  };
  const colHas = (i: number) => {
    for (let j = b[1]; j <= b[4]; j++) if (data[j * w + i] === value) return true;
    return false;
  };
  return rowHas(b[1]) && rowHas(b[4]) && colHas(b[0]) && colHas(b[3]);
}

/**
 * Brings `rows` (kept under the last envelope) up to date with envelope `e`, which differs from the last one only
 * in box `E`. The face voxels differ only within a voxel of `E`, so a kept distance smaller than the distance to that
 * box is still the distance; the voxels near the box (within the tolerance, where voxels not kept may now lie beyond
 * it) are measured again, and so are kept voxels that may have been nearer to the box.
 */
function remeasureNear(rows: OutsideRows, e: Envelope, shape: Vec3, E: PixelBox): void {
  const [w, h] = shape;
  const [sx, sy] = rows.spacing;
  const tol = Math.sqrt(rows.tol2);
  const f: PixelBox = [E[0] - 1, E[1] - 1, E[2] + 1, E[3] + 1];
  const mi = Math.ceil(tol / sx) + 1, mj = Math.ceil(tol / sy) + 1;
  const R: PixelBox = [Math.max(0, f[0] - mi), Math.max(0, f[1] - mj), Math.min(w - 1, f[2] + mi), Math.min(h - 1, f[3] + mj)];
  const inner: MaskRef = { data: rows.data, value: rows.value };
  const all: Box = [0, 0, 0, w - 1, h - 1, 0];
  // Kept voxels outside R that may have been nearer to the changed faces than to their own.
  const at: number[] = [];
  for (let j = 0; j < h; j++) {
    const cols = rows.cols[j], d2 = rows.d2[j];
    if (!cols || !d2) continue;
    const inRows = j >= R[1] && j <= R[3];
    const dj = Math.max(0, f[1] - j, j - f[3]) * sy;
    for (let t = 0; t < cols.length; t++) {
      const i = cols[t];
      if (inRows && i >= R[0] && i <= R[2]) continue;
      const di = Math.max(0, f[0] - i, i - f[2]) * sx;
      if (d2[t] >= (di * di + dj * dj) * (1 - 1e-9)) at.push(j * w + i);
    }
  }
  fillOutsideRows(rows, e, inner, shape, all, rows.spacing, rows.tol2, R[1], R[3], R[0], R[2]);
  if (at.length === 0) return;
  const found = distancesByColumn(e, Int32Array.from(at), shape, rows.spacing);
  const limit = rows.tol2 * (1 + 1e-9);
  for (let q = 0; q < at.length; ) {
    const j = (at[q] / w) | 0;
    const cols = rows.cols[j] as number[], d2 = rows.d2[j] as number[];
    const keep: number[] = [], kd: number[] = [];
    let t = 0;
    for (; q < at.length && ((at[q] / w) | 0) === j; q++) {
      const i = at[q] - j * w;
      while (cols[t] < i) {
        keep.push(cols[t]);
        kd.push(d2[t]);
        t++;
      }
      t++;
      if (found[q] > limit) {
        keep.push(i);
        kd.push(found[q]);
      }
    }
    for (; t < cols.length; t++) {
      keep.push(cols[t]);
      kd.push(d2[t]);
    }
    setRow(rows, j, keep, kd, w);
  }
}

/** Sets row `j` of `rows` to the outside voxels in columns `cols` (ascending) with squared distances `d2`. */
function setRow(rows: OutsideRows, j: number, cols: number[], d2: number[], w: number): void {
  const n = cols.length;
  rows.count[j] = n;
  rows.cols[j] = n ? cols.slice() : null;
  rows.d2[j] = n ? d2.slice() : null;
  rows.lo[j] = n ? cols[0] : w;
  rows.hi[j] = n ? cols[n - 1] : -1;
  let far = 0;
  for (const x of d2) if (x > far) far = x;
  rows.far[j] = far;
}

/**
 * Measures how much of `inner` lies outside `outer`'s filled envelope beyond the tolerance. The envelope is built
 * once per container (and kept in `memo` across calls while the container's data is the same), so a live check in
 * the editor pays only for the inner label's box and the distances of its outside voxels; with `edits`, a 2D inner
 * mask edited a box at a time pays only for the rows of the box.
 */
export function outsideEnvelope(inner: MaskRef, outer: MaskRef | null, geometry: Geometry, toleranceMm: number, innerBox?: Box | null, memo?: WeakMap<object, Map<string, unknown>>, edits?: MaskEdits): Outside {
  const shape = geometry.shape;
  let mm = outer && memo ? memo.get(outer.data) : undefined;
  if (outer && memo && !mm) {
    mm = (edits && shape[2] === 1 && isTracked(edits, outer.data) && carriedOver(outer, shape, memo, edits)) || new Map();
    memo.set(outer.data, mm);
  }
  if (outer && memo && edits && shape[2] === 1 && isTracked(edits, outer.data)) {
    let last = lastContainers.get(memo);
    if (!last) lastContainers.set(memo, (last = new Map()));
    last.set(outer.value, { data: outer.data, mm: mm as Map<string, unknown> });
  }
  const ib = innerBox === undefined ? boundingBox(inner, shape) : innerBox;
  if (ib === null) return { voxels: 0, farthest: 0, bbox: null };
  const obKey = `bbox:${outer?.value}`;
  const ob = outer ? ((mm?.get(obKey) as Box | null | undefined) ?? boundingBox(outer, shape)) : null;
  if (outer && mm) mm.set(obKey, ob);
  if (ob === null) return { voxels: countIn(inner, shape, ib), farthest: Infinity, bbox: ib };
  const envKey = `envelope:${outer!.value}`;
  let e = mm?.get(envKey) as Envelope | undefined;
  if (!e) {
    e = envelopeOf(outer as MaskRef, shape, ob);
    mm?.set(envKey, e);
  }
  const spacing: Vec3 = geometry.spacingKnown ? geometry.spacing : [1, 1, 1];
  if (edits && mm && shape[2] === 1 && isTracked(edits, inner.data)) return outsideByRows(e, mm, inner, shape, ib, spacing, toleranceMm, edits);
  // Inner voxels not in the envelope, on a grid that holds both the inner box and the envelope.
  const [ex, ey, ez] = e.crop.size;
  const [e0, e1, e2] = e.crop.box;
  const { data, value } = inner;
  const out: number[] = [];
  if (e.flat) for (let j = ib[1]; j <= ib[4]; j++) outsideInRow(e, inner, shape[0], j, ib[0], ib[3], out);
  else for (let k = ib[2]; k <= ib[5]; k++) {
    const ek = k - e2;
    for (let j = ib[1]; j <= ib[4]; j++) {
      const ej = j - e1;
      const rowIn = ek >= 0 && ek < ez && ej >= 0 && ej < ey;
      const base = (k * shape[1] + j) * shape[0];
      const envRow = (ek * ey + ej) * ex - e0;
      for (let i = ib[0]; i <= ib[3]; i++) {
        if (data[base + i] !== value) continue;
        if (rowIn && i >= e0 && i < e0 + ex && e.env[envRow + i] === 1) continue;
        out.push(base + i);
      }
    }
  }
  if (out.length === 0) return { voxels: 0, farthest: 0, bbox: null };
  const d2 = distancesOutside(e, Int32Array.from(out), shape, ib, spacing);
  const tol2 = toleranceMm * toleranceMm;
  let voxels = 0;
  let farthest = 0;
  const box = emptyBox();
  const sxy = shape[0] * shape[1];
  for (let q = 0; q < out.length; q++) {
    if (d2[q] <= tol2 * (1 + 1e-9)) continue;
    voxels++;
    if (d2[q] > farthest) farthest = d2[q];
    const x = out[q];
    const i = x % shape[0];
    const j = Math.floor(x / shape[0]) % shape[1];
    extendBox(box, i, j, Math.floor(x / sxy));
  }
  return voxels === 0 ? { voxels: 0, farthest: 0, bbox: null } : { voxels, farthest: Math.sqrt(farthest), bbox: box };
}

/** Checks one `inside` rule; `container` is null when the container label is not drawn. */
export function containmentRule(
  label: GuidelineLabel,
  inner: MaskRef,
  innerBox: Box | null,
  container: MaskRef | null,
  geometry: Geometry,
  file?: string,
  memo?: WeakMap<object, Map<string, unknown>>,
  edits?: MaskEdits,
): FindingDraft[] {
  const rule = insideOf(label);
  if (!rule) return [];
  const tolerance = geometry.spacingKnown ? rule.tolerance_mm : 0;
  const o = outsideEnvelope(inner, container, geometry, tolerance, innerBox, memo, edits);
  if (o.voxels === 0 || o.bbox === null) return [];
  const units = sizeUnits(geometry);
  const size = sizeOf(o.voxels, geometry);
  const location = boxLocation(o.bbox, geometry, { file, labels: [label.name] });
  return [
    {
      rule: 'containment.outside',
      label: label.name,
      facts: {
        label: label.name,
        container: rule.label,
        outside: o.farthest === Infinity ? null : { voxels: o.voxels, size, units, farthest: o.farthest },
        tolerance_mm: rule.tolerance_mm,
        spacing_known: geometry.spacingKnown,
        location,
      },
      value: size,
      limit: rule.tolerance_mm,
      location,
    },
  ];
}
