/**
 * DICOM SEG reader (Segmentation Storage and Sup 243 Label Map Segmentation Storage). dcmjs parses the file; frames
 * are decoded here: BINARY frames are 1-bit pixels packed LSB-first across the whole PixelData, so a frame starts on a
 * byte boundary only when Rows x Columns is a multiple of 8.
 */
import type { CodedConcept, LabelInfo, MaskLayer, ReadLimits, Segmentation } from '../model.js';
import { DEFAULT_LIMITS } from '../model.js';
import { SegqcError } from '../errors.js';
import {
  SOP_CLASS,
  type Dataset,
  codedConcept,
  describeSopClass,
  item,
  items,
  multiFramePlanes,
  nativePixelData,
  num,
  nums,
  parseDicom,
  str,
  functionalGroup,
} from './dicom-dataset.js';
import { sliceStack } from './slice-stack.js';

const GAP_NOTE = 'the SEG may cover only some slices of its source series, with gaps between them';

export type SegmentationType = 'BINARY' | 'FRACTIONAL' | 'LABELMAP';

/** One item of the SegmentSequence. */
export interface DicomSegSegment {
  number: number;
  label: string | null;
  description?: string;
  category?: CodedConcept;
  type?: CodedConcept;
  /** AUTOMATIC, SEMIAUTOMATIC or MANUAL. */
  algorithmType?: string;
  algorithmName?: string;
  /** RecommendedDisplayCIELabValue as sRGB "#rrggbb". */
  color?: string;
}

/** What a SEG says about itself beyond its voxels (no patient attributes). */
export interface DicomSegInfo {
  sopClassUID: string;
  sopInstanceUID: string | null;
  seriesInstanceUID: string | null;
  segmentationType: SegmentationType;
  /** PROBABILITY or OCCUPANCY, FRACTIONAL only. */
  fractionalType?: string;
  maximumFractionalValue?: number;
  segmentsOverlap: string | null;
  frameOfReferenceUID: string | null;
  /** SeriesInstanceUID of the first ReferencedSeriesSequence item (the source series). */
  referencedSeriesUID: string | null;
  /** Source images, from ReferencedSeriesSequence or else the SourceImageSequences. */
  referencedInstanceUIDs: string[];
  segments: DicomSegSegment[];
  /** Distance of each slice of the geometry along the normal, mm, ascending. */
  slicePositions: number[];
}

export interface DicomSegResult {
  segmentation: Segmentation;
  info: DicomSegInfo;
}

/** Reads a DICOM SEG as a segmentation: one layer per segment (BINARY, FRACTIONAL) or one label map (LABELMAP). */
export function readDicomSeg(bytes: Uint8Array, file: string, limits: ReadLimits = DEFAULT_LIMITS): Segmentation {
  return readDicomSegDetailed(bytes, file, limits).segmentation;
}

