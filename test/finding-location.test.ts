import { describe, expect, test } from 'vitest';
import Ajv2020 from 'ajv/dist/2020.js';
import reportSchema from '../guidelines/report.schema.json';
import type { Geometry, LabelInfo, MaskLayer, Segmentation, Vec3 } from '../shared/model.js';
import { axisGeometry } from '../shared/model.js';
import type { Guideline } from '../shared/guideline/types.js';
import { checkAnnotation } from '../shared/rules/engine.js';
import { boxLocation, sliceAxis } from '../shared/rules/location.js';
import type { Finding, RuleCode } from '../shared/rules/types.js';
import { buildReport, checkDataset } from '../shared/dataset/check.js';
import { memoryTree } from '../shared/dataset/tree.js';
import { regionsOfFinding } from '../extension/src/locate.js';
import { grouped, num } from '../shared/report/finding-text.js';

type Box6 = [number, number, number, number, number, number];

const grid = (shape: Vec3, spacing: Vec3, origin: Vec3, direction: [Vec3, Vec3, Vec3]): Geometry => ({ shape, spacing, origin, direction, spacingKnown: true });

function paint(data: Uint8Array, shape: Vec3, b: Box6, v: number) {
  for (let k = b[2]; k <= b[5]; k++) for (let j = b[1]; j <= b[4]; j++) for (let i = b[0]; i <= b[3]; i++) data[(k * shape[1] + j) * shape[0] + i] = v;
}

function mask(g: Geometry, boxes: Array<[Box6, number]>): Uint8Array {
  const d = new Uint8Array(g.shape[0] * g.shape[1] * g.shape[2]);
  for (const [b, v] of boxes) paint(d, g.shape, b, v);
  return d;
}

const layer = (data: Uint8Array, id: string): MaskLayer => ({ data, id, values: [...new Set(data)].filter((v) => v !== 0).sort((a, b) => a - b) });

const seg = (g: Geometry, layers: Uint8Array[], path = 'mask.nii.gz', labels: LabelInfo[] = [], format: Segmentation['format'] = 'nifti'): Segmentation => ({
  path,
  format,
  geometry: g,
  layers: layers.map((d, i) => layer(d, String(i))),
  labels,
  warnings: [],
});

const check = (guideline: Guideline, s: Segmentation) => checkAnnotation(guideline, { id: 'a1', annotator: 'rater1', segmentation: s, checklist: null, attestation: null });
const only = (fs: Finding[], r: RuleCode) => fs.filter((f) => f.rule === r);
const guideline = (labels: Guideline['labels']): Guideline => ({ schema_version: 1, id: 't', version: '1.0.0', title: 't', labels });

const closeTo = (got: number[] | undefined, want: number[]) => {
  expect(got).toHaveLength(want.length);
  want.forEach((w, t) => expect(got![t]).toBeCloseTo(w, 6));
};

/** Sagittal slices: k runs along patient L, i along P, j from superior to inferior. */
const SAGITTAL = grid([8, 16, 6], [0.5, 0.8, 3], [10, -20, 30], [
  [0, 1, 0],
  [0, 0, -1],
  [1, 0, 0],
]);

/** Coronal slices: k runs along patient P, i along L, j from superior to inferior. */
const CORONAL = grid([20, 20, 10], [1, 1, 2], [-5, 7, 40], [
  [1, 0, 0],
  [0, 0, -1],
  [0, 1, 0],
]);

/** Axial, tilted 36.9° about L (gantry tilt): k = (0, 0.6, 0.8) is closer to S than to P. */
const TILTED = grid([8, 8, 6], [1, 1, 1], [0, 0, 0], [
  [1, 0, 0],
  [0, 0.8, -0.6],
  [0, 0.6, 0.8],
]);

describe('the plane of a grid, from its direction cosines', () => {
  test('k along L is sagittal, along P coronal, along S (or tilted toward it) axial', () => {
    expect(sliceAxis(SAGITTAL)).toBe('sagittal');
    expect(sliceAxis(CORONAL)).toBe('coronal');
    expect(sliceAxis(TILTED)).toBe('axial');
    expect(sliceAxis(axisGeometry([4, 4, 4]))).toBe('axial');
    // A NIfTI in RAS flips L and P, which names no other plane.
    expect(sliceAxis(grid([4, 4, 4], [1, 1, 1], [0, 0, 0], [[-1, 0, 0], [0, -1, 0], [0, 0, 1]]))).toBe('axial');
  });
});

