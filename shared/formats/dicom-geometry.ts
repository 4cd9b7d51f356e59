/**
 * DICOM parsing (dcmjs for Part 10 parsing and naturalization only) and the slice-stack geometry that the SEG reader
 * and the image-series reader share: frames are sorted along the normal of their plane, uneven steps are reported.
 */
import * as dcmjsModule from 'dcmjs';
import type { CodedConcept, Geometry, Vec3 } from '../model.js';
import { SegqcError } from '../errors.js';

type Dcmjs = typeof dcmjsModule.default;
// The ES build has named exports and a default; a CommonJS interop layer may expose only `default`.
const dcmjs: Dcmjs = (dcmjsModule as unknown as Partial<Dcmjs>).data ? (dcmjsModule as unknown as Dcmjs) : dcmjsModule.default;

/** A naturalized DICOM data set (keyword → value, sequences as arrays of data sets). */
export type Dataset = Record<string, unknown>;

export interface ParsedDicom {
  /** File meta information (group 0002). */
  meta: Dataset;
  dataset: Dataset;
  transferSyntaxUID: string | null;
}

export const SOP_CLASS = {
  segmentation: '1.2.840.10008.5.1.4.1.1.66.4',
  labelMapSegmentation: '1.2.840.10008.5.1.4.1.1.66.7',
  wholeSlideMicroscopy: '1.2.840.10008.5.1.4.1.1.77.1.6',
} as const;

const SOP_CLASS_NAMES: Record<string, string> = {
  '1.2.840.10008.5.1.4.1.1.66.4': 'Segmentation Storage',
  '1.2.840.10008.5.1.4.1.1.66.7': 'Label Map Segmentation Storage',
  '1.2.840.10008.5.1.4.1.1.66.5': 'Surface Segmentation Storage',
  '1.2.840.10008.5.1.4.1.1.66': 'Raw Data Storage',
  '1.2.840.10008.5.1.4.1.1.481.3': 'RT Structure Set Storage',
  '1.2.840.10008.5.1.4.1.1.481.1': 'RT Image Storage',
  '1.2.840.10008.5.1.4.1.1.481.2': 'RT Dose Storage',
  '1.2.840.10008.5.1.4.1.1.2': 'CT Image Storage',
  '1.2.840.10008.5.1.4.1.1.2.1': 'Enhanced CT Image Storage',
  '1.2.840.10008.5.1.4.1.1.2.2': 'Legacy Converted Enhanced CT Image Storage',
  '1.2.840.10008.5.1.4.1.1.4': 'MR Image Storage',
  '1.2.840.10008.5.1.4.1.1.4.1': 'Enhanced MR Image Storage',
  '1.2.840.10008.5.1.4.1.1.4.4': 'Legacy Converted Enhanced MR Image Storage',
  '1.2.840.10008.5.1.4.1.1.128': 'Positron Emission Tomography Image Storage',
  '1.2.840.10008.5.1.4.1.1.130': 'Enhanced PET Image Storage',
  '1.2.840.10008.5.1.4.1.1.20': 'Nuclear Medicine Image Storage',
  '1.2.840.10008.5.1.4.1.1.1': 'Computed Radiography Image Storage',
  '1.2.840.10008.5.1.4.1.1.1.1': 'Digital X-Ray Image Storage - For Presentation',
  '1.2.840.10008.5.1.4.1.1.1.2': 'Digital Mammography X-Ray Image Storage - For Presentation',
  '1.2.840.10008.5.1.4.1.1.6.1': 'Ultrasound Image Storage',
  '1.2.840.10008.5.1.4.1.1.3.1': 'Ultrasound Multi-frame Image Storage',
  '1.2.840.10008.5.1.4.1.1.7': 'Secondary Capture Image Storage',
  '1.2.840.10008.5.1.4.1.1.77.1.6': 'VL Whole Slide Microscopy Image Storage',
  '1.2.840.10008.5.1.4.1.1.91.1': 'Microscopy Bulk Simple Annotations Storage',
  '1.2.840.10008.5.1.4.1.1.88.22': 'Enhanced SR Storage',
  '1.2.840.10008.5.1.4.1.1.88.33': 'Comprehensive SR Storage',
  '1.2.840.10008.5.1.4.1.1.88.34': 'Comprehensive 3D SR Storage',
  '1.2.840.10008.5.1.4.1.1.11.1': 'Grayscale Softcopy Presentation State Storage',
};

