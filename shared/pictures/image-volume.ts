/** The image under the masks, for pictures: values slice by slice from a NIfTI volume, a DICOM series or a PNG. */
import type { Geometry, ReadLimits } from '../model.js';
import { DEFAULT_LIMITS } from '../model.js';
import { SegqcError } from '../errors.js';
import { detectFormat } from '../formats/detect.js';
import { readNiftiImage } from '../formats/nifti.js';
import { planarGeometry, readPngImage } from '../formats/png.js';
import { readDicomImageSeries } from '../formats/dicom-pixels.js';

/** An image's values on its grid. */
export interface ImageVolume {
  geometry: Geometry;
  /** DICOM Modality when the file says (CT, MR, ...), else null. */
  modality: string | null;
  /** Larger values are darker (DICOM MONOCHROME1). */
  inverted: boolean;
  /** 1: grey values; 3: RGB 0–255, interleaved. */
  channels: 1 | 3;
  slice(k: number): Float32Array;
}

/** Reads an image for display: several files make one DICOM series; otherwise one NIfTI or PNG file. */
export function readImageVolume(files: Array<{ bytes: Uint8Array; file: string }>, limits: ReadLimits = DEFAULT_LIMITS): ImageVolume {
  if (files.length === 0) throw new SegqcError('usage', 'no image files given');
  const format = detectFormat(files[0].bytes, files[0].file);
  if (format === 'dicom-seg') {
    const s = readDicomImageSeries(files, limits);
    return { geometry: s.geometry, modality: s.modality, inverted: s.inverted, channels: 1, slice: s.slice };
  }
  if (files.length > 1) throw new SegqcError('format.unreadable', `${files.length} files match one image, but they are not a DICOM series`, { file: files[0].file });
  if (format === 'nifti') {
    const n = readNiftiImage(files[0].bytes, files[0].file, limits);
    return { geometry: n.geometry, modality: null, inverted: false, channels: 1, slice: n.slice };
  }
  if (format === 'png') {
    const p = readPngImage(files[0].bytes, files[0].file, limits);
    return { geometry: planarGeometry(p.width, p.height, null), modality: null, inverted: false, channels: p.channels, slice: () => p.samples };
  }
  throw new SegqcError('format.unsupported', 'not a DICOM, NIfTI or PNG image', { file: files[0].file });
}
