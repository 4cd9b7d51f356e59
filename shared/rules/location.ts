/** Where a finding is: a box of voxels on a grid as structured data (slices and their plane, centre in voxels and mm). */
import type { Geometry, Vec3 } from '../model.js';
import { is2D } from '../model.js';
import type { Box } from '../metrics/bbox.js';
import type { FindingLocation, SliceAxis } from './types.js';

const AXES: SliceAxis[] = ['sagittal', 'coronal', 'axial'];

/** The plane of a grid's slices: the patient axis (L, P or S) its k direction is closest to. */
export function sliceAxis(g: Geometry): SliceAxis {
  const n = g.direction[2].map(Math.abs);
  return AXES[n[0] >= n[1] && n[0] >= n[2] ? 0 : n[1] >= n[2] ? 1 : 2];
}

/** The patient LPS position (mm) of a point in voxel indices, fractional ones included; uneven slices are interpolated. */
export function voxelToPatient(g: Geometry, [i, j, k]: Vec3): Vec3 {
  const [d0, d1, d2] = g.direction;
  const [s0, s1, s2] = g.spacing;
  let along = k * s2;
  const p = g.unevenSlicePositions;
  if (p && p.length === g.shape[2] && p.length > 1) {
    const k0 = Math.max(0, Math.min(p.length - 2, Math.floor(k)));
    along = p[k0] + (k - k0) * (p[k0 + 1] - p[k0]) - p[0];
  }
  return [0, 1, 2].map((a) => g.origin[a] + i * s0 * d0[a] + j * s1 * d1[a] + along * d2[a]) as Vec3;
}

const mm = (x: number) => Math.round(x * 1000) / 1000 + 0;

/** Who and what a location is about, besides its box. */
export interface LocationExtras {
  file?: string;
  labels?: string[];
  component?: number;
}

/** The location of a box of voxels: its middle slice, and in 3D the slices and their plane; its centre in voxels and mm. */
export function boxLocation(bbox: Box, g: Geometry, extras: LocationExtras = {}): FindingLocation {
  const center: Vec3 = [(bbox[0] + bbox[3]) / 2, (bbox[1] + bbox[4]) / 2, (bbox[2] + bbox[5]) / 2];
  return {
    ...(extras.file ? { file: extras.file } : {}),
    slice: Math.round(center[2]),
    bbox: [...bbox] as Box,
    ...(is2D(g) ? {} : { axis: sliceAxis(g), slices: [bbox[2], bbox[5]] as [number, number] }),
    center,
    ...(g.spacingKnown ? { center_mm: voxelToPatient(g, center).map(mm) as Vec3 } : {}),
    ...(extras.component !== undefined ? { component: extras.component } : {}),
    ...(extras.labels ? { labels: [...extras.labels] } : {}),
  };
}
