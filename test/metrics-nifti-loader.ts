/** A tiny NIfTI-1 reader for the metric tests (uint8, little-endian), independent of shared/formats. */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'fflate';
import type { Geometry, Vec3 } from '../shared/model.js';

export function loadNifti(path: string): { geometry: Geometry; data: Uint8Array } {
  let b: Uint8Array = readFileSync(path);
  if (b[0] === 0x1f && b[1] === 0x8b) b = gunzipSync(b);
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (v.getInt32(0, true) !== 348) throw new Error(`${path}: not little-endian NIfTI-1`);
  const shape: Vec3 = [v.getInt16(42, true), v.getInt16(44, true), v.getInt16(46, true)];
  if (v.getInt16(40, true) < 3) shape[2] = 1;
  if (v.getInt16(70, true) !== 2) throw new Error(`${path}: datatype ${v.getInt16(70, true)} is not uint8`);
  const spacing: Vec3 = [v.getFloat32(80, true), v.getFloat32(84, true), v.getFloat32(88, true)];
  const off = Math.round(v.getFloat32(108, true));
  const n = shape[0] * shape[1] * shape[2];
  const data = b.slice(off, off + n);
  const geometry: Geometry = { shape, spacing, origin: [0, 0, 0], direction: [[1, 0, 0], [0, 1, 0], [0, 0, 1]], spacingKnown: true };
  return { geometry, data };
}