const TRANSFER_SYNTAX_NAMES: Record<string, string> = {
  '1.2.840.10008.1.2': 'Implicit VR Little Endian',
  '1.2.840.10008.1.2.1': 'Explicit VR Little Endian',
  '1.2.840.10008.1.2.1.99': 'Deflated Explicit VR Little Endian',
  '1.2.840.10008.1.2.2': 'Explicit VR Big Endian',
  '1.2.840.10008.1.2.5': 'RLE Lossless',
  '1.2.840.10008.1.2.4.50': 'JPEG Baseline',
  '1.2.840.10008.1.2.4.51': 'JPEG Extended',
  '1.2.840.10008.1.2.4.57': 'JPEG Lossless',
  '1.2.840.10008.1.2.4.70': 'JPEG Lossless SV1',
  '1.2.840.10008.1.2.4.80': 'JPEG-LS Lossless',
  '1.2.840.10008.1.2.4.81': 'JPEG-LS Near-Lossless',
  '1.2.840.10008.1.2.4.90': 'JPEG 2000 Lossless',
  '1.2.840.10008.1.2.4.91': 'JPEG 2000',
  '1.2.840.10008.1.2.4.201': 'HTJ2K Lossless',
  '1.2.840.10008.1.2.4.202': 'HTJ2K Lossless RPCL',
  '1.2.840.10008.1.2.4.203': 'HTJ2K',
};

/** Transfer syntaxes whose PixelData dcmjs hands over as plain little-endian bytes (deflate is undone by dcmjs). */
const NATIVE_LITTLE_ENDIAN = new Set(['1.2.840.10008.1.2', '1.2.840.10008.1.2.1', '1.2.840.10008.1.2.1.99']);

/** "CT Image Storage (1.2.840.10008.5.1.4.1.1.2)", or the bare UID when the class is not in the table. */
export function describeSopClass(uid: string | null): string {
  if (!uid) return 'no SOP class UID';
  const name = SOP_CLASS_NAMES[uid];
  return name ? `${name} (${uid})` : uid;
}

const END_OF_DATA = /past end|outside the bounds|more than currently allocated|out of range|beyond the end|exceeds/i;

/** Runs `fn` with dcmjs's loggers silenced (it logs harmless notes such as "Invalid vr type ox"), restoring them after. */
function quietly<T>(fn: () => T): T {
  const loggers = [dcmjs.log, dcmjs.log.getLogger('validation.dcmjs')];
  const levels = loggers.map((l) => l.getLevel());
  for (const l of loggers) l.setLevel('silent', false);
  try {
    return fn();
  } finally {
    loggers.forEach((l, i) => l.setLevel(levels[i], false));
  }
}

/** Parses a DICOM Part 10 file; failures become `format.unreadable` or `format.truncated` naming the file. */
export function parseDicom(bytes: Uint8Array, file: string): ParsedDicom {
  const hasMarker =
    bytes.length >= 132 && bytes[128] === 0x44 && bytes[129] === 0x49 && bytes[130] === 0x43 && bytes[131] === 0x4d;
  if (!hasMarker) {
    const detail =
      bytes.length < 132
        ? `not a DICOM file: ${bytes.length} bytes, too short for the 128-byte preamble and the "DICM" marker`
        : 'not a DICOM file: no "DICM" marker at byte 128 (files without the DICOM Part 10 preamble are not supported)';
    throw new SegqcError('format.unreadable', detail, { file });
  }
  const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer;
  // Uint8Array.prototype.slice copies even when `bytes` is a Node Buffer (whose own slice() is a view of a shared pool).
  const buffer = whole ? (bytes.buffer as ArrayBuffer) : (Uint8Array.prototype.slice.call(bytes).buffer as ArrayBuffer);
  let meta: Dataset;
  let dataset: Dataset;
  try {
    ({ meta, dataset } = quietly(() => {
      const dict = dcmjs.data.DicomMessage.readFile(buffer);
      return {
        meta: dcmjs.data.DicomMetaDictionary.naturalizeDataset(dict.meta),
        dataset: dcmjs.data.DicomMetaDictionary.naturalizeDataset(dict.dict),
      };
    }));
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    if (END_OF_DATA.test(msg)) {
      throw new SegqcError('format.truncated', `the DICOM data ends inside a data element (${bytes.length} bytes; truncated file?): ${msg}`, { file });
    }
    throw new SegqcError('format.unreadable', `the DICOM file could not be parsed: ${msg}`, { file });
  }
  return { meta, dataset, transferSyntaxUID: str(meta, 'TransferSyntaxUID') };
}

/** The PixelData bytes of an uncompressed little-endian file; anything else is `format.unsupported`. */
export function nativePixelData(parsed: ParsedDicom, file: string): Uint8Array {
  const ts = parsed.transferSyntaxUID;
  if (!ts || !NATIVE_LITTLE_ENDIAN.has(ts)) {
    const name = ts ? (TRANSFER_SYNTAX_NAMES[ts] ? `${TRANSFER_SYNTAX_NAMES[ts]} (${ts})` : ts) : 'missing';
    throw new SegqcError(
      'format.unsupported',
      `transfer syntax ${name} is not supported: only uncompressed little-endian pixel data is decoded (convert with e.g. dcmconv +te)`,
      { file },
    );
  }
  const pd = parsed.dataset.PixelData;
  if (pd == null) throw new SegqcError('format.truncated', 'the file has no PixelData: it is truncated or not a complete image', { file });
  const parts = (Array.isArray(pd) ? pd : [pd]).map(toBytes);
  if (parts.some((p) => p === null)) throw new SegqcError('format.unreadable', 'PixelData has an unexpected form', { file });
  const bufs = parts as Uint8Array[];
  if (bufs.length === 1) return bufs[0];
  const out = new Uint8Array(bufs.reduce((n, b) => n + b.length, 0));
  let o = 0;
  for (const b of bufs) {
    out.set(b, o);
    o += b.length;
  }
  return out;
}

