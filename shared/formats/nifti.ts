/**
 * NIfTI-1 (and NIfTI-2) label maps, `.nii` or `.nii.gz`. The header is read here field by field and every number
 * segqc uses is checked once (`checkHeader`) before anything is allocated. Geometry comes from the sform when its
 * code is set, else the qform, else pixdim (a warning when sform and qform disagree), converted from RAS to LPS.
 */
import type { Geometry, LabelInfo, ReadLimits, Segmentation, Vec3 } from '../model.js';
import { DEFAULT_LIMITS } from '../model.js';
import { SegqcError } from '../errors.js';
import { gunzipBounded, gunzipTo, isGzip, maxInflatedSize, type RawInflate } from './gzip.js';
import { LabelRunsBuilder } from '../metrics/label-runs.js';
import type { MaskRuns } from '../metrics/surface.js';

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

/** Largest file segqc decodes into one buffer (a typed array holds at most 4 GiB). */
const MAX_FILE_BYTES = 2 ** 32 - 2 ** 21;

/** Voxel sizes and positions segqc accepts (a nanometre to a kilometre; a thousand kilometres): beyond them a header is corrupt. */
const MIN_SPACING_MM = 1e-6;
const MAX_SPACING_MM = 1e6;
const MAX_ORIGIN_MM = 1e9;

/** Largest vox_offset accepted: data further into the file than this is not a label map segqc can hold. */
const MAX_VOX_OFFSET = 2 ** 31 - 1;

/** True when the (decompressed) bytes start with a NIfTI-1 or NIfTI-2 header, in either byte order. */
export function looksLikeNifti(b: Uint8Array): boolean {
  if (b.length < 348) return false;
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const size = v.getInt32(0, true);
  const sizeBE = v.getInt32(0, false);
  return size === 348 || sizeBE === 348 || size === 540 || sizeBE === 540;
}

type Affine = number[][];

/** The header fields segqc uses, as stored (NIfTI-1 and NIfTI-2 alike), before any check. */
interface RawHeader {
  version: 1 | 2;
  littleEndian: boolean;
  size: number;
  dims: number[];
  datatype: number;
  pixdim: number[];
  voxOffset: number;
  slope: number;
  inter: number;
  xyztUnits: number;
  qformCode: number;
  sformCode: number;
  quatern: number[];
  qoffset: number[];
  srow: Affine;
}

function rawHeader(b: Uint8Array, file: string): RawHeader {
  if (!looksLikeNifti(b)) {
    throw new SegqcError(b.length < 348 ? 'format.truncated' : 'format.unreadable', b.length < 348 ? `only ${b.length} bytes: too short for a NIfTI header` : 'not a NIfTI-1 or NIfTI-2 file (sizeof_hdr is neither 348 nor 540)', { file });
  }
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const le = v.getInt32(0, true) === 348 || v.getInt32(0, true) === 540;
  const size = v.getInt32(0, le);
  if (b.length < size) throw new SegqcError('format.truncated', `only ${b.length} bytes: too short for a NIfTI-2 header`, { file });
  const i16 = (o: number) => v.getInt16(o, le);
  const i32 = (o: number) => v.getInt32(o, le);
  const f32 = (o: number) => v.getFloat32(o, le);
  const f64 = (o: number) => v.getFloat64(o, le);
  const i64 = (o: number) => Number(v.getBigInt64(o, le));
  const range = <T>(n: number, at: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => at(i));
  if (size === 348) {
    return {
      version: 1,
      littleEndian: le,
      size,
      dims: range(8, (i) => i16(40 + i * 2)),
      datatype: i16(70),
      pixdim: range(8, (i) => f32(76 + i * 4)),
      voxOffset: f32(108),
      slope: f32(112),
      inter: f32(116),
      xyztUnits: b[123],
      qformCode: i16(252),
      sformCode: i16(254),
      quatern: range(3, (i) => f32(256 + i * 4)),
      qoffset: range(3, (i) => f32(268 + i * 4)),
      srow: range(3, (r) => range(4, (c) => f32(280 + r * 16 + c * 4))),
    };
  }
  return {
    version: 2,
    littleEndian: le,
    size,
    dims: range(8, (i) => i64(16 + i * 8)),
    datatype: i16(12),
    pixdim: range(8, (i) => f64(104 + i * 8)),
    voxOffset: i64(168),
    slope: f64(176),
    inter: f64(184),
    xyztUnits: i32(500),
    qformCode: i32(344),
    sformCode: i32(348),
    quatern: range(3, (i) => f64(352 + i * 8)),
    qoffset: range(3, (i) => f64(376 + i * 8)),
    srow: range(3, (r) => range(4, (c) => f64(400 + r * 32 + c * 8))),
  };
}

