/**
 * `containment.outside`: every voxel of a label with `inside` lies within its container's filled envelope (the
 * container with its enclosed holes filled, in 3D and on each slice), allowing the tolerance in mm. In a label map a
 * tumour replaces liver voxels, so the tumour is a hole of the liver: filling holes first keeps correct tumours.
 */
import type { Geometry, Vec3 } from '../model.js';
import type { GuidelineLabel } from '../guideline/types.js';
import { insideOf } from '../guideline/types.js';
import { boundingBox, unionBox } from '../metrics/bbox.js';
import type { Box, MaskRef } from '../metrics/bbox.js';
import { squaredDistancesToPoints } from '../metrics/distance.js';
import { cropAround, cropMask, fillHoles, type Crop } from './envelope.js';
import type { FindingDraft } from './findings.js';
import { bboxLocation, num, sizeUnits, voxelAmount, voxelSize, whereIs } from './findings.js';

/** Voxels of `inner` outside the filled envelope of `outer` by more than `toleranceMm`, and how far out they reach. */
export interface Outside {
  voxels: number;
  /** Largest distance (mm; pixels when the spacing is unknown) of an outside voxel to the envelope; Infinity when the container is empty. */
  farthest: number;
  bbox: Box | null;
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
}

function envelopeOf(outer: MaskRef, shape: Vec3, ob: Box): Envelope {
  const crop = cropAround(ob, [1, 1, 1], shape);
  const env = cropMask(outer, shape, crop);
  fillHoles(env, crop.size);
  return { crop, env, boundary: null };
}

function faceVoxels(e: Envelope, shape: Vec3): Int32Array {
  const { crop, env } = e;
  const [cx, cy, cz] = crop.size;
  const [bx, by, bz] = crop.box;
  const plane = cx * cy;
  const faces: number[] = [];
  const open = (i: number, j: number, k: number, di: number, dj: number, dk: number, x: number, step: number): boolean => {
    const ii = i + di, jj = j + dj, kk = k + dk;
    if (ii >= 0 && ii < cx && jj >= 0 && jj < cy && kk >= 0 && kk < cz) return env[x + step] !== 1;
    const gi = bx + ii, gj = by + jj, gk = bz + kk;
    return gi >= 0 && gi < shape[0] && gj >= 0 && gj < shape[1] && gk >= 0 && gk < shape[2];
  };
  for (let k = 0, x = 0; k < cz; k++) {
    for (let j = 0; j < cy; j++) {
      for (let i = 0; i < cx; i++, x++) {
        if (env[x] !== 1) continue;
        if (
          open(i, j, k, -1, 0, 0, x, -1) ||
          open(i, j, k, 1, 0, 0, x, 1) ||
          open(i, j, k, 0, -1, 0, x, -cx) ||
          open(i, j, k, 0, 1, 0, x, cx) ||
          open(i, j, k, 0, 0, -1, x, -plane) ||
          open(i, j, k, 0, 0, 1, x, plane)
        ) {
          faces.push(x);
        }
      }
    }
  }
  return Int32Array.from(faces);
}

/**
 * Measures how much of `inner` lies outside `outer`'s filled envelope beyond the tolerance. The envelope is built
 * once per container (and kept in `memo` across calls while the container's data is the same), so a live check in
 * the editor pays only for the inner label's box and the distances of its outside voxels.
 */
