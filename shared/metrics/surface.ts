/**
 * Surfaces of a pair of masks cropped to their union box, in the two conventions of SOURCES.md:
 * `voxel` (foreground voxels with a background face-neighbour) and `surfel` (DeepMind surface-distance: elements
 * on the voxel-corner grid, weighted by marching-cubes area in 3D or contour length in 2D).
 */
import type { Vec3 } from '../model.js';
import type { Box, MaskRef } from './bbox.js';

/** Two masks copied as 0/1 into one box (the union box padded by `pad` voxels; outside the image is background). */
export interface CropPair {
  dims: Vec3;
  /** Image index of crop voxel (0, 0, 0); may be negative. */
  origin: Vec3;
  a: Uint8Array;
  b: Uint8Array;
  countA: number;
  countB: number;
  countAB: number;
}

/** Copies the two masks into the padded box around `box`, counting voxels and overlap on the way. */
export function cropPair(ref: MaskRef, cand: MaskRef, shape: Vec3, box: Box, pad: number): CropPair {
  const [nx, ny] = shape;
  const flat = shape[2] === 1;
  const pz = flat ? 0 : pad;
  const ox = box[0] - pad, oy = box[1] - pad, oz = box[2] - pz;
  const dx = box[3] - box[0] + 1 + 2 * pad, dy = box[4] - box[1] + 1 + 2 * pad, dz = box[5] - box[2] + 1 + 2 * pz;
  const n = dx * dy * dz;
  const a = new Uint8Array(n), b = new Uint8Array(n);
  const ra = ref.data.length > 0 ? ref.data : null, rb = cand.data.length > 0 ? cand.data : null;
  const va = ref.value, vb = cand.value;
  let countA = 0, countB = 0, countAB = 0;
  const w = box[3] - box[0] + 1;
  for (let k = box[2]; k <= box[5]; k++) {
    for (let j = box[1]; j <= box[4]; j++) {
      const src = (k * ny + j) * nx + box[0];
      const dst = ((k - oz) * dy + (j - oy)) * dx + (box[0] - ox);
      for (let i = 0; i < w; i++) {
        const x = ra !== null && ra[src + i] === va ? 1 : 0;
        const y = rb !== null && rb[src + i] === vb ? 1 : 0;
        a[dst + i] = x;
        b[dst + i] = y;
        countA += x;
        countB += y;
        countAB += x & y;
      }
    }
  }
  return { dims: [dx, dy, dz], origin: [ox, oy, oz], a, b, countA, countB, countAB };
}

/** Surface points of one mask: a 0/1 map over the grid they live on and their linear indices, ascending. */
export interface SurfacePoints {
  dims: Vec3;
  map: Uint8Array;
  index: Int32Array;
  /** Area (mm², or length in mm in 2D) of each point; null for voxel surfaces, whose points all weigh 1. */
  weight: Float64Array | null;
}

/** Foreground voxels with a background face-neighbour (4 in 2D, 6 in 3D). The mask must not touch the crop border. */
export function voxelSurface(m: Uint8Array, dims: Vec3): SurfacePoints {
  const [nx, ny, nz] = dims;
  const plane = nx * ny;
  const map = new Uint8Array(m.length);
  let idx = new Int32Array(1024);
  let c = 0;
  const flat = nz === 1;
  for (let x = 0; x < m.length; x++) {
    if (m[x] === 0) continue;
    if (m[x - 1] === 0 || m[x + 1] === 0 || m[x - nx] === 0 || m[x + nx] === 0 || (!flat && (m[x - plane] === 0 || m[x + plane] === 0))) {
      map[x] = 1;
      if (c === idx.length) {
        const t = new Int32Array(c * 2);
        t.set(idx);
        idx = t;
      }
      idx[c++] = x;
    }
  }
  return { dims, map, index: idx.subarray(0, c), weight: null };
}

