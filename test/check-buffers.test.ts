/** A check's reused buffers: a mask array reused from an earlier item gives the report a new one gives; shapes from runs. */
import { describe, expect, it } from 'vitest';
import { encodeBrushRle } from '../shared/formats/brush-rle.js';
import { MaskRecycler } from '../shared/formats/mask-recycler.js';
import { memoryTree } from '../shared/dataset/tree.js';
import { loadDatasetContext } from '../shared/dataset/context.js';
import { checkBatch, checkDataset, planCheck, type BatchItem } from '../shared/dataset/check.js';
import { labelShape } from '../shared/rules/shape.js';
import { axisGeometry, type Vec3 } from '../shared/model.js';
import type { ItemReport } from '../shared/report/types.js';

const GUIDELINE = `schema_version: 1
id: buffers-test
version: 1.0.0
title: Reused buffers
modalities: [CT]
labels:
  - name: Liver
    value: 1
    color: "#d2691e"
    required: true
    max_components: 1
  - name: Tumour
    value: 2
    color: "#ff0000"
    inside: { label: Liver, tolerance_mm: 1 }
`;

/** A w x h alpha mask: 255 on the rectangle [x0, x0 + sw) x [y0, y0 + sh). */
function rect(w: number, h: number, x0: number, y0: number, sw: number, sh: number): Uint8Array {
  const a = new Uint8Array(w * h);
  for (let y = y0; y < y0 + sh; y++) for (let x = x0; x < x0 + sw; x++) a[y * w + x] = 255;
  return a;
}

function task(id: number, w: number, h: number, liver: number[], tumour: number[] | null) {
  const region = (rid: string, rle: number[], label: string) => ({
    id: rid, type: 'brushlabels', from_name: 'label', to_name: 'image', original_width: w, original_height: h, image_rotation: 0,
    value: { format: 'rle', rle, brushlabels: [label] },
  });
  const result = [region(`l${id}`, liver, 'Liver')];
  if (tumour) result.push(region(`t${id}`, tumour, 'Tumour'));
  return { id, data: { image: `/data/upload/1/t${id}.png`, pixel_spacing: [1, 1] }, annotations: [{ id: id * 10, completed_by: 1, result }] };
}

/**
 * A big item (512², a liver with a tumour across most of it), then a small one (32²), a bad one (an RLE that does not
 * decode), a small one, and a big one whose masks are smaller than the first's: an array reused from an earlier item
 * that is not cleared would show in the voxels of the later ones.
 */
function dataset() {
  const big = 512, small = 32;
  const tasks = [
    task(1, big, big, encodeBrushRle(rect(big, big, 10, 10, 400, 400), big, big), encodeBrushRle(rect(big, big, 20, 20, 300, 300), big, big)),
    task(2, small, small, encodeBrushRle(rect(small, small, 2, 3, 5, 4), small, small), null),
    task(3, big, big, [7, 7, 7], null),
    task(4, small, small, encodeBrushRle(rect(small, small, 1, 1, 3, 3), small, small), encodeBrushRle(rect(small, small, 1, 1, 2, 2), small, small)),
    task(5, big, big, encodeBrushRle(rect(big, big, 100, 50, 7, 9), big, big), encodeBrushRle(rect(big, big, 101, 51, 2, 3), big, big)),
  ];
  const tree = memoryTree({
    'guideline.yaml': GUIDELINE,
    'segqc.yaml': 'guideline: guideline.yaml\nsources:\n  - format: labelstudio\n    path: exports/*.json\n    spacing: pixel_spacing\ngate:\n  fail-on: never\n',
    'exports/a.json': JSON.stringify(tasks),
  });
  return { tree, ctx: loadDatasetContext(tree) };
}

const opts = { guidelinePath: 'guideline.yaml', configPath: 'segqc.yaml', toolVersion: 'test' };

const voxels = (r: ItemReport) => r.annotations.flatMap((a) => a.labels.map((l) => [l.label, l.voxels]));

