/**
 * The voxel grid of a DICOM image series (single-frame CT, MR, PET, ... images, or one enhanced multi-frame file),
 * read from the headers only: the grid a SEG or another mask of the series must match.
 */
import type { Geometry } from '../model.js';
import { SegqcError } from '../errors.js';
import {
  type ParsedDicom,
  SOP_CLASS,
  describeSopClass,
  item,
  items,
  multiFramePlanes,
  nativePixelData,
  num,
  parseDicom,
  singleFramePlane,
  str,
} from './dicom-dataset.js';
import { type FramePlane, sliceStack } from './slice-stack.js';

export interface DicomImageSeriesGeometry {
  geometry: Geometry;
  frameOfReferenceUID: string | null;
  seriesInstanceUID: string | null;
  /** SOPInstanceUID of each image, in slice order (k ascending). */
  sopInstanceUIDs: string[];
  warnings: string[];
}

const SEGMENTATION_LIKE = new Set<string>([SOP_CLASS.segmentation, SOP_CLASS.labelMapSegmentation, '1.2.840.10008.5.1.4.1.1.66.5']);

interface ImageHeader {
  file: string;
  parsed: ParsedDicom;
  rows: number;
  columns: number;
  frames: number;
  sopInstanceUID: string | null;
  seriesInstanceUID: string | null;
  frameOfReferenceUID: string | null;
}

/** Reads the geometry of one series: images sorted along the slice normal, uneven spacing reported, not averaged. */
export function readDicomImageGeometry(files: Array<{ bytes: Uint8Array; file: string }>): DicomImageSeriesGeometry {
  if (files.length === 0) throw new SegqcError('usage', 'no DICOM image files given');
  const headers = files.map(({ bytes, file }) => readHeader(bytes, file));
  const first = headers[0];
  const seriesName = files.length === 1 ? first.file : `the series of ${files.length} files (${first.file}, …)`;

  for (const key of ['seriesInstanceUID', 'frameOfReferenceUID'] as const) {
    const other = headers.find((h) => h[key] !== first[key]);
    if (other) {
      const what = key === 'seriesInstanceUID' ? 'SeriesInstanceUID' : 'FrameOfReferenceUID';
      throw new SegqcError(
        'geometry.mismatch',
        `the files are not one series: ${what} ${first[key] ?? '(none)'} in ${first.file} vs ${other[key] ?? '(none)'} in ${other.file}`,
        { file: other.file },
      );
    }
  }
  const otherSize = headers.find((h) => h.rows !== first.rows || h.columns !== first.columns);
  if (otherSize) {
    throw new SegqcError(
      'geometry.mismatch',
      `images differ in size: ${first.columns}x${first.rows} in ${first.file} vs ${otherSize.columns}x${otherSize.rows} in ${otherSize.file}`,
      { file: otherSize.file },
    );
  }

  let planes: FramePlane[];
  let uids: Array<string | null>;
  if (headers.length === 1 && first.frames > 1) {
    const ds = first.parsed.dataset;
    const perFrame = items(ds, 'PerFrameFunctionalGroupsSequence');
    if (perFrame.length !== first.frames) {
      throw new SegqcError(
        'format.unsupported',
        `a multi-frame image without per-frame positions (PerFrameFunctionalGroupsSequence holds ${perFrame.length} items for ${first.frames} frames) is not supported`,
        { file: first.file },
      );
    }
    planes = multiFramePlanes(perFrame, item(ds, 'SharedFunctionalGroupsSequence'), first.frames);
    uids = [first.sopInstanceUID];
  } else {
    const multi = headers.find((h) => h.frames > 1);
    if (multi) {
      throw new SegqcError('format.unsupported', `a series mixing multi-frame files (${multi.frames} frames) with others is not supported`, {
        file: multi.file,
      });
    }
    planes = headers.map((h) => singleFramePlane(h.parsed.dataset));
    uids = headers.map((h) => h.sopInstanceUID);
    const noPos = headers.filter((_, i) => !planes[i].position);
    if (headers.length > 1 && noPos.length > 0) {
      throw new SegqcError('format.unreadable', `has no ImagePositionPatient, so it cannot be placed in the series`, { file: noPos[0].file });
    }
  }

  const stack = sliceStack(first.rows, first.columns, planes, headers.length === 1 && first.frames > 1 ? 'frames' : 'images', seriesName);
  const warnings = [...stack.warnings];
  let sopInstanceUIDs: string[];
  if (uids.length === planes.length && uids.length > 1) {
    const order = [...uids.keys()].sort((a, b) => stack.sliceOfFrame[a] - stack.sliceOfFrame[b] || a - b);
    sopInstanceUIDs = order.map((i) => uids[i]).filter((u): u is string => !!u);
    const slices = stack.geometry.shape[2];
    if (slices < headers.length) {
      const shared = order.filter((i, n) => n > 0 && stack.sliceOfFrame[i] === stack.sliceOfFrame[order[n - 1]]).map((i) => headers[i].file);
      warnings.push(
        `${headers.length - slices} image(s) share a slice position with another image (${shared.slice(0, 5).join(', ')}${shared.length > 5 ? ', …' : ''}); ` +
          `the geometry counts each position once`,
      );
    }
  } else {
    sopInstanceUIDs = uids.filter((u): u is string => !!u);
  }
  return {
    geometry: stack.geometry,
    frameOfReferenceUID: first.frameOfReferenceUID,
    seriesInstanceUID: first.seriesInstanceUID,
    sopInstanceUIDs,
    warnings,
  };
}

function readHeader(bytes: Uint8Array, file: string): ImageHeader {
  const parsed = parseDicom(bytes, file);
  const ds = parsed.dataset;
  const sopClass = str(ds, 'SOPClassUID') ?? str(parsed.meta, 'MediaStorageSOPClassUID');
  if (sopClass && SEGMENTATION_LIKE.has(sopClass)) {
    throw new SegqcError('usage', `is a segmentation (${describeSopClass(sopClass)}), not an image of the source series`, { file });
  }
  const rows = num(ds, 'Rows');
  const columns = num(ds, 'Columns');
  if (rows === null || columns === null || rows < 1 || columns < 1) {
    throw new SegqcError('format.unreadable', `is not an image: it has no Rows/Columns (${describeSopClass(sopClass)})`, { file });
  }
  const frames = num(ds, 'NumberOfFrames') ?? 1;
  checkPixelDataLength(parsed, rows, columns, frames, file);
  return {
    file,
    parsed,
    rows,
    columns,
    frames,
    sopInstanceUID: str(ds, 'SOPInstanceUID'),
    seriesInstanceUID: str(ds, 'SeriesInstanceUID'),
    frameOfReferenceUID: str(ds, 'FrameOfReferenceUID'),
  };
}

/** dcmjs reads what is there when an element is cut short; a short uncompressed PixelData means a truncated file. */
function checkPixelDataLength(parsed: ParsedDicom, rows: number, columns: number, frames: number, file: string): void {
  const ds = parsed.dataset;
  if (ds.PixelData == null) return;
  let pixels: Uint8Array;
  try {
    pixels = nativePixelData(parsed, file);
  } catch {
    return;
  }
  const bits = num(ds, 'BitsAllocated') ?? 16;
  const samples = num(ds, 'SamplesPerPixel') ?? 1;
  const needed = Math.ceil((rows * columns * frames * samples * bits) / 8);
  if (pixels.length < needed) {
    throw new SegqcError('format.truncated', `PixelData holds ${pixels.length} bytes of the ${needed} its ${columns}x${rows}x${frames} ${bits}-bit pixels need`, {
      file,
    });
  }
}
