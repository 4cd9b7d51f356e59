/** Connected components of a mask: union-find over the runs of its rows, on the mask's bounding box only. */
import { is2D, type Vec3 } from '../model.js';
import { boundingBox, type Box, type MaskRef } from './bbox.js';

export type Connectivity = 4 | 6 | 8 | 18 | 26;

/** Result of `connectedComponents`. */
export interface Components {
  count: number;
  /** Voxels per component, descending. */
  sizes: number[];
  /** Component id (1..count, in order of first voxel) per voxel of `box`, 0 outside the mask; only when asked for. */
  labels?: Int32Array;
  /** The box `labels` covers. */
  box?: Box;
}

function find(parent: Int32Array, x: number): number {
  let r = x;
  while (parent[r] !== r) r = parent[r];
  while (parent[x] !== r) {
    const n = parent[x];
    parent[x] = r;
    x = n;
  }
  return r;
}

function union(parent: Int32Array, a: number, b: number): void {
  const ra = find(parent, a), rb = find(parent, b);
  if (ra < rb) parent[rb] = ra;
  else if (rb < ra) parent[ra] = rb;
}

/**
 * Connected components of the voxels equal to `mask.value`. Default connectivity is full: 26 in 3D, 8 when the
 * third dimension is 1. `bbox` skips the search for the mask's box when the caller knows it.
 */
export function connectedComponents(
  mask: MaskRef,
  shape: Vec3,
  opts: { connectivity?: Connectivity; bbox?: Box | null; labels?: boolean } = {},
): Components {
  const box = opts.bbox === undefined ? boundingBox(mask, shape) : opts.bbox;
  if (box === null) return { count: 0, sizes: [] };
  const { rowStart, rs, re, sizes, compOf } = componentRuns(mask, shape, box, opts.connectivity);
  const bx = box[3] - box[0] + 1, by = box[4] - box[1] + 1, bz = box[5] - box[2] + 1;
  const rows = by * bz;
  const out: Components = { count: sizes.length, sizes: [...sizes].sort((x, y) => y - x) };
  if (opts.labels) {
    const labels = new Int32Array(bx * by * bz);
    for (let r = 0; r < rows; r++) {
      for (let t = rowStart[r]; t < rowStart[r + 1]; t++) labels.fill(compOf[t], r * bx + rs[t], r * bx + re[t] + 1);
    }
    out.labels = labels;
    out.box = box;
  }
  return out;
}

/** A mask's runs on its box (row r = k·by + j of the box, runs rowStart[r] .. rowStart[r + 1] - 1, inclusive [rs, re] in box i) and the component of each. */
export interface ComponentRuns {
  rowStart: Int32Array;
  rs: Int32Array;
  re: Int32Array;
  /** Voxels per component, in order of first run. */
  sizes: number[];
  /** The component (1-based) of each run. */
  compOf: Int32Array;
}

/** The runs of the voxels equal to `mask.value` within `box` (not null), with their components (default connectivity: full). */
export function componentRuns(mask: MaskRef, shape: Vec3, box: Box, connectivity?: Connectivity): ComponentRuns {
  const conn = connectivity ?? (is2D({ shape }) ? 8 : 26);
  const [nx, ny] = shape;
  const { data, value } = mask;
  const bx = box[3] - box[0] + 1, by = box[4] - box[1] + 1, bz = box[5] - box[2] + 1;
  const rows = by * bz;
  // Runs of each row of the box, in box coordinates.
  const rowStart = new Int32Array(rows + 1);
  let cap = 1024;
  let rs = new Int32Array(cap), re = new Int32Array(cap);
  let nr = 0;
  for (let k = 0; k < bz; k++) {
    for (let j = 0; j < by; j++) {
      const r = k * by + j;
      rowStart[r] = nr;
      const base = ((k + box[2]) * ny + (j + box[1])) * nx + box[0];
      let i = 0;
      while (i < bx) {
        if (data[base + i] !== value) {
          i++;
          continue;
        }
        const s = i;
        while (i < bx && data[base + i] === value) i++;
        if (nr === cap) {
          cap *= 2;
          const a = new Int32Array(cap), b = new Int32Array(cap);
          a.set(rs);
          b.set(re);
          rs = a;
          re = b;
        }
        rs[nr] = s;
        re[nr] = i - 1;
        nr++;
      }
    }
  }
  rowStart[rows] = nr;
  const { sizes, compOf } = componentsOfRuns(rowStart, rs, re, by, bz, conn);
  return { rowStart, rs, re, sizes, compOf };
}

/**
 * Components of a mask given as runs along i, row by row over a `by`×`bz` grid of rows (row r = k·by + j; runs of
 * row r are rowStart[r] .. rowStart[r + 1] - 1, inclusive [rs, re]). Returns the count, the voxels per component (in
 * order of first run) and the component (1-based) of each run.
 */
export function componentsOfRuns(
  rowStart: Int32Array,
  rs: Int32Array,
  re: Int32Array,
  by: number,
  bz: number,
  conn: Connectivity,
): { count: number; sizes: number[]; compOf: Int32Array } {
  const nr = rowStart[by * bz];
  const parent = new Int32Array(nr);
  for (let t = 0; t < nr; t++) parent[t] = t;
  // Neighbour rows already visited: [dj, dk, diagonal allowed along i].
  const nb: [number, number, boolean][] = [];
  const full = conn === 8 || conn === 26;
  nb.push([-1, 0, full || conn === 18]);
  if (conn === 6 || conn === 18 || conn === 26) {
    nb.push([0, -1, conn !== 6]);
    if (conn !== 6) {
      nb.push([-1, -1, conn === 26]);
      nb.push([1, -1, conn === 26]);
    }
  }
  for (let k = 0; k < bz; k++) {
    for (let j = 0; j < by; j++) {
      const r = k * by + j;
      const a0 = rowStart[r], a1 = rowStart[r + 1];
      if (a0 === a1) continue;
      for (const [dj, dk, diag] of nb) {
        const jj = j + dj, kk = k + dk;
        if (jj < 0 || jj >= by || kk < 0) continue;
        const q = kk * by + jj;
        let b = rowStart[q];
        const b1 = rowStart[q + 1];
        const ext = diag ? 1 : 0;
        let a = a0;
        while (a < a1 && b < b1) {
          if (re[b] + ext < rs[a]) b++;
          else if (re[a] + ext < rs[b]) a++;
          else {
            union(parent, a, b);
            if (re[a] < re[b]) a++;
            else b++;
          }
        }
      }
    }
  }
  const compOf = new Int32Array(nr);
  const sizes: number[] = [];
  for (let t = 0; t < nr; t++) {
    const root = find(parent, t);
    if (root === t) {
      sizes.push(0);
      compOf[t] = sizes.length;
    } else compOf[t] = compOf[root];
    sizes[compOf[t] - 1] += re[t] - rs[t] + 1;
  }
  return { count: sizes.length, sizes, compOf };
}
