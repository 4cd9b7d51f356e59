/** Bad inputs found by mutation fuzzing (test/fixtures/bad-input/): each must give a typed error or the right value. */
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import * as niftiReader from 'nifti-reader-js';
import { readNifti, readNiftiGeometry } from '../shared/formats/nifti.js';
import { encodeNifti } from '../shared/formats/nifti-write.js';
import { readSegmentation } from '../shared/formats/read.js';
import { SegqcError } from '../shared/errors.js';
import type { Geometry } from '../shared/model.js';

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
