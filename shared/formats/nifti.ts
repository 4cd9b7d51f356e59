/**
 * NIfTI-1 (and NIfTI-2) label maps, `.nii` or `.nii.gz`. nifti-reader-js parses the header; the voxels are read here
 * (it does not swap big-endian data). Geometry comes from the sform when its code is set, else the qform, else pixdim,
 * and is converted from NIfTI's RAS to LPS.
 */
import * as nifti from 'nifti-reader-js';
import type { Geometry, LabelInfo, ReadLimits, Segmentation, Vec3 } from '../model.js';
import { DEFAULT_LIMITS } from '../model.js';
import { SegqcError } from '../errors.js';
import { gunzipBounded, isGzip } from './gzip.js';

type Header = nifti.NIFTI1 | nifti.NIFTI2;

const DATATYPES: Record<number, { name: string; bytes: number }> = {
  2: { name: 'uint8', bytes: 1 },
  4: { name: 'int16', bytes: 2 },
  8: { name: 'int32', bytes: 4 },
  16: { name: 'float32', bytes: 4 },
  64: { name: 'float64', bytes: 8 },
  256: { name: 'int8', bytes: 1 },
  512: { name: 'uint16', bytes: 2 },
  768: { name: 'uint32', bytes: 4 },
};

const HEADER_PREFIX = 540 + 8;

const toArrayBuffer = (b: Uint8Array): ArrayBuffer => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;

/** True when the (decompressed) bytes start with a NIfTI-1 or NIfTI-2 header, in either byte order. */
export function looksLikeNifti(b: Uint8Array): boolean {
  if (b.length < 348) return false;
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const size = v.getInt32(0, true);
  const sizeBE = v.getInt32(0, false);
  return size === 348 || sizeBE === 348 || size === 540 || sizeBE === 540;
}

function parseHeader(b: Uint8Array, file: string): Header {
  if (!looksLikeNifti(b)) {
    throw new SegqcError(b.length < 348 ? 'format.truncated' : 'format.unreadable', b.length < 348 ? `only ${b.length} bytes: too short for a NIfTI header` : 'not a NIfTI-1 or NIfTI-2 file (sizeof_hdr is neither 348 nor 540)', { file });
  }
  let h: Header;
  try {
    h = nifti.readHeader(toArrayBuffer(b));
  } catch (e) {
    throw new SegqcError('format.unreadable', `NIfTI header cannot be parsed: ${(e as Error).message}`, { file });
  }
  if (!h) throw new SegqcError('format.unreadable', 'NIfTI header cannot be parsed', { file });
  return h;
}

const unitScale = (xyztUnits: number): number => {
  const u = xyztUnits & 7;
  return u === 1 ? 1000 : u === 3 ? 0.001 : 1;
};

function shapeOf(h: Header, file: string): Vec3 {
  const d = h.dims;
  const ndim = d[0];
  if (!(ndim >= 1 && ndim <= 7)) throw new SegqcError('format.unreadable', `dim[0] is ${ndim}; a NIfTI image has 1 to 7 dimensions`, { file });
  for (let i = 4; i <= ndim; i++) {
    if (d[i] > 1) throw new SegqcError('format.unsupported', `is ${ndim}-dimensional (dim[${i}] = ${d[i]}); segqc reads one 2D or 3D label map per file`, { file });
  }
  const shape: Vec3 = [d[1], ndim >= 2 ? d[2] : 1, ndim >= 3 ? d[3] : 1];
  if (shape.some((x) => !Number.isInteger(x) || x < 1)) throw new SegqcError('format.unreadable', `dimensions ${shape.join('x')} are not positive`, { file });
  return shape;
}

type Affine = number[][];

const affineDiffers = (a: Affine, b: Affine): boolean => {
  for (let r = 0; r < 3; r++) for (let c = 0; c < 4; c++) if (Math.abs(a[r][c] - b[r][c]) > 1e-3 + 1e-4 * Math.abs(b[r][c])) return true;
  return false;
};

function qformAffine(h: Header): Affine {
  const p = h.pixDims;
  const qfac = p[0] < 0 ? -1 : 1;
  return (h as nifti.NIFTI1).convertNiftiQFormToNiftiSForm(h.quatern_b, h.quatern_c, h.quatern_d, h.qoffset_x, h.qoffset_y, h.qoffset_z, p[1], p[2], p[3], qfac);
}

