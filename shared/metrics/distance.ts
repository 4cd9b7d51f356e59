/**
 * Exact Euclidean distance transform with anisotropic spacing (Felzenszwalb–Huttenlocher separable passes).
 * Squared distances are sums of ((index difference)·spacing)² added in axis order i, j, k, as scipy computes them.
 */
import type { Vec3 } from '../model.js';

type Dist = Float64Array | Float32Array;

/** The buffers of one line of a transform, up to `n` long: each transform owns one, so no two calls share them. */
class LineWorkspace {
  /** The line's input (squared distances so far). */
  readonly f: Float64Array;
  /** The line's output. */
  readonly d: Float64Array;
  /** The envelope's parabolas (their q) and the boundaries between them. */
  readonly v: Int32Array;
  readonly z: Float64Array;
  constructor(n: number) {
    this.f = new Float64Array(n);
    this.d = new Float64Array(n);
    this.v = new Int32Array(n);
    this.z = new Float64Array(n + 1);
  }
}

/**
 * Lower envelope of the parabolas f[q] + ((x - q)·s)² for q in [q0, q1) (Inf entries ignored): their q in `v[0..k]`
 * and the boundaries between them in `z[0..k + 1]`; gives k, or -1 when all are Inf.
 */
export function lowerEnvelope(f: Float64Array, v: Int32Array, z: Float64Array, q0: number, q1: number, s: number): number {
  let k = -1;
  for (let q = q0; q < q1; q++) {
    const fq = f[q];
    if (fq === Infinity) continue;
    const xq = q * s;
    const hq = fq + xq * xq;
    if (k < 0) {
      k = 0;
      v[0] = q;
      z[0] = -Infinity;
      z[1] = Infinity;
      continue;
    }
    let x = 0;
    for (;;) {
      const p = v[k];
      const xp = p * s;
      x = (hq - (f[p] + xp * xp)) / (2 * (xq - xp));
      if (x <= z[k] && k > 0) k--;
      else break;
    }
    k++;
    v[k] = q;
    z[k] = x;
    z[k + 1] = Infinity;
  }
  return k;
}

/** 1D lower envelope of parabolas f[p] + ((q - p)·s)² (Inf entries ignored) of `w.f`, evaluated at every q into `w.d`; false when all are Inf. */
function envelope(w: LineWorkspace, n: number, s: number): boolean {
  const { f, d, v, z } = w;
  const k = lowerEnvelope(f, v, z, 0, n, s);
  if (k < 0) return false;
  let j = 0;
  for (let q = 0; q < n; q++) {
    const xq = q * s;
    while (z[j + 1] < xq) j++;
    const t = (q - v[j]) * s;
    d[q] = f[v[j]] + t * t;
  }
  return true;
}

/**
 * Squared distance (mm²) from every voxel of a `dims` grid to the nearest voxel with `feature[i] !== 0` (Infinity
 * when there is none). `lines` (optional, length dims[0]·dims[1]) restricts the last pass to the k-lines marked
 * non-zero: values elsewhere are then partial and must not be read.
 */
