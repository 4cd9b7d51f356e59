/** One entry point for every mask format: detect by content, then hand the bytes to the right reader. */
import type { FormatName, ReadLimits, Segmentation } from '../model.js';
import { DEFAULT_LIMITS } from '../model.js';
import { SegqcError } from '../errors.js';
import { detectFormat } from './detect.js';
import type { RawInflate } from './gzip.js';
import { readNifti } from './nifti.js';
import { readPng } from './png.js';
import { readDicomSeg } from './dicom-seg.js';
import { parseLabelStudioExport } from './labelstudio.js';

/** Options shared by the readers. */
export interface ReadOptions {
  format?: FormatName;
  limits?: ReadLimits;
  /** Pixel spacing of a 2D image ([row, column] mm or one number), when the file carries none. */
  spacing?: [number, number] | number | null;
  /** Label values by name for formats that store names only (Label Studio). */
  labelValues?: Record<string, number>;
  /** The host's deflate decoder (Node's zlib) for compressed NIfTI; the built-in inflater without it. */
  inflate?: RawInflate;
}

const LFS_POINTER = 'version https://git-lfs.github.com/spec/v1';

/** True when the bytes are a Git LFS pointer instead of the file itself. */
export const isLfsPointer = (b: Uint8Array): boolean =>
  b.length < 1024 && b.length >= LFS_POINTER.length && new TextDecoder().decode(b.subarray(0, LFS_POINTER.length)) === LFS_POINTER;

/** Reads one segmentation from a file's bytes; a Label Studio export must then hold exactly one annotation. */
export function readSegmentation(bytes: Uint8Array, file: string, opts: ReadOptions = {}): Segmentation {
  const limits = opts.limits ?? DEFAULT_LIMITS;
  if (isLfsPointer(bytes)) {
    throw new SegqcError('format.unreadable', 'is a Git LFS pointer, not the mask itself: fetch the LFS objects (actions/checkout with lfs: true, or git lfs pull)', { file }, 'lfs_pointer');
  }
  const format = opts.format ?? detectFormat(bytes, file);
  switch (format) {
    case 'nifti':
      return readNifti(bytes, file, limits, opts.inflate);
    case 'png':
      return readPng(bytes, file, { spacing: opts.spacing ?? null, limits });
    case 'dicom-seg':
      return readDicomSeg(bytes, file, limits);
    case 'labelstudio': {
      const tasks = parseLabelStudioExport(new TextDecoder().decode(bytes), file, { labelValues: opts.labelValues, limits });
      const anns = tasks.flatMap((t) => t.annotations);
      if (anns.length !== 1) {
        throw new SegqcError('usage', `holds ${anns.length} annotations in ${tasks.length} task(s); compare needs exactly one`, { file });
      }
      return anns[0].segmentation;
    }
    default:
      throw new SegqcError('format.unreadable', 'not a NIfTI, DICOM SEG, PNG or Label Studio JSON file', { file });
  }
}
