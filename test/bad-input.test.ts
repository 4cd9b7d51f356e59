/** Bad inputs found by mutation fuzzing (test/fixtures/bad-input/): each must give a typed error or the right value. */
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32, gzipSync } from 'node:zlib';
import { decode as decodePng, encode as encodePng } from 'fast-png';
import * as niftiReader from 'nifti-reader-js';
import { readNifti, readNiftiGeometry } from '../shared/formats/nifti.js';
import { encodeNifti } from '../shared/formats/nifti-write.js';
import { readSegmentation } from '../shared/formats/read.js';
import { readPng } from '../shared/formats/png.js';
import { readImageGeometry } from '../shared/formats/image-geometry.js';
import { parseLabelStudioExport, rasterizePolygon, readLabelStudioResult } from '../shared/formats/labelstudio.js';
import { decodeBrushRle, encodeBrushRle } from '../shared/formats/brush-rle.js';
import { memoryTree } from '../shared/dataset/tree.js';
import { loadDatasetContext } from '../shared/dataset/context.js';
import { checkDataset } from '../shared/dataset/check.js';
import { SegqcError } from '../shared/errors.js';
import type { Geometry } from '../shared/model.js';
import { PNG_CHANNELS as CHANNELS, pngChunk as chunk, writePng } from './fuzz/png-writer.js';
import { prng as makeRng } from './fuzz/prng.js';
import { dicomElements } from './fuzz/targets.js';
import { loadGuideline } from '../shared/guideline/load.js';
import { parseConfig } from '../shared/guideline/config.js';

const prng = (seed: number) => makeRng(seed).next;

const bad = (name: string) => new Uint8Array(readFileSync(join(__dirname, 'fixtures/bad-input', name)));

function expectError(fn: () => unknown, code: string, text?: RegExp): SegqcError {
  let thrown: unknown = null;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(thrown, `expected a ${code} error`).toBeInstanceOf(SegqcError);
  const s = thrown as SegqcError;
  expect(s.code).toBe(code);
  if (text) expect(s.message).toMatch(text);
  return s;
}

const grid: Geometry = {
  shape: [6, 5, 4],
  spacing: [1, 1.5, 2],
  origin: [10, -20, 30],
  direction: [
    [1, 0, 0],
    [0, 1, 0],
    [0, 0, 1],
  ],
  spacingKnown: true,
};

/** A valid NIfTI-1 label map (sform and qform codes 1) to break one field at a time. */
const validNifti = () => {
  const data = new Uint8Array(120);
  data[3] = 1;
  return encodeNifti({ geometry: grid, data });
};