/** A header whose numbers were all checked: what the readers use. */
interface NiftiHeader {
  littleEndian: boolean;
  shape: Vec3;
  /** The voxel type, or null when it is not one segqc reads as labels (an image's geometry is still known). */
  datatype: { code: number; name: string; bytes: number } | null;
  datatypeCode: number;
  /** Where the voxels start: a whole number of bytes, at least the header's size. */
  offset: number;
  slope: number;
  inter: number;
  geometry: Geometry;
  warnings: string[];
}

const unitScale = (xyztUnits: number): number => {
  const u = xyztUnits & 7;
  return u === 1 ? 1000 : u === 3 ? 0.001 : 1;
};

const affineDiffers = (a: Affine, b: Affine): boolean => {
  for (let r = 0; r < 3; r++) for (let c = 0; c < 4; c++) if (Math.abs(a[r][c] - b[r][c]) > 1e-3 + 1e-4 * Math.abs(b[r][c])) return true;
  return false;
};

/** The qform as an affine (nifti1_io's quatern_to_mat44), after `checkHeader` made its numbers finite. */
function qformAffine(q: number[], offset: number[], pixdim: number[]): Affine {
  let [b, c, d] = q;
  let a = 1 - (b * b + c * c + d * d);
  if (a < 1e-7) {
    // A 180° rotation: (b, c, d) is normalized.
    const s = 1 / Math.sqrt(b * b + c * c + d * d);
    b *= s;
    c *= s;
    d *= s;
    a = 0;
  } else a = Math.sqrt(a);
  const xd = pixdim[1] > 0 ? pixdim[1] : 1;
  const yd = pixdim[2] > 0 ? pixdim[2] : 1;
  const zd = (pixdim[3] > 0 ? pixdim[3] : 1) * (pixdim[0] < 0 ? -1 : 1);
  return [
    [(a * a + b * b - c * c - d * d) * xd, 2 * (b * c - a * d) * yd, 2 * (b * d + a * c) * zd, offset[0]],
    [2 * (b * c + a * d) * xd, (a * a + c * c - b * b - d * d) * yd, 2 * (c * d - a * b) * zd, offset[1]],
    [2 * (b * d - a * c) * xd, 2 * (c * d + a * b) * yd, (a * a + d * d - c * c - b * b) * zd, offset[2]],
    [0, 0, 0, 1],
  ];
}

const det3 = (m: number[][]): number =>
  m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);

/**
 * The one check of a header: every number segqc uses is finite, in range and consistent, or a typed error says which
 * is not. Nothing is allocated from a header before it passed here.
 */
