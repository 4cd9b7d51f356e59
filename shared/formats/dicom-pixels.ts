/**
 * The pixels of a DICOM image series (single-frame files, or one multi-frame file) for display: rescaled values slice
 * by slice on the series grid. Only the image's own attributes are read (pixels, geometry, rescale, Modality), never
 * a patient attribute.
 */
import type { Geometry, ReadLimits } from '../model.js';
import { DEFAULT_LIMITS } from '../model.js';
import { SegqcError } from '../errors.js';
import { type Dataset, functionalGroup, item, items, multiFramePlanes, nativePixelData, num, parseDicom, singleFramePlane, str } from './dicom-dataset.js';
import { sliceStack } from './slice-stack.js';

/** A series' values on its grid, one slice at a time. */
export interface DicomImageSeries {
  geometry: Geometry;
  /** The Modality attribute (CT, MR, PT, ...), or null. */
  modality: string | null;
  /** MONOCHROME1: larger values are darker. */
  inverted: boolean;
  /** Rescaled values of slice k (i fastest); slices no frame lies on are NaN. */
  slice(k: number): Float32Array;
}

interface Frame {
  pixels: Uint8Array;
  /** Byte offset of the frame in `pixels`. */
  offset: number;
  slope: number;
  intercept: number;
}

const rescale = (ds: Dataset | null): { slope: number; intercept: number } | null => {
  const slope = num(ds, 'RescaleSlope');
  const intercept = num(ds, 'RescaleIntercept');
  return slope === null && intercept === null ? null : { slope: slope ?? 1, intercept: intercept ?? 0 };
};

/** Reads the pixels of a series of uncompressed grey images; colour or compressed images are `format.unsupported`. */
export function readDicomImageSeries(files: Array<{ bytes: Uint8Array; file: string }>, limits: ReadLimits = DEFAULT_LIMITS): DicomImageSeries {
  if (files.length === 0) throw new SegqcError('usage', 'no DICOM image files given');
  const parsed = files.map(({ bytes, file }) => ({ file, p: parseDicom(bytes, file) }));
  const first = parsed[0].p.dataset;
  const rows = num(first, 'Rows'), columns = num(first, 'Columns');
  if (!rows || !columns) throw new SegqcError('format.unreadable', 'is not an image: it has no Rows/Columns', { file: parsed[0].file });
  if (rows * columns * files.length > limits.maxVoxels) throw new SegqcError('format.too_large', `series of ${files.length} ${columns}x${rows} images is over the voxel limit`, { file: parsed[0].file });
  const bits = num(first, 'BitsAllocated') ?? 16;
  const signed = num(first, 'PixelRepresentation') === 1;
  if ((num(first, 'SamplesPerPixel') ?? 1) !== 1) throw new SegqcError('format.unsupported', 'colour DICOM images are not drawn', { file: parsed[0].file });
  if (bits !== 8 && bits !== 16 && bits !== 32) throw new SegqcError('format.unsupported', `BitsAllocated ${bits} is not drawn`, { file: parsed[0].file });
  const frames: Frame[] = [];
  let planes;
  const multi = parsed.length === 1 && (num(first, 'NumberOfFrames') ?? 1) > 1;
  if (multi) {
    const n = num(first, 'NumberOfFrames') ?? 1;
    const perFrame = items(first, 'PerFrameFunctionalGroupsSequence');
    const shared = item(first, 'SharedFunctionalGroupsSequence');
    planes = multiFramePlanes(perFrame, shared, n);
    const pixels = nativePixelData(parsed[0].p, parsed[0].file);
    for (let f = 0; f < n; f++) {
      const r = rescale(functionalGroup(perFrame[f], shared, 'PixelValueTransformationSequence')) ?? rescale(first) ?? { slope: 1, intercept: 0 };
      frames.push({ pixels, offset: (f * rows * columns * bits) / 8, ...r });
    }
  } else {
    planes = parsed.map(({ p }) => singleFramePlane(p.dataset));
    for (const { p, file } of parsed) {
      if (num(p.dataset, 'Rows') !== rows || num(p.dataset, 'Columns') !== columns) throw new SegqcError('geometry.mismatch', 'images of the series differ in size', { file });
      frames.push({ pixels: nativePixelData(p, file), offset: 0, ...(rescale(p.dataset) ?? { slope: 1, intercept: 0 }) });
    }
  }
  const stack = sliceStack(rows, columns, planes, multi ? 'frames' : 'images', parsed[0].file);
  const plane = rows * columns;
  const byslice = new Map<number, Frame>();
  frames.forEach((f, i) => {
    if (!byslice.has(stack.sliceOfFrame[i])) byslice.set(stack.sliceOfFrame[i], f);
  });
  return {
    geometry: stack.geometry,
    modality: str(first, 'Modality'),
    inverted: str(first, 'PhotometricInterpretation') === 'MONOCHROME1',
    slice: (k) => {
      const out = new Float32Array(plane);
      const f = byslice.get(k);
      if (!f) return out.fill(NaN);
      if (f.offset + (plane * bits) / 8 > f.pixels.length) return out.fill(NaN);
      const v = new DataView(f.pixels.buffer, f.pixels.byteOffset + f.offset, (plane * bits) / 8);
      for (let x = 0; x < plane; x++) {
        const raw =
          bits === 8 ? (signed ? v.getInt8(x) : v.getUint8(x))
          : bits === 16 ? (signed ? v.getInt16(x * 2, true) : v.getUint16(x * 2, true))
          : signed ? v.getInt32(x * 4, true) : v.getUint32(x * 4, true);
        out[x] = raw * f.slope + f.intercept;
      }
      return out;
    },
  };
}
