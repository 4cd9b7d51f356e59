import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { gunzipSync, gzipSync, deflateSync } from 'node:zlib';
import { pngChunk } from './fuzz/png-writer.js';
import { join } from 'node:path';
import { decodeBinary, encodeBinary } from '@thi.ng/rle-pack';
import { encode as encodePng } from 'fast-png';
import { readNifti, readNiftiGeometry } from '../shared/formats/nifti.js';
import { encodeNifti } from '../shared/formats/nifti-write.js';
import { readPng } from '../shared/formats/png.js';
import { decodeBrushAlpha, decodeBrushRle, encodeBrushRle, BRUSH_ALPHA_THRESHOLD } from '../shared/formats/brush-rle.js';
import { parseLabelStudioExport, readLabelStudioResult, type RegionCache } from '../shared/formats/labelstudio.js';
import { detectFormat } from '../shared/formats/detect.js';
import { readSegmentation } from '../shared/formats/read.js';
import { readImageGeometry } from '../shared/formats/image-geometry.js';
import { SegqcError } from '../shared/errors.js';
import { packBrushRle, readLabelStudioExport } from '../shared/dataset/items.js';
import { canonicalJson } from '../shared/guideline/hash.js';
import type { Geometry } from '../shared/model.js';

const fx = (p: string) => new Uint8Array(readFileSync(join(__dirname, 'fixtures', p)));

function expectError(fn: () => unknown, code: string, text?: RegExp): SegqcError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(SegqcError);
    const s = e as SegqcError;
    expect(s.code).toBe(code);
    if (text) expect(s.message).toMatch(text);
    return s;
  }
  throw new Error(`expected a ${code} error`);
}

const count = (d: ArrayLike<number>, v: number) => {
  let n = 0;
  for (let i = 0; i < d.length; i++) if (d[i] === v) n++;
  return n;
};

