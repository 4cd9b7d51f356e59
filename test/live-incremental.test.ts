/**
 * The editor's incremental live check against a check from scratch: components updated on the changed box only, and
 * containment measured again on the changed rows only, must give exactly what labelling and measuring the whole
 * masks again gives, through random strokes that add, join, split and erase.
 */
import { describe, expect, test } from 'vitest';
import { axisGeometry } from '../shared/model.js';
import { IncrementalComponents, type PixelBox } from '../shared/metrics/components-incremental.js';
import { incrementalShape, labelShape } from '../shared/rules/shape.js';
import { checkAnnotation } from '../shared/rules/engine.js';
import { LiveChecker } from '../extension/src/live.js';
import { frameOf, paintStroke, pixelAt, type Stroke } from '../extension/src/strokes.js';
import type { MaskLayer } from '../shared/model.js';
import { MaskPool } from '../extension/src/pool.js';
import { GUIDELINE } from './extension-scenario.js';
import { prng } from './fuzz/prng.js';
import { warmUp } from '../extension/src/warm-up.js';

const rng = (seed: number) => prng(seed).next;

/** A random stroke in percent of the image: 1 to 4 points, 1 % to 12 % wide, sometimes reaching past the edges. */
function randomStroke(rand: () => number, eraser: boolean): Stroke {
  const n = 1 + Math.floor(rand() * 4);
  const pts: number[] = [];
  let x = -5 + rand() * 110, y = -5 + rand() * 110;
  for (let k = 0; k < n; k++) {
    pts.push(x, y);
    x += (rand() - 0.5) * 40;
    y += (rand() - 0.5) * 40;
  }
  return { type: eraser ? 'eraser' : 'add', relativePoints: pts, relativeStrokeWidth: 1 + rand() * 11 };
}

describe('the pool of region arrays', () => {
  test('hands out zeroed arrays: the box given back is cleared, and a null box clears all', () => {
    const pool = new MaskPool();
    const w = 10;
    const a = new Uint8Array(100);
    for (let j = 2; j <= 4; j++) for (let i = 3; i <= 7; i++) a[j * w + i] = 5;
    pool.give(a, [3, 2, 7, 4], w);
    const b = new Uint16Array(100).fill(9);
    pool.give(b, null, w);
    const x = pool.take(100, 5);
    expect(x).toBeInstanceOf(Uint8Array);
    expect(x.buffer).toBe(a.buffer);
    expect(x).not.toBe(a);
    expect(x.every((v) => v === 0)).toBe(true);
    const y = pool.take(100, 300);
    expect(y.buffer).toBe(b.buffer);
    expect(y.every((v) => v === 0)).toBe(true);
    expect(pool.take(100, 5).buffer).not.toBe(a.buffer);
  });
});

