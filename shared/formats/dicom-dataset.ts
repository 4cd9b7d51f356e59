/**
 * DICOM Part 10 parsing (dcmjs for parsing and naturalization only), access to the naturalized data set's
 * attributes, and the plane of each frame as its attributes give it. The SEG and image-series readers share it.
 */
import * as dcmjsModule from 'dcmjs';
import type { CodedConcept } from '../model.js';
import { SegqcError } from '../errors.js';
import type { FramePlane } from './slice-stack.js';

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