function toBytes(v: unknown): Uint8Array | null {
  if (v instanceof ArrayBuffer) return new Uint8Array(v);
  if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  return null;
}

// ---- naturalized data set accessors ----

/** First value of an attribute as a trimmed string, or null. */
export function str(ds: Dataset | null | undefined, key: string): string | null {
  if (!ds) return null;
  let v = ds[key];
  if (Array.isArray(v)) v = v[0];
  if (typeof v === 'number') return String(v);
  if (typeof v !== 'string') return null;
  const t = v.replace(/\0/g, '').trim();
  return t === '' ? null : t;
}

/** First value of an attribute as a finite number, or null. */
export function num(ds: Dataset | null | undefined, key: string): number | null {
  if (!ds) return null;
  let v = ds[key];
  if (Array.isArray(v)) v = v[0];
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : null;
}

/** Every value of a multi-valued numeric attribute, or null when absent or not all numeric. */
export function nums(ds: Dataset | null | undefined, key: string): number[] | null {
  if (!ds) return null;
  const v = ds[key];
  if (v == null) return null;
  const arr = Array.isArray(v) ? v : typeof v === 'string' ? v.split('\\') : [v];
  const out = arr.map((x) => (typeof x === 'number' ? x : typeof x === 'string' && x.trim() !== '' ? Number(x) : NaN));
  return out.length > 0 && out.every(Number.isFinite) ? out : null;
}

/** Items of a sequence attribute ([] when absent). */
export function items(ds: Dataset | null | undefined, key: string): Dataset[] {
  const v = ds?.[key];
  if (!Array.isArray(v)) return [];
  return v.filter((x): x is Dataset => typeof x === 'object' && x !== null && !ArrayBuffer.isView(x) && !(x instanceof ArrayBuffer));
}

export const item = (ds: Dataset | null | undefined, key: string): Dataset | null => items(ds, key)[0] ?? null;

/** A code sequence item (CodeValue, LongCodeValue or URNCodeValue) as a coded concept. */
export function codedConcept(codeItem: Dataset | null): CodedConcept | undefined {
  if (!codeItem) return undefined;
  const code = str(codeItem, 'CodeValue') ?? str(codeItem, 'LongCodeValue') ?? str(codeItem, 'URNCodeValue');
  if (!code) return undefined;
  return { scheme: str(codeItem, 'CodingSchemeDesignator') ?? '', code, meaning: str(codeItem, 'CodeMeaning') ?? '' };
}

// ---- frame planes ----

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

/** The functional group macro `key` of a frame: its per-frame item, else the shared one. */
export function functionalGroup(perFrame: Dataset | undefined, shared: Dataset | null, key: string): Dataset | null {
  return item(perFrame, key) ?? item(shared, key);
}

/** Plane of each frame of a multi-frame object from its functional groups. */
export function multiFramePlanes(perFrame: Dataset[], shared: Dataset | null, frames: number): FramePlane[] {
  const out: FramePlane[] = [];
  for (let f = 0; f < frames; f++) {
    const pf = perFrame[f];
    const pos = nums(functionalGroup(pf, shared, 'PlanePositionSequence'), 'ImagePositionPatient');
    const measures = functionalGroup(pf, shared, 'PixelMeasuresSequence');
    out.push({
      position: pos && pos.length >= 3 ? [pos[0], pos[1], pos[2]] : null,
      orientation: nums(functionalGroup(pf, shared, 'PlaneOrientationSequence'), 'ImageOrientationPatient'),
      pixelSpacing: nums(measures, 'PixelSpacing'),
      spacingBetweenSlices: num(measures, 'SpacingBetweenSlices'),
      sliceThickness: num(measures, 'SliceThickness'),
    });
  }
  return out;
}

/** Plane of a single-frame image from its top-level attributes. */
export function singleFramePlane(ds: Dataset): FramePlane {
  const pos = nums(ds, 'ImagePositionPatient');
  return {
    position: pos && pos.length >= 3 ? [pos[0], pos[1], pos[2]] : null,
    orientation: nums(ds, 'ImageOrientationPatient'),
    pixelSpacing: nums(ds, 'PixelSpacing'),
    spacingBetweenSlices: num(ds, 'SpacingBetweenSlices'),
    sliceThickness: num(ds, 'SliceThickness'),
  };
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
