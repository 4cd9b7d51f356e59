/** Per-mask statistics (size, components, box, occupied slices) computed on the mask's crop, as the pull-request diff shows them. */
import type { Geometry } from '../model.js';
import { boundingBox, voxelVolume, type Box, type MaskRef } from './bbox.js';
import { connectedComponents } from './components.js';

/** Size, components, box and occupied slices of one mask. */
export interface MaskStats {
  voxels: number;
  /** mm³, or mm² for a 2D image (spacing[0]·spacing[1]). */
  volume_mm3: number;
  components: number;
  /** Voxels per component, descending. */
  componentSizes: number[];
  bbox: Box | null;
  /** k indices holding voxels, ascending. */
  slices: number[];
}

/** Statistics of one mask: found in one pass for its box, then computed on the box only. */
export function maskStats(mask: MaskRef, geometry: Geometry): MaskStats {
  const shape = geometry.shape;
  const bbox = boundingBox(mask, shape);
  if (bbox === null) return { voxels: 0, volume_mm3: 0, components: 0, componentSizes: [], bbox: null, slices: [] };
  const [nx, ny] = shape;
  const { data, value } = mask;
  let voxels = 0;
  const slices: number[] = [];
  for (let k = bbox[2]; k <= bbox[5]; k++) {
    let c = 0;
    for (let j = bbox[1]; j <= bbox[4]; j++) {
      const rs = (k * ny + j) * nx;
      for (let x = rs + bbox[0], e = rs + bbox[3]; x <= e; x++) if (data[x] === value) c++;
    }
    if (c > 0) slices.push(k);
    voxels += c;
  }
  const cc = connectedComponents(mask, shape, { bbox });
  return { voxels, volume_mm3: voxels * voxelVolume(geometry), components: cc.count, componentSizes: cc.sizes, bbox, slices };
}
