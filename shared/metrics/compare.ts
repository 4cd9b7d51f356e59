/** The per-label metric set of a reference and a candidate mask: overlap, surface distances, NSD, volumes, components. */
import { is2D, type Geometry, type Vec3 } from '../model.js';
import { unionBox, voxelVolume, type MaskRef } from './bbox.js';
import { componentsOfRuns } from './components.js';
import { squaredDistancesToPoints } from './distance.js';
import { diceOf, iouOf } from './overlap.js';
import { contourLengthTable2D, cropRuns, maskRuns, surfelAreaTable3D, surfelSurface, voxelSurface, type MaskRuns, type SurfacePoints } from './surface.js';

export type { MaskRef } from './bbox.js';

/** `voxel`: MONAI / MetricsReloaded (the default); `surfel`: DeepMind surface-distance. */
export type SurfaceConvention = 'voxel' | 'surfel';

/** Metrics of one label; distances in mm, null when exactly one mask is empty. */
export interface LabelMetrics {
  dice: number;
  iou: number;
  hd: number | null;
  hd95: number | null;
  assd: number | null;
  /** Normalized surface distance per tolerance, keyed `String(tolerance_mm)`. */
  nsd: Record<string, number>;
  volume_reference_mm3: number;
  volume_candidate_mm3: number;
  components_reference: number;
  components_candidate: number;
}

/** Options of `compareMasks`. */
export interface CompareOptions {
  tolerances: number[];
  surface?: SurfaceConvention;
  /** Dice, IoU, volumes and components only: distances are null and `nsd` is empty. */
  overlapOnly?: boolean;
}

