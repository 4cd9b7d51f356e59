/**
 * The slice-stack geometry the DICOM SEG and image-series readers share: frames are sorted along the normal of their
 * plane into a voxel grid, and uneven steps, gaps and shear are reported.
 */
import type { Geometry, Vec3 } from '../model.js';
import { SegqcError } from '../errors.js';

/** Where one frame (or one single-frame image) lies. */
export interface FramePlane {
  position: Vec3 | null;
  /** ImageOrientationPatient: row direction cosines, then column direction cosines. */
  orientation: number[] | null;
  /** PixelSpacing: [row spacing (between rows), column spacing (between columns)] mm. */
  pixelSpacing: number[] | null;
  spacingBetweenSlices: number | null;
  sliceThickness: number | null;
}

const fmt = (x: number) => String(+x.toFixed(3));
const fmtList = (xs: number[], max = 12) =>
  xs.length <= max ? xs.map(fmt).join(', ') : `${xs.slice(0, max).map(fmt).join(', ')}, … (${xs.length} in all)`;
const dot = (a: Vec3, b: Vec3) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const sub = (a: Vec3, b: Vec3): Vec3 => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
const norm = (a: Vec3) => Math.hypot(a[0], a[1], a[2]);
const cross = (a: Vec3, b: Vec3): Vec3 => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
const scale = (a: Vec3, s: number): Vec3 => [a[0] * s, a[1] * s, a[2] * s];

/** Frames closer than this along the normal are one slice (DS values carry about 6 decimals). */
const SAME_POSITION_MM = 1e-3;
/** Steps differing from the smallest step by more than this fraction of it make the stack uneven. */
const UNEVEN_RELATIVE = 1e-3;
const SAME_ORIENTATION = 1e-4;
const SAME_SPACING_RELATIVE = 1e-4;

export interface SliceStack {
  geometry: Geometry;
  /** Slice index (k) of each input frame. */
  sliceOfFrame: Int32Array;
  /** Distance of each slice along the normal (mm, LPS), ascending. */
  slicePositions: number[];
  warnings: string[];
}

/**
 * The voxel grid of frames of Rows x Columns pixels at the given planes: distinct positions sorted along the normal
 * (row cosines × column cosines); i follows the row cosines at the column spacing, j the column cosines at the row
 * spacing. `what` names the frames in messages ("SEG frames", "images").
 */