// Marching-cubes area vectors per 2x2x2 neighbourhood code, in eighths of a voxel face, absolute values (the
// sign does not enter the area): transcribed from DeepMind surface-distance `lookup_tables.py`
// (_NEIGHBOUR_CODE_TO_NORMALS, github.com/google-deepmind/surface-distance, Apache-2.0, © 2018 Google Inc.).
// Codes are separated by spaces, triangles by commas; digit d stands for d/8.
const TRIANGLES = '000 111 111 220,220 111 202,202 111,111 400,222,111 111 111,111 202,202 400,222,111 220,220 400,222,111 400,222,111 400,400 111 022,022 111,111 040,222,111 111,111 004,222,111 111,111,111 111,222,222,111 111,111 022,022,111 202,202,111 111,333,022,202 111,220,220 333,022,111,220 400,111,222,111 400,111,222 111 111,111 022,022 040,111,222 111,111 111,202,202 022,022,111 333,022,111,202 111,111 111,111,111 004,222,111 222,222,111,111 111,220,220 400,222,111,111 022,333,111,220 400,222,111 220,220 040,222,111 040,111,222 040,040 220,220,111 333,202,111,220 111,040,222,111 040,222,111 111,220,220 040,222,111,111 333,220,111,202 040,222,111 220,220,220,220 220,220,111 111,220,220 220,220 111 111,111 111,111 111,220,220 022,022 004,222,111 022,022,111 333,022,111,220 111,111 111,111,111 111,202,202 400,222,111,111 040,222,111 222,222,111,111 202,333,022,111 400,222,111 202,202 004,222,111 111,202,202 202,333,220,111 004,222,111 004,004 111,111,222,004 111,222,004 202,202,111 004,222,111,111 202,202,202,202 111,202,202 202,333,220,111 004,222,111 111,202,202 202,202 111,111 111,111,111 111,022,022 040,111,222,111 022,022,111 004,222,111,111 022,022,022,022 022,022,111 111,111,111 111,111,111,111 004,222,111,111 111,111,111 040,222,111,111 111,111,111 022,022,111 111,111 400,222,111 222,111,222,111 333,022,111,202 040,222,111 333,220,022,111 111,222,004 111,022,022 022,022 400,222,111,111 111,111,111 202,202,111 111,111 220,220,111 111,111 111,111 111 111 111,111 111,111 220,220,111 111,111 202,202,111 111,111,111 400,222,111,111 022,022 111,022,022 111,222,004 333,220,022,111 040,222,111 333,022,111,202 222,111,222,111 400,222,111 111,111 022,022,111 111,111,111 040,222,111,111 111,111,111 004,222,111,111 111,111,111,111 111,111,111 022,022,111 022,022,022,022 004,222,111,111 022,022,111 040,111,222,111 111,022,022 111,111,111 111,111 202,202 111,202,202 004,222,111 202,333,220,111 111,202,202 202,202,202,202 004,222,111,111 202,202,111 111,222,004 111,111,222,004 004,004 004,222,111 202,333,220,111 111,202,202 004,222,111 202,202 400,222,111 202,333,022,111 222,222,111,111 040,222,111 400,222,111,111 111,202,202 111,111,111 111,111 333,022,111,220 022,022,111 004,222,111 022,022 111,220,220 111,111 111,111 111 220,220 111,220,220 220,220,111 220,220,220,220 040,222,111 333,220,111,202 040,222,111,111 111,220,220 040,222,111 111,040,222,111 333,202,111,220 220,220,111 040,040 040,111,222 040,222,111 220,220 400,222,111 022,333,111,220 400,222,111,111 111,220,220 222,222,111,111 004,222,111 111,111,111 111,111 333,022,111,202 022,022,111 111,202,202 111,111 040,111,222 022,022 111,111 111 400,111,222 400,111,222,111 333,022,111,220 111,220,220 111,333,022,202 202,202,111 022,022,111 111,111 111,222,222,111 111,111,111 004,222,111 111,111 040,222,111 111,111 022,022 111 400,400 400,222,111 400,222,111 220,220 400,222,111 202,202 111,111 111 400,222,111 111,111 202,202 111 220,220 111 111 000';

let triangles: Float64Array[] | null = null;

/** Area (mm²) of the surface elements of each 3D neighbourhood code, for a spacing, as DeepMind computes it. */
export function surfelAreaTable3D(spacing: Vec3): Float64Array {
  if (triangles === null) {
    triangles = TRIANGLES.split(' ').map((code) => {
      const ts = code.split(',');
      const out = new Float64Array(ts.length * 3);
      ts.forEach((t, i) => {
        for (let a = 0; a < 3; a++) out[3 * i + a] = Number(t[a]) / 8;
      });
      return out;
    });
  }
  const [s0, s1, s2] = spacing;
  const table = new Float64Array(256);
  for (let code = 0; code < 256; code++) {
    const t = triangles[code];
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
 * between voxels c and c + 1 of the crop.
 */
export function surfelSurface(m: Uint8Array, dims: Vec3, table: Float64Array): SurfacePoints {
  const [nx, ny, nz] = dims;
  const flat = nz === 1;
  const cx = nx - 1, cy = ny - 1, cz = flat ? 1 : nz - 1;
  const cd: Vec3 = [cx, cy, cz];
  const map = new Uint8Array(cx * cy * cz);
  const rowAny = new Uint8Array(ny * nz);
  for (let r = 0; r < ny * nz; r++) {
    const b = r * nx;
    for (let i = 0; i < nx; i++) if (m[b + i] !== 0) { rowAny[r] = 1; break; }
  }
  let idx = new Int32Array(1024), wt = new Float64Array(1024);
  let c = 0;
  const push = (x: number, w: number) => {
    if (c === idx.length) {
      const t = new Int32Array(c * 2), u = new Float64Array(c * 2);
      t.set(idx);
      u.set(wt);
      idx = t;
      wt = u;
    }
    idx[c] = x;
    wt[c++] = w;
  };
  const plane = nx * ny;
  for (let k = 0; k < cz; k++) {
    for (let j = 0; j < cy; j++) {
      const out = (k * cy + j) * cx;
      if (flat) {
        if (rowAny[j] === 0 && rowAny[j + 1] === 0) continue;
        const r0 = j * nx, r1 = r0 + nx;
        let prev = 2 * m[r0] + m[r1];
        for (let i = 0; i < cx; i++) {
          const next = 2 * m[r0 + i + 1] + m[r1 + i + 1];
          const code = (prev << 2) | next;
          prev = next;
          if (code !== 0 && code !== 15) {
            map[out + i] = 1;
            push(out + i, table[code]);
          }
        }
      } else {
        const ra = k * ny + j;
        if (rowAny[ra] === 0 && rowAny[ra + 1] === 0 && rowAny[ra + ny] === 0 && rowAny[ra + ny + 1] === 0) continue;
        // Voxel (i + a, j + b, k + c) carries bit 1 << (7 - (4a + 2b + c)).
        const p00 = k * plane + j * nx, p01 = p00 + plane, p10 = p00 + nx, p11 = p10 + plane;
        let prev = 8 * m[p00] + 4 * m[p01] + 2 * m[p10] + m[p11];
        for (let i = 0; i < cx; i++) {
          const q = i + 1;
          const next = 8 * m[p00 + q] + 4 * m[p01 + q] + 2 * m[p10 + q] + m[p11 + q];
          const code = (prev << 4) | next;
          prev = next;
          if (code !== 0 && code !== 255) {
            map[out + i] = 1;
            push(out + i, table[code]);
          }
        }
      }
    }
  }
  return { dims: cd, map, index: idx.subarray(0, c), weight: wt.subarray(0, c) };
}