describe('locations of findings', () => {
  test('components on a sagittal grid: the piece, its slices, its centre in voxels and in LPS mm', () => {
    // Voxel 0.5 x 0.8 x 3 = 1.2 mm³. The largest piece: 3x4x6 = 72 voxels; the stray one: i 4–6, j 10–11, k 2–4 = 18 voxels (21.6 mm³).
    const s = seg(SAGITTAL, [mask(SAGITTAL, [[[0, 0, 0, 2, 3, 5], 1], [[4, 10, 2, 6, 11, 4], 1]])], 'sag.nii.gz');
    const f = check(guideline([{ name: 'Liver', value: 1, max_components: 1, min_component_volume_mm3: 50 }]), s);
    const many = only(f, 'components.too_many')[0];
    const small = only(f, 'component.too_small')[0];
    // Centre (5, 10.5, 3): x = 10 + 3·3 = 19 (L), y = −20 + 5·0.5 = −17.5 (P), z = 30 − 10.5·0.8 = 21.6 (S).
    const want = { file: 'sag.nii.gz', slice: 3, bbox: [4, 10, 2, 6, 11, 4], axis: 'sagittal', slices: [2, 4], center: [5, 10.5, 3], component: 2, labels: ['Liver'] };
    for (const x of [many, small]) {
      expect(x.location).toMatchObject(want);
      closeTo(x.location?.center_mm, [19, -17.5, 21.6]);
    }
    expect(many.message).toContain('there is 21.6 mm³ at slices 2–4 (sagittal, around (5, 11) px, L 19 A 17.5 S 21.6 mm)');
    expect(small.message).toBe("Liver component of 21.6 mm³ at slices 2–4 (sagittal, around (5, 11) px, L 19 A 17.5 S 21.6 mm) is below the guideline's minimum of 50 mm³");
  });

  test('containment on a coronal grid: the outside voxels, not the whole label', () => {
    const g = CORONAL;
    // Tumour i 13–14, j 5–6 on slice 3, just past the liver's face at i = 12: 4 voxels of 2 mm³, 2 mm out at most.
    const s = seg(g, [mask(g, [[[2, 2, 2, 12, 12, 7], 1], [[13, 5, 3, 14, 6, 3], 2]])]);
    const f = check(guideline([{ name: 'Liver', value: 1 }, { name: 'Tumour', value: 2, inside: { label: 'Liver', tolerance_mm: 0 } }]), s);
    const c = only(f, 'containment.outside')[0];
    expect(c.location).toMatchObject({ slice: 3, bbox: [13, 5, 3, 14, 6, 3], axis: 'coronal', slices: [3, 3], center: [13.5, 5.5, 3], labels: ['Tumour'] });
    // x = −5 + 13.5 = 8.5, y = 7 + 3·2 = 13, z = 40 − 5.5 = 34.5.
    closeTo(c.location?.center_mm, [8.5, 13, 34.5]);
    expect(c.message).toBe('4 voxels (8 mm³) of Tumour lie outside Liver, up to 2 mm away, at slice 3 (coronal, around (14, 6) px, L 8.5 P 13 S 34.5 mm); the guideline says Tumour lies inside Liver');
  });

  test('an overlap on a tilted axial grid names both labels as a list', () => {
    const g = TILTED;
    // A: i 0–3, j 0–3, k 0–2; B: i 2–5, j 3–5, k 1–3: they share i 2–3, j 3, k 1–2 (4 voxels).
    const s = seg(g, [mask(g, [[[0, 0, 0, 3, 3, 2], 1]]), mask(g, [[[2, 3, 1, 5, 5, 3], 2]])]);
    const f = check(guideline([{ name: 'A', value: 1, exclusive_with: ['B'] }, { name: 'B', value: 2 }]), s);
    const o = only(f, 'overlap.forbidden')[0];
    expect(o.location).toMatchObject({ bbox: [2, 3, 1, 3, 3, 2], axis: 'axial', slices: [1, 2], center: [2.5, 3, 1.5], labels: ['A', 'B'], region: 'A / B' });
    // x = 2.5, y = 3·0.8 + 1.5·0.6 = 3.3, z = −3·0.6 + 1.5·0.8 = −0.6.
    closeTo(o.location?.center_mm, [2.5, 3.3, -0.6]);
    expect(o.message).toContain('A and B overlap in 4 voxels (4 mm³) at slices 1–2 (axial, around (3, 3) px, L 2.5 P 3.3 I 0.6 mm)');
  });

  test('a slice gap: the empty slices as a range, the first as the slice', () => {
    const g = CORONAL;
    const s = seg(g, [mask(g, [[[1, 1, 1, 4, 4, 2], 1], [[1, 1, 6, 4, 4, 6], 1]])]);
    const [gap] = check(guideline([{ name: 'Liver', value: 1, contiguous_slices: true }]), s);
    expect(gap.rule).toBe('slices.gap');
    expect(gap.location).toMatchObject({ slice: 3, bbox: [1, 1, 3, 4, 4, 5], axis: 'coronal', slices: [3, 5], center: [2.5, 2.5, 4], labels: ['Liver'] });
    expect(gap.message).toContain('Liver skips coronal slices: slices 3–5 are empty between slice 2 and slice 6');
  });

  test('2D: no plane or slices; mm from the pixel spacing, none without it', () => {
    const g: Geometry = axisGeometry([10, 10, 1], [0.5, 0.4, 1], [100, 200, 0]);
    // Two regions of 0.2 mm² pixels: 3x3 = 9 at the corner, and i 6–7, j 4–8 = 10, the largest.
    const d = mask(g, [[[0, 0, 0, 2, 2, 0], 1], [[6, 4, 0, 7, 8, 0], 1]]);
    const gl = guideline([{ name: 'Nucleus', value: 1, max_components: 1 }]);
    const [many] = check(gl, seg(g, [d], 'tile.png', [], 'png'));
    expect(many.location).toMatchObject({ file: 'tile.png', slice: 0, bbox: [0, 0, 0, 2, 2, 0], center: [1, 1, 0], component: 2, labels: ['Nucleus'] });
    expect(many.location).not.toHaveProperty('axis');
    expect(many.location).not.toHaveProperty('slices');
    // x = 100 + 1·0.5, y = 200 + 1·0.4.
    closeTo(many.location?.center_mm, [100.5, 200.4, 0]);
    expect(many.message).toContain('Besides the largest (2 mm²) there is 1.8 mm² around pixel (1, 1) (100.5, 200.4 mm)');
    const [px] = check(gl, seg({ ...g, spacingKnown: false }, [d], 'tile.png', [], 'png'));
    expect(px.location).not.toHaveProperty('center_mm');
    expect(px.message.endsWith('Besides the largest (10 pixels) there is 9 pixels around pixel (1, 1)')).toBe(true);
  });

  test("labels: an unknown label's own name, the file's name of a mis-numbered label", () => {
    const g = axisGeometry([4, 4, 4]);
    const d = mask(g, [[[0, 0, 0, 1, 1, 1], 2], [[2, 2, 2, 3, 3, 3], 7]]);
    const s = seg(g, [d], 'seg.dcm', [{ value: 2, name: 'liver' }, { value: 7, name: 'Necrosis' }], 'dicom-seg');
    const f = check(guideline([{ name: 'Liver', value: 1 }]), s);
    // The unknown label says where its voxels are: the box i, j, k 2–3 of 1 mm voxels.
    const unknown = only(f, 'label.unknown')[0];
    expect(unknown.location).toEqual({ region: 'Necrosis', file: 'seg.dcm', slice: 3, bbox: [2, 2, 2, 3, 3, 3], axis: 'axial', slices: [2, 3], center: [2.5, 2.5, 2.5], center_mm: [2.5, 2.5, 2.5], labels: ['Necrosis'] });
    expect(unknown.message).toBe("Label 'Necrosis' (value 7) at slices 2–3 (axial, around (3, 3) px, L 2.5 P 2.5 S 2.5 mm) is not in the guideline, which has 1 Liver");
    expect(only(f, 'label.value_mismatch')[0].location).toEqual({ region: 'liver', labels: ['liver'] });
  });

  test('uneven slices: the centre lies between the slices it falls between', () => {
    const g: Geometry = { ...axisGeometry([4, 4, 4], [1, 1, 2.5], [0, 0, 0]), unevenSlicePositions: [0, 2.5, 5.01, 10] };
    const loc = boxLocation([0, 0, 2, 1, 1, 3], g);
    // k 2.5 lies halfway between 5.01 and 10 mm.
    closeTo(loc.center_mm, [0.5, 0.5, 7.505]);
  });
});