describe('NIfTI', () => {
  it('reads nibabel standard.nii.gz: shape, spacing from pixdim, sform geometry in LPS, the 0/255 mask', () => {
    const bytes = fx('nifti/standard.nii.gz');
    const seg = readNifti(bytes, 'standard.nii.gz');
    expect(seg.geometry.shape).toEqual([4, 5, 7]);
    expect(seg.geometry.spacing.map((x) => +x.toFixed(6))).toEqual([1, 3, 2]);
    const raw = gunzipSync(bytes);
    const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const srow = [0, 1, 2].map((r) => [0, 1, 2, 3].map((c) => v.getFloat32(280 + r * 16 + c * 4, true)));
    // LPS = RAS with x and y negated.
    expect(seg.geometry.origin[0]).toBeCloseTo(-srow[0][3], 5);
    expect(seg.geometry.origin[1]).toBeCloseTo(-srow[1][3], 5);
    expect(seg.geometry.origin[2]).toBeCloseTo(srow[2][3], 5);
    expect(seg.geometry.direction[0][0]).toBeCloseTo(-Math.sign(srow[0][0]), 6);
    const off = v.getFloat32(108, true);
    const body = raw.subarray(off, off + 4 * 5 * 7);
    expect(seg.layers[0].values).toEqual([255]);
    expect(count(seg.layers[0].data, 255)).toBe(count(body, 255));
    expect(count(body, 255)).toBeGreaterThan(0);
  });

  it('swaps big-endian voxels (anatomical.nii, int16 BE) and reads its geometry from the header alone', () => {
    const bytes = fx('nifti/anatomical.nii');
    const g = readNiftiGeometry(bytes, 'anatomical.nii').geometry;
    expect(g.shape).toEqual([33, 41, 25]);
    const hv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    expect(hv.getInt32(0, false)).toBe(348);
    expect(g.spacing.map((x) => +x.toFixed(4))).toEqual([1, 2, 3].map((i) => +hv.getFloat32(76 + i * 4, false).toFixed(4)));
    expect(g.spacing[0]).toBeCloseTo(2, 4);
    // It is an image with negative values: not a label map.
    expectError(() => readNifti(bytes, 'anatomical.nii'), 'format.unsupported', /anatomical\.nii.*label values/);
    // Turned into a label map (|v| mod 5, still big-endian), every voxel must come back as written.
    const copy = bytes.slice();
    const dv = new DataView(copy.buffer);
    const off = dv.getFloat32(108, false);
    const n = 33 * 41 * 25;
    const want = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const x = Math.abs(dv.getInt16(off + i * 2, false)) % 5;
      dv.setInt16(off + i * 2, x, false);
      want[i] = x;
    }
    const seg = readNifti(copy, 'anatomical-labels.nii');
    expect(seg.layers[0].values).toEqual([1, 2, 3, 4]);
    expect(Array.from(seg.layers[0].data)).toEqual(Array.from(want));
  });

  const oblique: Geometry = {
    shape: [6, 5, 4],
    spacing: [0.7, 0.8, 2.5],
    origin: [-120.5, 33.25, -80],
    direction: [
      [Math.cos(0.3), Math.sin(0.3), 0],
      [-Math.sin(0.3), Math.cos(0.3), 0],
      [0, 0, 1],
    ],
    spacingKnown: true,
  };

  it('round-trips an oblique grid and uint16 labels through the writer (gzip)', () => {
    const data = new Uint16Array(6 * 5 * 4);
    data[7] = 1000;
    data[100] = 3;
    const seg = readNifti(encodeNifti({ geometry: oblique, data }, { gzip: true }), 'x.nii.gz');
    expect(seg.layers[0].values).toEqual([3, 1000]);
    expect(seg.layers[0].data[7]).toBe(1000);
    for (let i = 0; i < 3; i++) {
      expect(seg.geometry.spacing[i]).toBeCloseTo(oblique.spacing[i], 5);
      expect(seg.geometry.origin[i]).toBeCloseTo(oblique.origin[i], 4);
      for (let j = 0; j < 3; j++) expect(seg.geometry.direction[i][j]).toBeCloseTo(oblique.direction[i][j], 5);
    }
    expect(seg.warnings).toEqual([]);
  });

  it('warns when qform and sform disagree and uses the sform', () => {
    const b = encodeNifti({ geometry: oblique, data: new Uint8Array(120) });
    new DataView(b.buffer).setFloat32(280 + 12, 999, true); // sform x offset
    const seg = readNifti(b, 'q.nii');
    expect(seg.warnings.join()).toMatch(/qform and sform disagree/);
    expect(seg.geometry.origin[0]).toBeCloseTo(-999, 3);
  });

  it('reads float label maps with whole values and refuses fractional ones', () => {
    const b = encodeNifti({ geometry: { ...oblique, shape: [2, 2, 1] }, data: new Uint8Array(4) });
    const f = new Uint8Array(352 + 16);
    f.set(b.subarray(0, 352));
    const v = new DataView(f.buffer);
    v.setInt16(70, 16, true);
    v.setInt16(72, 32, true);
    [0, 2, 2, 0].forEach((x, i) => v.setFloat32(352 + i * 4, x, true));
    expect(readNifti(f, 'f.nii').layers[0].values).toEqual([2]);
    v.setFloat32(352, 0.37, true);
    expectError(() => readNifti(f, 'f.nii'), 'format.unsupported', /0\.37.*not a whole label value/);
  });

  it('refuses a header claiming 10^12 voxels before allocating, and truncated files', () => {
    const b = encodeNifti({ geometry: { ...oblique, shape: [2, 2, 1] }, data: new Uint8Array(4) });
    const huge = b.slice();
    const v = new DataView(huge.buffer);
    v.setInt16(40, 3, true);
    [10000, 10000, 10000].forEach((x, i) => v.setInt16(42 + i * 2, x, true));
    expectError(() => readNifti(huge, 'huge.nii'), 'format.too_large', /huge\.nii.*10000x10000x10000/);
    expectError(() => readNifti(gzipSync(huge), 'huge.nii.gz'), 'format.too_large');
    expectError(() => readNifti(b.subarray(0, 354), 'cut.nii'), 'format.truncated', /cut\.nii/);
    expectError(() => readNifti(b.subarray(0, 200), 'cut.nii'), 'format.truncated');
    const gz = gzipSync(encodeNifti({ geometry: oblique, data: new Uint8Array(120).fill(1) }));
    expectError(() => readNifti(gz.subarray(0, gz.length - 30), 'cut.nii.gz'), 'format.truncated');
    expectError(() => readNifti(b, 'small.nii', { maxVoxels: 3 }), 'format.too_large');
  });
});