/** numpy's pairwise summation (what `np.sum` does on a contiguous float64 array). */
export function pairwiseSum(a: Float64Array, start = 0, end = a.length): number {
  const n = end - start;
  if (n < 8) {
    let s = 0;
    for (let i = start; i < end; i++) s += a[i];
    return s;
  }
  if (n <= 128) {
    let r0 = a[start], r1 = a[start + 1], r2 = a[start + 2], r3 = a[start + 3];
    let r4 = a[start + 4], r5 = a[start + 5], r6 = a[start + 6], r7 = a[start + 7];
    let i = 8;
    for (; i < n - (n % 8); i += 8) {
      const b = start + i;
      r0 += a[b]; r1 += a[b + 1]; r2 += a[b + 2]; r3 += a[b + 3];
      r4 += a[b + 4]; r5 += a[b + 5]; r6 += a[b + 6]; r7 += a[b + 7];
    }
    let s = (r0 + r1 + (r2 + r3)) + (r4 + r5 + (r6 + r7));
    for (; i < n; i++) s += a[start + i];
    return s;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return pairwiseSum(a, start, start + n2) + pairwiseSum(a, start + n2, end);
}

/** numpy's default (linear) percentile of an ascending array. */
function percentileSorted(s: Float64Array, q: number): number {
  const n = s.length;
  const vi = n * q + (1 - q) - 1;
  const lo = Math.max(0, Math.min(n - 1, Math.floor(vi)));
  const hi = Math.min(n - 1, lo + 1);
  const t = vi - lo;
  const a = s[lo], b = s[hi], d = b - a;
  return t >= 0.5 ? b - d * (1 - t) : a + d * t;
}

/** Directed distances of one surface to the other, in mm, with the surface's weights (null = 1 each). */
interface Directed {
  dist: Float64Array;
  weight: Float64Array | null;
}

function directed(from: SurfacePoints, to: SurfacePoints, spacing: Vec3): Directed {
  const d = new Float64Array(from.index.length);
  squaredDistancesToPoints(to.index, to.dims, spacing, from.index, d);
  for (let i = 0; i < d.length; i++) d[i] = Math.sqrt(d[i]);
  return { dist: d, weight: from.weight };
}

/** Distinct values of an array, ascending, and the rank of each element among them. */
interface Ranked {
  distinct: Float64Array;
  rank: Int32Array;
}

/**
 * Ranks the values of `x` by hashing their bits: distances and surfel areas take few distinct values, so only those
 * are sorted (all of them in the worst case).
 */
function rankValues(x: Float64Array): Ranked {
  const n = x.length;
  let cap = 16;
  while (cap < 2 * n) cap *= 2;
  const mask = cap - 1;
  const slot = new Int32Array(cap).fill(-1);
  const bits = new Uint32Array(x.buffer, x.byteOffset, 2 * n);
  const vals = new Float64Array(n);
  const id = new Int32Array(n);
  let u = 0;
  for (let i = 0; i < n; i++) {
    const v = x[i];
    let h = v === 0 ? 0 : (Math.imul(bits[2 * i] ^ Math.imul(bits[2 * i + 1], 0x85ebca6b), 0x9e3779b1) >>> 7) & mask;
    for (;;) {
      const s = slot[h];
      if (s < 0) {
        slot[h] = u;
        vals[u] = v;
        id[i] = u++;
        break;
      }
      if (vals[s] === v) {
        id[i] = s;
        break;
      }
      h = (h + 1) & mask;
    }
  }
  const distinct = vals.slice(0, u).sort();
  // Rank of each distinct value: look the sorted values up again.
  const rankOf = new Int32Array(u);
  const dbits = new Uint32Array(distinct.buffer, distinct.byteOffset, 2 * u);
  for (let r = 0; r < u; r++) {
    const v = distinct[r];
    let h = v === 0 ? 0 : (Math.imul(dbits[2 * r] ^ Math.imul(dbits[2 * r + 1], 0x85ebca6b), 0x9e3779b1) >>> 7) & mask;
    for (let probe = 0; probe < cap && slot[h] >= 0 && vals[slot[h]] !== v; probe++) h = (h + 1) & mask;
    if (slot[h] >= 0) rankOf[slot[h]] = r;
  }
  const rank = new Int32Array(n);
  for (let i = 0; i < n; i++) rank[i] = rankOf[id[i]];
  return { distinct, rank };
}

/** The values of `x` ascending (as `Float64Array.from(x).sort()`), by counting their ranks. */
function sortedCopy(x: Float64Array): Float64Array {
  const { distinct, rank } = rankValues(x);
  const u = distinct.length;
  const count = new Int32Array(u);
  for (let i = 0; i < rank.length; i++) count[rank[i]]++;
  const out = new Float64Array(x.length);
  let o = 0;
  for (let r = 0; r < u; r++) {
    const v = distinct[r];
    for (let e = o + count[r]; o < e; o++) out[o] = v;
  }
  return out;
}

/** Rank of each table entry among the table's distinct values. */
function tableRanks(table: Float64Array): Int32Array {
  const sorted = Float64Array.from(table).sort();
  const rank = new Int32Array(table.length);
  for (let c = 0; c < table.length; c++) {
    let r = 0;
    for (let t = 1; t < sorted.length && sorted[t] <= table[c]; t++) if (sorted[t] !== sorted[t - 1]) r++;
    rank[c] = r;
  }
  return rank;
}

/**
 * Sorts distances ascending, ties by weight ascending (as DeepMind's sort of (distance, area) pairs). Each weight is
 * `table[code[i]]`, so weights are ranked through the table.
 */
function sortWithWeights(dist: Float64Array, weight: Float64Array, code: Uint8Array, table: Float64Array): { d: Float64Array; w: Float64Array } {
  const n = dist.length;
  const D = rankValues(dist);
  const byCode = tableRanks(table);
  let nw = 0;
  for (let c = 0; c < byCode.length; c++) if (byCode[c] + 1 > nw) nw = byCode[c] + 1;
  const wRank = new Int32Array(n);
  for (let i = 0; i < n; i++) wRank[i] = byCode[code[i]];
  const W = { distinct: { length: nw }, rank: wRank };
  // Two stable counting passes: by weight rank, then by distance rank.
  const byW = new Int32Array(W.distinct.length + 1);
  for (let i = 0; i < n; i++) byW[W.rank[i] + 1]++;
  for (let r = 0; r < W.distinct.length; r++) byW[r + 1] += byW[r];
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[byW[W.rank[i]]++] = i;
  const byD = new Int32Array(D.distinct.length + 1);
  for (let i = 0; i < n; i++) byD[D.rank[i] + 1]++;
  for (let r = 0; r < D.distinct.length; r++) byD[r + 1] += byD[r];
  const d = new Float64Array(n), w = new Float64Array(n);
  for (let t = 0; t < n; t++) {
    const i = order[t];
    const p = byD[D.rank[i]]++;
    d[p] = dist[i];
    w[p] = weight[i];
  }
  return { d, w };
}

/** DeepMind's robust Hausdorff of one direction: the first distance whose cumulative weight reaches `p`. */
function weightedPercentile(d: Float64Array, w: Float64Array, total: number, p: number): number {
  let cum = 0;
  for (let i = 0; i < d.length; i++) {
    cum += w[i];
    if (cum / total >= p) return d[i];
  }
  return d[d.length - 1];
}

function emptyResult(both: boolean, tolerances: number[], overlapOnly: boolean, volA: number, volB: number, ccA: number, ccB: number): LabelMetrics {
  const nsd: Record<string, number> = {};
  if (!overlapOnly) for (const t of tolerances) nsd[String(t)] = both ? 1 : 0;
  const dist = both && !overlapOnly ? 0 : null;
  return {
    dice: both ? 1 : 0,
    iou: both ? 1 : 0,
    hd: dist,
    hd95: dist,
    assd: dist,
    nsd,
    volume_reference_mm3: volA,
    volume_candidate_mm3: volB,
    components_reference: ccA,
    components_candidate: ccB,
  };
}

/**
 * Compares a candidate mask with a reference mask on one grid: each mask's box is found in one pass, then all work
 * happens on their union box padded by one voxel. A grid whose third dimension is 1 is 2D.
 */
export function compareMasks(ref: MaskRef, cand: MaskRef, geometry: Geometry, opts: CompareOptions): LabelMetrics {
  return compareRuns(maskRuns(ref, geometry.shape), maskRuns(cand, geometry.shape), geometry, opts);
}

/** `compareMasks` of two masks already read as runs (`maskRuns`, or runs gathered while decoding). */
export function compareRuns(runsA: MaskRuns, runsB: MaskRuns, geometry: Geometry, opts: CompareOptions): LabelMetrics {
  const shape = geometry.shape;
  const spacing: Vec3 = [geometry.spacing[0], geometry.spacing[1], geometry.spacing[2]];
  const flat = is2D(geometry);
  const surface = opts.surface ?? 'voxel';
  const overlapOnly = opts.overlapOnly === true;
  const tolerances = opts.tolerances;
  const boxA = runsA.box, boxB = runsB.box;
  const box = unionBox(boxA, boxB);
  if (box === null) return emptyResult(true, tolerances, overlapOnly, 0, 0, 0, 0);
  const crop = cropRuns(runsA, runsB, shape, box, 1);
  const vv = voxelVolume(geometry);
  const conn = flat ? 8 : 26;
  const ccA = crop.countA === 0 ? 0 : componentsOfRuns(crop.a.rowStart, crop.a.start, crop.a.end, crop.dims[1], crop.dims[2], conn).count;
  const ccB = crop.countB === 0 ? 0 : componentsOfRuns(crop.b.rowStart, crop.b.start, crop.b.end, crop.dims[1], crop.dims[2], conn).count;
  const volA = crop.countA * vv, volB = crop.countB * vv;
  if (boxA === null || boxB === null) return emptyResult(false, tolerances, overlapOnly, volA, volB, ccA, ccB);
  const base = {
    dice: diceOf(crop.countA, crop.countB, crop.countAB),
    iou: iouOf(crop.countA, crop.countB, crop.countAB),
    volume_reference_mm3: volA,
    volume_candidate_mm3: volB,
    components_reference: ccA,
    components_candidate: ccB,
  };
  if (overlapOnly) return { ...base, hd: null, hd95: null, assd: null, nsd: {} };

  let sA: SurfacePoints, sB: SurfacePoints;
  const table = surface !== 'surfel' ? null : flat ? contourLengthTable2D(spacing) : surfelAreaTable3D(spacing);
  if (table !== null) {
    sA = surfelSurface(crop.a, crop.dims, table);
    sB = surfelSurface(crop.b, crop.dims, table);
  } else {
    sA = voxelSurface(crop.a, crop.dims);
    sB = voxelSurface(crop.b, crop.dims);
  }
  const ab = directed(sA, sB, spacing);
  const ba = directed(sB, sA, spacing);
  const nsd: Record<string, number> = {};
  let hd = 0;
  for (const x of [ab.dist, ba.dist]) for (let i = 0; i < x.length; i++) if (x[i] > hd) hd = x[i];

  if (surface === 'voxel') {
    const sa = sortedCopy(ab.dist), sb = sortedCopy(ba.dist);
    const hd95 = Math.max(percentileSorted(sa, 0.95), percentileSorted(sb, 0.95));
    let sum = 0;
    for (const x of [ab.dist, ba.dist]) for (let i = 0; i < x.length; i++) sum += x[i];
    const n = sa.length + sb.length;
    for (const t of tolerances) {
      let c = 0;
      for (const x of [sa, sb]) {
        // Count of sorted distances <= t.
        let lo = 0, hi = x.length;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (x[mid] <= t) lo = mid + 1;
          else hi = mid;
        }
        c += lo;
      }
      nsd[String(t)] = c / n;
    }
    return { ...base, hd, hd95, assd: sum / n, nsd };
  }

  const A = sortWithWeights(ab.dist, ab.weight!, sA.code!, table!), B = sortWithWeights(ba.dist, ba.weight!, sB.code!, table!);
  const totA = pairwiseSum(A.w), totB = pairwiseSum(B.w);
  const robust = (p: number) => Math.max(weightedPercentile(A.d, A.w, totA, p), weightedPercentile(B.d, B.w, totB, p));
  const meanOf = (s: { d: Float64Array; w: Float64Array }, tot: number) => {
    const prod = new Float64Array(s.d.length);
    for (let i = 0; i < prod.length; i++) prod[i] = s.d[i] * s.w[i];
    return pairwiseSum(prod) / tot;
  };
  const prefix = (s: Float64Array, t: number) => {
    let lo = 0, hi = s.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (s[mid] <= t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  for (const t of tolerances) {
    const oa = pairwiseSum(A.w, 0, prefix(A.d, t)), ob = pairwiseSum(B.w, 0, prefix(B.d, t));
    nsd[String(t)] = (oa + ob) / (totA + totB);
  }
  return { ...base, hd: robust(1), hd95: robust(0.95), assd: (meanOf(A, totA) + meanOf(B, totB)) / 2, nsd };
}