export function squaredEdt(feature: Uint8Array, dims: Vec3, spacing: Vec3, out?: Dist, lines?: Uint8Array): Dist {
  const [nx, ny, nz] = dims;
  const n = nx * ny * nz;
  const g: Dist = out ?? new Float64Array(n);
  const w = new LineWorkspace(Math.max(nx, ny, nz));
  const [sx, sy, sz] = spacing;
  // Pass along i: distance to the nearest feature in the row (two sweeps).
  const planeHas = new Uint8Array(nz);
  for (let r = 0, rows = ny * nz; r < rows; r++) {
    const b = r * nx;
    let last = -1;
    for (let i = 0; i < nx; i++) {
      if (feature[b + i] !== 0) {
        last = i;
        g[b + i] = 0;
      } else if (last < 0) g[b + i] = Infinity;
      else {
        const t = (i - last) * sx;
        g[b + i] = t * t;
      }
    }
    if (last < 0) continue;
    planeHas[(r / ny) | 0] = 1;
    let next = -1;
    for (let i = nx - 1; i >= 0; i--) {
      if (feature[b + i] !== 0) next = i;
      else if (next >= 0) {
        const t = (next - i) * sx;
        const d = t * t;
        if (d < g[b + i]) g[b + i] = d;
      }
    }
  }
  const f = w.f, d = w.d;
  // Pass along j, plane by plane.
  if (ny > 1) {
    const pbuf = new Float64Array(nx * ny);
    for (let k = 0; k < nz; k++) {
      if (planeHas[k] === 0) continue;
      const pb = k * nx * ny;
      for (let j = 0; j < ny; j++) {
        const src = pb + j * nx;
        for (let i = 0; i < nx; i++) pbuf[i * ny + j] = g[src + i];
      }
      for (let i = 0; i < nx; i++) {
        const o = i * ny;
        for (let j = 0; j < ny; j++) f[j] = pbuf[o + j];
        if (!envelope(w, ny, sy)) continue;
        for (let j = 0; j < ny; j++) pbuf[o + j] = d[j];
      }
      for (let j = 0; j < ny; j++) {
        const dst = pb + j * nx;
        for (let i = 0; i < nx; i++) g[dst + i] = pbuf[i * ny + j];
      }
    }
  }
  // Pass along k, a row of columns at a time through a transposed buffer.
  if (nz > 1) {
    let any = false;
    for (let k = 0; k < nz; k++) if (planeHas[k]) any = true;
    if (!any) return g;
    const plane = nx * ny;
    const buf = new Float64Array(nx * nz);
    for (let j = 0; j < ny; j++) {
      const rb = j * nx;
      let need = lines === undefined;
      if (!need) for (let i = 0; i < nx; i++) if (lines![rb + i] !== 0) { need = true; break; }
      if (!need) continue;
      for (let k = 0; k < nz; k++) {
        const src = k * plane + rb;
        for (let i = 0; i < nx; i++) buf[i * nz + k] = g[src + i];
      }
      for (let i = 0; i < nx; i++) {
        if (lines !== undefined && lines[rb + i] === 0) continue;
        const o = i * nz;
        for (let k = 0; k < nz; k++) f[k] = buf[o + k];
        if (!envelope(w, nz, sz)) continue;
        for (let k = 0; k < nz; k++) buf[o + k] = d[k];
      }
      for (let k = 0; k < nz; k++) {
        const dst = k * plane + rb;
        for (let i = 0; i < nx; i++) g[dst + i] = buf[i * nz + k];
      }
    }
  }
  return g;
}

/** The transform's squared distances at `queries`; only the lines holding queries get the last pass. */
function transformAt(feature: Uint8Array, dims: Vec3, spacing: Vec3, queries: Int32Array, out: Dist, work?: Dist): Dist {
  const [nx, ny] = dims;
  let lines: Uint8Array | undefined;
  if (dims[2] > 1) {
    lines = new Uint8Array(nx * ny);
    const plane = nx * ny;
    for (let t = 0; t < queries.length; t++) lines[queries[t] % plane] = 1;
  }
  const g = squaredEdt(feature, dims, spacing, work, lines);
  for (let t = 0; t < queries.length; t++) out[t] = g[queries[t]];
  return out;
}

/**
 * Squared distances (mm²) from the grid points `queries` to the nearest of the grid points `features` (both linear
 * indices; `features` ascending), written to `out` (Infinity when there is no feature). Each query searches outward
 * from itself, plane by plane and row by row, and stops as soon as no unvisited row can hold a nearer feature; a row's
 * nearest feature is found by binary search in that row's sorted features. The values are the separable transform's,
 * summed in the same order: ((Δi·sx)² + (Δj·sy)²) + (Δk·sz)². When the surfaces lie far apart, so that the searches
 * would cost more than the whole transform (judged on a sample of queries, and checked as they run), the queries
 * go to `squaredEdt` instead (on `featureMap` when given; `buffer`, of the grid's size, is its buffer).
 */