/** A minimal PNG writer for bit depths below 8 (fast-png only writes 8 and 16). */
function lowDepthPng(w: number, h: number, depth: number, colorType: number, pixels: number[], palette?: number[][]): Uint8Array {
  const stride = Math.ceil((w * depth) / 8);
  const raw = Buffer.alloc((stride + 1) * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const bit = x * depth;
      raw[y * (stride + 1) + 1 + (bit >> 3)] |= pixels[y * w + x] << (8 - depth - (bit & 7));
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = depth;
  ihdr[9] = colorType;
  const parts = [Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), pngChunk('IHDR', ihdr)];
  if (palette) parts.push(pngChunk('PLTE', new Uint8Array(palette.flat())));
  parts.push(pngChunk('IDAT', deflateSync(raw)), pngChunk('IEND', new Uint8Array(0)));
  return new Uint8Array(Buffer.concat(parts));
}

describe('PNG label masks', () => {
  it('reads 8- and 16-bit grey values as labels, with [row, column] spacing', () => {
    const data = new Uint8Array(5 * 3);
    data[1] = 2;
    data[14] = 7;
    const seg = readPng(encodePng({ width: 5, height: 3, data, channels: 1, depth: 8 }), 'm.png', { spacing: [0.5, 0.25] });
    expect(seg.geometry.shape).toEqual([5, 3, 1]);
    expect(seg.geometry.spacing).toEqual([0.25, 0.5, 1]);
    expect(seg.layers[0].values).toEqual([2, 7]);
    expect(seg.layers[0].data[14]).toBe(7);
    const d16 = new Uint16Array(4);
    d16[3] = 300;
    const s16 = readPng(encodePng({ width: 2, height: 2, data: d16, channels: 1, depth: 16 }), 'm16.png');
    expect(s16.layers[0].values).toEqual([300]);
    expect(s16.geometry.spacingKnown).toBe(false);
    expect(s16.warnings.join()).toMatch(/no pixel spacing/);
  });

  it('unpacks 1-bit grey and 2-bit palette PNGs', () => {
    const px = [1, 0, 1, 1, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1];
    const s1 = readPng(lowDepthPng(10, 3, 1, 0, px), 'bits.png');
    expect(Array.from(s1.layers[0].data)).toEqual(px);
    const pal = [0, 3, 2, 1, 0, 3];
    const s2 = readPng(lowDepthPng(3, 2, 2, 3, pal, [[0, 0, 0], [255, 0, 0], [0, 255, 0], [0, 0, 255]]), 'pal.png');
    expect(Array.from(s2.layers[0].data)).toEqual(pal);
    expect(s2.layers[0].values).toEqual([1, 2, 3]);
  });

  it('refuses colour images, oversize headers and truncated files', () => {
    const rgb = new Uint8Array([10, 10, 10, 255, 0, 0]);
    expectError(() => readPng(encodePng({ width: 2, height: 1, data: rgb, channels: 3, depth: 8 }), 'c.png'), 'format.unsupported', /colour/);
    const big = encodePng({ width: 64, height: 64, data: new Uint8Array(4096), channels: 1, depth: 8 });
    expectError(() => readPng(big, 'big.png', { limits: { maxVoxels: 100 } }), 'format.too_large', /64x64/);
    expectError(() => readPng(big.subarray(0, 20), 'cut.png'), 'format.truncated');
  });
});

const lsExport = () => JSON.parse(readFileSync(join(__dirname, 'fixtures/labelstudio/editor_export_two_annotations.json'), 'utf8'));