describe('the report with the new location keys', () => {
  test('validates against guidelines/report.schema.json', () => {
    const validate = new Ajv2020({ allErrors: true, strict: false }).compile(reportSchema);
    const findings = [
      ...check(guideline([{ name: 'Liver', value: 1, max_components: 1, min_component_volume_mm3: 50, min_volume_mm3: 1e6 }]), seg(SAGITTAL, [mask(SAGITTAL, [[[0, 0, 0, 2, 3, 5], 1], [[4, 10, 2, 6, 11, 4], 1]])])),
      ...check(guideline([{ name: 'A', value: 1, exclusive_with: ['B'] }, { name: 'B', value: 2 }]), seg(TILTED, [mask(TILTED, [[[0, 0, 0, 3, 3, 2], 1]]), mask(TILTED, [[[2, 3, 1, 5, 5, 3], 2]])])),
    ];
    expect(new Set(findings.map((f) => f.rule))).toEqual(new Set(['components.too_many', 'component.too_small', 'volume.below_min', 'overlap.forbidden']));
    const report = buildReport([{ id: 'x', files: [], annotations: [], findings, agreement: [] }], { tool: { name: 'segqc', version: '0' }, guideline: { id: 't', version: '1', sha256: '0'.repeat(64), path: 'g.yaml' }, config: { path: 'segqc.yaml', fail_on: 'error' } }, 0);
    expect(validate(JSON.parse(JSON.stringify(report))), JSON.stringify(validate.errors)).toBe(true);
    const broken = JSON.parse(JSON.stringify(report));
    broken.items[0].findings[0].location.axis = 'transverse';
    expect(validate(broken)).toBe(false);
  });
});