export function squaredDistancesToPoints(features: Int32Array, dims: Vec3, spacing: Vec3, queries: Int32Array, out: Dist, featureMap?: Uint8Array, buffer?: Dist): Dist {
  const [nx, ny, nz] = dims;
  const nq = queries.length;
  const nf = features.length;
  if (nf === 0) {
    out.fill(Infinity, 0, nq);
    return out;
  }
  const [sx, sy, sz] = spacing;
  // Features by row: rowStart (rows + 1) into col (the i of each feature, ascending within a row).
  const rows = ny * nz;
  const rowStart = new Int32Array(rows + 1);
  const col = new Int32Array(nf);
  {
    let r = 0;
    for (let t = 0; t < nf; t++) {
      const f = features[t];
      const fr = (f / nx) | 0;
      while (r < fr) rowStart[++r] = t;
      col[t] = f - fr * nx;
    }
    while (r < rows) rowStart[++r] = nf;
  }
  // Squared Δk·sz and Δj·sy per step (as the transform computes them: ((index difference)·spacing)²).
  const dk2 = new Float64Array(nz), dj2 = new Float64Array(ny);
  for (let a = 0; a < nz; a++) {
    const t = a * sz;
    dk2[a] = t * t;
  }
  for (let b = 0; b < ny; b++) {
    const t = b * sy;
    dj2[b] = t * t;
  }
  let work = 0;
  const nearest = (x: number): number => {
    const r0 = (x / nx) | 0;
    const i = x - r0 * nx;
    const k = (r0 / ny) | 0;
    const j = r0 - k * ny;
    let best = Infinity;
    for (let a = 0; a < nz; a++) {
      const ck = dk2[a];
      if (ck >= best) break;
      const lo = k - a, hi = k + a;
      if (lo < 0 && hi >= nz) break;
      for (let side = 0; side < 2; side++) {
        const kk = side === 0 ? lo : hi;
        if (kk < 0 || kk >= nz || (side === 1 && a === 0)) continue;
        const pr = kk * ny;
        for (let b = 0; b < ny; b++) {
          const cj = dj2[b];
          if (cj + ck >= best) break;
          const jl = j - b, jh = j + b;
          if (jl < 0 && jh >= ny) break;
          for (let s2 = 0; s2 < 2; s2++) {
            const jj = s2 === 0 ? jl : jh;
            if (jj < 0 || jj >= ny || (s2 === 1 && b === 0)) continue;
            const row = pr + jj;
            const s = rowStart[row];
            const e = rowStart[row + 1];
            work++;
            if (s === e) continue;
            // Nearest feature column to i in col[s..e).
            let di: number;
            if (col[s] >= i) di = col[s] - i;
            else if (col[e - 1] <= i) di = i - col[e - 1];
            else {
              let lo2 = s, hi2 = e - 1; // col[lo2] < i < col[hi2]
              while (hi2 - lo2 > 1) {
                const m = (lo2 + hi2) >> 1;
                if (col[m] < i) lo2 = m;
                else hi2 = m;
              }
              const l = i - col[lo2], h = col[hi2] - i;
              di = l < h ? l : h;
              work += 2;
            }
            const ti = di * sx;
            const v = ti * ti + cj + ck;
            if (v < best) best = v;
          }
        }
      }
    }
    return best;
  };
  // A row lookup costs a small fraction of a voxel of the transform: search while that stays cheaper.
  const grid = nx * ny * nz;
  const sample = Math.min(nq, 64);
  for (let t = 0; t < sample; t++) {
    const q = Math.floor((t * nq) / sample);
    out[q] = nearest(queries[q]);
  }
  let q0 = nq;
  if (nq > sample && (work / sample) * nq <= 4 * grid) {
    const budget = 6 * grid + work;
    for (q0 = 0; q0 < nq; q0++) {
      if (work > budget) break;
      out[q0] = nearest(queries[q0]);
    }
  } else if (nq > sample) q0 = 0;
  if (q0 < nq) {
    let map = featureMap;
    if (map === undefined) {
      map = new Uint8Array(grid);
      for (let t = 0; t < nf; t++) map[features[t]] = 1;
    }
    transformAt(map, dims, spacing, queries.subarray(q0), out.subarray(q0), buffer);
  }
  return out;
}