describe('Label Studio brush RLE', () => {
  it('decodes the editor’s own RLE exactly as @thi.ng/rle-pack does, alpha channel only', () => {
    const task = lsExport()[0];
    const brushes = task.annotations.flatMap((a: any) => a.result).filter((r: any) => r.type === 'brushlabels');
    expect(brushes.length).toBeGreaterThanOrEqual(3);
    let antiAliased = 0;
    for (const r of brushes) {
      const { original_width: w, original_height: h } = r;
      const rgba = decodeBinary(new Uint8Array(r.value.rle));
      const alpha = decodeBrushAlpha(r.value.rle, w, h, 'x.json');
      const want = new Uint8Array(w * h);
      for (let i = 0; i < w * h; i++) want[i] = rgba[i * 4 + 3];
      expect(Buffer.from(alpha).equals(Buffer.from(want))).toBe(true);
      for (const a of want) if (a > 0 && a < 255) antiAliased++;
      const mask = decodeBrushRle(r.value.rle, w, h, 'x.json');
      let fg = 0;
      for (const a of want) if (a >= BRUSH_ALPHA_THRESHOLD) fg++;
      expect(count(mask, 1)).toBe(fg);
    }
    expect(antiAliased).toBeGreaterThan(0);
  });

  it('encodes bit for bit as @thi.ng/rle-pack', () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    for (const [w, h] of [[40, 30], [17, 9], [300, 200]]) {
      const alpha = new Uint8Array(w * h);
      for (let i = 0; i < alpha.length; i++) {
        const x = i % w, y = Math.floor(i / w);
        const d = Math.hypot(x - w / 2, y - h / 2);
        alpha[i] = d < w / 4 ? 255 : d < w / 4 + 1.5 ? Math.floor(rnd() * 255) : 0;
      }
      const rgba = new Uint8Array(w * h * 4);
      for (let i = 0; i < w * h; i++) {
        const c = alpha[i] ? 255 : 0;
        rgba.set([c, c, c, alpha[i]], i * 4);
      }
      expect(encodeBrushRle(alpha, w, h)).toEqual(Array.from(encodeBinary(rgba, rgba.length)));
      expect(Array.from(decodeBrushAlpha(encodeBrushRle(alpha, w, h), w, h, 'x'))).toEqual(Array.from(alpha));
    }
  });

  it('refuses an RLE whose length disagrees with the image, and a truncated RLE', () => {
    const rle = encodeBrushRle(new Uint8Array(12).fill(255), 4, 3);
    expectError(() => decodeBrushRle(rle, 5, 3, 'task.json'), 'format.rle_length', /task\.json.*5x3/);
    expectError(() => decodeBrushRle(rle.slice(0, rle.length - 2), 4, 3, 'task.json'), 'format.rle_length');
    const lie = rle.slice();
    lie[0] = 0xff; // claims ~4 billion words
    expectError(() => decodeBrushRle(lie, 4, 3, 'task.json'), 'format.rle_length');
  });
});