/** `readDicomSeg` plus the SEG's segment descriptions and references to its source series. */
export function readDicomSegDetailed(bytes: Uint8Array, file: string, limits: ReadLimits = DEFAULT_LIMITS): DicomSegResult {
  const parsed = parseDicom(bytes, file);
  const ds = parsed.dataset;
  const sopClassUID = str(ds, 'SOPClassUID') ?? str(parsed.meta, 'MediaStorageSOPClassUID');
  if (sopClassUID !== SOP_CLASS.segmentation && sopClassUID !== SOP_CLASS.labelMapSegmentation) {
    const modality = str(ds, 'Modality');
    throw new SegqcError(
      'format.not_segmentation',
      `is a DICOM ${describeSopClass(sopClassUID)} object${modality ? ` (Modality ${modality})` : ''}, not a segmentation: ` +
        `expected Segmentation Storage (${SOP_CLASS.segmentation}) or Label Map Segmentation Storage (${SOP_CLASS.labelMapSegmentation})`,
      { file },
    );
  }
  const warnings: string[] = [];
  const rows = requiredPositiveInt(ds, 'Rows', file);
  const columns = requiredPositiveInt(ds, 'Columns', file);
  const declaredFrames = num(ds, 'NumberOfFrames');
  let frames = declaredFrames ?? 1;
  if (!Number.isInteger(frames) || frames < 1) throw new SegqcError('format.unreadable', `NumberOfFrames is ${frames}`, { file });
  let perFrame = items(ds, 'PerFrameFunctionalGroupsSequence');
  const shared = item(ds, 'SharedFunctionalGroupsSequence');

  const sm = slideMicroscopyEvidence(ds, perFrame, shared, rows, columns);
  if (sm.length > 0) {
    throw new SegqcError('format.unsupported', `slide-microscopy (whole-slide) SEG is not supported: ${sm.join('; ')}`, { file });
  }

  const segType = segmentationTypeOf(ds, sopClassUID, file);
  const bitsAllocated = num(ds, 'BitsAllocated');
  const expectedBits = segType === 'BINARY' ? [1] : segType === 'FRACTIONAL' ? [8] : [8, 16];
  if (bitsAllocated === null || !expectedBits.includes(bitsAllocated)) {
    throw new SegqcError(
      'format.unsupported',
      `a ${segType} SEG with BitsAllocated ${bitsAllocated ?? 'missing'} is not supported (expected ${expectedBits.join(' or ')})`,
      { file },
    );
  }
  const samples = num(ds, 'SamplesPerPixel') ?? 1;
  if (samples !== 1) throw new SegqcError('format.unsupported', `SamplesPerPixel is ${samples}, not 1`, { file });

  const segmentItems = items(ds, 'SegmentSequence');
  const firstNumber = segType === 'LABELMAP' ? 0 : 1;
  const seen = new Set<number>();
  segmentItems.forEach((s, i) => {
    const n = num(s, 'SegmentNumber');
    if (n === null || !Number.isInteger(n) || n < firstNumber || n > MAX_SEGMENT_NUMBER) {
      throw new SegqcError('format.unreadable', `SegmentSequence item ${i + 1} has SegmentNumber ${n ?? 'missing'}; a ${segType} SEG numbers its segments ${firstNumber} to ${MAX_SEGMENT_NUMBER}`, { file });
    }
    if (seen.has(n)) throw new SegqcError('format.unreadable', `SegmentNumber ${n} is used by two SegmentSequence items`, { file });
    seen.add(n);
  });
  const segments = segmentItems.map(parseSegment);
  if (segments.length === 0) throw new SegqcError('format.unreadable', 'SegmentSequence is missing or empty', { file });

  const framePixels = rows * columns;
  if (framePixels * frames > limits.maxVoxels) {
    throw new SegqcError(
      'format.too_large',
      `${frames} frames of ${columns}x${rows} pixels (${framePixels * frames} pixels) exceed the limit of ${limits.maxVoxels} voxels`,
      { file },
    );
  }
  let pixels: Uint8Array | undefined;
  if (perFrame.length !== frames && !(perFrame.length === 0 && frames === 1)) {
    pixels = nativePixelData(parsed, file);
    frames = reconcileFrameCount(declaredFrames, perFrame.length, pixels.length, framePixels, bitsAllocated, file, warnings);
    perFrame = perFrame.slice(0, frames);
  }

  const planes = multiFramePlanes(perFrame, shared, frames);
  const stack = sliceStack(rows, columns, planes, 'SEG frames', file, GAP_NOTE);
  const geometry = stack.geometry;
  for (const w of stack.warnings) warnings.push(w);
  const volume = geometry.shape[0] * geometry.shape[1] * geometry.shape[2];

  pixels ??= nativePixelData(parsed, file);
  const neededBytes = pixelDataBytes(frames, framePixels, bitsAllocated);
  if (pixels.length < neededBytes) {
    throw new SegqcError(
      'format.truncated',
      `PixelData holds ${pixels.length} bytes; ${frames} frames of ${columns}x${rows} ${bitsAllocated}-bit pixels need ${neededBytes}`,
      { file },
    );
  }

  let layers: MaskLayer[];
  let labels: LabelInfo[];
  let fractional: { type?: string; max: number } | undefined;
  if (segType === 'LABELMAP') {
    checkVolume(volume, 1, limits, file);
    ({ layers, labels } = decodeLabelMap(ds, segments, pixels, bitsAllocated, stack.sliceOfFrame, framePixels, volume, warnings));
  } else {
    const frameSegment = new Uint32Array(frames);
    const missing: number[] = [];
    for (let f = 0; f < frames; f++) {
      const s = num(functionalGroup(perFrame[f], shared, 'SegmentIdentificationSequence'), 'ReferencedSegmentNumber');
      if (s === null || !Number.isInteger(s) || s < 1) missing.push(f + 1);
      else if (s > MAX_SEGMENT_NUMBER) {
        throw new SegqcError('format.unreadable', `frame ${f + 1} refers to segment number ${s}, above ${MAX_SEGMENT_NUMBER} (the largest UL value)`, { file });
      } else frameSegment[f] = s;
    }
    if (missing.length > 0) {
      throw new SegqcError(
        'format.unreadable',
        `frame(s) ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ', …' : ''} name no segment (SegmentIdentificationSequence.ReferencedSegmentNumber)`,
        { file },
      );
    }
    const numbers = new Set(segments.map((s) => s.number));
    const undefinedNumbers = [...new Set(frameSegment)].filter((s) => !numbers.has(s)).sort((a, b) => a - b);
    if (undefinedNumbers.length > 0) {
      warnings.push(`frames refer to segment number(s) ${undefinedNumbers.join(', ')}, which SegmentSequence does not describe`);
    }
    const layerNumbers = [...new Set([...segments.map((s) => s.number), ...undefinedNumbers])].sort((a, b) => a - b);
    checkVolume(volume, layerNumbers.length, limits, file);
    let threshold = 1;
    if (segType === 'FRACTIONAL') {
      let max = num(ds, 'MaximumFractionalValue');
      if (max === null || max <= 0) {
        warnings.push(`MaximumFractionalValue is ${max === null ? 'missing' : max}; 255 is assumed`);
        max = 255;
      }
      threshold = Math.ceil(max / 2);
      fractional = { type: str(ds, 'SegmentationFractionalType') ?? undefined, max };
      warnings.push(
        `FRACTIONAL (${fractional.type ?? 'unknown type'}) segments binarized at value >= ${threshold} of ${max} (50% of MaximumFractionalValue)`,
      );
    }
    const data = new Map<number, MaskLayer['data']>();
    for (const s of layerNumbers) data.set(s, s <= 0xff ? new Uint8Array(volume) : s <= 0xffff ? new Uint16Array(volume) : new Uint32Array(volume));
    const present = new Set<number>();
    for (let f = 0; f < frames; f++) {
      const s = frameSegment[f];
      const out = data.get(s) as MaskLayer['data'];
      const base = stack.sliceOfFrame[f] * framePixels;
      const found =
        segType === 'BINARY'
          ? unpackBitsInto(pixels, f * framePixels, framePixels, out, base, s)
          : thresholdInto(pixels, f * framePixels, framePixels, out, base, s, threshold);
      if (found) present.add(s);
    }
    layers = layerNumbers.map((s) => ({ data: data.get(s) as MaskLayer['data'], values: present.has(s) ? [s] : [], id: String(s) }));
    labels = segments.map((s) => labelOf(s));
  }

  const refSeries = items(ds, 'ReferencedSeriesSequence');
  const referencedSeriesUIDs = [...new Set(refSeries.map((r) => str(r, 'SeriesInstanceUID')).filter((u): u is string => !!u))];
  if (referencedSeriesUIDs.length > 1) {
    warnings.push(`the SEG references ${referencedSeriesUIDs.length} source series; the first is reported as its source`);
  }

  const info: DicomSegInfo = {
    sopClassUID,
    sopInstanceUID: str(ds, 'SOPInstanceUID'),
    seriesInstanceUID: str(ds, 'SeriesInstanceUID'),
    segmentationType: segType,
    ...(fractional ? { fractionalType: fractional.type, maximumFractionalValue: fractional.max } : {}),
    segmentsOverlap: str(ds, 'SegmentsOverlap'),
    frameOfReferenceUID: str(ds, 'FrameOfReferenceUID'),
    referencedSeriesUID: referencedSeriesUIDs[0] ?? null,
    referencedInstanceUIDs: referencedInstances(ds, refSeries, perFrame),
    segments,
    slicePositions: stack.slicePositions,
  };
  return { segmentation: { path: file, format: 'dicom-seg', geometry, layers, labels, warnings }, info };
}

