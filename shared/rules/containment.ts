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
import { squaredDistancesToPoints } from '../metrics/distance.js';
import { cropAround, cropMask, fillHoles, type Crop } from './envelope.js';
import { sizeOf, sizeUnits } from '../metrics/size.js';
import type { FindingDraft } from './findings.js';
import { boxLocation } from './location.js';
import { changedSince, isTracked, type MaskEdits } from './mask-edits.js';

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
   * Squared distances (mm²) of voxels outside the envelope already measured, by image index, under `distSpacing`:
   * a live check after a new stroke measures only the new stroke's voxels.
   */
  dist: Map<number, number>;
  distSpacing: string;
}

/** Distances kept per envelope at most; past this the memo starts again (a Map entry costs tens of bytes). */
const MAX_KEPT_DISTANCES = 500_000;

function envelopeOf(outer: MaskRef, shape: Vec3, ob: Box): Envelope {
  const crop = cropAround(ob, [1, 1, 1], shape);
  const env = cropMask(outer, shape, crop);
  fillHoles(env, crop.size);
  return { crop, env, boundary: null, dist: new Map(), distSpacing: '' };
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

/** Squared distances (mm²) of the voxels `at` (image indices, outside the envelope, within `ib`) to the envelope. */
function distancesOutside(e: Envelope, at: Int32Array, shape: Vec3, ib: Box, spacing: Vec3): Float64Array {
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

/** Per row of a 2D image, the inner voxels outside the envelope beyond the tolerance: how many, their span, the farthest (mm²). */
interface OutsideRows {
  data: object;
  count: Int32Array;
  lo: Int32Array;
  hi: Int32Array;
  far: Float64Array;
}

/** Fills rows j0..j1 of `rows` for the inner mask (whose voxels lie in `ib`) of a 2D image. */
function fillOutsideRows(rows: OutsideRows, e: Envelope, inner: MaskRef, shape: Vec3, ib: Box, spacing: Vec3, tol2: number, j0: number, j1: number): void {
  const [ex, ey] = e.crop.size;
  const [e0, e1] = e.crop.box;
  const { data, value } = inner;
  const at: number[] = [];
  for (let j = j0; j <= j1; j++) {
    rows.count[j] = 0;
    rows.lo[j] = shape[0];
    rows.hi[j] = -1;
    rows.far[j] = 0;
    if (j < ib[1] || j > ib[4]) continue;
    const ej = j - e1;
    const rowIn = ej >= 0 && ej < ey;
    const base = j * shape[0];
    const envRow = ej * ex - e0;
    for (let i = ib[0]; i <= ib[3]; i++) {
      if (data[base + i] !== value) continue;
      if (rowIn && i >= e0 && i < e0 + ex && e.env[envRow + i] === 1) continue;
      at.push(base + i);
    }
  }
  if (at.length === 0) return;
  const d2 = distancesOutside(e, Int32Array.from(at), shape, ib, spacing);
  for (let q = 0; q < at.length; q++) {
    if (d2[q] <= tol2 * (1 + 1e-9)) continue;
    const j = Math.floor(at[q] / shape[0]);
    const i = at[q] - j * shape[0];
    rows.count[j]++;
    if (i < rows.lo[j]) rows.lo[j] = i;
    if (i > rows.hi[j]) rows.hi[j] = i;
    if (d2[q] > rows.far[j]) rows.far[j] = d2[q];
  }
}

/**
 * `outsideEnvelope` of a 2D inner mask that is edited a box at a time: per-row results are kept, and after an edit
 * only the rows of its box are measured again.
 */
function outsideByRows(e: Envelope, mm: Map<string, unknown>, inner: MaskRef, shape: Vec3, ib: Box, spacing: Vec3, toleranceMm: number, edits: MaskEdits): Outside {
  const key = `rows:${inner.value}:${toleranceMm}:${spacing.join(',')}`;
  const tol2 = toleranceMm * toleranceMm;
  const h = shape[1];
  let rows = mm.get(key) as OutsideRows | undefined;
  const changed = rows ? changedSince(edits, rows.data, inner.data) : null;
  if (!rows || rows.data !== inner.data) {
    if (!rows || !changed) {
      rows = { data: inner.data, count: new Int32Array(h), lo: new Int32Array(h), hi: new Int32Array(h), far: new Float64Array(h) };
      fillOutsideRows(rows, e, inner, shape, ib, spacing, tol2, 0, h - 1);
    } else {
      fillOutsideRows(rows, e, inner, shape, ib, spacing, tol2, Math.max(0, changed[1]), Math.min(h - 1, changed[3]));
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

/**
 * Measures how much of `inner` lies outside `outer`'s filled envelope beyond the tolerance. The envelope is built
 * once per container (and kept in `memo` across calls while the container's data is the same), so a live check in
 * the editor pays only for the inner label's box and the distances of its outside voxels; with `edits`, a 2D inner
 * mask edited a box at a time pays only for the rows of the box.
 */
export function outsideEnvelope(inner: MaskRef, outer: MaskRef | null, geometry: Geometry, toleranceMm: number, innerBox?: Box | null, memo?: WeakMap<object, Map<string, unknown>>, edits?: MaskEdits): Outside {
  let mm = outer && memo ? memo.get(outer.data) : undefined;
  if (outer && memo && !mm) memo.set(outer.data, (mm = new Map()));
  const shape = geometry.shape;
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
  for (let k = ib[2]; k <= ib[5]; k++) {
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