describe('NIfTI: every header number is checked before it is used', () => {
  it('refuses vox_offset of Infinity, 2^40 and NaN (the fuzzer’s files) with a typed error, before allocating', () => {
    for (const f of ['nifti_vox_offset_inf.nii.gz', 'nifti_vox_offset_2p40.nii.gz', 'nifti_vox_offset_nan_int16.nii', 'nifti_vox_offset_nan_uint8.nii']) {
      const e = expectError(() => readSegmentation(bad(f), f), 'format.unreadable', /vox_offset (Infinity|1099511627776|NaN) is out of range/);
      expect(e.file).toBe(f);
    }
  });

  it('refuses a header needing more than a buffer can hold (1024³ float64) before allocating', () => {
    const before = process.memoryUsage().arrayBuffers;
    expectError(() => readSegmentation(bad('nifti_header_1024cube_float64.nii.gz'), 'big.nii.gz'), 'format.too_large', /1024x1024x1024 float64/);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 1024 * 1024);
  });

  it('refuses a gzip file whose header claims more voxels than its compressed size can expand to, without allocating them', () => {
    const b = validNifti();
    const v = new DataView(b.buffer);
    [3, 1000, 1000, 1000].forEach((x, i) => v.setInt16(40 + i * 2, x, true));
    // 10^9 voxels from ~1 KB of gzip: at most ~1 MB can come out.
    expectError(() => readNifti(gzipSync(b), 'claim.nii.gz'), 'format.truncated', /at most \d+ \(decompressed\)/);
  });

  it('refuses an infinite pixdim under a qform (spacing Infinity, direction NaN before)', () => {
    expectError(() => readSegmentation(bad('nifti_qform_pixdim_inf.nii'), 'p.nii'), 'format.unreadable', /pixdim\[1\] is Infinity/);
  });

  it('uses the sform whenever sform_code > 0, also when qform_code is higher, and warns that they disagree', () => {
    // Both files: sform diag 2, 3, 4 mm at (10, 20, 30) RAS; qform 1, 1, 1 mm at (-10, 20, 30).
    for (const f of ['nifti_sform1_qform1_disagree.nii', 'nifti_sform1_qform2_disagree.nii']) {
      const seg = readSegmentation(bad(f), f);
      expect(seg.geometry.spacing).toEqual([2, 3, 4]);
      expect(seg.geometry.origin).toEqual([-10, -20, 30]);
      expect(seg.warnings.join()).toMatch(/qform and sform disagree .*the sform is used/);
    }
  });

  it('takes the qform when only qform_code is set, and pixdim when neither is', () => {
    const b = validNifti();
    const v = new DataView(b.buffer);
    v.setInt16(254, 0, true);
    v.setFloat32(280, 99, true); // a stray sform, not in force
    const q = readNifti(b, 'q.nii').geometry;
    expect(q.spacing.map((x) => +x.toFixed(5))).toEqual([1, 1.5, 2]);
    expect(q.origin.map((x) => +x.toFixed(4))).toEqual([10, -20, 30]);
    v.setInt16(252, 0, true);
    const p = readNifti(b, 'p.nii').geometry;
    expect(p.spacing.map((x) => +x.toFixed(5))).toEqual([1, 1.5, 2]);
    expect(p.origin).toEqual([-0, -0, 0]);
  });

  const f32 = (o: number, x: number) => (v: DataView) => v.setFloat32(o, x, true);
  const i16 = (o: number, x: number) => (v: DataView) => v.setInt16(o, x, true);
  const cases: Array<[string, (v: DataView) => void, string, RegExp]> = [
    ['vox_offset -16', f32(108, -16), 'format.unreadable', /vox_offset -16 is out of range/],
    ['vox_offset 352.5', f32(108, 352.5), 'format.unreadable', /vox_offset 352.5/],
    ['pixdim[2] NaN', f32(84, NaN), 'format.unreadable', /pixdim\[2\] is NaN/],
    ['pixdim[3] -Infinity', f32(88, -Infinity), 'format.unreadable', /pixdim\[3\] is -Infinity/],
    ['quatern_b NaN', f32(256, NaN), 'format.unreadable', /quatern_b is NaN but qform_code is 1/],
    ['quaternion longer than 1', f32(260, 1.5), 'format.unreadable', /quaternion .* longer than 1/],
    ['qoffset_z Infinity', f32(276, Infinity), 'format.unreadable', /qoffset_z is Infinity/],
    ['srow_y[1] NaN', f32(296 + 4, NaN), 'format.unreadable', /srow_y\[1\] is NaN but sform_code is 1/],
    ['srow_z[3] Infinity', f32(312 + 12, Infinity), 'format.unreadable', /srow_z\[3\] is Infinity/],
    ['a degenerate sform (two equal axes)', (v) => [0, 1, 2].forEach((r) => v.setFloat32(280 + r * 16 + 4, v.getFloat32(280 + r * 16, true), true)), 'format.unreadable', /axes are not independent/],
    ['an origin of 3·10^38 m', (v) => { v.setUint8(123, 1); v.setFloat32(280 + 12, 3e38, true); }, 'format.unreadable', /geometry out of range/],
    ['a spacing of 10^-9 mm', (v) => [0, 1, 2].forEach((r) => v.setFloat32(280 + r * 16 + r * 4, 1e-9, true)), 'format.unreadable', /geometry out of range \(spacing [\d.]+e-(9|10),/],
    ['dim[0] 8', i16(40, 8), 'format.unreadable', /dim\[0\] is 8/],
    ['dim[2] 0', i16(44, 0), 'format.unreadable', /dim\[2\] is 0/],
    ['dim[1] -6', i16(42, -6), 'format.unreadable', /dim\[1\] is -6/],
    ['scl_inter NaN under a real slope', (v) => { v.setFloat32(112, 2, true); v.setFloat32(116, NaN, true); }, 'format.unreadable', /scl_slope is 2 but scl_inter is NaN/],
  ];
  for (const [what, mutate, code, text] of cases) {
    it(`refuses ${what}, for the label map and for the image geometry alike`, () => {
      const b = validNifti();
      mutate(new DataView(b.buffer));
      expectError(() => readNifti(b, 'm.nii'), code, text);
      expectError(() => readNifti(gzipSync(b), 'm.nii.gz'), code, text);
      expectError(() => readNiftiGeometry(b, 'm.nii'), code, text);
    });
  }

  it('reads a scale slope of 0 or NaN as no scaling (as nibabel does)', () => {
    const b = validNifti();
    const v = new DataView(b.buffer);
    for (const s of [0, NaN, Infinity]) {
      v.setFloat32(112, s, true);
      v.setFloat32(116, 7, true);
      expect(readNifti(b, 's.nii').layers[0].values).toEqual([1]);
    }
  });

  it('reads a NIfTI-2 header field by field, as nifti-reader-js parses it, and checks its 64-bit vox_offset', () => {
    // NIfTI-2 layout (nifti2.h): dim int64[8] @16, pixdim double[8] @104, vox_offset int64 @168, scl @176/184,
    // qform_code/sform_code int32 @344/348, quatern/qoffset double @352.., srow double[4] @400/432/464, xyzt_units @500.
    const n2 = new Uint8Array(544 + 24);
    const v = new DataView(n2.buffer);
    v.setInt32(0, 540, true);
    n2.set([0x6e, 0x2b, 0x32, 0, 0x0d, 0x0a, 0x1a, 0x0a], 4);
    v.setInt16(12, 2, true);
    v.setInt16(14, 8, true);
    [3, 2, 3, 4, 1, 1, 1, 1].forEach((x, i) => v.setBigInt64(16 + i * 8, BigInt(x), true));
    [1, 0.5, 0.25, 3, 0, 0, 0, 0].forEach((x, i) => v.setFloat64(104 + i * 8, x, true));
    v.setBigInt64(168, 544n, true);
    v.setInt32(348, 2, true);
    const srow = [[0, 0.25, 0, -5], [-0.5, 0, 0, 7], [0, 0, 3, 11]];
    srow.forEach((row, r) => row.forEach((x, c) => v.setFloat64(400 + r * 32 + c * 8, x, true)));
    v.setInt32(500, 2, true);
    for (let i = 0; i < 24; i++) n2[544 + i] = i % 3;
    const theirs = niftiReader.readHeader(n2.buffer) as niftiReader.NIFTI2;
    expect(theirs.dims.slice(0, 4)).toEqual([3, 2, 3, 4]);
    expect(theirs.affine.slice(0, 3)).toEqual(srow);
    const seg = readNifti(n2, 'two.nii');
    expect(seg.geometry.shape).toEqual([2, 3, 4]);
    expect(seg.geometry.spacing).toEqual([0.5, 0.25, 3]);
    // Column i of the sform, x and y negated (RAS → LPS), over its length.
    expect(seg.geometry.direction).toEqual([[-0, 1, 0], [-1, -0, 0], [-0, -0, 1]]);
    expect(seg.geometry.origin).toEqual([5, -7, 11]);
    expect(Array.from(seg.layers[0].data)).toEqual(Array.from(n2.subarray(544)));
    v.setBigInt64(168, 2n ** 40n, true);
    expectError(() => readNifti(n2, 'two.nii'), 'format.unreadable', /vox_offset 1099511627776 is out of range/);
    v.setBigInt64(168, 544n, true);
    v.setBigInt64(24, 2n ** 62n, true);
    expectError(() => readNifti(n2, 'two.nii'), 'format.unreadable', /dim\[1\] is \d+; dimensions are 1 to 2147483647/);
  });
});