export function sliceStack(
  rows: number,
  columns: number,
  planes: FramePlane[],
  what: string,
  file: string,
  /** Appended to warnings about gaps ("the SEG may skip slices of its source series"). */
  gapNote = '',
): SliceStack {
  const warnings: string[] = [];
  const n = planes.length;
  if (n === 0) throw new SegqcError('format.unreadable', `no ${what} to place`, { file });
  const ref = planes[0];
  for (let f = 1; f < n; f++) {
    const p = planes[f];
    if (!sameNumbers(p.orientation, ref.orientation, (a, b) => Math.abs(a - b) <= SAME_ORIENTATION)) {
      throw new SegqcError(
        'format.unsupported',
        `${what} do not share one orientation (ImageOrientationPatient ${fmtVec(ref.orientation)} at #1 vs ${fmtVec(p.orientation)} at #${f + 1})`,
        { file },
      );
    }
    if (!sameNumbers(p.pixelSpacing, ref.pixelSpacing, (a, b) => Math.abs(a - b) <= SAME_SPACING_RELATIVE * Math.abs(b))) {
      throw new SegqcError(
        'format.unsupported',
        `${what} do not share one pixel spacing (PixelSpacing ${fmtVec(ref.pixelSpacing)} at #1 vs ${fmtVec(p.pixelSpacing)} at #${f + 1})`,
        { file },
      );
    }
  }
  const spacingIJ: [number, number] | null =
    ref.pixelSpacing && ref.pixelSpacing.length >= 2 && ref.pixelSpacing[0] > 0 && ref.pixelSpacing[1] > 0
      ? [ref.pixelSpacing[1], ref.pixelSpacing[0]]
      : null;
  const fallbackK = positive(ref.spacingBetweenSlices) ?? positive(ref.sliceThickness) ?? 1;

  let rowDir: Vec3 = [1, 0, 0];
  let colDir: Vec3 = [0, 1, 0];
  if (ref.orientation) {
    const o = ref.orientation;
    if (o.length < 6) throw new SegqcError('format.unreadable', `ImageOrientationPatient has ${o.length} values, not 6`, { file });
    const r: Vec3 = [o[0], o[1], o[2]];
    const c: Vec3 = [o[3], o[4], o[5]];
    const nr = norm(r);
    const nc = norm(c);
    if (Math.abs(nr - 1) > 1e-2 || Math.abs(nc - 1) > 1e-2 || Math.abs(dot(r, c)) > 1e-3) {
      throw new SegqcError('format.unreadable', `ImageOrientationPatient ${fmtVec(o)} is not two orthogonal unit vectors`, { file });
    }
    rowDir = scale(r, 1 / nr);
    colDir = scale(c, 1 / nc);
  }
  const crossRC = cross(rowDir, colDir);
  const normal = scale(crossRC, 1 / norm(crossRC));

  const withPos = planes.filter((p) => p.position).length;
  if (withPos === 0) {
    if (n > 1 || !ref.orientation) {
      warnings.push(`${what} carry no ImagePositionPatient: read as one 2D plane with its origin at (0, 0, 0)`);
    } else {
      warnings.push(`the image has no ImagePositionPatient: its origin is taken as (0, 0, 0)`);
    }
    return {
      geometry: {
        shape: [columns, rows, 1],
        spacing: [spacingIJ?.[0] ?? 1, spacingIJ?.[1] ?? 1, fallbackK],
        origin: [0, 0, 0],
        direction: [rowDir, colDir, normal],
        spacingKnown: spacingIJ !== null,
      },
      sliceOfFrame: new Int32Array(n),
      slicePositions: [0],
      warnings,
    };
  }
  if (withPos < n) {
    const missing = planes.flatMap((p, f) => (p.position ? [] : [f + 1]));
    throw new SegqcError('format.unreadable', `${what} ${fmtList(missing)} have no ImagePositionPatient while the others do`, { file });
  }
  if (!ref.orientation) {
    throw new SegqcError('format.unreadable', `${what} have ImagePositionPatient but no ImageOrientationPatient`, { file });
  }

  const depth = planes.map((p) => dot(p.position as Vec3, normal));
  const order = [...depth.keys()].sort((a, b) => depth[a] - depth[b] || a - b);
  const sliceOfFrame = new Int32Array(n);
  const slicePositions: number[] = [];
  const sliceOrigins: Vec3[] = [];
  for (const f of order) {
    const last = slicePositions.length - 1;
    if (last < 0 || depth[f] - slicePositions[last] > SAME_POSITION_MM) {
      slicePositions.push(depth[f]);
      sliceOrigins.push(planes[f].position as Vec3);
    }
    sliceOfFrame[f] = slicePositions.length - 1;
  }
  const origin = sliceOrigins[0];

  // Frames must stack straight along the normal; a sheared stack (gantry tilt) or frames shifted in-plane misplace voxels.
  const shearTol = Math.max(SAME_POSITION_MM, 1e-2 * Math.min(spacingIJ?.[0] ?? 1, spacingIJ?.[1] ?? 1));
  let maxShear = 0;
  for (let f = 0; f < n; f++) {
    const off = sub(planes[f].position as Vec3, origin);
    const inPlane = sub(off, scale(normal, dot(off, normal)));
    maxShear = Math.max(maxShear, norm(inPlane));
  }
  if (maxShear > shearTol) {
    warnings.push(
      `${what} are not stacked straight along the slice normal: positions are offset in-plane by up to ${fmt(maxShear)} mm ` +
        `(gantry tilt or shifted frames); voxels are placed as if they were not`,
    );
  }

  let spacingK = fallbackK;
  let uneven: number[] | undefined;
  if (slicePositions.length >= 2) {
    const steps = slicePositions.slice(1).map((d, i) => d - slicePositions[i]);
    const minStep = Math.min(...steps);
    spacingK = minStep;
    if (steps.some((s) => s - minStep > UNEVEN_RELATIVE * minStep)) {
      uneven = [...slicePositions];
      warnings.push(
        `${what} are unevenly spaced along the slice normal: positions ${fmtList(slicePositions)} mm ` +
          `(steps ${fmtList(steps)} mm); spacing[2] is the smallest step (${fmt(minStep)} mm) and ` +
          `geometry.unevenSlicePositions lists every position${gapNote ? `; ${gapNote}` : ''}`,
      );
    }
    const declared = positive(ref.spacingBetweenSlices);
    if (declared !== null && Math.abs(minStep - declared) > UNEVEN_RELATIVE * declared) {
      warnings.push(
        `${what} are ${fmt(minStep)} mm apart${uneven ? ' at the closest' : ''} but SpacingBetweenSlices is ${fmt(declared)} mm; ` +
          `spacing[2] follows the positions${gapNote ? `; ${gapNote}` : ''}`,
      );
    }
  }

  const geometry: Geometry = {
    shape: [columns, rows, slicePositions.length],
    spacing: [spacingIJ?.[0] ?? 1, spacingIJ?.[1] ?? 1, spacingK],
    origin: [origin[0], origin[1], origin[2]],
    direction: [rowDir, colDir, normal],
    spacingKnown: spacingIJ !== null,
  };
  if (uneven) geometry.unevenSlicePositions = uneven;
  return { geometry, sliceOfFrame, slicePositions, warnings };
}

function positive(x: number | null): number | null {
  return x !== null && x > 0 ? x : null;
}

function sameNumbers(a: number[] | null, b: number[] | null, eq: (a: number, b: number) => boolean): boolean {
  if (a === null || b === null) return a === b;
  return a.length === b.length && a.every((v, i) => eq(v, b[i]));
}

function fmtVec(v: number[] | null): string {
  return v ? `(${v.map(fmt).join(', ')})` : '(none)';
}