function requiredPositiveInt(ds: Dataset, key: string, file: string): number {
  const v = num(ds, key);
  if (v === null) throw new SegqcError('format.truncated', `${key} is missing: the file is truncated or not a complete SEG`, { file });
  if (!Number.isInteger(v) || v < 1) throw new SegqcError('format.unreadable', `${key} is ${v}`, { file });
  return v;
}

/** SegmentNumber and ReferencedSegmentNumber are UL. */
const MAX_SEGMENT_NUMBER = 0xffffffff;

/** Bytes of PixelData that `frames` frames hold (BINARY frames are packed 1-bit pixels), before padding to even. */
function pixelDataBytes(frames: number, framePixels: number, bitsAllocated: number): number {
  return bitsAllocated === 1 ? Math.ceil((frames * framePixels) / 8) : (frames * framePixels * bitsAllocated) / 8;
}

/**
 * The number of frames to read when PerFrameFunctionalGroupsSequence does not hold one item per frame: the frame count
 * that PixelData holds exactly, when it is NumberOfFrames (or the implied 1) with surplus items, or the item count with
 * NumberOfFrames missing. Anything else cannot be placed with certainty and is refused.
 */
function reconcileFrameCount(
  declared: number | null,
  itemCount: number,
  pixelBytes: number,
  framePixels: number,
  bitsAllocated: number,
  file: string,
  warnings: string[],
): number {
  const holds = (k: number) => {
    const n = pixelDataBytes(k, framePixels, bitsAllocated);
    return pixelBytes === n || pixelBytes === n + (n % 2);
  };
  const implied = declared ?? 1;
  const framesWord = (k: number) => `${k} frame${k === 1 ? '' : 's'}`;
  const numberOfFrames = declared === null ? 'NumberOfFrames is missing (1 frame is implied)' : `NumberOfFrames is ${declared}`;
  const itemsWord = `PerFrameFunctionalGroupsSequence holds ${itemCount} items`;
  const holdsImplied = holds(implied);
  const holdsItems = declared === null && holds(itemCount);
  if (itemCount > implied && holdsImplied && !holdsItems) {
    const ignored = implied + 1 === itemCount ? `item ${itemCount} is` : `items ${implied + 1}-${itemCount} are`;
    warnings.push(
      `${numberOfFrames} and PixelData holds ${framesWord(implied)}, but ${itemsWord}: ` +
        `${implied === 1 ? 'the frame is' : 'the frames are'} placed by the first ${implied === 1 ? 'item' : `${implied} items`} and ${ignored} ignored`,
    );
    return implied;
  }
  if (holdsItems && !holdsImplied) {
    warnings.push(`NumberOfFrames is missing, but PixelData holds ${framesWord(itemCount)}, one for each of the ${itemCount} PerFrameFunctionalGroupsSequence items: ${framesWord(itemCount)} are read`);
    return itemCount;
  }
  const bits = `${bitsAllocated}-bit`;
  throw new SegqcError(
    itemCount < implied ? 'format.truncated' : 'format.unreadable',
    `${itemsWord}, ${numberOfFrames} and PixelData holds ${pixelBytes} bytes (${framePixels} ${bits} pixels a frame)` +
      `${holdsImplied && holdsItems ? ', which fits either count' : ''}: the frames cannot be matched to their items with certainty`,
    { file },
  );
}