describe('PNG: dimensions are checked first; every bit depth is decoded correctly, interlaced or not', () => {
  it('refuses width 0 × height 2^32 − 1 at once (it hung 19–31 s) and a height of 0 (it was accepted)', { timeout: 10_000 }, () => {
    expectError(() => readSegmentation(bad('png_width0_height4294967295_interlaced.png'), 'z.png'), 'format.unreadable', /0x4294967295 pixels; width and height must be 1 to 2147483647/);
    expectError(() => readSegmentation(bad('png_width17_height0.png'), 'h.png'), 'format.unreadable', /17x0 pixels/);
    expectError(() => readImageGeometry([{ bytes: bad('png_width17_height0.png'), file: 'h.png' }]), 'format.unreadable', /17x0 pixels/);
  });

  it('reads the 1-bit Adam7 files fast-png got wrong as their non-interlaced twins', () => {
    for (const [interlaced, twin, shape] of [
      ['png_adam7_1bit_9x7_valid_rejected.png', 'png_adam7_1bit_9x7_noninterlaced_same_pixels.png', [9, 7, 1]],
      ['png_adam7_1bit_silently_wrong.png', 'png_adam7_1bit_silently_wrong_reference_noninterlaced.png', [2, 1, 1]],
    ] as const) {
      const a = readSegmentation(bad(interlaced), interlaced);
      const b = readSegmentation(bad(twin), twin);
      expect(bad(interlaced)[28]).toBe(1);
      expect(bad(twin)[28]).toBe(0);
      expect(a.geometry.shape).toEqual(shape);
      expect(Array.from(a.layers[0].data)).toEqual(Array.from(b.layers[0].data));
      expect(a.layers[0].values).toEqual([1]);
    }
    // "a pixel of 1 read as 0": the 2x1 file holds 0, 1.
    expect(Array.from(readSegmentation(bad('png_adam7_1bit_silently_wrong.png'), 'w.png').layers[0].data)).toEqual([0, 1]);
  });

  it('decodes random images of every colour type, bit depth, filter and interlace as an independent writer wrote them', () => {
    const rnd = prng(20261207);
    const kinds: Array<[number, number]> = [[0, 1], [0, 2], [0, 4], [0, 8], [0, 16], [3, 1], [3, 2], [3, 4], [3, 8], [4, 8], [4, 16], [2, 8], [2, 16], [6, 8], [6, 16]];
    let images = 0;
    for (const [colorType, depth] of kinds) {
      for (let t = 0; t < 12; t++) {
        const w = 1 + Math.floor(rnd() * 19), h = 1 + Math.floor(rnd() * 19);
        const ch = CHANNELS[colorType];
        const max = 2 ** depth - 1;
        const labels = Array.from({ length: w * h }, () => (rnd() < 0.4 ? 0 : Math.floor(rnd() * (max + 1))));
        // Grey in every colour channel; alpha anything.
        const samples = labels.flatMap((g) => Array.from({ length: ch }, (_, c) => ((colorType === 4 && c === 1) || (colorType === 6 && c === 3) ? Math.floor(rnd() * (max + 1)) : g)));
        for (const interlace of [false, true]) {
          const png = writePng(w, h, depth, colorType, samples, interlace, () => Math.floor(rnd() * 5));
          const seg = readPng(png, 'r.png');
          expect(seg.geometry.shape).toEqual([w, h, 1]);
          expect(Array.from(seg.layers[0].data), `${w}x${h} colour type ${colorType}, depth ${depth}, interlace ${interlace}`).toEqual(labels);
          images++;
        }
      }
    }
    expect(images).toBe(kinds.length * 24);
  });

  it('agrees with fast-png on non-interlaced 8- and 16-bit images', () => {
    const rnd = prng(5);
    for (const depth of [8, 16] as const) {
      const data = depth === 8 ? new Uint8Array(37 * 23) : new Uint16Array(37 * 23);
      for (let i = 0; i < data.length; i++) data[i] = rnd() < 0.5 ? 0 : Math.floor(rnd() * (depth === 8 ? 256 : 65536));
      const png = encodePng({ width: 37, height: 23, data, channels: 1, depth });
      expect(Array.from(readPng(png, 'f.png').layers[0].data)).toEqual(Array.from(decodePng(png).data as ArrayLike<number>));
    }
  });

  it('refuses damaged chunks, unknown filters, impossible headers and image data of the wrong length', () => {
    const samples = [0, 1, 2, 3, 0, 1];
    const good = writePng(3, 2, 8, 0, samples, false, () => 0);
    expect(Array.from(readPng(good, 'g.png').layers[0].data)).toEqual(samples);
    const flipped = good.slice();
    flipped[good.length - 20] ^= 1;
    expectError(() => readPng(flipped, 'd.png'), 'format.unreadable', /chunk "IDAT" at byte \d+ is damaged/);
    expectError(() => readPng(writePng(3, 2, 8, 0, samples, false, () => 5), 'f.png'), 'format.unreadable', /filter type 5/);
    expectError(() => readPng(writePng(3, 2, 8, 2, samples.flatMap((s) => [s, s, s]), false, () => 0).fill(16, 24, 25), 'x.png'), 'format.unreadable', /damaged/);
    const header = (depth: number, colorType: number) => {
      const b = good.slice();
      b[24] = depth;
      b[25] = colorType;
      b.set(Buffer.alloc(4, 0), 29);
      new DataView(b.buffer).setUint32(29, crc32(b.subarray(12, 29)) >>> 0);
      return b;
    };
    expectError(() => readPng(header(16, 3), 'p.png'), 'format.unreadable', /colour type 3 cannot have bit depth 16/);
    expectError(() => readPng(header(8, 5), 'p.png'), 'format.unreadable', /colour type 5 does not exist/);
    // Image data for 3x3 under a 3x2 header: one row too many.
    const tall = writePng(3, 3, 8, 0, [...samples, 1, 1, 1], false, () => 0);
    const lie = header(8, 0);
    const idat = tall.subarray(33, tall.length - 12);
    const wrong = new Uint8Array(Buffer.concat([Buffer.from(lie.subarray(0, 33)), Buffer.from(idat), chunk('IEND', new Uint8Array(0))]));
    expectError(() => readPng(wrong, 'l.png'), 'format.unreadable', /holds more than the 8 bytes its header needs/);
    expectError(() => readPng(good.subarray(0, good.length - 30), 'c.png'), 'format.truncated');
  });
});

