import { describe, it, expect } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { readDicomSeg, readDicomSegDetailed } from '../shared/formats/dicom-seg.js';
import { readDicomImageGeometry } from '../shared/formats/dicom-image.js';
import { sliceStack, type FramePlane } from '../shared/formats/slice-stack.js';
import { geometryDifferences } from '../shared/geometry.js';
import { compareMasks } from '../shared/metrics/compare.js';
import { SegqcError } from '../shared/errors.js';
import type { Segmentation, Vec3 } from '../shared/model.js';
import { concat } from './fuzz/mutate.js';

const dir = join(__dirname, 'fixtures');
const load = (p: string) => new Uint8Array(readFileSync(join(dir, p)));
const series = (sub: string) =>
  readdirSync(join(dir, sub))
    .filter((n) => n.endsWith('.dcm'))
    .sort()
    .map((n) => ({ file: n, bytes: load(join(sub, n)) }));

/** PixelData of a Part 10 file located by its tag, without dcmjs: (7FE0,0010), then explicit OB/OW or implicit length. */
function rawPixelData(bytes: Uint8Array): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = bytes.length - 8; i >= 132; i--) {
    if (bytes[i] !== 0xe0 || bytes[i + 1] !== 0x7f || bytes[i + 2] !== 0x10 || bytes[i + 3] !== 0x00) continue;
    const vr = String.fromCharCode(bytes[i + 4], bytes[i + 5]);
    const [start, len] = vr === 'OB' || vr === 'OW' ? [i + 12, view.getUint32(i + 8, true)] : [i + 8, view.getUint32(i + 4, true)];
    if (start + len <= bytes.length && len > 0) return bytes.subarray(start, start + len);
  }
  throw new Error('no PixelData tag');
}

/** `bytes` with its PixelData (explicit VR OB, the last element) replaced by `px`. */
function withPixelData(bytes: Uint8Array, px: Uint8Array): Uint8Array {
  const old = rawPixelData(bytes);
  const start = old.byteOffset - bytes.byteOffset;
  expect(start + old.length).toBe(bytes.length);
  const out = concat(bytes.subarray(0, start), px);
  new DataView(out.buffer).setUint32(start - 4, px.length, true);
  return out;
}

const bitAt = (px: Uint8Array, i: number) => (px[i >> 3] >> (i & 7)) & 1;
const popcount = (px: Uint8Array, bits: number) => {
  let n = 0;
  for (let i = 0; i < bits; i++) n += bitAt(px, i);
  return n;
};
const nonzero = (d: ArrayLike<number>) => {
  let n = 0;
  for (let i = 0; i < d.length; i++) if (d[i] !== 0) n++;
  return n;
};

function expectError(fn: () => unknown, codes: string[], detail?: RegExp): SegqcError {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(SegqcError);
  const e = err as SegqcError;
  expect(codes, e.message).toContain(e.code);
  if (detail) expect(e.detail).toMatch(detail);
  return e;
}

/** Each frame's pixel p (bit f*rows*cols + p of PixelData) lands at voxel (p % cols, p / cols, k of the frame's position). */
function expectFramesPlaced(seg: Segmentation, px: Uint8Array, frameLayer: string[], frameZ: number[]) {
  const [cols, rows] = seg.geometry.shape;
  const n = cols * rows;
  const zs = seg.geometry.unevenSlicePositions;
  frameLayer.forEach((id, f) => {
    const layer = seg.layers.find((l) => l.id === id)!;
    const k = zs
      ? zs.findIndex((z) => Math.abs(z - frameZ[f]) < 1e-3)
      : Math.round((frameZ[f] - seg.geometry.origin[2]) / seg.geometry.spacing[2]);
    expect(k).toBeGreaterThanOrEqual(0);
    for (let p = 0; p < n; p++) expect(layer.data[k * n + p] !== 0 ? 1 : 0).toBe(bitAt(px, f * n + p));
  });
}

