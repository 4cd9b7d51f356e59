/** A NIfTI-1 writer for label maps (generated examples, benchmarks and tests): sform and qform both set, in RAS. */
import { gzipSync } from 'fflate';
import { is2D, type Geometry } from '../model.js';

/** What to write: a grid and one label map over it. */
export interface NiftiVolume {
  geometry: Geometry;
  data: Uint8Array | Uint16Array | Uint32Array | Int16Array;
}

const datatypeOf = (d: NiftiVolume['data']): [number, number] =>
  d instanceof Uint8Array ? [2, 8] : d instanceof Int16Array ? [4, 16] : d instanceof Uint16Array ? [512, 16] : [768, 32];

/** Quaternion (b, c, d) and qfac of a 3x3 rotation given as columns, after nifti1_io's mat44_to_quatern. */
function toQuaternion(cols: number[][]): { b: number; c: number; d: number; qfac: number } {
  let [r11, r21, r31] = cols[0];
  let [r12, r22, r32] = cols[1];
  let [r13, r23, r33] = cols[2];
  const det = r11 * (r22 * r33 - r32 * r23) - r12 * (r21 * r33 - r31 * r23) + r13 * (r21 * r32 - r31 * r22);
  let qfac = 1;
  if (det < 0) {
    qfac = -1;
    r13 = -r13;
    r23 = -r23;
    r33 = -r33;
  }
  let a = r11 + r22 + r33 + 1;
  let b: number, c: number, d: number;
  if (a > 0.5) {
    a = 0.5 * Math.sqrt(a);
    b = (0.25 * (r32 - r23)) / a;
    c = (0.25 * (r13 - r31)) / a;
    d = (0.25 * (r21 - r12)) / a;
  } else {
    const xd = 1 + r11 - (r22 + r33);
    const yd = 1 + r22 - (r11 + r33);
    const zd = 1 + r33 - (r11 + r22);
    if (xd > 1) {
      b = 0.5 * Math.sqrt(xd);
      c = (0.25 * (r12 + r21)) / b;
      d = (0.25 * (r13 + r31)) / b;
      a = (0.25 * (r32 - r23)) / b;
    } else if (yd > 1) {
      c = 0.5 * Math.sqrt(yd);
      b = (0.25 * (r12 + r21)) / c;
      d = (0.25 * (r23 + r32)) / c;
      a = (0.25 * (r13 - r31)) / c;
    } else {
      d = 0.5 * Math.sqrt(zd);
      b = (0.25 * (r13 + r31)) / d;
      c = (0.25 * (r23 + r32)) / d;
      a = (0.25 * (r21 - r12)) / d;
    }
    if (a < 0) {
      b = -b;
      c = -c;
      d = -d;
    }
  }
  return { b, c, d, qfac };
}

/** Encodes a label map as NIfTI-1 (`.nii`, or `.nii.gz` with `gzip`). */
export function encodeNifti(vol: NiftiVolume, opts: { gzip?: boolean } = {}): Uint8Array {
  const g = vol.geometry;
  const [dtype, bits] = datatypeOf(vol.data);
  const bytesPer = bits / 8;
  const n = g.shape[0] * g.shape[1] * g.shape[2];
  const out = new Uint8Array(352 + n * bytesPer);
  const v = new DataView(out.buffer);
  v.setInt32(0, 348, true);
  const ndim = is2D(g) ? 2 : 3;
  const dims = [ndim, g.shape[0], g.shape[1], g.shape[2], 1, 1, 1, 1];
  dims.forEach((x, i) => v.setInt16(40 + i * 2, x, true));
  v.setInt16(70, dtype, true);
  v.setInt16(72, bits, true);
  // RAS columns: LPS direction with x and y negated.
  const cols = g.direction.map((d) => [-d[0], -d[1], d[2]]);
  const q = toQuaternion(cols);
  const pix = [q.qfac, g.spacing[0], g.spacing[1], g.spacing[2], 0, 0, 0, 0];
  pix.forEach((x, i) => v.setFloat32(76 + i * 4, x, true));
  v.setFloat32(108, 352, true);
  v.setFloat32(112, 1, true);
  v.setFloat32(116, 0, true);
  out[123] = 2 | 8; // mm, seconds
  v.setInt16(252, 1, true);
  v.setInt16(254, 1, true);
  const origin = [-g.origin[0], -g.origin[1], g.origin[2]];
  [q.b, q.c, q.d, origin[0], origin[1], origin[2]].forEach((x, i) => v.setFloat32(256 + i * 4, x, true));
  for (let r = 0; r < 3; r++) {
    for (let c = 0; c < 3; c++) v.setFloat32(280 + r * 16 + c * 4, cols[c][r] * g.spacing[c], true);
    v.setFloat32(280 + r * 16 + 12, origin[r], true);
  }
  out.set([0x6e, 0x2b, 0x31, 0], 344);
  const body = new Uint8Array(vol.data.buffer, vol.data.byteOffset, n * bytesPer);
  if (bytesPer === 1) out.set(body, 352);
  else {
    const src = vol.data;
    for (let i = 0; i < n; i++) {
      if (bytesPer === 2) {
        if (src instanceof Int16Array) v.setInt16(352 + i * 2, src[i], true);
        else v.setUint16(352 + i * 2, src[i], true);
      } else v.setUint32(352 + i * 4, src[i], true);
    }
  }
  return opts.gzip ? gzipSync(out, { level: 6, mtime: 0 }) : out;
}