describe('no words read back', () => {
  test('a Git LFS pointer is a format.unreadable finding with reason lfs_pointer; other unreadable files have none', () => {
    const tree = memoryTree({
      'labels/a.nii.gz': 'version https://git-lfs.github.com/spec/v1\noid sha256:' + 'a'.repeat(64) + '\nsize 4242\n',
      'labels/b.nii.gz': new Uint8Array([31, 139, 8, 0, 1, 2]),
    });
    const config = { guideline: 'g.yaml', sources: [{ format: 'nifti' as const, path: 'labels/*.nii.gz' }], reference: null, gate: { fail_on: 'error' as const } };
    const r = checkDataset(tree, config, guideline([{ name: 'Liver', value: 1 }]), { guidelinePath: 'g.yaml', configPath: 'segqc.yaml', toolVersion: '0' });
    const unreadable = r.items.flatMap((i) => i.findings).filter((f) => f.rule === 'format.unreadable');
    expect(unreadable.map((f) => [f.location?.file, f.reason])).toEqual([
      ['labels/a.nii.gz', 'lfs_pointer'],
      ['labels/b.nii.gz', undefined],
    ]);
  });

  test('the editor finds the regions of both labels of an overlap from the list, whatever the names hold', () => {
    const names = ['Tumour / stroma', 'Stroma'];
    // The region string joins the names with ' / ', which one of them holds: only the list says which labels.
    const f = { rule: 'overlap.forbidden', label: names[0], location: { region: names.join(' / '), labels: names } } as Finding;
    const regions = [
      { id: 'r1', type: 'brush' as const, label: 'Tumour / stroma', layer: 0 },
      { id: 'r2', type: 'polygon' as const, label: 'Stroma', layer: 1 },
      { id: 'r3', type: 'polygon' as const, label: 'Tumour', layer: 2 },
    ];
    expect(regionsOfFinding(f, regions, null)).toEqual(['r1', 'r2']);
  });
});

describe('numbers in finding messages', () => {
  test('groups thousands exactly as toLocaleString("en-US") does, without calling it', () => {
    const values = [1000, 1001, 9999, 10000, 123456, 999999, 1000000, 1234567, 98765432, 2 ** 31, 2 ** 53 - 1, 1e20, -1000, -1234567, -98765432];
    for (let k = 1; k <= 500; k++) values.push(Math.round((k * 7919.37) ** 1.7), -Math.round((k * 104729.1) ** 1.3));
    for (const v of values) expect(grouped(v), String(v)).toBe(v.toLocaleString('en-US'));
    expect(num(1234.6)).toBe('1,235');
    expect(num(-1520000)).toBe('-1,520,000');
    expect(num(12.345)).toBe('12.3');
  });
});