function segmentationTypeOf(ds: Dataset, sopClassUID: string, file: string): SegmentationType {
  const t = str(ds, 'SegmentationType')?.toUpperCase() ?? (sopClassUID === SOP_CLASS.labelMapSegmentation ? 'LABELMAP' : null);
  if (t === 'BINARY' || t === 'FRACTIONAL' || t === 'LABELMAP') return t;
  throw new SegqcError('format.unsupported', `SegmentationType ${t ?? 'is missing'}${t ? ' is not supported' : ''} (expected BINARY, FRACTIONAL or LABELMAP)`, { file });
}

/** Why a SEG is a slide-microscopy SEG (frames are tiles in slide coordinates), or [] when it is not. */
function slideMicroscopyEvidence(ds: Dataset, perFrame: Dataset[], shared: Dataset | null, rows: number, columns: number): string[] {
  const why: string[] = [];
  if (item(shared, 'PlanePositionSlideSequence') || perFrame.some((f) => item(f, 'PlanePositionSlideSequence'))) {
    why.push('frames are placed by PlanePositionSlideSequence in the slide coordinate system, not in patient space');
  }
  const tr = num(ds, 'TotalPixelMatrixRows');
  const tc = num(ds, 'TotalPixelMatrixColumns');
  if (tr !== null || tc !== null) {
    why.push(`frames are ${columns}x${rows} tiles of a ${tc ?? '?'}x${tr ?? '?'} total pixel matrix`);
  }
  const org = str(ds, 'DimensionOrganizationType');
  if (org === 'TILED_FULL' || org === 'TILED_SPARSE') why.push(`DimensionOrganizationType is ${org}`);
  const refClasses = items(ds, 'ReferencedSeriesSequence').flatMap((s) =>
    items(s, 'ReferencedInstanceSequence').map((r) => str(r, 'ReferencedSOPClassUID')),
  );
  if (refClasses.includes(SOP_CLASS.wholeSlideMicroscopy)) why.push('it references VL Whole Slide Microscopy images');
  return why;
}

