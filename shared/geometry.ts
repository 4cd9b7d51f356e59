/** Agreement of two voxel grids: the test masks and images (and two masks) must pass before voxels are compared. */
import type { Geometry, Segmentation } from './model.js';

/** np.allclose-style tolerances: |a - b| <= atol + rtol·|b|. */
export interface GeometryTolerance {
  rtol: number;
  atol: number;
}

export const DEFAULT_GEOMETRY_TOLERANCE: GeometryTolerance = { rtol: 1e-5, atol: 1e-3 };

/** One way two grids disagree, with both values for the message. */
export interface GeometryDifference {
  field: 'shape' | 'spacing' | 'origin' | 'direction';
  a: number[];
  b: number[];
}

const close = (a: number, b: number, t: GeometryTolerance) => Math.abs(a - b) <= t.atol + t.rtol * Math.abs(b);

/** numpy.allclose: |a − b| ≤ atol + rtol·|b| for every element. */
export const allClose = (a: readonly number[], b: readonly number[], tol: GeometryTolerance = DEFAULT_GEOMETRY_TOLERANCE): boolean =>
  a.length === b.length && a.every((x, i) => close(x, b[i], tol));

/** The fields in which two grids disagree beyond the tolerance; empty when they agree. */
export function geometryDifferences(a: Geometry, b: Geometry, tol: GeometryTolerance = DEFAULT_GEOMETRY_TOLERANCE): GeometryDifference[] {
  const out: GeometryDifference[] = [];
  if (a.shape.some((v, i) => v !== b.shape[i])) out.push({ field: 'shape', a: [...a.shape], b: [...b.shape] });
  const checkSpacing = a.spacingKnown && b.spacingKnown;
  if (checkSpacing && !allClose(a.spacing, b.spacing, tol)) {
    out.push({ field: 'spacing', a: [...a.spacing], b: [...b.spacing] });
  }
  if (!allClose(a.origin, b.origin, tol)) out.push({ field: 'origin', a: [...a.origin], b: [...b.origin] });
  const da = a.direction.flat();
  const db = b.direction.flat();
  if (!allClose(da, db, tol)) out.push({ field: 'direction', a: da, b: db });
  return out;
}

const fmt = (v: number[]) => `(${v.map((x) => +x.toFixed(4)).join(', ')})`;

/** "spacing (0.7, 0.7, 2.5) vs (0.7, 0.7, 3)" for each difference. */
export function describeGeometryDifferences(d: GeometryDifference[], nameA = 'a', nameB = 'b'): string {
  return d.map((x) => `${x.field} ${nameA} ${fmt(x.a)} vs ${nameB} ${fmt(x.b)}`).join('; ');
}

const dot3 = (a: number[], b: number[]) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];

/** Position of each slice along the grid's normal (mm, LPS). */
export function slicePositionsOf(g: Geometry): number[] {
  if (g.unevenSlicePositions && g.unevenSlicePositions.length === g.shape[2]) return g.unevenSlicePositions;
  const p0 = dot3(g.origin, g.direction[2]);
  return Array.from({ length: g.shape[2] }, (_, k) => p0 + k * g.spacing[2]);
}

/**
 * Places a mask that covers only some slices of an image (a DICOM SEG made for part of a series is the usual case) on
 * the image's grid, empty elsewhere. Null when the grids differ in any other way (in-plane size, spacing, direction,
 * in-plane position, or a slice that is not one of the image's).
 */
export function embedOnImageSlices(seg: Segmentation, image: Geometry, tol: GeometryTolerance = DEFAULT_GEOMETRY_TOLERANCE): Segmentation | null {
  const g = seg.geometry;
  if (g.shape[0] !== image.shape[0] || g.shape[1] !== image.shape[1] || g.shape[2] > image.shape[2]) return null;
  if (g.spacingKnown && image.spacingKnown && (!close(g.spacing[0], image.spacing[0], tol) || !close(g.spacing[1], image.spacing[1], tol))) return null;
  if (!allClose(g.direction.flat(), image.direction.flat(), tol)) return null;
  const n = image.direction[2];
  const off = [g.origin[0] - image.origin[0], g.origin[1] - image.origin[1], g.origin[2] - image.origin[2]];
  const along = dot3(off, n);
  const inPlane = Math.hypot(off[0] - along * n[0], off[1] - along * n[1], off[2] - along * n[2]);
  const posTol = Math.max(tol.atol, 0.01 * Math.min(image.spacing[0], image.spacing[1]));
  if (inPlane > posTol) return null;
  const mine = slicePositionsOf(g);
  const theirs = slicePositionsOf(image);
  const sliceTol = Math.max(tol.atol, 0.01 * Math.min(...theirs.slice(1).map((t, j) => t - theirs[j]), image.spacing[2]));
  const target: number[] = [];
  for (const p of mine) {
    const j = theirs.findIndex((t) => Math.abs(t - p) <= sliceTol);
    if (j < 0 || (target.length > 0 && j <= target[target.length - 1])) return null;
    target.push(j);
  }
  const plane = g.shape[0] * g.shape[1];
  const layers = seg.layers.map((l) => {
    const data = new (l.data.constructor as Uint8ArrayConstructor)(plane * image.shape[2]);
    target.forEach((j, k) => data.set(l.data.subarray(k * plane, (k + 1) * plane), j * plane));
    return { ...l, data };
  });
  const geometry: Geometry = { ...image, shape: [...image.shape], spacing: [...image.spacing], origin: [...image.origin], direction: image.direction.map((d) => [...d]) as Geometry['direction'] };
  return { ...seg, geometry, layers };
}
