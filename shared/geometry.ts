/** Agreement of two voxel grids: the test masks and images (and two masks) must pass before voxels are compared. */
import type { Geometry } from './model.js';

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

/** The fields in which two grids disagree beyond the tolerance; empty when they agree. */
export function geometryDifferences(a: Geometry, b: Geometry, tol: GeometryTolerance = DEFAULT_GEOMETRY_TOLERANCE): GeometryDifference[] {
  const out: GeometryDifference[] = [];
  if (a.shape.some((v, i) => v !== b.shape[i])) out.push({ field: 'shape', a: [...a.shape], b: [...b.shape] });
  const checkSpacing = a.spacingKnown && b.spacingKnown;
  if (checkSpacing && a.spacing.some((v, i) => !close(v, b.spacing[i], tol))) {
    out.push({ field: 'spacing', a: [...a.spacing], b: [...b.spacing] });
  }
  if (a.origin.some((v, i) => !close(v, b.origin[i], tol))) out.push({ field: 'origin', a: [...a.origin], b: [...b.origin] });
  const da = a.direction.flat();
  const db = b.direction.flat();
  if (da.some((v, i) => !close(v, db[i], tol))) out.push({ field: 'direction', a: da, b: db });
  return out;
}

const fmt = (v: number[]) => `(${v.map((x) => +x.toFixed(4)).join(', ')})`;

/** "spacing (0.7, 0.7, 2.5) vs (0.7, 0.7, 3)" for each difference. */
export function describeGeometryDifferences(d: GeometryDifference[], nameA = 'a', nameB = 'b'): string {
  return d.map((x) => `${x.field} ${nameA} ${fmt(x.a)} vs ${nameB} ${fmt(x.b)}`).join('; ');
}