function parseSegment(s: Dataset): DicomSegSegment {
  const seg: DicomSegSegment = { number: num(s, 'SegmentNumber') ?? 0, label: str(s, 'SegmentLabel') };
  const description = str(s, 'SegmentDescription');
  if (description) seg.description = description;
  const category = codedConcept(item(s, 'SegmentedPropertyCategoryCodeSequence'));
  if (category) seg.category = category;
  const type = codedConcept(item(s, 'SegmentedPropertyTypeCodeSequence'));
  if (type) seg.type = type;
  const algorithmType = str(s, 'SegmentAlgorithmType');
  if (algorithmType) seg.algorithmType = algorithmType;
  const algorithmName = str(s, 'SegmentAlgorithmName');
  if (algorithmName) seg.algorithmName = algorithmName;
  const lab = nums(s, 'RecommendedDisplayCIELabValue');
  if (lab && lab.length === 3) seg.color = dicomLabToHex(lab);
  return seg;
}

function labelOf(s: DicomSegSegment): LabelInfo {
  const l: LabelInfo = { value: s.number, name: s.label };
  if (s.color) l.color = s.color;
  if (s.type) l.concept = s.type;
  return l;
}

/** DCM 125040 "Background", the segment Sup 243 label maps use for unlabelled pixels. */
const isBackground = (s: DicomSegSegment) => s.number === 0 || (s.type?.scheme === 'DCM' && s.type.code === '125040');

function decodeLabelMap(
  ds: Dataset,
  segments: DicomSegSegment[],
  pixels: Uint8Array,
  bitsAllocated: number,
  sliceOfFrame: Int32Array,
  framePixels: number,
  volume: number,
  warnings: string[],
): { layers: MaskLayer[]; labels: LabelInfo[] } {
  const frames = sliceOfFrame.length;
  const wide = bitsAllocated === 16;
  const background = new Set(segments.filter(isBackground).map((s) => s.number));
  background.add(0);
  const padding = num(ds, 'PixelPaddingValue');
  const paddingLimit = num(ds, 'PixelPaddingRangeLimit');
  const padLo = padding === null ? null : paddingLimit === null ? padding : Math.min(padding, paddingLimit);
  const padHi = padding === null ? null : paddingLimit === null ? padding : Math.max(padding, paddingLimit);
  if (padLo !== null && padHi !== null) {
    const clash = segments.filter((s) => !isBackground(s) && s.number >= padLo && s.number <= padHi).map((s) => s.number);
    if (clash.length > 0) {
      warnings.push(`PixelPaddingValue ${padLo === padHi ? padLo : `${padLo}-${padHi}`} equals segment number(s) ${clash.join(', ')}; those pixels are read as padding (background)`);
    }
  }
  // Pixel value → 1 when it is background (0, a Background segment or padding): one table lookup per pixel.
  const bg = new Uint8Array(wide ? 65536 : 256);
  for (const v of background) if (v < bg.length) bg[v] = 1;
  if (padLo !== null && padHi !== null) for (let v = Math.max(0, padLo); v <= Math.min(bg.length - 1, padHi); v++) bg[v] = 1;
  const total = framePixels * frames;
  const values = wide ? new Uint16Array(pixels.buffer.slice(pixels.byteOffset, pixels.byteOffset + 2 * total)) : pixels;
  if (wide && new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
    for (let i = 0; i < total; i++) values[i] = pixels[2 * i] | (pixels[2 * i + 1] << 8);
  }
  let max = 0;
  for (let i = 0; i < total; i++) {
    const v = values[i];
    if (v > max && bg[v] === 0) max = v;
  }
  const data = max > 255 ? new Uint16Array(volume) : new Uint8Array(volume);
  const seen = new Uint8Array(bg.length);
  let conflicts = 0;
  for (let f = 0; f < frames; f++) {
    const src = f * framePixels;
    const base = sliceOfFrame[f] * framePixels;
    for (let p = 0; p < framePixels; p++) {
      const v = values[src + p];
      if (bg[v] === 1) continue;
      const prev = data[base + p];
      if (prev !== 0 && prev !== v) conflicts++;
      data[base + p] = v;
      seen[v] = 1;
    }
  }
  const present = new Set<number>();
  for (let v = 0; v < seen.length; v++) if (seen[v]) present.add(v);
  if (conflicts > 0) warnings.push(`${conflicts} pixels of frames at the same position carry different segment numbers; the later frame wins`);
  const described = new Set(segments.map((s) => s.number));
  const undescribed = [...present].filter((v) => !described.has(v)).sort((a, b) => a - b);
  if (undescribed.length > 0) warnings.push(`pixel values ${undescribed.join(', ')} are not described in SegmentSequence`);
  return {
    layers: [{ data, values: [...present].sort((a, b) => a - b) }],
    labels: segments.filter((s) => !isBackground(s)).map(labelOf),
  };
}

