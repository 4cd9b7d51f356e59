/** Format detection by content (magic numbers), with the file name only as a tie-breaker. */
import type { FormatName } from '../model.js';
import { gunzipBounded, isGzip } from './gzip.js';
import { looksLikeNifti } from './nifti.js';
import { isPng } from './png.js';

const isDicom = (b: Uint8Array) => b.length >= 132 && b[128] === 0x44 && b[129] === 0x49 && b[130] === 0x43 && b[131] === 0x4d;

function firstNonSpace(b: Uint8Array): number {
  let i = b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf ? 3 : 0;
  while (i < b.length && (b[i] === 0x20 || b[i] === 0x0a || b[i] === 0x0d || b[i] === 0x09)) i++;
  return i < b.length ? b[i] : -1;
}

const niftiSize = (b: Uint8Array): boolean => {
  const v = new DataView(b.buffer, b.byteOffset, 4);
  return [348, 540].includes(v.getInt32(0, true)) || [348, 540].includes(v.getInt32(0, false));
};

/** The format of a file's bytes, or null when none of the readers recognises it. */
export function detectFormat(bytes: Uint8Array, file: string): FormatName | null {
  if (isGzip(bytes)) {
    let head: Uint8Array;
    try {
      head = gunzipBounded(bytes, file, 548, true);
    } catch {
      return /\.nii\.gz$/i.test(file) ? 'nifti' : null;
    }
    if (looksLikeNifti(head) || (head.length >= 4 && niftiSize(head))) return 'nifti';
    return /\.nii\.gz$/i.test(file) ? 'nifti' : null;
  }
  if (looksLikeNifti(bytes)) return 'nifti';
  if (isDicom(bytes)) return 'dicom-seg';
  if (isPng(bytes)) return 'png';
  const c = firstNonSpace(bytes.subarray(0, 4096));
  if (c === 0x5b || c === 0x7b) return 'labelstudio';
  const lower = file.toLowerCase();
  if (lower.endsWith('.nii') || lower.endsWith('.nii.gz')) return 'nifti';
  if (lower.endsWith('.dcm')) return 'dicom-seg';
  return null;
}