describe('DICOM SEG reader', () => {
  it('reads a BINARY SEG: 16x16x3, one segment with SCT codes, geometry from the functional groups', () => {
    const bytes = load('dicom-seg/seg_image_ct_binary.dcm');
    const { segmentation: seg, info } = readDicomSegDetailed(bytes, 'seg_image_ct_binary.dcm');
    expect(seg.format).toBe('dicom-seg');
    expect(seg.path).toBe('seg_image_ct_binary.dcm');
    expect(seg.geometry.shape).toEqual([16, 16, 3]);
    expect(seg.geometry.spacing[0]).toBeCloseTo(0.488281, 6);
    expect(seg.geometry.spacing[1]).toBeCloseTo(0.488281, 6);
    expect(seg.geometry.spacing[2]).toBeCloseTo(1.25, 4);
    expect(seg.geometry.origin[0]).toBeCloseTo(-125, 4);
    expect(seg.geometry.origin[1]).toBeCloseTo(-128.100006, 4);
    expect(seg.geometry.origin[2]).toBeCloseTo(103.02, 4);
    expect(seg.geometry.direction).toEqual([[1, 0, 0], [0, 1, 0], [0, 0, 1]]);
    expect(seg.geometry.unevenSlicePositions).toBeUndefined();
    expect(seg.warnings).toEqual([]);

    expect(seg.layers).toHaveLength(1);
    expect(seg.layers[0].id).toBe('1');
    expect(seg.layers[0].data).toBeInstanceOf(Uint8Array);
    expect(seg.layers[0].values).toEqual([1]);
    const px = rawPixelData(bytes);
    expect(px.length).toBe(96);
    expect(nonzero(seg.layers[0].data)).toBe(popcount(px, 16 * 16 * 3));
    expectFramesPlaced(seg, px, ['1', '1', '1'], [103.02, 104.27, 105.52]);

    expect(seg.labels).toEqual([{ value: 1, name: 'first segment', concept: { scheme: 'SCT', code: '272673000', meaning: 'Bone' } }]);
    expect(info.segmentationType).toBe('BINARY');
    expect(info.sopClassUID).toBe('1.2.840.10008.5.1.4.1.1.66.4');
    expect(info.segments).toEqual([
      {
        number: 1,
        label: 'first segment',
        category: { scheme: 'SCT', code: '85756007', meaning: 'Tissue' },
        type: { scheme: 'SCT', code: '272673000', meaning: 'Bone' },
        algorithmType: 'AUTOMATIC',
        algorithmName: 'test',
      },
    ]);
  });

  it("matches its source series: referenced series and frame of reference, and the source slices' geometry", () => {
    const { info, segmentation } = readDicomSegDetailed(load('dicom-seg/seg_image_ct_binary.dcm'), 'seg.dcm');
    const src = readDicomImageGeometry(series('dicom-ct-series'));
    expect(info.referencedSeriesUID).toBe(src.seriesInstanceUID);
    expect(info.referencedSeriesUID).toBe('1.3.6.1.4.1.5962.1.1.0.0.0.1196530851.28319.0.2');
    expect(info.frameOfReferenceUID).toBe(src.frameOfReferenceUID);
    expect([...info.referencedInstanceUIDs].sort()).toEqual([...src.sopInstanceUIDs].sort());
    // The SEG covers the three contiguous source slices at z 103.02..105.52 (not -99.48): no gap, no warning.
    expect(info.slicePositions.map((z) => +z.toFixed(2))).toEqual([103.02, 104.27, 105.52]);
    expect(segmentation.warnings).toEqual([]);

    const dcmqi = readDicomSegDetailed(load('dcmqi-23x38x3/label_seg.dcm'), 'label_seg.dcm');
    const img = readDicomImageGeometry(series('dcmqi-23x38x3/image'));
    expect(dcmqi.info.referencedSeriesUID).toBe(img.seriesInstanceUID);
    expect(dcmqi.info.frameOfReferenceUID).toBe(img.frameOfReferenceUID);
    expect(dcmqi.info.referencedInstanceUIDs).toEqual(img.sopInstanceUIDs);
    expect(geometryDifferences(dcmqi.segmentation.geometry, img.geometry)).toEqual([]);
  });

  it('keeps overlapping segments in separate layers', () => {
    const bytes = load('dicom-seg/seg_image_ct_binary_overlap.dcm');
    const seg = readDicomSeg(bytes, 'overlap.dcm');
    expect(seg.geometry.shape).toEqual([16, 16, 4]);
    expect(seg.layers.map((l) => l.id)).toEqual(['1', '2']);
    expect(seg.layers.map((l) => l.values)).toEqual([[1], [2]]);
    expect(seg.labels.map((l) => [l.value, l.name, l.concept?.code])).toEqual([
      [1, 'first segment', '272673000'],
      [2, 'second segment', '421060004'],
    ]);
    const [a, b] = seg.layers.map((l) => l.data);
    let overlap = 0;
    for (let i = 0; i < a.length; i++) if (a[i] === 1 && b[i] === 2) overlap++;
    expect(overlap).toBeGreaterThan(0);
    const px = rawPixelData(bytes);
    const n = 256;
    let first = 0;
    let second = 0;
    for (let i = 0; i < 4 * n; i++) first += bitAt(px, i);
    for (let i = 4 * n; i < 8 * n; i++) second += bitAt(px, i);
    expect(nonzero(a)).toBe(first);
    expect(nonzero(b)).toBe(second);
    // Frames 1-4 are segment 1 at z -99.48, 103.02, 104.27, 105.52, frames 5-8 segment 2 at the same positions.
    const z = [-99.48, 103.02, 104.27, 105.52];
    expectFramesPlaced(seg, px, ['1', '1', '1', '1', '2', '2', '2', '2'], [...z, ...z]);
    // The -99.48 slice makes the positions uneven, like the source series.
    expect(seg.geometry.unevenSlicePositions?.map((v) => +v.toFixed(2))).toEqual(z);
    expect(seg.warnings.join('\n')).toMatch(/unevenly spaced.*-99\.48, 103\.02, 104\.27, 105\.52/);
  });

  it('binarizes a FRACTIONAL SEG at 50% of MaximumFractionalValue', () => {
    const bytes = load('dicom-seg/seg_image_ct_true_fractional.dcm');
    const { segmentation: seg, info } = readDicomSegDetailed(bytes, 'fractional.dcm');
    expect(info.segmentationType).toBe('FRACTIONAL');
    expect(info.fractionalType).toBe('PROBABILITY');
    expect(info.maximumFractionalValue).toBe(255);
    expect(seg.geometry.shape).toEqual([16, 16, 3]);
    const px = rawPixelData(bytes);
    expect(px.length).toBe(768);
    const at = (lo: number, hi: number) => px.filter((v) => v >= lo && v <= hi).length;
    // The file holds 0, 64 (25%) and 128 (50.2%): only 128 is foreground.
    expect(at(1, 127)).toBeGreaterThan(0);
    expect(nonzero(seg.layers[0].data)).toBe(at(128, 255));
    for (let i = 0; i < px.length; i++) expect(seg.layers[0].data[i]).toBe(px[i] >= 127.5 ? 1 : 0);
    expect(seg.warnings.join('\n')).toMatch(/binarized at value >= 128 of 255/);
    // Same voxels as the BINARY SEG made from the same source.
    const binary = readDicomSeg(load('dicom-seg/seg_image_ct_binary.dcm'), 'b.dcm');
    expect([...seg.layers[0].data]).toEqual([...binary.layers[0].data]);
  });

  it('reads a Sup 243 LABELMAP SEG: 38 rows x 24 columns x 2, Background segment 0, PixelPaddingValue 5 is background', () => {
    const bytes = load('dicom-seg/dcmqi_sparse-labelmap-ppv5.dcm');
    const { segmentation: seg, info } = readDicomSegDetailed(bytes, 'labelmap.dcm');
    expect(info.sopClassUID).toBe('1.2.840.10008.5.1.4.1.1.66.7');
    expect(info.segmentationType).toBe('LABELMAP');
    expect(info.segments.map((s) => [s.number, s.label])).toEqual([
      [0, 'Background'],
      [1, 'Liver'],
    ]);
    expect(seg.geometry.shape).toEqual([24, 38, 2]);
    expect(seg.geometry.spacing.map((v) => +v.toFixed(4))).toEqual([0.7, 0.7, 5]);
    expect(seg.layers).toHaveLength(1);
    expect(seg.layers[0].values).toEqual([1]);
    expect(seg.labels).toEqual([
      { value: 1, name: 'Liver', color: '#dd8265', concept: { scheme: 'SCT', code: '10200004', meaning: 'Liver' } },
    ]);
    const px = rawPixelData(bytes);
    expect(px.length).toBe(38 * 24 * 2);
    expect(nonzero(seg.layers[0].data)).toBe(px.filter((v) => v === 1).length);
    // Frames at -177.75 and -172.75 with SpacingBetweenSlices 2.5: the SEG skips the source slice between them.
    expect(seg.warnings.join('\n')).toMatch(/5 mm apart but SpacingBetweenSlices is 2\.5 mm.*gaps/);

    // Padding pixels (value 5) are background, not a label: set some and read again.
    const padded = bytes.slice();
    const off = padded.length - px.length;
    const zeros = [...px.keys()].filter((i) => px[i] === 0).slice(0, 40);
    for (const i of zeros) padded[off + i] = 5;
    const seg2 = readDicomSeg(padded, 'padded.dcm');
    expect(seg2.layers[0].values).toEqual([1]);
    for (const i of zeros) expect(seg2.layers[0].data[i]).toBe(0);
    expect(nonzero(seg2.layers[0].data)).toBe(nonzero(seg.layers[0].data));
    expect(seg2.labels.map((l) => l.value)).toEqual([1]);
  });

  it('unpacks 1-bit frames that do not start on byte boundaries (23x38 = 874 pixels per frame)', () => {
    const bytes = load('dcmqi-23x38x3/label_seg.dcm');
    const seg = readDicomSeg(bytes, 'label_seg.dcm');
    expect(seg.geometry.shape).toEqual([23, 38, 3]);
    expect(seg.geometry.spacing.map((v) => +v.toFixed(4))).toEqual([0.7, 0.7, 2.5]);
    const px = rawPixelData(bytes);
    expect(874 % 8).not.toBe(0);
    expect(px.length).toBeGreaterThanOrEqual(Math.ceil((874 * 3) / 8));
    const fg = popcount(px, 874 * 3);
    expect(fg).toBeGreaterThan(0);
    expect(nonzero(seg.layers[0].data)).toBe(fg);
    expectFramesPlaced(seg, px, ['1', '1', '1'], [-177.75, -175.25, -172.75]);
    // Decoding each frame from a fresh byte (the byte-aligned assumption) would give other voxels.
    const frame1Start = Math.ceil(874 / 8) * 8;
    let differs = 0;
    for (let p = 0; p < 874; p++) if (bitAt(px, frame1Start + p) !== bitAt(px, 874 + p)) differs++;
    expect(differs).toBeGreaterThan(0);
  });

  it("reads pydicom's liver_1frame.dcm: no NumberOfFrames, three per-frame items for its one frame, with a warning", () => {
    const bytes = load('dicom-seg/liver_1frame.dcm');
    const expected = JSON.parse(readFileSync(join(dir, 'dicom-seg/liver_1frame.expected.json'), 'utf8')) as { voxels: number; runs: [number, number][] };
    const { segmentation: seg, info } = readDicomSegDetailed(bytes, 'liver_1frame.dcm');
    expect(seg.warnings).toEqual([
      'NumberOfFrames is missing (1 frame is implied) and PixelData holds 1 frame, but PerFrameFunctionalGroupsSequence holds 3 items: ' +
        'the frame is placed by the first item and items 2-3 are ignored',
    ]);
    expect(seg.geometry.shape).toEqual([512, 512, 1]);
    expect(seg.geometry.origin).toEqual([-235.2, -226.8, -128.69]);
    expect(seg.geometry.spacing).toEqual([0.810547, 0.810547, 1]);
    expect(info.slicePositions).toEqual([-128.69]);
    expect(seg.labels.map((l) => [l.value, l.name])).toEqual([[1, 'Liver']]);
    expect(seg.layers).toHaveLength(1);
    expect(seg.layers[0].values).toEqual([1]);
    // pydicom's pixel_array, as runs of set pixels (row * 512 + column).
    const want = new Uint8Array(512 * 512);
    for (const [start, len] of expected.runs) want.fill(1, start, start + len);
    expect(expected.voxels).toBe(36233);
    expect(nonzero(seg.layers[0].data)).toBe(expected.voxels);
    let mismatches = 0;
    for (let i = 0; i < want.length; i++) if ((seg.layers[0].data[i] !== 0 ? 1 : 0) !== want[i]) mismatches++;
    expect(mismatches).toBe(0);
  });

  it('reads one frame per per-frame item when NumberOfFrames is missing and PixelData holds that many; refuses counts it cannot match', () => {
    const bytes = load('dicom-seg/liver_1frame.dcm');
    const frame = rawPixelData(bytes);
    expect(frame.length).toBe(512 * 64);
    const second = frame.map((b) => b ^ 0xff);
    const three = withPixelData(bytes, concat(frame, second, new Uint8Array(frame.length)));
    const seg = readDicomSeg(three, 'three.dcm');
    expect(seg.warnings).toEqual([
      'NumberOfFrames is missing, but PixelData holds 3 frames, one for each of the 3 PerFrameFunctionalGroupsSequence items: 3 frames are read',
    ]);
    expect(seg.geometry.shape).toEqual([512, 512, 3]);
    const px = concat(frame, second, new Uint8Array(frame.length));
    expect(nonzero(seg.layers[0].data)).toBe(popcount(px, 512 * 512 * 3));
    expect(seg.geometry.origin[2]).toBe(-128.69);
    expect(seg.geometry.spacing[2]).toBeCloseTo(1, 6);
    let misplaced = 0;
    for (let i = 0; i < 512 * 512 * 3; i++) if ((seg.layers[0].data[i] !== 0 ? 1 : 0) !== bitAt(px, i)) misplaced++;
    expect(misplaced).toBe(0);

    const e = expectError(() => readDicomSeg(withPixelData(bytes, concat(frame, second)), 'two.dcm'), ['format.unreadable']);
    expect(e.detail).toBe(
      'PerFrameFunctionalGroupsSequence holds 3 items, NumberOfFrames is missing (1 frame is implied) and PixelData holds 65536 bytes ' +
        '(262144 1-bit pixels a frame): the frames cannot be matched to their items with certainty',
    );
    expect(e.file).toBe('two.dcm');
  });

  it('keeps segment numbers above 65535 exact (SegmentNumber is UL)', () => {
    const reference = readDicomSeg(load('dcmqi-23x38x3/label_seg.dcm'), 'label_seg.dcm');
    const px = rawPixelData(load('dcmqi-23x38x3/label_seg.dcm'));
    const fg = popcount(px, 874 * 3);
    for (const n of [256, 65536, 70000]) {
      const file = `bad-input/dicom_seg_segment_number_${n}_UL.dcm`;
      const bytes = load(file);
      expect(rawPixelData(bytes)).toEqual(px);
      const seg = readDicomSeg(bytes, file);
      expect(seg.layers).toHaveLength(1);
      const layer = seg.layers[0];
      expect([layer.id, layer.values]).toEqual([String(n), [n]]);
      expect(seg.labels.map((l) => l.value)).toEqual([n]);
      const held = new Set(layer.data);
      expect([...held].sort((a, b) => a - b)).toEqual([0, n]);
      expect(nonzero(layer.data)).toBe(fg);
      expectFramesPlaced(seg, px, [String(n), String(n), String(n)], [-177.75, -175.25, -172.75]);
      for (let i = 0; i < layer.data.length; i++) if ((layer.data[i] !== 0) !== (reference.layers[0].data[i] !== 0)) throw new Error(`voxel ${i} differs`);
      const self = compareMasks({ data: layer.data, value: n }, { data: layer.data, value: n }, seg.geometry, { tolerances: [1], overlapOnly: true });
      expect(self.dice).toBe(1);
      expect(self.volume_reference_mm3).toBeCloseTo(fg * 0.7 * 0.7 * 2.5, 3);
    }
    expect(fg).toBe(322);
  });

  it('refuses a slide-microscopy SEG with a clear error', () => {
    expectError(
      () => readDicomSeg(load('dicom-seg/seg_image_sm_control.dcm'), 'sm.dcm'),
      ['format.unsupported'],
      /^slide-microscopy \(whole-slide\) SEG is not supported: .*PlanePositionSlideSequence.*50x50 total pixel matrix/,
    );
  });

  it('refuses DICOM objects that are not segmentations, naming what they are', () => {
    const e = expectError(() => readDicomSeg(load('dicom-images/CT_small.dcm'), 'CT_small.dcm'), ['format.not_segmentation']);
    expect(e.detail).toContain('CT Image Storage (1.2.840.10008.5.1.4.1.1.2)');
    expect(e.detail).toContain('Modality CT');
    expect(e.file).toBe('CT_small.dcm');
    const mr = expectError(() => readDicomSeg(load('dicom-images/MR_small.dcm'), 'MR_small.dcm'), ['format.not_segmentation']);
    expect(mr.detail).toContain('Modality MR');
  });

  it('refuses files that are not DICOM', () => {
    expectError(() => readDicomSeg(new TextEncoder().encode('{"not": "dicom"}'), 'x.json'), ['format.unreadable'], /not a DICOM file/);
    expectError(() => readDicomSeg(new Uint8Array(4096), 'zeros.bin'), ['format.unreadable'], /no "DICM" marker/);
  });

  it('reports truncated files', () => {
    for (const f of ['dicom-seg/seg_image_ct_binary.dcm', 'dcmqi-23x38x3/label_seg.dcm', 'dicom-seg/dcmqi_sparse-labelmap-ppv5.dcm']) {
      const bytes = load(f);
      for (const frac of [0.5, 0.1, 0.9]) {
        const e = expectError(() => readDicomSeg(bytes.subarray(0, Math.floor(bytes.length * frac)), 'cut.dcm'), ['format.truncated', 'format.unreadable']);
        expect(e.detail.length).toBeGreaterThan(20);
      }
      // Cut inside PixelData: dcmjs reads the bytes that are there; the reader sees too few.
      expectError(() => readDicomSeg(bytes.subarray(0, bytes.length - 5), 'cut.dcm'), ['format.truncated'], /PixelData holds \d+ bytes/);
    }
    expectError(
      () => readDicomSeg(load('dicom-seg/seg_image_ct_binary.dcm').subarray(0, 2190), 'half.dcm'),
      ['format.truncated'],
      /truncated/,
    );
  });

  it('checks the voxel limit before allocating', () => {
    expectError(() => readDicomSeg(load('dicom-seg/seg_image_ct_binary_overlap.dcm'), 'o.dcm', { maxVoxels: 1000 }), ['format.too_large']);
    // 8 frames of 16x16 = 2048 pixels; two layers of 16x16x4 = 2048 voxels.
    expectError(() => readDicomSeg(load('dicom-seg/seg_image_ct_binary_overlap.dcm'), 'o.dcm', { maxVoxels: 2047 }), ['format.too_large']);
    expect(readDicomSeg(load('dicom-seg/seg_image_ct_binary_overlap.dcm'), 'o.dcm', { maxVoxels: 2048 }).layers).toHaveLength(2);
  });

  it('returns no patient attributes', () => {
    for (const f of ['dicom-seg/seg_image_ct_binary.dcm', 'dcmqi-23x38x3/label_seg.dcm']) {
      const r = readDicomSegDetailed(load(f), f);
      const text = JSON.stringify(r, (_k, v) => (ArrayBuffer.isView(v) ? undefined : v));
      expect(text).not.toMatch(/Doe\^Archibald|77654033|PatientName|PatientID|BirthDate/);
    }
    const g = JSON.stringify(readDicomImageGeometry(series('dicom-ct-series')));
    expect(g).not.toMatch(/Doe\^Archibald|77654033/);
  });

  it('works from a browser bundle (esbuild, platform browser)', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'segqc-dicom-'));
    try {
      const entry = join(tmp, 'entry.ts');
      writeFileSync(entry, `export { readDicomSeg } from ${JSON.stringify(join(__dirname, '../shared/formats/dicom-seg.ts'))};\n`);
      const out = join(tmp, 'bundle.mjs');
      await build({ entryPoints: [entry], outfile: out, bundle: true, platform: 'browser', format: 'esm', target: 'es2022', logLevel: 'silent' });
      const text = readFileSync(out, 'utf8');
      expect(text).not.toMatch(/from\s*["']node:/);
      const mod = (await import(pathToFileURL(out).href)) as { readDicomSeg: typeof readDicomSeg };
      const seg = mod.readDicomSeg(load('dcmqi-23x38x3/label_seg.dcm'), 'label_seg.dcm');
      expect(seg.geometry.shape).toEqual([23, 38, 3]);
      expect(nonzero(seg.layers[0].data)).toBe(popcount(rawPixelData(load('dcmqi-23x38x3/label_seg.dcm')), 874 * 3));
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

describe('DICOM image series geometry', () => {
  it('sorts an unevenly spaced CT series along the normal and reports the positions', () => {
    const files = series('dicom-ct-series');
    const r = readDicomImageGeometry(files);
    expect(r.geometry.shape).toEqual([16, 16, 4]);
    expect(r.geometry.unevenSlicePositions?.map((z) => +z.toFixed(2))).toEqual([-99.48, 103.02, 104.27, 105.52]);
    expect(r.geometry.origin[2]).toBeCloseTo(-99.48, 4);
    expect(r.geometry.spacing[2]).toBeCloseTo(1.25, 4);
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toMatch(/unevenly spaced.*-99\.48, 103\.02, 104\.27, 105\.52 mm.*steps 202\.5, 1\.25, 1\.25/);
    expect(r.seriesInstanceUID).toBe('1.3.6.1.4.1.5962.1.1.0.0.0.1196530851.28319.0.2');
    expect(r.frameOfReferenceUID).toBe('1.3.6.1.4.1.5962.1.1.0.0.0.1196530851.28319.0.4');
    expect(r.sopInstanceUIDs).toEqual([93, 94, 95, 96].map((n) => `1.3.6.1.4.1.5962.1.1.0.0.0.1196530851.28319.0.${n}`));
    // Input order does not matter.
    const shuffled = readDicomImageGeometry([files[2], files[0], files[3], files[1]]);
    expect(shuffled.geometry).toEqual(r.geometry);
    expect(shuffled.sopInstanceUIDs).toEqual(r.sopInstanceUIDs);
    // The overlap SEG, made on all four slices, has the same grid.
    const overlap = readDicomSeg(load('dicom-seg/seg_image_ct_binary_overlap.dcm'), 'o.dcm');
    expect(geometryDifferences(overlap.geometry, r.geometry)).toEqual([]);
    expect(overlap.geometry.unevenSlicePositions).toEqual(r.geometry.unevenSlicePositions);
  });

  it('reads an evenly spaced series', () => {
    const r = readDicomImageGeometry(series('dcmqi-23x38x3/image'));
    expect(r.geometry.shape).toEqual([23, 38, 3]);
    expect(r.geometry.spacing.map((v) => +v.toFixed(4))).toEqual([0.7, 0.7, 2.5]);
    expect(r.geometry.origin).toEqual([46.4649, 5.01881, -177.75]);
    expect(r.geometry.unevenSlicePositions).toBeUndefined();
    expect(r.warnings).toEqual([]);
    expect(r.sopInstanceUIDs).toHaveLength(3);
  });

  it('refuses files of different series and segmentations', () => {
    expectError(
      () => readDicomImageGeometry([...series('dicom-ct-series'), { file: 'IMG0001.dcm', bytes: load('dcmqi-23x38x3/image/IMG0001.dcm') }]),
      ['geometry.mismatch'],
      /not one series/,
    );
    expectError(() => readDicomImageGeometry([{ file: 's.dcm', bytes: load('dicom-seg/seg_image_ct_binary.dcm') }]), ['usage'], /segmentation/);
    expectError(() => readDicomImageGeometry([]), ['usage']);
  });

  it('reads a single slice as a one-slice grid', () => {
    const r = readDicomImageGeometry([{ file: 'CT_small.dcm', bytes: load('dicom-images/CT_small.dcm') }]);
    expect(r.geometry.shape).toEqual([128, 128, 1]);
    expect(r.geometry.spacing.map((v) => +v.toFixed(6))).toEqual([0.661468, 0.661468, 5]);
    expect(r.geometry.origin).toEqual([-158.135803, -179.035797, -75.699997]);
  });
});

describe('slice stack geometry', () => {
  const plane = (position: Vec3, orientation = [1, 0, 0, 0, 1, 0]): FramePlane => ({
    position,
    orientation,
    pixelSpacing: [0.5, 0.8],
    spacingBetweenSlices: null,
    sliceThickness: 2,
  });

  it('sorts frames along the normal, merges frames at one position, maps column spacing to i and row spacing to j', () => {
    const planes = [plane([0, 0, 6]), plane([0, 0, 0]), plane([0, 0, 3]), plane([0, 0, 3.0000001])];
    const s = sliceStack(4, 5, planes, 'frames', 'f');
    expect(s.geometry.shape).toEqual([5, 4, 3]);
    expect(s.geometry.spacing).toEqual([0.8, 0.5, 3]);
    expect(s.geometry.origin).toEqual([0, 0, 0]);
    expect([...s.sliceOfFrame]).toEqual([2, 0, 1, 1]);
    expect(s.warnings).toEqual([]);
  });

  it('uses the cross product of row and column cosines as the normal (oblique and flipped stacks)', () => {
    // Rows run along -y, columns along +z: normal = (0,-1,0) x (0,0,1) = (-1, 0, 0).
    const o = [0, -1, 0, 0, 0, 1];
    const s = sliceStack(2, 2, [plane([10, 0, 0], o), plane([12, 0, 0], o), plane([8, 0, 0], o)], 'frames', 'f');
    expect(s.geometry.direction.map((v) => v.map((x) => x + 0))).toEqual([[0, -1, 0], [0, 0, 1], [-1, 0, 0]]);
    expect(s.geometry.origin).toEqual([12, 0, 0]);
    expect(s.geometry.spacing[2]).toBe(2);
    expect([...s.sliceOfFrame]).toEqual([1, 0, 2]);
  });

  it('reports uneven steps beyond 1e-3 relative and does not average them', () => {
    const even = sliceStack(2, 2, [plane([0, 0, 0]), plane([0, 0, 2.5]), plane([0, 0, 5.0024])], 'frames', 'f');
    expect(even.geometry.unevenSlicePositions).toBeUndefined();
    const uneven = sliceStack(2, 2, [plane([0, 0, 0]), plane([0, 0, 2.5]), plane([0, 0, 5.01])], 'frames', 'f');
    expect(uneven.geometry.unevenSlicePositions).toEqual([0, 2.5, 5.01]);
    expect(uneven.geometry.spacing[2]).toBe(2.5);
    expect(uneven.warnings[0]).toMatch(/positions 0, 2\.5, 5\.01 mm/);
  });

  it('refuses frames with different orientations and warns about sheared stacks', () => {
    expectError(() => sliceStack(2, 2, [plane([0, 0, 0]), plane([0, 0, 1], [0, 1, 0, 1, 0, 0])], 'frames', 'f'), ['format.unsupported'], /orientation/);
    const sheared = sliceStack(2, 2, [plane([0, 0, 0]), plane([0, 0.5, 1])], 'frames', 'f');
    expect(sheared.warnings.join('\n')).toMatch(/not stacked straight/);
  });
});
