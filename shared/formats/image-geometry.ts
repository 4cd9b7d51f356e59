/** The grid of the image a mask belongs to (DICOM series, NIfTI volume or PNG), read from headers only. */
import type { Geometry } from '../model.js';
import { SegqcError } from '../errors.js';
import { detectFormat } from './detect.js';
import { readDicomImageGeometry } from './dicom-image.js';
import { readNiftiGeometry } from './nifti.js';
import { planarGeometry, pngSize } from './png.js';

/** Reads the geometry of an image: several files make one DICOM series; otherwise one NIfTI or PNG file. */
export function readImageGeometry(files: Array<{ bytes: Uint8Array; file: string }>, spacing: [number, number] | null = null): Geometry {
  if (files.length === 0) throw new SegqcError('usage', 'no image files given');
  const format = detectFormat(files[0].bytes, files[0].file);
  if (format === 'dicom-seg') return readDicomImageGeometry(files).geometry;
  if (files.length > 1) throw new SegqcError('format.unreadable', `${files.length} files match one image, but they are not a DICOM series`, { file: files[0].file });
  if (format === 'nifti') return readNiftiGeometry(files[0].bytes, files[0].file).geometry;
  if (format === 'png') {
    const { width, height } = pngSize(files[0].bytes, files[0].file);
    return planarGeometry(width, height, spacing);
  }
  throw new SegqcError('format.unreadable', 'not a DICOM, NIfTI or PNG image', { file: files[0].file });
}