describe('incremental components', () => {
  test('equal a full labelling after every random stroke, added or erased, with sizes and boxes and order', () => {
    const w = 61, h = 47;
    const g = axisGeometry([w, h, 1]);
    for (const seed of [1, 2, 3]) {
      const rand = rng(seed);
      const value = 1 + seed;
      const inc = new IncrementalComponents(w, h, value);
      let mask = new Uint8Array(w * h);
      inc.update(mask, null);
      let pending: PixelBox | null = null;
      let joins = 0, splits = 0;
      for (let step = 0; step < 300; step++) {
        const before = labelShape({ data: mask, value }, g).components.length;
        const next = mask.slice();
        // Now and then another value is painted too: it is not in the mask.
        const s = randomStroke(rand, rand() < 0.35);
        const box = paintStroke(next, w, h, s, rand() < 0.1 ? value + 1 : value);
        if (box) pending = pending ? [Math.min(pending[0], box[0]), Math.min(pending[1], box[1]), Math.max(pending[2], box[2]), Math.max(pending[3], box[3])] : box;
        mask = next;
        // Several strokes between two updates: the update gets the union of their boxes.
        if (rand() < 0.3) continue;
        inc.update(mask, pending ?? [0, 0, -1, -1]);
        pending = null;
        const expected = labelShape({ data: mask, value }, g);
        expect(incrementalShape(inc), `seed ${seed} step ${step}`).toEqual(expected);
        if (expected.components.length < before && s.type === 'add') joins++;
        if (expected.components.length > before && s.type === 'eraser') splits++;
      }
      // The walk did join and split components, not only add isolated ones.
      expect(joins).toBeGreaterThan(5);
      expect(splits).toBeGreaterThan(2);
    }
  });

  test('long runs of strokes that only add (joining regions into one), then erasers that split them, equal a full labelling', () => {
    const w = 83, h = 64;
    const g = axisGeometry([w, h, 1]);
    for (const seed of [4, 5, 6]) {
      const rand = rng(seed);
      const inc = new IncrementalComponents(w, h, 1);
      let mask = new Uint8Array(w * h);
      inc.update(mask, null);
      for (let step = 0; step < 200; step++) {
        // Forty added strokes (thin ones, so that regions meet now and then), then one eraser in four.
        const eraser = step >= 40 && rand() < 0.25;
        const s = randomStroke(rand, eraser);
        const next = mask.slice();
        const box = paintStroke(next, w, h, { ...s, relativeStrokeWidth: s.relativeStrokeWidth / 3 }, 1);
        mask = next;
        inc.update(mask, box ?? [0, 0, -1, -1]);
        expect(incrementalShape(inc), `seed ${seed} step ${step}`).toEqual(labelShape({ data: mask, value: 1 }, g));
      }
    }
  });

  test('a join keeps the earliest first pixel: of two components of one size, the one found first in raster order leads', () => {
    const w = 10, h = 6;
    const g = axisGeometry([w, h, 1]);
    const mask = new Uint8Array(w * h);
    mask[0] = 1; // one pixel at the top left
    for (let i = 0; i <= 2; i++) mask[4 * w + i] = 1; // three on row 4
    for (let i = 3; i <= 9; i++) mask[i] = 1; // seven on row 0, from column 3
    const inc = new IncrementalComponents(w, h, 1);
    inc.update(mask, null);
    // Column 0, rows 1 to 3, joins the pixel and the three: seven pixels from index 0, before the row's seven from index 3.
    const next = mask.slice();
    for (let j = 1; j <= 3; j++) next[j * w] = 1;
    inc.update(next, [0, 1, 0, 3]);
    const want = labelShape({ data: next, value: 1 }, g);
    expect(want.components.map((c) => c.bbox)).toEqual([[0, 0, 0, 2, 4, 0], [3, 0, 0, 9, 0, 0]]);
    expect(incrementalShape(inc)).toEqual(want);
  });

  test('a box larger than the change, and an update with no box, give the same components', () => {
    const w = 40, h = 30;
    const g = axisGeometry([w, h, 1]);
    const rand = rng(9);
    const mask = new Uint8Array(w * h);
    for (let k = 0; k < 12; k++) paintStroke(mask, w, h, randomStroke(rand, false), 1);
    const inc = new IncrementalComponents(w, h, 1);
    inc.update(mask, null);
    expect(incrementalShape(inc)).toEqual(labelShape({ data: mask, value: 1 }, g));
    const next = mask.slice();
    paintStroke(next, w, h, { type: 'eraser', relativePoints: [50, 0, 50, 100], relativeStrokeWidth: 8 }, 1);
    inc.update(next, [-3, -3, w + 3, h + 3]);
    expect(incrementalShape(inc)).toEqual(labelShape({ data: next, value: 1 }, g));
  });
});

type Entry = Record<string, unknown> & { id: string; value: Record<string, unknown> };