describe('Label Studio export', () => {
  it('reads the editor export: annotations, authors, regions, choices and texts', () => {
    const text = readFileSync(join(__dirname, 'fixtures/labelstudio/editor_export_two_annotations.json'), 'utf8');
    const tasks = parseLabelStudioExport(text, 'export.json', { labelValues: { Liver: 1, Tumor: 2 } });
    expect(tasks).toHaveLength(1);
    const [a, b] = tasks[0].annotations;
    expect([a.id, a.author, b.id, b.author]).toEqual(['1001', '1', '1002', '7']);
    expect(b.regions.map((r) => `${r.type}:${r.label}`).sort()).toEqual(['brush:Liver', 'brush:Tumor', 'polygon:Tumor', 'rectangle:Lesion ROI']);
    expect(b.segmentation.geometry.shape).toEqual([160, 120, 1]);
    expect(b.segmentation.labels.map((l) => `${l.value} ${l.name}`)).toEqual(['1 Liver', '2 Tumor', '3 Lesion ROI']);
    expect(b.choices.qc_checklist).toContain('Adjacent slices reviewed');
    expect(JSON.parse(b.texts.qc_evidence[0]).guideline).toBe('liver-ct-seg');
    // The polygon is a regular octagon of radius 8.125 % of 160 px = 13 px: area 2·√2·r² ≈ 478 px².
    const poly = b.regions.find((r) => r.type === 'polygon')!;
    const area = count(b.segmentation.layers[poly.layer].data, 2);
    expect(Math.abs(area - 2 * Math.SQRT2 * 13 * 13)).toBeLessThan(2 * Math.PI * 13 * 0.5);
    // The rectangle: 19.55 % x 36.31 % of 160 x 120 px.
    const rect = b.regions.find((r) => r.type === 'rectangle')!;
    const ra = count(b.segmentation.layers[rect.layer].data, 3);
    expect(Math.abs(ra - 0.19547872 * 160 * 0.36314713 * 120)).toBeLessThan(31.3 + 43.6);
  });

  it('takes pixel spacing from a task field and rotates rectangles about their corner', () => {
    const result = [
      { id: 'r', type: 'rectanglelabels', original_width: 100, original_height: 100, value: { x: 50, y: 50, width: 20, height: 10, rotation: 90, rectanglelabels: ['Box'] } },
    ];
    const ann = readLabelStudioResult(result, { file: 't.json', id: '1', task: { pixel_spacing: [0.5, 0.25] }, spacingField: 'pixel_spacing' });
    expect(ann.segmentation.geometry.spacing).toEqual([0.25, 0.5, 1]);
    const d = ann.segmentation.layers[0].data;
    expect(count(d, 1)).toBe(200);
    // Rotated 90° clockwise about (50, 50): x from 40 to 50, y from 50 to 70.
    expect(d[60 * 100 + 45]).toBe(1);
    expect(d[55 * 100 + 60]).toBe(0);
    const none = readLabelStudioResult(result, { file: 't.json', id: '1', task: {}, spacingField: 'pixel_spacing' });
    expect(none.segmentation.geometry.spacingKnown).toBe(false);
    expect(none.segmentation.warnings.join()).toMatch(/pixel_spacing.*missing/);
    expectError(() => readLabelStudioResult(result, { file: 't.json', id: '1', task: { pixel_spacing: 'abc' }, spacingField: 'pixel_spacing' }), 'format.unreadable', /abc/);
  });

  it('refuses a polygon with fewer than three points, naming the file and annotation', () => {
    const result = [{ id: 'p1', type: 'polygonlabels', original_width: 10, original_height: 10, value: { points: [[1, 1], [5, 5]], polygonlabels: ['Tumor'] } }];
    const e = expectError(() => readLabelStudioResult(result, { file: 'proj.json', id: '77' }), 'format.polygon', /proj\.json \[77\].*p1.*2 point/);
    expect(e.file).toBe('proj.json');
  });

  it('holds an export\'s brush RLE as bytes once read, and reads, hashes and fingerprints it as the JSON array', () => {
    const alpha = new Uint8Array(64 * 64).fill(255, 100, 900);
    const rle = encodeBrushRle(alpha, 64, 64);
    const region = (r: unknown) => ({ id: 'b', type: 'brushlabels', original_width: 64, original_height: 64, value: { format: 'rle', rle: r, brushlabels: ['Liver'] } });
    const task = (r: unknown) => ({ id: 3, data: { image: 'a.png' }, annotations: [{ id: 30, result: [region(r)] }], predictions: [{ result: [region(r)] }] });
    const text = JSON.stringify([task(rle)]);
    const tree = { name: 'mem', list: () => ['e.json'], read: () => new TextEncoder().encode(text) };
    const read = readLabelStudioExport(tree, 'e.json');
    if (!('json' in read)) throw new Error('not read');
    const [t] = read.json as Array<ReturnType<typeof task>>;
    const packed = t.annotations[0].result[0].value.rle as unknown as Uint8Array;
    expect(packed).toBeInstanceOf(Uint8Array);
    expect(t.predictions[0].result[0].value.rle).toBeInstanceOf(Uint8Array);
    expect(Array.from(packed)).toEqual(rle);
    // The task's canonical text (compared between a PR's sides) is the text of the array it was read from.
    expect(canonicalJson(t)).toBe(canonicalJson(JSON.parse(text)[0]));
    expect(canonicalJson(new Uint8Array([0, 7, 255]))).toBe('[0,7,255]');
    const fromBytes = readLabelStudioResult([t.annotations[0].result[0]], { file: 'e.json', id: '3', labelValues: { Liver: 1 } });
    const fromArray = readLabelStudioResult([region(rle)], { file: 'e.json', id: '3', labelValues: { Liver: 1 } });
    expect(count(fromBytes.segmentation.layers[0].data, 1)).toBe(800);
    expect(fromBytes.segmentation.layers[0].data).toEqual(fromArray.segmentation.layers[0].data);
  });

  it('leaves an RLE that is not all bytes 0 to 255 as read, so reading it names the bad value', () => {
    for (const bad of [[1, 256], [1, -1], [1, 1.5], [1, '2'], [1, null]]) {
      const json = packBrushRle([{ annotations: [{ result: [{ type: 'brushlabels', value: { rle: bad } }] }] }]) as Array<{ annotations: Array<{ result: Array<{ value: { rle: unknown } }> }> }>;
      expect(json[0].annotations[0].result[0].value.rle).toEqual(bad);
    }
    const result = [{ id: 'b', type: 'brushlabels', original_width: 8, original_height: 8, value: { rle: [0, 0, 0, 64, 300], brushlabels: ['Liver'] } }];
    packBrushRle([{ annotations: [{ result }] }]);
    expectError(() => readLabelStudioResult(result, { file: 'e.json', id: '1' }), 'format.unreadable', /RLE value 4 is 300/);
  });

  it('reuses cached regions that did not change', () => {
    const alpha = new Uint8Array(64 * 64).fill(255, 0, 640);
    const brush = { id: 'b', type: 'brushlabels', original_width: 64, original_height: 64, value: { format: 'rle', rle: encodeBrushRle(alpha, 64, 64), brushlabels: ['Liver'] } };
    const cache: RegionCache = new Map();
    const a1 = readLabelStudioResult([brush], { file: 'x', id: '1', cache, labelValues: { Liver: 1 } });
    const a2 = readLabelStudioResult([brush], { file: 'x', id: '1', cache, labelValues: { Liver: 1 } });
    expect(a2.segmentation.layers[0].data).toBe(a1.segmentation.layers[0].data);
    alpha[700] = 255;
    const changed = { ...brush, value: { ...brush.value, rle: encodeBrushRle(alpha, 64, 64) } };
    const a3 = readLabelStudioResult([changed], { file: 'x', id: '1', cache, labelValues: { Liver: 1 } });
    expect(count(a3.segmentation.layers[0].data, 1)).toBe(641);
  });
});