function geometryOf(h: Header, shape: Vec3, file: string, warnings: string[]): Geometry {
  const scale = unitScale(h.xyzt_units);
  const pix = [1, 2, 3].map((i) => Math.abs(h.pixDims[i] || 0) || 1);
  let affine: Affine | null = null;
  if (h.sform_code > 0) {
    affine = h.affine.map((r) => [...r]);
    if (h.qform_code > 0 && affineDiffers(affine, qformAffine(h))) {
      warnings.push(`${file}: the qform and sform disagree; the sform (code ${h.sform_code}) is used`);
    }
  } else if (h.qform_code > 0) {
    affine = qformAffine(h);
  }
  if (!affine || affine.slice(0, 3).some((r) => r.some((x) => !Number.isFinite(x)))) {
    affine = [
      [pix[0], 0, 0, 0],
      [0, pix[1], 0, 0],
      [0, 0, pix[2], 0],
      [0, 0, 0, 1],
    ];
  }
  // RAS → LPS: negate x and y.
  const lps = affine.map((r, i) => (i < 2 ? r.map((x) => -x) : r));
  const spacing = [0, 1, 2].map((c) => Math.hypot(lps[0][c], lps[1][c], lps[2][c])) as Vec3;
  const direction = [0, 1, 2].map((c) => {
    const s = spacing[c] || 1;
    return [lps[0][c] / s, lps[1][c] / s, lps[2][c] / s] as Vec3;
  }) as [Vec3, Vec3, Vec3];
  for (let c = 0; c < 3; c++) {
    if (spacing[c] === 0) {
      spacing[c] = pix[c];
      direction[c] = c === 0 ? [-1, 0, 0] : c === 1 ? [0, -1, 0] : [0, 0, 1];
    }
  }
  return {
    shape,
    spacing: spacing.map((s) => s * scale) as Vec3,
    origin: [lps[0][3] * scale, lps[1][3] * scale, lps[2][3] * scale],
    direction,
    spacingKnown: true,
  };
}

/** Reads only the header: the grid of an image volume (for geometry checks), without reading its voxels. */
export function readNiftiGeometry(bytes: Uint8Array, file: string): { geometry: Geometry; warnings: string[] } {
  const head = isGzip(bytes) ? gunzipBounded(bytes, file, HEADER_PREFIX, true) : bytes.subarray(0, HEADER_PREFIX);
  const h = parseHeader(head, file);
  const warnings: string[] = [];
  return { geometry: geometryOf(h, shapeOf(h, file), file, warnings), warnings };
}

/** Reads a NIfTI label map. Voxel values must be whole, non-negative numbers (after scl_slope/scl_inter). */
export function readNifti(bytes: Uint8Array, file: string, limits: ReadLimits = DEFAULT_LIMITS): Segmentation {
  const head = isGzip(bytes) ? gunzipBounded(bytes, file, HEADER_PREFIX, true) : bytes;
  const h = parseHeader(head, file);
  const shape = shapeOf(h, file);
  const n = shape[0] * shape[1] * shape[2];
  if (n > limits.maxVoxels) {
    throw new SegqcError('format.too_large', `header claims ${shape.join('x')} = ${n} voxels, over the limit of ${limits.maxVoxels}`, { file });
  }
  const dt = DATATYPES[h.datatypeCode];
  if (!dt) throw new SegqcError('format.unsupported', `datatype ${h.datatypeCode} is not a label datatype (use uint8, int16, uint16, int32, uint32, int8, float32 or float64)`, { file });
  const offset = Math.max(Math.round(h.vox_offset), h instanceof nifti.NIFTI2 ? 540 : 348);
  const need = offset + n * dt.bytes;
  const gz = isGzip(bytes);
  // The header gives the size: decompress once, straight into a buffer of that size.
  const all = gz ? gunzipBounded(bytes, file, need + 1024 * 1024, false, need) : bytes;
  if (all.length < need) {
    throw new SegqcError('format.truncated', `holds ${all.length} bytes, but the header's ${shape.join('x')} ${dt.name} voxels at offset ${offset} need ${need}`, { file });
  }
  const warnings: string[] = [];
  const geometry = geometryOf(h, shape, file, warnings);
  const { data: out, values: sorted } = labelData(all, offset, n, h, dt.name, file, gz);
  const labels: LabelInfo[] = sorted.map((value) => ({ value, name: null }));
  return { path: file, format: 'nifti', geometry, layers: [{ data: out, values: sorted }], labels, warnings };
}

const littleEndianHost = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Non-zero values flagged in `seen`, ascending. */
function flagged(seen: Uint8Array): number[] {
  const out: number[] = [];
  for (let v = 1; v < seen.length; v++) if (seen[v]) out.push(v);
  return out;
}

/** Flags every value of a uint8 array in `seen` (256 entries), skipping zero words. */
function flagBytes(src: Uint8Array, seen: Uint8Array): void {
  const n = src.length;
  let x = 0;
  if (src.byteOffset % 4 === 0) {
    const nw = n >>> 2;
    const w = new Uint32Array(src.buffer, src.byteOffset, nw);
    const n4 = nw - (nw % 4);
    for (let i = 0; i < n4; i += 4) {
      if ((w[i] | w[i + 1] | w[i + 2] | w[i + 3]) === 0) continue;
      for (let b = i << 2, e = b + 16; b < e; b++) seen[src[b]] = 1;
    }
    x = n4 << 2;
  }
  for (; x < n; x++) seen[src[x]] = 1;
}

