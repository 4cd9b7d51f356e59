import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expectNoInternalError } from './no-internal.js';

const root = join(__dirname, '..');
const fx = join(__dirname, 'fixtures');

/** A dataset of DICOM SEGs with their source CT series as images; `wrong` pairs a SEG with another series. */
function dataset(): string {
  const d = mkdtempSync(join(tmpdir(), 'segqc-dseg-'));
  mkdirSync(join(d, 'seg'));
  cpSync(join(fx, 'dicom-seg/seg_image_ct_binary.dcm'), join(d, 'seg/ct2.dcm'));
  cpSync(join(fx, 'dcmqi-23x38x3/label_seg.dcm'), join(d, 'seg/wrong.dcm'));
  cpSync(join(fx, 'dicom-ct-series'), join(d, 'images/ct2'), { recursive: true });
  cpSync(join(fx, 'dicom-ct-series'), join(d, 'images/wrong'), { recursive: true });
  writeFileSync(
    join(d, 'guideline.yaml'),
    'schema_version: 1\nid: seg-test\nversion: 1.0.0\ntitle: SEG test\nmodalities: [CT]\nlabels:\n  - name: Liver\n    value: 1\n    color: "#aa0000"\n    required: true\n',
  );
  writeFileSync(join(d, 'segqc.yaml'), 'guideline: guideline.yaml\nsources:\n  - format: dicom-seg\n    path: seg/*.dcm\n    images: images/{id}/*.dcm\n');
  return d;
}

describe('segqc check on DICOM SEG with the source series', () => {
  it('reads SEG segments by name and checks the SEG grid against its series', () => {
    const d = dataset();
    const r = spawnSync(process.execPath, [join(root, 'bin/segqc.js'), 'check', d, '--json', join(d, 'r.json')], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(1);
    const report = JSON.parse(readFileSync(join(d, 'r.json'), 'utf8'));
    expectNoInternalError(report, r.stderr);
    const rules = (id: string) => report.items.find((i: any) => i.id === id).findings.map((f: any) => f.rule).sort();
    // highdicom's SEG calls its segment "first segment": not a guideline label, so Liver is missing too.
    // The SEG covers 3 of the series' 4 (unevenly spaced) slices: it is placed on the series grid, not a mismatch.
    expect(rules('ct2')).toEqual(['label.required_missing', 'label.unknown']);
    expect(report.items.find((i: any) => i.id === 'ct2').findings.find((f: any) => f.rule === 'label.unknown').message).toMatch(/'first segment'/);
    // dcmqi's 23x38x3 SEG laid against the 16x16 pydicom series.
    expect(rules('wrong')).toContain('geometry.mismatch');
    expect(report.items.find((i: any) => i.id === 'wrong').findings.find((f: any) => f.rule === 'geometry.mismatch').message).toMatch(/shape/i);
  });
});

describe('embedOnImageSlices', () => {
  it('places a SEG covering 3 of 4 slices onto the series grid, slice by slice', async () => {
    const { readDicomSegDetailed } = await import('../shared/formats/dicom-seg.js');
    const { readDicomImageGeometry } = await import('../shared/formats/dicom-image.js');
    const { embedOnImageSlices } = await import('../shared/geometry.js');
    const seg = readDicomSegDetailed(new Uint8Array(readFileSync(join(fx, 'dicom-seg/seg_image_ct_binary.dcm'))), 'seg.dcm');
    const series = readDicomImageGeometry(
      ['17106', '17136', '17166', '17196'].map((s) => ({ bytes: new Uint8Array(readFileSync(join(fx, `dicom-ct-series/${s}.dcm`))), file: s })),
    );
    const imgPos = series.geometry.unevenSlicePositions!;
    expect(imgPos).toHaveLength(4);
    const placed = embedOnImageSlices(seg.segmentation, series.geometry)!;
    expect(placed).not.toBeNull();
    expect(placed.geometry.shape).toEqual([16, 16, 4]);
    const plane = 256;
    seg.info.slicePositions.forEach((p, k) => {
      const j = imgPos.findIndex((t) => Math.abs(t - p) < 0.01);
      expect(j).toBeGreaterThanOrEqual(0);
      const a = seg.segmentation.layers[0].data.subarray(k * plane, (k + 1) * plane);
      const b = placed.layers[0].data.subarray(j * plane, (j + 1) * plane);
      expect(Array.from(b)).toEqual(Array.from(a));
    });
    const sum = (d: ArrayLike<number>) => Array.from(d).reduce((s, x) => s + (x ? 1 : 0), 0);
    expect(sum(placed.layers[0].data)).toBe(sum(seg.segmentation.layers[0].data));
    expect(embedOnImageSlices(seg.segmentation, { ...series.geometry, origin: [series.geometry.origin[0] + 3, series.geometry.origin[1], series.geometry.origin[2]] })).toBeNull();
  });
});