const lsResult = (result: unknown[], opts: Partial<Parameters<typeof readLabelStudioResult>[1]> = {}) => readLabelStudioResult(result, { file: 'ls.json', id: '9', ...opts });
const rect = (value: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ id: 'r', type: 'rectanglelabels', original_width: 40, original_height: 30, value: { x: 10, y: 10, width: 50, height: 50, rectanglelabels: ['Box'], ...value }, ...extra });

describe('Label Studio: every region is checked before it is hashed, allocated or drawn', () => {
  it('gives the fuzzer’s exports typed errors naming the file, the annotation and the region', () => {
    const cases: Array<[string, string, RegExp]> = [
      ['ls_brush_without_rle.json', 'format.unsupported', /\[10\]: region b1: brush region without an "rle" array/],
      ['ls_brush_rle_value_out_of_byte_range.json', 'format.unreadable', /\[11\]: region a2: brush RLE value \d+ is 259; RLE values are integers 0 to 255/],
      ['ls_polygon_points_nested_20000.json', 'format.polygon', /\[10\]: region p1: polygon has 1 point/],
      ['ls_export_array_null.json', 'format.unreadable', /task 0 is not an object/],
      ['ls_rectangle_32768px.json', 'format.too_large', /region r1 is on a 32768x32768 image \(1073741824 pixels\), over the limit of 536870912 pixels/],
    ];
    for (const [f, code, text] of cases) {
      const e = expectError(() => parseLabelStudioExport(new TextDecoder().decode(bad(f)), f), code, text);
      expect(e.file).toBe(f);
    }
    expectError(() => readSegmentation(bad('ls_export_null.json'), 'n.json'), 'format.unreadable', /n\.json/);
  });

  it('refuses the 32768² rectangle before allocating its canvas', { timeout: 10_000 }, () => {
    const before = process.memoryUsage().arrayBuffers;
    expectError(() => readSegmentation(bad('ls_rectangle_32768px.json'), 'r.json'), 'format.too_large');
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 * 1024 * 1024);
  });

  it('keeps checking the other files of a dataset when exports are null, [null], or otherwise broken', () => {
    const ex = (p: string) => readFileSync(join(__dirname, '../examples/pathology', p));
    const files: Record<string, Uint8Array | string> = { 'segqc.yaml': ex('segqc.yaml'), 'guideline.yaml': ex('guideline.yaml'), 'exports/project-3.json': ex('exports/project-3.json') };
    const broken = ['ls_export_null.json', 'ls_export_array_null.json', 'ls_brush_without_rle.json', 'ls_brush_rle_value_out_of_byte_range.json', 'ls_polygon_points_nested_20000.json', 'ls_rectangle_32768px.json'];
    for (const f of broken) files[`exports/${f}`] = bad(f);
    files['exports/odd.json'] = '[{"id": {"toString": 1}, "data": "x", "annotations": [7, {"id": {"toString": 1}, "completed_by": {"toString": 1}, "result": []}]}]';
    const tree = memoryTree(files);
    const ctx = loadDatasetContext(tree);
    const alone = checkDataset(memoryTree({ 'segqc.yaml': files['segqc.yaml'], 'guideline.yaml': files['guideline.yaml'], 'exports/project-3.json': files['exports/project-3.json'] }), ctx.config, ctx.guideline, { toolVersion: 't', configPath: 'segqc.yaml', guidelinePath: 'guideline.yaml' });
    const report = checkDataset(tree, ctx.config, ctx.guideline, { toolVersion: 't', configPath: 'segqc.yaml', guidelinePath: 'guideline.yaml' });
    const unreadable = report.items.flatMap((i) => i.findings).filter((f) => f.rule === 'format.unreadable').map((f) => f.message);
    for (const f of broken) expect(unreadable.some((m) => m.includes(`exports/${f}`)), f).toBe(true);
    expect(unreadable.join('\n')).toMatch(/exports\/odd\.json cannot be read: task 0: annotation 0 is 7, not an object/);
    expect(unreadable.join('\n')).toMatch(/exports\/ls_export_null\.json cannot be read: holds null/);
    // project-3's items are checked exactly as without the broken files.
    for (const item of alone.items) {
      const same = report.items.find((i) => i.id === item.id)!;
      expect(same.findings.map((f) => f.rule).sort()).toEqual(item.findings.map((f) => f.rule).sort());
      expect(same.annotations).toEqual(item.annotations);
    }
    expect(alone.items.flatMap((i) => i.annotations).length).toBeGreaterThan(0);
  });

  it('takes numbers only: widths, coordinates and rotations given as strings, arrays or booleans are refused', () => {
    for (const w of ['40', [40], true, 40.5, 0, -40]) {
      expectError(() => lsResult([rect({}, { original_width: w })]), 'format.unreadable', /original_width .* must be positive whole numbers/);
    }
    for (const [k, v] of [['x', '10'], ['width', [50]], ['height', null], ['y', Infinity], ['rotation', '90'], ['rotation', true]] as const) {
      expectError(() => lsResult([rect({ [k]: v })]), 'format.unreadable', new RegExp(`region r: rectangle "${k}" is .*, not a number`));
    }
    expect(lsResult([rect({ rotation: null })]).segmentation.layers).toHaveLength(1);
    // Finite, but percent values whose pixel coordinates overflow to Infinity (edges would have NaN crossings).
    expectError(() => lsResult([rect({ width: 1e308 })]), 'format.unreadable', /rectangle "width" is 1e\+308; coordinates are percent of the image, within ±1000000/);
    const poly = (points: unknown) => [{ id: 'p', type: 'polygonlabels', original_width: 40, original_height: 30, value: { points, polygonlabels: ['T'] } }];
    expectError(() => lsResult(poly([[1, 1], [1e308, 5], [9, 1]])), 'format.polygon', /polygon point 1 is \[1e\+308, 5\]; coordinates are percent/);
    for (const pts of [[[1, 1], [5, '5'], [9, 1]], [[1, 1], [5, 5, 5], [9, 1]], [[1, 1], [[5, 5]], [9, 1]], [[1, 1], [5, null], [9, 1]], [[1, 1], { x: 5, y: 5 }, [9, 1]]]) {
      expectError(() => lsResult(poly(pts)), 'format.polygon', /region p: polygon point 1 is .*; points must be \[x, y\] pairs of numbers/);
    }
  });

  it('refuses RLE values outside 0–255 instead of masking them to a byte (259 was read as 3, null as 0, true as 1)', () => {
    const rle = encodeBrushRle(new Uint8Array(40 * 30).fill(255, 0, 300), 40, 30);
    const brush = (r: unknown[]) => [{ id: 'b', type: 'brushlabels', original_width: 40, original_height: 30, value: { rle: r, brushlabels: ['L'] } }];
    expect(lsResult(brush(rle)).segmentation.layers[0].values).toEqual([1]);
    for (const v of [259, null, true, -1, 1.5, '7']) {
      const r: unknown[] = rle.slice();
      r[10] = v;
      expectError(() => lsResult(brush(r)), 'format.unreadable', new RegExp(`brush RLE value 10 is ${v === '7' ? '"7"' : String(v)}; RLE values are integers 0 to 255`));
      expectError(() => decodeBrushRle(r as number[], 40, 30, 'b.json'), 'format.unreadable', /brush RLE value 10/);
    }
  });

  it('refuses an RLE too short for the image its header claims before allocating the image', () => {
    // 53 header bits claiming a 16000x16000 RGBA image, and a few runs: far fewer bits than 2^30 words need.
    const rle = encodeBrushRle(new Uint8Array(4), 2, 2);
    const claim = 16000 * 16000 * 4;
    const lie = rle.slice();
    lie.splice(0, 4, claim >>> 24, (claim >>> 16) & 0xff, (claim >>> 8) & 0xff, claim & 0xff);
    const before = process.memoryUsage().arrayBuffers;
    expectError(() => decodeBrushRle(lie, 16000, 16000, 'b.json'), 'format.rle_length', /brush RLE of \d+ bytes is too short for the 1024000000 values of a 16000x16000 RGBA image/);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 * 1024 * 1024);
  });
});