describe('format detection and the common entry point', () => {
  it('detects each format by content, whatever the file is called', () => {
    expect(detectFormat(fx('nifti/standard.nii.gz'), 'a.bin')).toBe('nifti');
    expect(detectFormat(fx('nifti/anatomical.nii'), 'a.bin')).toBe('nifti');
    expect(detectFormat(fx('dicom-seg/seg_image_ct_binary.dcm'), 'a.bin')).toBe('dicom-seg');
    expect(detectFormat(fx('labelstudio/synthetic_brush_export.json'), 'a.bin')).toBe('labelstudio');
    expect(detectFormat(encodePng({ width: 1, height: 1, data: new Uint8Array(1), channels: 1, depth: 8 }), 'a.nii')).toBe('png');
    expect(detectFormat(new TextEncoder().encode('hello'), 'a.txt')).toBeNull();
  });

  it('reads a single-annotation Label Studio file and refuses Git LFS pointers and unknown files', () => {
    const seg = readSegmentation(fx('labelstudio/synthetic_brush_export.json'), 'syn.json');
    expect(seg.geometry.shape).toEqual([40, 30, 1]);
    expect(seg.layers.length).toBe(2);
    const lfs = new TextEncoder().encode('version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 123\n');
    expectError(() => readSegmentation(lfs, 'ct_001.nii.gz'), 'format.unreadable', /Git LFS pointer/);
    expectError(() => readSegmentation(new TextEncoder().encode('hello'), 'notes.txt'), 'format.unreadable', /notes\.txt/);
    expectError(() => readSegmentation(fx('dicom-images/CT_small.dcm'), 'CT_small.dcm'), 'format.not_segmentation');
  });

  it('reads image geometry from a DICOM series, a NIfTI header or a PNG header', () => {
    const series = ['17106', '17136', '17166', '17196'].map((s) => ({ bytes: fx(`dicom-ct-series/${s}.dcm`), file: `${s}.dcm` }));
    const g = readImageGeometry(series);
    // Node's readFileSync returns small files as views into a shared pool: the reader must copy only its own bytes.
    const pooled = series.map(({ bytes, file }) => {
      const pool = Buffer.alloc(bytes.length + 1000, 7);
      Buffer.from(bytes).copy(pool, 500);
      return { bytes: pool.subarray(500, 500 + bytes.length), file };
    });
    expect(readImageGeometry(pooled).shape).toEqual([16, 16, 4]);
    expect(g.shape).toEqual([16, 16, 4]);
    expect(g.unevenSlicePositions?.length).toBe(4);
    expect(readImageGeometry([{ bytes: fx('nifti/anatomical.nii'), file: 'a.nii' }]).shape).toEqual([33, 41, 25]);
    const png = encodePng({ width: 7, height: 4, data: new Uint8Array(28), channels: 1, depth: 8 });
    expect(readImageGeometry([{ bytes: png, file: 'i.png' }], [0.5, 0.5]).shape).toEqual([7, 4, 1]);
  });
});