function checkHeader(h: RawHeader, file: string): NiftiHeader {
  const bad = (detail: string) => new SegqcError('format.unreadable', detail, { file });
  const ndim = h.dims[0];
  if (!(Number.isInteger(ndim) && ndim >= 1 && ndim <= 7)) throw bad(`dim[0] is ${ndim}; a NIfTI image has 1 to 7 dimensions`);
  for (let i = 1; i <= ndim; i++) {
    const d = h.dims[i];
    if (!(Number.isInteger(d) && d >= 1 && d <= 2 ** 31 - 1)) throw bad(`dim[${i}] is ${d}; dimensions are 1 to 2147483647`);
  }
  for (let i = 4; i <= ndim; i++) {
    if (h.dims[i] > 1) throw new SegqcError('format.unsupported', `is ${ndim}-dimensional (dim[${i}] = ${h.dims[i]}); segqc reads one 2D or 3D label map per file`, { file });
  }
  const shape: Vec3 = [h.dims[1], ndim >= 2 ? h.dims[2] : 1, ndim >= 3 ? h.dims[3] : 1];
  const vo = h.voxOffset;
  if (!(Number.isInteger(vo) && vo >= 0 && vo <= MAX_VOX_OFFSET)) throw bad(`vox_offset ${vo} is out of range (a whole number of bytes, 0 to ${MAX_VOX_OFFSET})`);
  let slope = h.slope;
  let inter = h.inter;
  // As nibabel: a slope of 0 or a non-finite one means no scaling; a real slope needs a finite intercept.
  if (slope === 0 || !Number.isFinite(slope)) {
    slope = 1;
    inter = 0;
  } else if (!Number.isFinite(inter)) throw bad(`scl_slope is ${slope} but scl_inter is ${inter}`);
  const pixdim = h.pixdim.slice();
  for (let i = 1; i <= 3; i++) {
    if (Number.isFinite(pixdim[i])) continue;
    if (i <= ndim) throw bad(`pixdim[${i}] is ${pixdim[i]}; voxel sizes must be finite`);
    pixdim[i] = 1;
  }
  if (!Number.isFinite(pixdim[0])) pixdim[0] = 1;
  let qform: Affine | null = null;
  if (h.qformCode > 0) {
    const names = ['quatern_b', 'quatern_c', 'quatern_d', 'qoffset_x', 'qoffset_y', 'qoffset_z'];
    [...h.quatern, ...h.qoffset].forEach((x, i) => {
      if (!Number.isFinite(x)) throw bad(`${names[i]} is ${x} but qform_code is ${h.qformCode}`);
    });
    const [b, c, d] = h.quatern;
    if (b * b + c * c + d * d > 1 + 1e-6) throw bad(`the qform quaternion (${b}, ${c}, ${d}) is longer than 1: not a rotation`);
    qform = qformAffine(h.quatern, h.qoffset, pixdim);
  }
  let sform: Affine | null = null;
  if (h.sformCode > 0) {
    h.srow.forEach((row, r) =>
      row.forEach((x, c) => {
        if (!Number.isFinite(x)) throw bad(`srow_${'xyz'[r]}[${c}] is ${x} but sform_code is ${h.sformCode}`);
      }),
    );
    sform = [...h.srow.map((r) => [...r]), [0, 0, 0, 1]];
  }
  const warnings: string[] = [];
  const pix = [1, 2, 3].map((i) => Math.abs(pixdim[i]) || 1);
  let affine: Affine;
  if (sform) {
    affine = sform;
    if (qform && affineDiffers(sform, qform)) warnings.push(`${file}: the qform and sform disagree (qform_code ${h.qformCode}, sform_code ${h.sformCode}); the sform is used`);
  } else if (qform) affine = qform;
  else affine = [[pix[0], 0, 0, 0], [0, pix[1], 0, 0], [0, 0, pix[2], 0], [0, 0, 0, 1]];
  const scale = unitScale(h.xyztUnits);
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
  const geometry: Geometry = {
    shape,
    spacing: spacing.map((s) => s * scale) as Vec3,
    origin: [lps[0][3] * scale, lps[1][3] * scale, lps[2][3] * scale],
    direction,
    spacingKnown: true,
  };
  const from = sform ? 'sform' : qform ? 'qform' : 'pixdim';
  if (!geometry.spacing.every((s) => s >= MIN_SPACING_MM && s <= MAX_SPACING_MM) || !geometry.origin.every((x) => Math.abs(x) <= MAX_ORIGIN_MM) || !direction.flat().every(Number.isFinite)) {
    throw bad(`the ${from} gives a geometry out of range (spacing ${geometry.spacing.join(', ')} mm, origin ${geometry.origin.join(', ')} mm; spacing must be ${MIN_SPACING_MM} to ${MAX_SPACING_MM} mm, the origin within ±${MAX_ORIGIN_MM} mm)`);
  }
  if (Math.abs(det3(direction)) < 1e-6) throw bad(`the ${from}'s axes are not independent: the voxel grid is degenerate`);
  const dt = DATATYPES[h.datatype] ?? null;
  return {
    littleEndian: h.littleEndian,
    shape,
    datatype: dt && { code: h.datatype, ...dt },
    datatypeCode: h.datatype,
    offset: Math.max(vo, h.size),
    slope,
    inter,
    geometry,
    warnings,
  };
}