describe('the live check after each edit', () => {
  const W = 96, H = 72;
  const task = { pixel_spacing: [0.8, 0.8] };
  const ctx = { task, item: 'task 1', annotation: 'a1', author: 'ann' };
  const brush = (id: string, label: string, strokes: Stroke[]): Entry => ({
    id,
    from_name: 'label',
    to_name: 'image',
    type: 'brushlabels',
    original_width: W,
    original_height: H,
    image_rotation: 0,
    value: { format: 'rle', rle: [], brushlabels: [label] },
    segqcStrokes: strokes,
  });
  const polygon = (id: string, label: string, cx: number, cy: number, r: number): Entry => ({
    id,
    from_name: 'label_polygon',
    to_name: 'image',
    type: 'polygonlabels',
    original_width: W,
    original_height: H,
    image_rotation: 0,
    value: { points: Array.from({ length: 6 }, (_, k) => [cx + r * Math.cos(k), cy + r * 1.3 * Math.sin(k)]), closed: true, polygonlabels: [label] },
  });

  /** A region's array as a whole-image array (a painted region's may hold only its box). */
  const whole = (data: MaskLayer['data']): MaskLayer['data'] => {
    const frame = frameOf(data);
    if (frame === undefined) return data;
    const out = new (data.constructor as Uint8ArrayConstructor)(W * H);
    for (let j = 0; j < H; j++) for (let i = 0; i < W; i++) out[j * W + i] = pixelAt(data, frame, W, i, j);
    return out;
  };

  /** The findings of a check from scratch: the regions as a fresh checker reads them, through the engine without any memo. */
  const fromScratch = (result: Entry[]) => {
    const fresh = new LiveChecker(GUIDELINE).check(result, ctx);
    expect(fresh.readError).toBeNull();
    fresh.segmentation!.layers = fresh.segmentation!.layers.map((l) => ({ ...l, data: whole(l.data) }));
    const labelValues = Object.fromEntries(GUIDELINE.labels.map((l) => [l.name, l.value]));
    const input = { id: 'a1', annotator: 'ann', segmentation: fresh.segmentation!, checklist: fresh.answers, attestation: null };
    const findings = checkAnnotation(GUIDELINE, input, 'task 1', { labelValuesByName: labelValues }).filter((f) => !f.rule.startsWith('checklist.') && !f.rule.startsWith('attestation.'));
    return { findings, layers: fresh.segmentation!.layers };
  };

  test('the warm-up run at attach reaches the containment paths and leaves nothing behind: checks after it are those before it and from scratch', () => {
    const session = (checker: LiveChecker) => {
      const liver: Stroke[] = [{ type: 'add', relativePoints: [40, 50, 60, 52], relativeStrokeWidth: 45 }];
      const far: Stroke[] = [{ type: 'add', relativePoints: [4, 92, 12, 95], relativeStrokeWidth: 5 }];
      const steps: Array<() => Entry[]> = [
        () => [brush('liver', 'Liver', liver.slice()), polygon('t0', 'Liver tumour', 50, 50, 5)],
        () => [brush('liver', 'Liver', liver.slice()), polygon('t0', 'Liver tumour', 50, 50, 5), brush('far', 'Liver tumour', far.slice())],
        () => (far.push({ type: 'add', relativePoints: [12, 95, 20, 96], relativeStrokeWidth: 5 }), [brush('liver', 'Liver', liver.slice()), polygon('t0', 'Liver tumour', 50, 50, 5), brush('far', 'Liver tumour', far.slice())]),
        () => (liver.push({ type: 'add', relativePoints: [75, 50, 92, 50], relativeStrokeWidth: 8 }), [brush('liver', 'Liver', liver.slice()), polygon('t0', 'Liver tumour', 88, 50, 4), brush('far', 'Liver tumour', far.slice())]),
        () => (liver.push({ type: 'eraser', relativePoints: [80, 50, 84, 50], relativeStrokeWidth: 6 }), [brush('liver', 'Liver', liver.slice()), polygon('t0', 'Liver tumour', 88, 50, 4), brush('far', 'Liver tumour', far.slice())]),
      ];
      return steps.map((step, k) => {
        const result = step();
        const live = checker.check(result, ctx);
        expect(live.readError).toBeNull();
        expect(live.findings, `step ${k}`).toEqual(fromScratch(result).findings);
        return live.findings;
      });
    };
    const before = session(new LiveChecker(GUIDELINE));
    expect(before.flat().map((f) => f.rule)).toContain('containment.outside');
    const w = warmUp(GUIDELINE);
    expect(w.rules).toEqual(expect.arrayContaining(['containment.outside', 'volume.below_min']));
    expect(session(new LiveChecker(GUIDELINE))).toEqual(before);
    // Without a containment rule the warm-up still runs the other rules' paths.
    const plain = { ...GUIDELINE, labels: GUIDELINE.labels.map(({ inside: _, ...l }) => l) };
    expect(warmUp(plain).rules).not.toContain('containment.outside');
    expect(session(new LiveChecker(GUIDELINE))).toEqual(before);
  });

  test('gives the findings of a check from scratch through random strokes, erasers, polygon moves and deletions', () => {
    for (const seed of [11, 12]) {
      const rand = rng(seed);
      const checker = new LiveChecker(GUIDELINE);
      let result: Entry[] = [brush('liver0', 'Liver', [{ type: 'add', relativePoints: [50, 50, 55, 52], relativeStrokeWidth: 40 }]), polygon('t0', 'Liver tumour', 45, 45, 6)];
      const seen = new Set<string>();
      let next = 1;
      for (let step = 0; step < 120; step++) {
        const op = rand();
        const label = rand() < 0.4 ? 'Liver' : 'Liver tumour';
        if (op < 0.35) result = [...result, brush(`b${next++}`, label, [randomStroke(rand, false)])];
        else if (op < 0.65) {
          // More strokes on an existing brush region (a new entry object, as the editor serializes it).
          const brushes = result.filter((e) => Array.isArray(e.segqcStrokes));
          if (brushes.length === 0) continue;
          const e = brushes[Math.floor(rand() * brushes.length)];
          const more = [...(e.segqcStrokes as Stroke[]), randomStroke(rand, rand() < 0.4)];
          result = result.map((x) => (x === e ? { ...e, segqcStrokes: more } : x));
        } else if (op < 0.8) {
          const k = Math.floor(rand() * result.length);
          const e = result[k];
          result = result.map((x, i) => (i === k && !Array.isArray(e.segqcStrokes) ? polygon(e.id, (e.value.polygonlabels as string[])[0], rand() * 100, rand() * 100, 2 + rand() * 12) : x));
          if (Array.isArray(e.segqcStrokes)) result = [...result, polygon(`p${next++}`, label, rand() * 100, rand() * 100, 2 + rand() * 12)];
        } else if (result.length > 1) {
          const k = Math.floor(rand() * result.length);
          result = result.filter((_, i) => i !== k);
        }
        const live = checker.check(result, ctx);
        expect(live.readError).toBeNull();
        const { findings: expected, layers } = fromScratch(result);
        expect(live.findings, `seed ${seed} step ${step}`).toEqual(expected);
        // Each region's array, painted over a copy or in a reused array, is the one painted afresh.
        const got = live.segmentation!.layers;
        expect(got.map((l) => [l.id, l.values])).toEqual(layers.map((l) => [l.id, l.values]));
        got.forEach((l, k) => {
          const a = whole(l.data), b = layers[k].data;
          expect(Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength)), `seed ${seed} step ${step} region ${l.id}`).toBe(true);
        });
        for (const f of expected) seen.add(f.rule);
      }
      // The walk went through the findings the incremental parts compute.
      for (const rule of ['containment.outside', 'components.too_many', 'component.too_small', 'volume.below_min']) expect([...seen], rule).toContain(rule);
    }
  });
});