describe('reused mask arrays', () => {
  it('a check that reuses masks between items (no onItem) gives the report of one that does not, bad item included', () => {
    const { tree, ctx } = dataset();
    const reused = checkDataset(tree, ctx.config, ctx.guideline, opts);
    const fresh = checkDataset(tree, ctx.config, ctx.guideline, { ...opts, onItem: () => undefined });
    expect(JSON.stringify(reused)).toBe(JSON.stringify(fresh));
    expect(reused.items.map(voxels)).toEqual([
      [['Liver', 160000], ['Tumour', 90000]],
      [['Liver', 20]],
      [],
      [['Liver', 9], ['Tumour', 4]],
      [['Liver', 63], ['Tumour', 6]],
    ]);
    expect(reused.items[2].findings.map((f) => f.rule)).toContain('format.unreadable');
    expect(reused.items[3].findings.map((f) => f.rule)).not.toContain('format.unreadable');
  });

  it('checkBatch with a recycler: each item as a fresh check reports it, after a big item and after a bad one', () => {
    const { tree, ctx } = dataset();
    const plan = planCheck(tree, ctx.config, ctx.guideline, opts);
    const items: BatchItem[] = plan.items.map((p, index) => ({ index, id: p.id, orphan: false, audit: false }));
    const batch = { items, scope: ['exports/a.json'] };
    const run = (masks?: MaskRecycler) => {
      const out: ItemReport[] = [];
      checkBatch(tree, ctx.config, ctx.guideline, batch, undefined, (_, c) => out.push(c.report), undefined, masks);
      return out;
    };
    const masks = new MaskRecycler();
    const first = run(masks);
    // The recycler now holds the arrays of the last items: a second pass starts on used arrays.
    const second = run(masks);
    const fresh = run();
    expect(JSON.stringify(first)).toBe(JSON.stringify(fresh));
    expect(JSON.stringify(second)).toBe(JSON.stringify(fresh));
    expect(fresh.map(voxels)[4]).toEqual([['Liver', 63], ['Tumour', 6]]);
    expect(fresh[2].findings.map((f) => f.rule)).toContain('format.unreadable');
  });

  it('hands back a zeroed array of the asked type and length, reused only once taken back, within its byte budget', () => {
    const r = new MaskRecycler(3000);
    const a = r.allocate(1000, 1);
    const a2 = r.allocate(1000, 1);
    expect(a2).not.toBe(a);
    a.fill(9);
    a2.fill(9);
    r.recycle();
    const again = [r.allocate(1000, 1), r.allocate(1000, 1)];
    expect(new Set(again)).toEqual(new Set([a, a2]));
    for (const x of again) expect(x.every((v) => v === 0)).toBe(true);
    const wide = r.allocate(1000, 300);
    expect(wide).toBeInstanceOf(Uint16Array);
    expect(wide.length).toBe(1000);
    const odd = r.allocate(999, 1);
    expect([a, a2]).not.toContain(odd);
    r.recycle();
    // 1000 + 1000 + 2000 + 999 bytes handed back and 3000 kept, the latest first: the 999 and the Uint16Array.
    expect(r.allocate(1000, 300)).toBe(wide);
    expect(r.allocate(999, 1)).toBe(odd);
    expect([a, a2]).not.toContain(r.allocate(1000, 1));
    const few = new MaskRecycler(1e9, 2);
    const three = [few.allocate(10, 1), few.allocate(10, 1), few.allocate(10, 1)];
    few.recycle();
    const next = [few.allocate(10, 1), few.allocate(10, 1), few.allocate(10, 1)];
    expect(next.filter((x) => three.includes(x))).toHaveLength(2);
  });
});

/** Components by flood fill (full connectivity), independent of the runs: sizes, boxes and the slices with voxels. */
function floodShape(data: Uint8Array, value: number, [nx, ny, nz]: Vec3) {
  const seen = new Uint8Array(data.length);
  const comps: Array<{ voxels: number; bbox: number[] }> = [];
  const slices = new Set<number>();
  const d3 = nz > 1;
  for (let s = 0; s < data.length; s++) {
    if (data[s] !== value || seen[s]) continue;
    const box = [Infinity, Infinity, Infinity, -1, -1, -1];
    let n = 0;
    const stack = [s];
    seen[s] = 1;
    while (stack.length) {
      const v = stack.pop()!;
      const i = v % nx, j = Math.floor(v / nx) % ny, k = Math.floor(v / (nx * ny));
      n++;
      slices.add(k);
      [box[0], box[1], box[2]] = [Math.min(box[0], i), Math.min(box[1], j), Math.min(box[2], k)];
      [box[3], box[4], box[5]] = [Math.max(box[3], i), Math.max(box[4], j), Math.max(box[5], k)];
      for (let dk = d3 ? -1 : 0; dk <= (d3 ? 1 : 0); dk++)
        for (let dj = -1; dj <= 1; dj++)
          for (let di = -1; di <= 1; di++) {
            const a = i + di, b = j + dj, c = k + dk;
            if (a < 0 || b < 0 || c < 0 || a >= nx || b >= ny || c >= nz) continue;
            const u = (c * ny + b) * nx + a;
            if (data[u] === value && !seen[u]) {
              seen[u] = 1;
              stack.push(u);
            }
          }
    }
    comps.push({ voxels: n, bbox: box });
  }
  return { voxels: comps.reduce((t, c) => t + c.voxels, 0), comps, slices: [...slices].sort((x, y) => x - y) };
}

describe('labelShape from runs', () => {
  it('matches a flood fill on random 2D and 3D masks: voxels, component sizes and boxes, slices', () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (const shape of [[40, 30, 1], [17, 13, 9], [9, 21, 5], [64, 1, 1]] as Vec3[]) {
      for (const density of [0.05, 0.3, 0.6]) {
        const data = new Uint8Array(shape[0] * shape[1] * shape[2]).map(() => (rand() < density ? (rand() < 0.8 ? 1 : 2) : 0));
        const got = labelShape({ data, value: 1 }, axisGeometry(shape, [1, 1, 1]));
        const want = floodShape(data, 1, shape);
        expect(got.voxels).toBe(want.voxels);
        expect(got.slices).toEqual(want.slices);
        const key = (c: { voxels: number; bbox: readonly number[] }) => `${c.voxels}:${c.bbox.join(',')}`;
        expect(got.components.map(key).sort()).toEqual(want.comps.map(key).sort());
        expect(got.components.map((c) => c.voxels)).toEqual([...want.comps.map((c) => c.voxels)].sort((x, y) => y - x));
      }
    }
  });

  it('an empty mask has no voxels, box, component or slice', () => {
    expect(labelShape({ data: new Uint8Array(24), value: 1 }, axisGeometry([4, 3, 2], [1, 1, 1]))).toEqual({ voxels: 0, bbox: null, components: [], slices: [] });
  });
});
