/** Definitions each held in one place and used by every caller: 2D, allclose, agreement pairs and tolerance, task ids. */
import { describe, expect, it } from 'vitest';
import { axisGeometry, is2D } from '../shared/model.js';
import { allClose, geometryDifferences } from '../shared/geometry.js';
import { geometryRules } from '../shared/rules/geometry.js';
import { annotationPairs, reportToleranceMm, REPORT_TOLERANCE_MM } from '../shared/rules/agreement.js';
import { discoverItems, sidecarOf, taskItemId } from '../shared/dataset/items.js';
import { memoryTree } from '../shared/dataset/tree.js';

describe('one definition per concept', () => {
  it('2D: a grid, or a shape, whose third dimension is 1', () => {
    expect(is2D(axisGeometry([64, 32, 1]))).toBe(true);
    expect(is2D({ shape: [64, 32, 1] })).toBe(true);
    expect(is2D({ shape: [64, 1, 32] })).toBe(false);
    expect(is2D({ shape: [1, 1, 2] })).toBe(false);
  });

  it('allclose: |a − b| <= 1e-3 + 1e-5·|b| per element, and the same for the geometry rule and the grid comparison', () => {
    expect(allClose([100, 0], [100.002, 0.0009])).toBe(true); // 0.002 <= 0.001 + 0.00100002
    expect(allClose([100, 0], [100.0021, 0])).toBe(false);
    expect(allClose([0], [0.0011])).toBe(false);
    expect(allClose([1, 2], [1, 2, 3])).toBe(false);
    expect(allClose([10], [10.5], { rtol: 0, atol: 0.5 })).toBe(true);
    const image = axisGeometry([8, 8, 4], [1, 1, 2], [0, 0, 0]);
    const near = axisGeometry([8, 8, 4], [1, 1, 2], [0.0009, 0, 0]);
    const off = axisGeometry([8, 8, 4], [1, 1, 2], [0.0011, 0, 0]);
    expect([geometryDifferences(near, image).length, geometryRules(near, image, 'img.nii.gz').length]).toEqual([0, 0]);
    expect(geometryDifferences(off, image).map((d) => d.field)).toEqual(['origin']);
    expect(geometryRules(off, image, 'img.nii.gz').map((f) => f.value)).toEqual(['(0.0011, 0, 0)']);
  });

  it('agreement pairs: each two annotations in order, then the reference with each', () => {
    expect(annotationPairs(['a', 'b', 'c'], 'R')).toEqual([['a', 'b'], ['a', 'c'], ['b', 'c'], ['R', 'a'], ['R', 'b'], ['R', 'c']]);
    expect(annotationPairs(['a'], null)).toEqual([]);
    expect(annotationPairs(['a'], 'R')).toEqual([['R', 'a']]);
  });

  it("the report's NSD tolerance: the rule's tolerance_mm, else 2 mm", () => {
    expect(REPORT_TOLERANCE_MM).toBe(2);
    expect(reportToleranceMm({ label: 'Liver', tolerance_mm: 0.5 })).toBe(0.5);
    expect(reportToleranceMm({ label: 'Liver', tolerance_mm: 0 })).toBe(0);
    expect(reportToleranceMm({ label: 'Liver', dice_min: 0.9 })).toBe(2);
    expect(reportToleranceMm(undefined)).toBe(2);
  });

  it("a task's item: its image's stem, else task-<id>, else task-<index>; a non-object task is an unreadable item", () => {
    expect(taskItemId({ id: 4, data: { image: '/data/upload/3/tile_001.png?token=x' } }, 0)).toBe('tile_001');
    expect(taskItemId({ id: 4, data: {} }, 0)).toBe('task-4');
    expect(taskItemId(null, 2)).toBe('task-2');
    expect(sidecarOf('labels/r1/ct_001.nii.gz')).toBe('labels/r1/ct_001.segqc.json');
    expect(sidecarOf('ct_001.nii.gz')).toBe('ct_001.segqc.json');
    const tree = memoryTree({ 'exports/a.json': '[null, {"id": 9, "data": {}, "annotations": []}]' });
    const { items } = discoverItems(tree, [{ format: 'labelstudio', path: 'exports/*.json' }], { labelValues: {} });
    expect(items.map((i) => [i.id, i.unreadable.map((u) => u.detail)])).toEqual([
      ['task-0', ['task 0 is null, not an object']],
      ['task-9', []],
    ]);
  });
});