const headerOf = (b: Uint8Array, file: string): NiftiHeader => checkHeader(rawHeader(b, file), file);

/** Reads only the header: the grid of an image volume (for geometry checks), without reading its voxels. */
export function readNiftiGeometry(bytes: Uint8Array, file: string): { geometry: Geometry; warnings: string[] } {
  const head = isGzip(bytes) ? gunzipBounded(bytes, file, HEADER_PREFIX, true) : bytes.subarray(0, HEADER_PREFIX);
  const h = headerOf(head, file);
  return { geometry: h.geometry, warnings: h.warnings };
}

/**
 * Reads a NIfTI label map. Voxel values must be whole, non-negative numbers (after scl_slope/scl_inter). `inflate`: the
 * host's deflate decoder for `.nii.gz`, if it has one.
 */
export function readNifti(bytes: Uint8Array, file: string, limits: ReadLimits = DEFAULT_LIMITS, inflate?: RawInflate): Segmentation {
  const { gz, h, n, dt, need, truncated } = labelPlan(bytes, file, limits);
  // The header gives the size: decompress once, straight into a buffer of that size.
  const all = gz ? gunzipBounded(bytes, file, Math.min(need + 1024 * 1024, MAX_FILE_BYTES), false, need, inflate) : bytes;
  if (all.length < need) throw truncated(String(all.length));
  const { data: out, values: sorted } = labelData(all, n, h, dt.name, file, gz);
  const labels: LabelInfo[] = sorted.map((value) => ({ value, name: null }));
  return { path: file, format: 'nifti', geometry: h.geometry, layers: [{ data: out, values: sorted }], labels, warnings: h.warnings };
}

/** What reading a label map's voxels takes, from its header; the errors of a header that cannot be read. */
function labelPlan(bytes: Uint8Array, file: string, limits: ReadLimits) {
  const gz = isGzip(bytes);
  const head = gz ? gunzipBounded(bytes, file, HEADER_PREFIX, true) : bytes;
  const h = headerOf(head, file);
  const { shape, offset } = h;
  const n = shape[0] * shape[1] * shape[2];
  if (n > limits.maxVoxels) {
    throw new SegqcError('format.too_large', `header claims ${shape.join('x')} = ${n} voxels, over the limit of ${limits.maxVoxels}`, { file });
  }
  const dt = h.datatype;
  if (!dt) throw new SegqcError('format.unsupported', `datatype ${h.datatypeCode} is not a label datatype (use uint8, int16, uint16, int32, uint32, int8, float32 or float64)`, { file });
  const need = offset + n * dt.bytes;
  if (need > MAX_FILE_BYTES) {
    throw new SegqcError('format.too_large', `header claims ${shape.join('x')} ${dt.name} voxels at offset ${offset}: ${need} bytes, over the ${MAX_FILE_BYTES}-byte limit of one file`, { file });
  }
  const truncated = (have: string) =>
    new SegqcError('format.truncated', `holds ${have} bytes, but the header's ${shape.join('x')} ${dt.name} voxels at offset ${offset} need ${need}`, { file });
  if (gz && need > maxInflatedSize(bytes.length)) throw truncated(`at most ${maxInflatedSize(bytes.length)} (decompressed)`);
  return { gz, h, n, dt, need, truncated };
}

/** A NIfTI label map read as runs: its grid, header warnings, and the runs of each value present (ascending). */
export interface NiftiRuns {
  geometry: Geometry;
  warnings: string[];
  runs: Map<number, MaskRuns>;
}

/**
 * Reads a uint8 NIfTI label map (no scaling) straight into the runs of its labels, decompressing through a small
 * window: the map is never held. Same errors as `readNifti`; null for any other datatype (read those with it).
 */
