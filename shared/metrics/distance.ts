/**
 * Exact Euclidean distance transform with anisotropic spacing (Felzenszwalb–Huttenlocher separable passes).
 * Squared distances are sums of ((index difference)·spacing)² added in axis order i, j, k, as scipy computes them.
 */
import type { Vec3 } from '../model.js';

type Dist = Float64Array | Float32Array;

let scratchV = new Int32Array(0);
let scratchZ = new Float64Array(0);
let scratchF = new Float64Array(0);
let scratchD = new Float64Array(0);

function lineScratch(n: number): void {
  if (scratchV.length < n) {
    scratchV = new Int32Array(n);
    scratchZ = new Float64Array(n + 1);
    scratchF = new Float64Array(n);
    scratchD = new Float64Array(n);
  }
}

/** 1D lower envelope of parabolas f[p] + ((q - p)·s)² (Inf entries ignored), evaluated at every q; returns false when all are Inf. */
function envelope(f: Float64Array, n: number, s: number, d: Float64Array): boolean {
  const v = scratchV, z = scratchZ;
  let k = -1;
  for (let q = 0; q < n; q++) {
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
  lineScratch(Math.max(nx, ny, nz));
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
  const f = scratchF, d = scratchD;
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
        if (!envelope(f, ny, sy, d)) continue;
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
        if (!envelope(f, nz, sz, d)) continue;
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

/**
 * Squared distances (mm²) from the grid points `queries` (linear indices) to the nearest feature, written to `out`
 * (Infinity when there is no feature). Only the lines holding queries get the last pass.
 */
export function squaredDistancesAt(feature: Uint8Array, dims: Vec3, spacing: Vec3, queries: Int32Array, out: Dist, work?: Dist): Dist {
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