export function outsideEnvelope(inner: MaskRef, outer: MaskRef | null, geometry: Geometry, toleranceMm: number, innerBox?: Box | null, memo?: WeakMap<object, Map<string, unknown>>): Outside {
  let mm = outer && memo ? memo.get(outer.data) : undefined;
  if (outer && memo && !mm) memo.set(outer.data, (mm = new Map()));
  const shape = geometry.shape;
  const ib = innerBox === undefined ? boundingBox(inner, shape) : innerBox;
  if (ib === null) return { voxels: 0, farthest: 0, bbox: null };
  const obKey = `bbox:${outer?.value}`;
  const ob = outer ? ((mm?.get(obKey) as Box | null | undefined) ?? boundingBox(outer, shape)) : null;
  if (outer && mm) mm.set(obKey, ob);
  if (ob === null) {
    let voxels = 0;
    const { data, value } = inner;
    for (let x = 0; x < data.length; x++) if (data[x] === value) voxels++;
    return { voxels, farthest: Infinity, bbox: ib };
  }
  const envKey = `envelope:${outer!.value}`;
  let e = mm?.get(envKey) as Envelope | undefined;
  if (!e) {
    e = envelopeOf(outer as MaskRef, shape, ob);
    mm?.set(envKey, e);
  }
  const spacing: Vec3 = geometry.spacingKnown ? geometry.spacing : [1, 1, 1];
  // Inner voxels not in the envelope, on a grid that holds both the inner box and the envelope.
  const grid = cropAround(unionBox(ib, e.crop.box) as Box, [0, 0, 0], shape);
  const [gx, gy] = grid.size;
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
      const gridRow = ((k - grid.box[2]) * gy + (j - grid.box[1])) * gx - grid.box[0];
      for (let i = ib[0]; i <= ib[3]; i++) {
        if (data[base + i] !== value) continue;
        if (rowIn && i >= e0 && i < e0 + ex && e.env[envRow + i] === 1) continue;
        out.push(gridRow + i);
      }
    }
  }
  if (out.length === 0) return { voxels: 0, farthest: 0, bbox: null };
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
  const queries = Int32Array.from(out);
  const d2 = squaredDistancesToPoints(features, grid.size, spacing, queries, new Float64Array(queries.length));
  const tol2 = toleranceMm * toleranceMm;
  let voxels = 0;
  let farthest = 0;
  const box: Box = [Infinity, Infinity, Infinity, -1, -1, -1];
  for (let q = 0; q < queries.length; q++) {
    if (d2[q] <= tol2 * (1 + 1e-9)) continue;
    voxels++;
    if (d2[q] > farthest) farthest = d2[q];
    const x = queries[q];
    const i = (x % gx) + grid.box[0];
    const j = (Math.floor(x / gx) % gy) + grid.box[1];
    const k = Math.floor(x / (gx * gy)) + grid.box[2];
    if (i < box[0]) box[0] = i;
    if (j < box[1]) box[1] = j;
    if (k < box[2]) box[2] = k;
    if (i > box[3]) box[3] = i;
    if (j > box[4]) box[4] = j;
    if (k > box[5]) box[5] = k;
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
): FindingDraft[] {
  const rule = insideOf(label);
  if (!rule) return [];
  const tolerance = geometry.spacingKnown ? rule.tolerance_mm : 0;
  const o = outsideEnvelope(inner, container, geometry, tolerance, innerBox, memo);
  if (o.voxels === 0 || o.bbox === null) return [];
  const units = sizeUnits(geometry);
  const amount = voxelAmount(o.voxels, geometry);
  const tol = rule.tolerance_mm > 0 ? (geometry.spacingKnown ? ` beyond the ${num(rule.tolerance_mm)} mm tolerance` : ' (tolerance not applied: the pixel spacing is unknown)') : '';
  const message =
    o.farthest === Infinity
      ? `${label.name} is drawn ${whereIs(o.bbox, geometry)} but ${rule.label} is not drawn at all; the guideline says ${label.name} lies inside ${rule.label}`
      : `${amount} of ${label.name} lie outside ${rule.label}${tol}, up to ${num(o.farthest)} ${geometry.spacingKnown ? 'mm' : 'pixels'} away, ${whereIs(
          o.bbox,
          geometry,
        )}; the guideline says ${label.name} lies inside ${rule.label}`;
  return [
    {
      rule: 'containment.outside',
      label: label.name,
      message,
      value: units === 'px' ? o.voxels : o.voxels * voxelSize(geometry),
      limit: rule.tolerance_mm,
      location: bboxLocation(o.bbox, file),
    },
  ];
}