/** Today's fill before the edge table, kept as the reference: every row against every edge. */
function rowsTimesEdgesFill(points: Array<[number, number]>, width: number, height: number, out: Uint8Array): void {
  const n = points.length;
  let minY = Infinity, maxY = -Infinity;
  for (const [, y] of points) {
    minY = Math.min(minY, y);
    maxY = Math.max(maxY, y);
  }
  const xs: number[] = [];
  for (let j = Math.max(0, Math.ceil(minY - 0.5)); j <= Math.min(height - 1, Math.floor(maxY - 0.5)); j++) {
    const cy = j + 0.5;
    xs.length = 0;
    for (let a = 0, b = n - 1; a < n; b = a++) {
      const [xa, ya] = points[a];
      const [xb, yb] = points[b];
      if (ya > cy !== yb > cy) xs.push(xa + ((cy - ya) * (xb - xa)) / (yb - ya));
    }
    xs.sort((p, q) => p - q);
    for (let k = 0; k + 1 < xs.length; k += 2) {
      const i0 = Math.max(0, Math.ceil(xs[k] - 0.5));
      const i1 = Math.min(width - 1, Math.ceil(xs[k + 1] - 0.5) - 1);
      if (i1 >= i0) out.fill(1, j * width + i0, j * width + i1 + 1);
    }
  }
}