function checkVolume(volume: number, layers: number, limits: ReadLimits, file: string): void {
  if (volume * layers > limits.maxVoxels) {
    throw new SegqcError(
      'format.too_large',
      `${layers} layer(s) of ${volume} voxels (${volume * layers} in all) exceed the limit of ${limits.maxVoxels} voxels`,
      { file },
    );
  }
}

/** Writes `value` where bits [start, start + count) of LSB-first packed `bits` are set; true when any is. */
function unpackBitsInto(bits: Uint8Array, start: number, count: number, out: MaskLayer['data'], base: number, value: number): boolean {
  let bit = start;
  let o = base;
  const end = start + count;
  let any = false;
  while (bit < end) {
    if ((bit & 7) === 0 && bit + 8 <= end) {
      const byte = bits[bit >> 3];
      if (byte !== 0) {
        any = true;
        for (let b = 0; b < 8; b++) if ((byte >> b) & 1) out[o + b] = value;
      }
      bit += 8;
      o += 8;
      continue;
    }
    if ((bits[bit >> 3] >> (bit & 7)) & 1) {
      out[o] = value;
      any = true;
    }
    bit++;
    o++;
  }
  return any;
}

function thresholdInto(
  bytes: Uint8Array,
  start: number,
  count: number,
  out: MaskLayer['data'],
  base: number,
  value: number,
  threshold: number,
): boolean {
  let any = false;
  for (let p = 0; p < count; p++) {
    if (bytes[start + p] >= threshold) {
      out[base + p] = value;
      any = true;
    }
  }
  return any;
}

function referencedInstances(ds: Dataset, refSeries: Dataset[], perFrame: Dataset[]): string[] {
  const out = new Set<string>();
  for (const s of refSeries) {
    for (const r of items(s, 'ReferencedInstanceSequence')) {
      const u = str(r, 'ReferencedSOPInstanceUID');
      if (u) out.add(u);
    }
  }
  if (out.size > 0) return [...out];
  for (const r of items(ds, 'SourceImageSequence')) {
    const u = str(r, 'ReferencedSOPInstanceUID');
    if (u) out.add(u);
  }
  for (const f of perFrame) {
    for (const d of items(f, 'DerivationImageSequence')) {
      for (const r of items(d, 'SourceImageSequence')) {
        const u = str(r, 'ReferencedSOPInstanceUID');
        if (u) out.add(u);
      }
    }
  }
  return [...out];
}

/** DICOM CIELab (each value scaled to 0-65535, D65 white) to sRGB "#rrggbb". */
export function dicomLabToHex(lab: number[]): string {
  const L = (lab[0] * 100) / 65535;
  const a = (lab[1] * 255) / 65535 - 128;
  const b = (lab[2] * 255) / 65535 - 128;
  const fy = (L + 16) / 116;
  const fx = fy + a / 500;
  const fz = fy - b / 200;
  const inv = (t: number) => (t > 6 / 29 ? t ** 3 : 3 * (6 / 29) ** 2 * (t - 4 / 29));
  const X = 0.950456 * inv(fx);
  const Y = inv(fy);
  const Z = 1.088754 * inv(fz);
  const lin = [3.2404542 * X - 1.5371385 * Y - 0.4985314 * Z, -0.969266 * X + 1.8760108 * Y + 0.041556 * Z, 0.0556434 * X - 0.2040259 * Y + 1.0572252 * Z];
  const hex = lin.map((c) => {
    const v = c <= 0.0031308 ? 12.92 * c : 1.055 * c ** (1 / 2.4) - 0.055;
    return Math.round(Math.min(1, Math.max(0, v)) * 255)
      .toString(16)
      .padStart(2, '0');
  });
  return `#${hex.join('')}`;
}
