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
import { squaredDistancesAt } from '../metrics/distance.js';
import { cropAround, cropMask, fillHoles } from './envelope.js';
import type { FindingDraft } from './findings.js';
import { bboxLocation, num, sizeUnits, voxelAmount, voxelSize, whereIs } from './findings.js';

/** Voxels of `inner` outside the filled envelope of `outer` by more than `toleranceMm`, and how far out they reach. */
export interface Outside {
  voxels: number;
  /** Largest distance (mm; pixels when the spacing is unknown) of an outside voxel to the envelope; Infinity when the container is empty. */
  farthest: number;
  bbox: Box | null;
}

/** Measures how much of `inner` lies outside `outer`'s filled envelope beyond the tolerance. */
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
  const spacing: Vec3 = geometry.spacingKnown ? geometry.spacing : [1, 1, 1];
  const margin: Vec3 = [1, 1, 1];
  const crop = cropAround(unionBox(ib, ob) as Box, margin, shape);
  const envKey = `env:${outer!.value}:${crop.box.join(',')}`;
  let env = mm?.get(envKey) as Uint8Array | undefined;
  if (!env) {
    env = cropMask(outer as MaskRef, shape, crop);
    fillHoles(env, crop.size);
    mm?.set(envKey, env);
  }
  const [cx, cy] = crop.size;
  const { data, value } = inner;
  const out: number[] = [];
  // Only the inner label's box can hold its voxels.
  for (let k = ib[2] - crop.box[2]; k <= ib[5] - crop.box[2]; k++) {
    for (let j = ib[1] - crop.box[1]; j <= ib[4] - crop.box[1]; j++) {
      const base = ((k + crop.box[2]) * shape[1] + (j + crop.box[1])) * shape[0] + crop.box[0];
      const row = (k * cy + j) * cx;
      for (let i = ib[0] - crop.box[0]; i <= ib[3] - crop.box[0]; i++) if (env[row + i] === 0 && data[base + i] === value) out.push(row + i);
    }
  }
  if (out.length === 0) return { voxels: 0, farthest: 0, bbox: null };
  const queries = Int32Array.from(out);
  const d2 = squaredDistancesAt(env, crop.size, spacing, queries, new Float64Array(queries.length));
  const tol2 = toleranceMm * toleranceMm;
  let voxels = 0;
  let farthest = 0;
  const box: Box = [Infinity, Infinity, Infinity, -1, -1, -1];
  for (let q = 0; q < queries.length; q++) {
    if (d2[q] <= tol2 * (1 + 1e-9)) continue;
    voxels++;
    if (d2[q] > farthest) farthest = d2[q];
    const x = queries[q];
    const i = (x % cx) + crop.box[0];
    const j = (Math.floor(x / cx) % cy) + crop.box[1];
    const k = Math.floor(x / (cx * cy)) + crop.box[2];
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
