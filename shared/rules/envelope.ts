/** A container's filled envelope on a crop: the container plus its enclosed holes, in 3D and on each slice. */
import type { Vec3 } from '../model.js';
import type { Box, MaskRef } from '../metrics/bbox.js';

/** A voxel box of the image and its size. */
export interface Crop {
  box: Box;
  size: Vec3;
}

/** `box` grown by `margin` voxels per axis, clipped to the image. */
export function cropAround(box: Box, margin: Vec3, shape: Vec3): Crop {
  const b: Box = [
    Math.max(0, box[0] - margin[0]),
    Math.max(0, box[1] - margin[1]),
    Math.max(0, box[2] - margin[2]),
    Math.min(shape[0] - 1, box[3] + margin[0]),
    Math.min(shape[1] - 1, box[4] + margin[1]),
    Math.min(shape[2] - 1, box[5] + margin[2]),
  ];
  return { box: b, size: [b[3] - b[0] + 1, b[4] - b[1] + 1, b[5] - b[2] + 1] };
}

/** The mask's voxels inside the crop, as 0/1 in crop order. */
export function cropMask(mask: MaskRef, shape: Vec3, crop: Crop): Uint8Array {
  const [cx, cy, cz] = crop.size;
  const out = new Uint8Array(cx * cy * cz);
  const { data, value } = mask;
  let t = 0;
  for (let k = 0; k < cz; k++) {
    for (let j = 0; j < cy; j++) {
      const base = ((k + crop.box[2]) * shape[1] + (j + crop.box[1])) * shape[0] + crop.box[0];
      for (let i = 0; i < cx; i++, t++) if (data[base + i] === value) out[t] = 1;
    }
  }
  return out;
}

const OUTSIDE = 2;

/**
 * Fills, in place, the holes of a 0/1 crop: background not reachable from the crop's border face-to-face, first in
 * 3D, then on each k slice. Outside the crop counts as reachable background (the crop holds the whole container).
 */
export function fillHoles(mask: Uint8Array, size: Vec3): void {
  const [nx, ny, nz] = size;
  const n = nx * ny * nz;
  const queue = new Int32Array(n);
  let head = 0;
  let tail = 0;
  const seed = (x: number) => {
    if (mask[x] === 0) {
      mask[x] = OUTSIDE;
      queue[tail++] = x;
    }
  };
  const sxy = nx * ny;
  for (let k = 0; k < nz; k++) {
    const capK = nz > 1 && (k === 0 || k === nz - 1);
    for (let j = 0; j < ny; j++) {
      const row = k * sxy + j * nx;
      if (capK || j === 0 || j === ny - 1) for (let i = 0; i < nx; i++) seed(row + i);
      else {
        seed(row);
        if (nx > 1) seed(row + nx - 1);
      }
    }
  }
  // The seeds are the border voxels; everything queued after them is interior, with all six neighbours in the crop.
  const borderEnd = tail;
  while (head < borderEnd) {
    const x = queue[head++];
    const i = x % nx;
    const j = ((x - i) / nx) % ny;
    const k = (x - i - j * nx) / sxy;
    if (i > 0) seed(x - 1);
    if (i < nx - 1) seed(x + 1);
    if (j > 0) seed(x - nx);
    if (j < ny - 1) seed(x + nx);
    if (k > 0) seed(x - sxy);
    if (k < nz - 1) seed(x + sxy);
  }
  const threeD = nz > 1;
  while (head < tail) {
    const x = queue[head++];
    if (mask[x - 1] === 0) { mask[x - 1] = OUTSIDE; queue[tail++] = x - 1; }
    if (mask[x + 1] === 0) { mask[x + 1] = OUTSIDE; queue[tail++] = x + 1; }
    if (mask[x - nx] === 0) { mask[x - nx] = OUTSIDE; queue[tail++] = x - nx; }
    if (mask[x + nx] === 0) { mask[x + nx] = OUTSIDE; queue[tail++] = x + nx; }
    if (threeD) {
      if (mask[x - sxy] === 0) { mask[x - sxy] = OUTSIDE; queue[tail++] = x - sxy; }
      if (mask[x + sxy] === 0) { mask[x + sxy] = OUTSIDE; queue[tail++] = x + sxy; }
    }
  }
  if (nz === 1) {
    for (let x = 0; x < n; x++) mask[x] = mask[x] === OUTSIDE ? 0 : 1;
    return;
  }
  for (let x = 0; x < n; x++) if (mask[x] === 0) mask[x] = 1;
  {
    const seen = new Uint8Array(sxy);
    for (let k = 0; k < nz; k++) {
      const o = k * sxy;
      seen.fill(0);
      head = 0;
      tail = 0;
      const seed2 = (p: number) => {
        if (seen[p] === 0 && mask[o + p] !== 1) {
          seen[p] = 1;
          queue[tail++] = p;
        }
      };
      for (let i = 0; i < nx; i++) {
        seed2(i);
        seed2((ny - 1) * nx + i);
      }
      for (let j = 0; j < ny; j++) {
        seed2(j * nx);
        seed2(j * nx + nx - 1);
      }
      const edgeEnd = tail;
      while (head < edgeEnd) {
        const p = queue[head++];
        const i = p % nx;
        const j = (p - i) / nx;
        if (i > 0) seed2(p - 1);
        if (i < nx - 1) seed2(p + 1);
        if (j > 0) seed2(p - nx);
        if (j < ny - 1) seed2(p + nx);
      }
      while (head < tail) {
        const p = queue[head++];
        if (seen[p - 1] === 0 && mask[o + p - 1] !== 1) { seen[p - 1] = 1; queue[tail++] = p - 1; }
        if (seen[p + 1] === 0 && mask[o + p + 1] !== 1) { seen[p + 1] = 1; queue[tail++] = p + 1; }
        if (seen[p - nx] === 0 && mask[o + p - nx] !== 1) { seen[p - nx] = 1; queue[tail++] = p - nx; }
        if (seen[p + nx] === 0 && mask[o + p + nx] !== 1) { seen[p + nx] = 1; queue[tail++] = p + nx; }
      }
      for (let p = 0; p < sxy; p++) if (seen[p] === 0) mask[o + p] = 1;
    }
  }
  for (let x = 0; x < n; x++) if (mask[x] === OUTSIDE) mask[x] = 0;
}
