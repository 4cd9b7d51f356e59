/** Small gzipped NIfTI label maps made of boxes, for tests that build dataset repositories. */
import { encodeNifti } from '../shared/formats/nifti-write.js';
import { axisGeometry } from '../shared/model.js';

/** A 12×12×6 grid of 1×1×2 mm voxels: one voxel is 2 mm³. */
export const boxGrid = axisGeometry([12, 12, 6], [1, 1, 2]);

/** A .nii.gz label map on boxGrid holding boxes [i0, i1) × [j0, j1) × [k0, k1) of value 1. */
export function boxMask(boxes: Array<[number, number, number, number, number, number]>): Uint8Array {
  const [nx, ny, nz] = boxGrid.shape;
  const data = new Uint8Array(nx * ny * nz);
  for (const [i0, i1, j0, j1, k0, k1] of boxes) for (let k = k0; k < k1; k++) for (let j = j0; j < j1; j++) for (let i = i0; i < i1; i++) data[i + nx * (j + ny * k)] = 1;
  return encodeNifti({ geometry: boxGrid, data }, { gzip: true });
}