/** W. R. Franklin's point-in-polygon test (even-odd), one pixel centre at a time: independent of any scanline. */
function pnpoly(points: Array<[number, number]>, x: number, y: number): boolean {
  let inside = false;
  for (let i = 0, j = points.length - 1; i < points.length; j = i++) {
    const [xi, yi] = points[i];
    const [xj, yj] = points[j];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

describe('polygon fill: a scanline over an edge table', () => {
  it('fills the same pixels as a point-in-polygon test and as the rows × edges fill, on random polygons', () => {
    const rnd = prng(4242);
    let pixels = 0;
    for (let t = 0; t < 300; t++) {
      const w = 1 + Math.floor(rnd() * 60), h = 1 + Math.floor(rnd() * 60);
      const n = 3 + Math.floor(rnd() * (t % 3 === 0 ? 40 : 8));
      // Vertices anywhere from well outside the image to inside, self-intersecting as they come.
      const pts = Array.from({ length: n }, () => [rnd() * w * 1.6 - w * 0.3, rnd() * h * 1.6 - h * 0.3] as [number, number]);
      const ours = new Uint8Array(w * h);
      const filled = rasterizePolygon(pts, w, h, ours);
      const old = new Uint8Array(w * h);
      rowsTimesEdgesFill(pts, w, h, old);
      expect(Buffer.from(ours).equals(Buffer.from(old)), `polygon ${t}`).toBe(true);
      const want = new Uint8Array(w * h);
      for (let j = 0; j < h; j++) for (let i = 0; i < w; i++) want[j * w + i] = pnpoly(pts, i + 0.5, j + 0.5) ? 1 : 0;
      expect(Buffer.from(ours).equals(Buffer.from(want)), `polygon ${t}`).toBe(true);
      expect(filled).toBe(want.reduce((s, x) => s + x, 0));
      pixels += filled;
    }
    expect(pixels).toBeGreaterThan(10000);
  });

  it('gives the old fill’s pixels on polygons with vertices on pixel centres and edges along rows', () => {
    const rnd = prng(99);
    for (let t = 0; t < 200; t++) {
      const pts = Array.from({ length: 3 + Math.floor(rnd() * 10) }, () => [Math.floor(rnd() * 24) / 2, Math.floor(rnd() * 24) / 2] as [number, number]);
      const ours = new Uint8Array(12 * 12);
      rasterizePolygon(pts, 12, 12, ours);
      const old = new Uint8Array(12 * 12);
      rowsTimesEdgesFill(pts, 12, 12, old);
      expect(Array.from(ours), JSON.stringify(pts)).toEqual(Array.from(old));
    }
  });

  it('fills a 100,000-point polygon over 20000x1000 pixels with the right area (rows + edges; the time is a bench figure)', { timeout: 20_000 }, () => {
    const n = 100_000;
    const w = 20000, h = 1000;
    const pts = Array.from({ length: n }, (_, k) => {
      const a = (2 * Math.PI * k) / n;
      const r = 0.45 + 0.04 * Math.sin(a * 400);
      return [w / 2 + r * w * Math.cos(a), h / 2 + r * h * Math.sin(a)] as [number, number];
    });
    const out = new Uint8Array(w * h);
    const filled = rasterizePolygon(pts, w, h, out);
    // Area of r(a) = 0.45 + 0.04 sin(400a) over the ellipse: π·w·h·(0.45² + 0.04²/2).
    expect(Math.abs(filled / (Math.PI * w * h * (0.45 ** 2 + 0.04 ** 2 / 2)) - 1)).toBeLessThan(0.002);
  });
});

describe('DICOM SEG segment numbers and YAML nesting (found by the fuzzer)', () => {
  /** A copy of a SEG with one element's US value set in place (found by walking the file's elements). */
  const withUS = (name: string, tag: string, nth: number, value: number) => {
    const b = new Uint8Array(readFileSync(join(__dirname, 'fixtures', name)));
    const e = dicomElements(b).filter((x) => x.tag === tag)[nth];
    new DataView(b.buffer).setUint16(e.at, value, true);
    return b;
  };

  it('refuses a BINARY SEG whose SegmentSequence numbers a segment 0 (its label came out as value 0) or twice', () => {
    const zero = withUS('dcmqi-23x38x3/label_seg.dcm', '00620004', 0, 0);
    expectError(() => readSegmentation(zero, 'z.dcm'), 'format.unreadable', /SegmentSequence item 1 has SegmentNumber 0; a BINARY SEG numbers its segments 1 to 4294967295/);
    const twice = withUS('dicom-seg/seg_image_ct_binary_overlap.dcm', '00620004', 1, 1);
    expectError(() => readSegmentation(twice, 't.dcm'), 'format.unreadable', /SegmentNumber 1 is used by two SegmentSequence items/);
    // The untouched files still read: a LABELMAP SEG may describe a segment 0 (its background).
    expect(readSegmentation(bad('../dcmqi-23x38x3/label_seg.dcm'), 'l.dcm').labels.map((l) => l.value)).toEqual([1]);
    expect(readSegmentation(bad('../dicom-seg/dcmqi_sparse-labelmap-ppv5.dcm'), 's.dcm').labels.every((l) => l.value > 0)).toBe(true);
  });

  it('refuses YAML nested 20,000 deep in milliseconds instead of parsing it for seconds', { timeout: 10_000 }, () => {
    const guideline = readFileSync(join(__dirname, '../guidelines/examples/liver-ct.yaml'), 'utf8');
    expectError(() => loadGuideline(`${guideline}\nx: ${'['.repeat(20000)}1${']'.repeat(20000)}\n`, 'g.yaml'), 'guideline.invalid', /g\.yaml:\d+:\d+: cannot read the file: \[ \] and \{ \} nested more than 64 levels deep/);
    expectError(() => parseConfig(`guideline: g.yaml\nsources: ${'{"a": '.repeat(5000)}1${'}'.repeat(5000)}\n`, 'segqc.yaml'), 'config.invalid', /nested more than 64 levels deep/);
    // Brackets in quoted strings and comments are text, not nesting: the guideline still loads.
    const quoted = guideline.replace(/^title: .*$/m, `title: "${'['.repeat(100)}" # ${'{'.repeat(100)}`);
    expect(loadGuideline(quoted, 'q.yaml').title).toBe('['.repeat(100));
  });
});