type IntView = Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array;

/** A typed view of the voxels when they are integers in the host's byte order and aligned, else null. */
function intView(b: Uint8Array, offset: number, n: number, type: string, le: boolean): IntView | null {
  const at = b.byteOffset + offset;
  if (type === 'uint8') return b.subarray(offset, offset + n);
  if (type === 'int8') return new Int8Array(b.buffer, at, n);
  if (le !== littleEndianHost) return null;
  if (type === 'int16' || type === 'uint16') {
    if (at % 2 !== 0) return null;
    return type === 'int16' ? new Int16Array(b.buffer, at, n) : new Uint16Array(b.buffer, at, n);
  }
  if (type === 'int32' || type === 'uint32') {
    if (at % 4 !== 0) return null;
    return type === 'int32' ? new Int32Array(b.buffer, at, n) : new Uint32Array(b.buffer, at, n);
  }
  return null;
}

/**
 * The label map of the voxels (uint8 when the largest value fits, else uint16 or uint32) and its non-zero values,
 * ascending. `own`: `b` is a fresh buffer of ours, so a uint8 map may be a view of it rather than a copy.
 */
function labelData(b: Uint8Array, offset: number, n: number, h: Header, type: string, file: string, own: boolean): { data: Uint8Array | Uint16Array | Uint32Array; values: number[] } {
  const slope = h.scl_slope && Number.isFinite(h.scl_slope) ? h.scl_slope : 1;
  const inter = Number.isFinite(h.scl_inter) ? h.scl_inter : 0;
  const view = slope === 1 && inter === 0 ? intView(b, offset, n, type, h.littleEndian) : null;
  if (view instanceof Uint8Array) {
    const seen = new Uint8Array(256);
    flagBytes(view, seen);
    const data = own && view.byteOffset % 8 === 0 ? view : new Uint8Array(view);
    return { data, values: flagged(seen) };
  }
  const src: IntView | Float64Array = view ?? decodeVoxels(b, offset, n, h, type, file);
  let max = 0;
  for (let i = 0; i < n; i++) {
    const v = src[i];
    if (v > max) max = v;
    else if (v < 0) throw new SegqcError('format.unsupported', `voxel ${i} holds ${v}; label values must be 0 to 4294967295`, { file });
  }
  const out = max <= 0xff ? new Uint8Array(n) : max <= 0xffff ? new Uint16Array(n) : new Uint32Array(n);
  if (max <= 0xffff) {
    const seen = new Uint8Array(max + 1);
    for (let i = 0; i < n; i++) {
      const v = src[i];
      out[i] = v;
      seen[v] = 1;
    }
    return { data: out, values: flagged(seen) };
  }
  const values = new Set<number>();
  for (let i = 0; i < n; i++) {
    const v = src[i];
    out[i] = v;
    if (v !== 0) values.add(v);
  }
  return { data: out, values: [...values].sort((x, y) => x - y) };
}

function decodeVoxels(b: Uint8Array, offset: number, n: number, h: Header, type: string, file: string): Float64Array {
  const le = h.littleEndian;
  const slope = h.scl_slope && Number.isFinite(h.scl_slope) ? h.scl_slope : 1;
  const inter = Number.isFinite(h.scl_inter) ? h.scl_inter : 0;
  const v = new DataView(b.buffer, b.byteOffset + offset, b.byteLength - offset);
  const out = new Float64Array(n);
  const get: (i: number) => number =
    type === 'uint8' ? (i) => v.getUint8(i)
    : type === 'int8' ? (i) => v.getInt8(i)
    : type === 'int16' ? (i) => v.getInt16(i * 2, le)
    : type === 'uint16' ? (i) => v.getUint16(i * 2, le)
    : type === 'int32' ? (i) => v.getInt32(i * 4, le)
    : type === 'uint32' ? (i) => v.getUint32(i * 4, le)
    : type === 'float32' ? (i) => v.getFloat32(i * 4, le)
    : (i) => v.getFloat64(i * 8, le);
  for (let i = 0; i < n; i++) {
    let x = get(i) * slope + inter;
    const r = Math.round(x);
    if (Math.abs(x - r) > 1e-4 || !Number.isFinite(x)) {
      throw new SegqcError('format.unsupported', `voxel ${i} holds ${x}, not a whole label value: segqc reads label maps (threshold probability maps first)`, { file });
    }
    x = r;
    if (x < 0 || x > 0xffffffff) throw new SegqcError('format.unsupported', `voxel ${i} holds ${x}; label values must be 0 to 4294967295`, { file });
    out[i] = x;
  }
  return out;
}