export function readNiftiRuns(bytes: Uint8Array, file: string, limits: ReadLimits = DEFAULT_LIMITS): NiftiRuns | null {
  const { gz, h, need, truncated } = labelPlan(bytes, file, limits);
  if (h.datatype?.name !== 'uint8' || h.slope !== 1 || h.inter !== 0) return null;
  const nx = h.shape[0], rows = h.shape[1] * h.shape[2];
  const runs = new LabelRunsBuilder(h.shape);
  let skip = h.offset;
  const sink = (buf: Uint8Array, from: number, to: number): number => {
    let at = from;
    if (skip > 0) {
      const s = Math.min(skip, to - at);
      skip -= s;
      at += s;
    }
    while (skip === 0 && runs.rowCount < rows && to - at >= nx) {
      runs.row(buf, at);
      at += nx;
    }
    return runs.rowCount < rows ? at - from : to - from;
  };
  const total = gz ? gunzipTo(bytes, file, Math.min(need + 1024 * 1024, MAX_FILE_BYTES), sink) : (sink(bytes, 0, bytes.length), bytes.length);
  if (total < need) throw truncated(String(total));
  return { geometry: h.geometry, warnings: h.warnings, runs: runs.result() };
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
function labelData(b: Uint8Array, n: number, h: NiftiHeader, type: string, file: string, own: boolean): { data: Uint8Array | Uint16Array | Uint32Array; values: number[] } {
  const offset = h.offset;
  const view = h.slope === 1 && h.inter === 0 ? intView(b, offset, n, type, h.littleEndian) : null;
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

function decodeVoxels(b: Uint8Array, offset: number, n: number, h: NiftiHeader, type: string, file: string): Float64Array {
  const le = h.littleEndian;
  const { slope, inter } = h;
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

/** An image volume's voxels as numbers (after scl_slope/scl_inter), one slice at a time. */
export interface NiftiImage {
  geometry: Geometry;
  /** The real values of slice k (i fastest). */
  slice(k: number): Float32Array;
}

/** Reads a NIfTI image (CT, MR, ...) for display: any datatype segqc knows, values scaled, not checked as labels. */
export function readNiftiImage(bytes: Uint8Array, file: string, limits: ReadLimits = DEFAULT_LIMITS): NiftiImage {
  const gz = isGzip(bytes);
  const h = headerOf(gz ? gunzipBounded(bytes, file, HEADER_PREFIX, true) : bytes, file);
  const { shape, offset } = h;
  const n = shape[0] * shape[1] * shape[2];
  if (n > limits.maxVoxels) throw new SegqcError('format.too_large', `header claims ${shape.join('x')} = ${n} voxels, over the limit of ${limits.maxVoxels}`, { file });
  const dt = h.datatype;
  if (!dt) throw new SegqcError('format.unsupported', `datatype ${h.datatypeCode} is not a scalar image datatype segqc decodes`, { file });
  const need = offset + n * dt.bytes;
  if (need > MAX_FILE_BYTES) throw new SegqcError('format.too_large', `${need} bytes of voxels, over the ${MAX_FILE_BYTES}-byte limit of one file`, { file });
  const all = gz ? gunzipBounded(bytes, file, Math.min(need + 1024 * 1024, MAX_FILE_BYTES), false, need) : bytes;
  if (all.length < need) throw new SegqcError('format.truncated', `holds ${all.length} bytes, but the header's ${shape.join('x')} ${dt.name} voxels at offset ${offset} need ${need}`, { file });
  const v = new DataView(all.buffer, all.byteOffset + offset, n * dt.bytes);
  const le = h.littleEndian;
  const { slope, inter } = h;
  const get: (i: number) => number =
    dt.name === 'uint8' ? (i) => v.getUint8(i)
    : dt.name === 'int8' ? (i) => v.getInt8(i)
    : dt.name === 'int16' ? (i) => v.getInt16(i * 2, le)
    : dt.name === 'uint16' ? (i) => v.getUint16(i * 2, le)
    : dt.name === 'int32' ? (i) => v.getInt32(i * 4, le)
    : dt.name === 'uint32' ? (i) => v.getUint32(i * 4, le)
    : dt.name === 'float32' ? (i) => v.getFloat32(i * 4, le)
    : (i) => v.getFloat64(i * 8, le);
  const plane = shape[0] * shape[1];
  return {
    geometry: h.geometry,
    slice: (k) => {
      const out = new Float32Array(plane);
      for (let x = 0, i = k * plane; x < plane; x++, i++) out[x] = get(i) * slope + inter;
      return out;
    },
  };
}
