/** The extension's pure parts, in Node: per-label layers, the gate's verdict, the attestation, finding → region. */
import { describe, expect, test } from 'vitest';
import type { Geometry, MaskLayer, Segmentation } from '../shared/model.js';
import { axisGeometry } from '../shared/model.js';
import type { LabelStudioRegion } from '../shared/formats/labelstudio.js';
import { rasterizePolygon } from '../shared/formats/labelstudio.js';
import { validateAttestation } from '../shared/rules/attestation.js';
import { LabelLayers, pointBoxes } from '../extension/src/merge.js';
import { LiveChecker } from '../extension/src/live.js';
import { TOOL } from '../extension/src/version.js';
import { buildAttestation } from '../shared/rules/build-attestation.js';
import { canOverride } from '../shared/rules/override.js';
import { gateVerdict } from '../shared/rules/save-verdict.js';
import { regionsOfFinding } from '../extension/src/locate.js';
import { addActionMiddleware, currentUser, editorOptions, objectSizes, serializeResult, type SerializeCache } from '../extension/src/editor.js';
import { extendStrokeMask, frameOf, paintStroke, pixelAt, strokeMask, type Stroke } from '../extension/src/strokes.js';
import { GUIDELINE, H, W, preAnnotation } from './extension-scenario.js';
import { prng } from './fuzz/prng.js';

const geometry = (w: number, h: number): Geometry => axisGeometry([w, h, 1]);

const rng = (seed: number) => prng(seed).next;

describe('per-label layers', () => {
  test('stay equal to the plain union of each label\'s regions through adds, moves and deletions', () => {
    const w = 64, h = 48;
    const rand = rng(7);
    type Poly = { id: string; label: number; pts: Array<[number, number]>; data: Uint8Array };
    const polyOf = (id: string, label: number): Poly => {
      const cx = rand() * w, cy = rand() * h, r = 3 + rand() * 10;
      const pts = Array.from({ length: 6 }, (_, k) => [cx + r * Math.cos(k), cy + r * Math.sin(k)] as [number, number]);
      const data = new Uint8Array(w * h);
      rasterizePolygon(pts, w, h, data);
      for (let i = 0; i < data.length; i++) if (data[i]) data[i] = label;
      return { id, label, pts, data };
    };
    let polys: Poly[] = Array.from({ length: 8 }, (_, i) => polyOf(`p${i}`, 1 + (i % 2)));
    const merger = new LabelLayers();
    for (let step = 0; step < 40; step++) {
      const k = Math.floor(rand() * polys.length);
      const op = rand();
      if (op < 0.5) polys[k] = polyOf(polys[k].id, polys[k].label);
      else if (op < 0.7 && polys.length > 2) polys = polys.filter((_, i) => i !== k);
      else polys.push(polyOf(`n${step}`, 1 + Math.floor(rand() * 2)));
      const layers: MaskLayer[] = polys.map((p) => ({ data: p.data, values: p.data.some((v) => v) ? [p.label] : [], id: p.id }));
      const regions: LabelStudioRegion[] = polys.map((p, i) => ({ id: p.id, type: 'polygon', label: `L${p.label}`, layer: i }));
      const seg: Segmentation = { path: 'x', format: 'labelstudio', geometry: geometry(w, h), layers, labels: [], warnings: [] };
      const result = polys.map((p) => ({ id: p.id, original_width: w, original_height: h, value: { points: p.pts.map(([x, y]) => [(x / w) * 100, (y / h) * 100]) } }));
      const merged = merger.merge(seg, regions, pointBoxes(result));
      for (const label of [1, 2]) {
        const expected = new Uint8Array(w * h);
        for (const p of polys) if (p.label === label) for (let i = 0; i < expected.length; i++) if (p.data[i]) expected[i] = label;
        const holders = merged.layers.filter((l) => l.values.includes(label));
        const got = new Uint8Array(w * h);
        for (const l of holders) for (let i = 0; i < got.length; i++) if (l.data[i] === label) got[i] = label;
        expect(holders.length).toBeLessThanOrEqual(1);
        expect(Buffer.from(got).equals(Buffer.from(expected)), `label ${label} at step ${step}`).toBe(true);
      }
    }
  });
});

describe('brush strokes painted for the live check', () => {
  /** A painted region's array as a whole `w`×`h` image (it may hold only its box). */
  const whole = (data: ArrayLike<number>, w: number, h: number) => {
    const out = new Uint8Array(w * h);
    for (let j = 0; j < h; j++) for (let i = 0; i < w; i++) out[j * w + i] = pixelAt(data, frameOf(data), w, i, j);
    return out;
  };

  test('a stroke is a round-capped band; an eraser stroke clears what it covers', () => {
    const w = 100, h = 80;
    // From (20, 40) to (60, 40) px, 10 px wide: a 40x10 band plus two half discs of radius 5.
    const add = { type: 'add' as const, relativePoints: [20, 50, 60, 50], relativeStrokeWidth: 10 };
    const painted = strokeMask(null, [add], w, h);
    const { any, box } = painted;
    const m = whole(painted.data, w, h);
    const count = Array.from(m).reduce((a, v) => a + v, 0);
    expect(any).toBe(true);
    expect(Math.abs(count - (40 * 10 + Math.PI * 25))).toBeLessThan(20);
    expect(m[40 * w + 40]).toBe(1);
    expect(m[30 * w + 40]).toBe(0);
    // The box holds every painted pixel, and the array only the box.
    expect(box).not.toBeNull();
    const [i0, j0, i1, j1] = box!;
    for (let j = 0; j < h; j++) for (let i = 0; i < w; i++) if (m[j * w + i]) expect(i >= i0 && i <= i1 && j >= j0 && j <= j1).toBe(true);
    expect(painted.data.length).toBe((i1 - i0 + 1) * (j1 - j0 + 1));
    const erase = { type: 'eraser' as const, relativePoints: [40, 50, 40, 50], relativeStrokeWidth: 6 };
    const e = whole(strokeMask(null, [add, erase], w, h, 3).data, w, h);
    expect(e[40 * w + 40]).toBe(0);
    expect(e[40 * w + 25]).toBe(3);
    expect(Array.from(e).filter((v) => v !== 0).length).toBeLessThan(count - 20);
  });

  test('a region painted in its box, stroke after stroke, equals its strokes painted on the whole image', () => {
    const w = 53, h = 41;
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    for (let run = 0; run < 40; run++) {
      const strokes: Stroke[] = [];
      let painted = strokeMask(null, [], w, h, 5);
      expect(painted.any).toBe(false);
      expect(whole(painted.data, w, h).every((v) => v === 0)).toBe(true);
      for (let k = 0; k < 6; k++) {
        const n = 1 + Math.floor(rand() * 3);
        const pts = Array.from({ length: 2 * n }, () => -10 + rand() * 120);
        const s: Stroke = { type: k > 0 && rand() < 0.3 ? 'eraser' : 'add', relativePoints: pts, relativeStrokeWidth: 2 + rand() * 15 };
        strokes.push(s);
        const expected = new Uint8Array(w * h);
        let any = false;
        for (const t of strokes) if (paintStroke(expected, w, h, t, 5) && t.type === 'add') any = true;
        const ext = extendStrokeMask(painted, false, [s], w, h, 5);
        painted = ext.painted;
        expect(Buffer.from(whole(painted.data, w, h)).equals(Buffer.from(expected)), `run ${run} stroke ${k}`).toBe(true);
        expect(painted.any).toBe(any);
        expect(Buffer.from(whole(strokeMask(null, strokes, w, h, 5).data, w, h)).equals(Buffer.from(expected))).toBe(true);
        for (let j = 0; j < h; j++) for (let i = 0; i < w; i++) if (expected[j * w + i]) expect(painted.box && i >= painted.box[0] && i <= painted.box[2] && j >= painted.box[1] && j <= painted.box[3]).toBe(true);
        expect(ext.changed).toEqual(paintStroke(new Uint8Array(w * h), w, h, s, 5));
      }
    }
  });
});

describe('gate and attestation', () => {
  const checker = new LiveChecker(GUIDELINE);
  const task = { pixel_spacing: [0.8, 0.8] };
  const state = checker.check(preAnnotation(), { task, item: 'task 1', annotation: 'a1', author: 'ann' });

  test('the live check of the scenario: a small liver and a tumour outside it, in mm²', () => {
    expect(state.readError).toBeNull();
    expect(state.findings.map((f) => f.rule).sort()).toEqual(['containment.outside', 'volume.below_min']);
    expect(state.pixelsOnly).toBe(false);
    expect(state.checklist.filter((r) => r.visible).map((r) => r.item.id)).toEqual(['veins_excluded', 'margins_reviewed']);
    expect(state.presentLabels).toEqual(['Liver', 'Liver tumour']);
  });

  test('the verdict lists findings and unticked items; only the rules the guideline names can be overridden', () => {
    const v = gateVerdict(GUIDELINE, state, []);
    expect(v.blocked).toBe(true);
    expect(v.missing.filter((m) => m.startsWith('checklist:'))).toHaveLength(2);
    expect(v.overridable.map((f) => f.rule)).toEqual(['volume.below_min']);
    expect(canOverride(GUIDELINE, 'containment.outside')).toBe(false);
    // An override of a rule the guideline does not allow changes nothing.
    const v2 = gateVerdict(GUIDELINE, state, [{ rule: 'containment.outside', label: 'Liver tumour', reason: 'looks fine', by: null }]);
    expect(v2.missing.some((m) => m.includes('[containment.outside]'))).toBe(true);
    const v3 = gateVerdict(GUIDELINE, state, [{ rule: 'volume.below_min', label: 'Liver', reason: 'one slice', by: null }]);
    expect(v3.missing.some((m) => m.includes('[volume.below_min]'))).toBe(false);
  });

  test('without pixel spacing the check says sizes are in pixels', () => {
    const s = new LiveChecker(GUIDELINE).check(preAnnotation(), { task: {}, item: 't', annotation: 'a', author: null });
    expect(s.pixelsOnly).toBe(true);
  });

  test('answers come from the segqc_checklist choices; the attestation follows the schema', () => {
    const withAnswers = [
      ...preAnnotation(),
      { id: 'c1', from_name: 'segqc_checklist_veins_excluded', to_name: 'image', type: 'choices', value: { choices: ['yes'] } },
      { id: 'c2', from_name: 'segqc_checklist_margins_reviewed', to_name: 'image', type: 'choices', value: { choices: [] } },
    ];
    const s = checker.check(withAnswers, { task, item: 'task 1', annotation: 'a1', author: 'ann' });
    expect(s.answers).toEqual({ veins_excluded: true, margins_reviewed: false, no_tumour_confirmed: false });
    const overrides = [
      { rule: 'volume.below_min' as const, label: 'Liver', reason: 'one slice', by: 'ann' },
      { rule: 'components.too_many' as const, label: 'Liver', reason: 'not found anyway', by: 'ann' },
    ];
    const att = buildAttestation({ guideline: GUIDELINE, sha256: checker.sha256, findings: s.findings, answers: s.answers, overrides, tool: TOOL, now: new Date('2026-12-03T08:00:00Z') });
    expect(validateAttestation(att).problems).toEqual([]);
    // Only overrides of findings that exist are recorded.
    expect(att.overrides.map((o) => o.rule)).toEqual(['volume.below_min']);
    expect(att.submitted_at).toBe('2026-12-03T08:00:00.000Z');
    expect(att.guideline.sha256).toBe(checker.sha256);
  });

  test('a finding points at the region of its label inside its box', () => {
    const f = state.findings.find((x) => x.rule === 'containment.outside')!;
    expect(regionsOfFinding(f, state.regions, state.segmentation)).toEqual(['tumour_poly']);
    const v = state.findings.find((x) => x.rule === 'volume.below_min')!;
    expect(regionsOfFinding(v, state.regions, state.segmentation)).toEqual(['liver_brush']);
    expect([W, H]).toEqual(state.segmentation?.geometry.shape.slice(0, 2));
  });
});

describe('the editor adapter, by feature detection', () => {
  test('the user: the store\'s, completed from the editor\'s options when the store model dropped the e-mail', () => {
    const given = { pk: 1, id: 1, firstName: 'Ann', lastName: 'Otator', email: 'ann@example.org' };
    // A build whose user model keeps only id, pk and names (what @heartexlabs/label-studio 1.4.0 does).
    expect(currentUser({ user: { id: 1, pk: 1, firstName: 'Ann', lastName: 'Otator' } }, given)).toBe('ann@example.org');
    expect(currentUser({ user: { id: 1, firstName: 'Ann', lastName: 'Otator', email: 'a@x.org' } }, given)).toBe('a@x.org');
    expect(currentUser({ user: { id: 1, firstName: 'Ann', lastName: 'Otator' } })).toBe('Ann Otator');
    expect(currentUser({ user: { id: 7 } })).toBe('7');
    expect(currentUser({})).toBeNull();
    // The options of the instance that owns a bare store (LabelStudio.instances), or of the instance itself.
    const store = { annotationStore: {} };
    const ls = { store, options: { user: given } };
    const win = { LabelStudio: { instances: new Set([{ store: { annotationStore: {} }, options: {} }, ls]) } };
    expect(editorOptions(store, store, win)?.user).toBe(given);
    expect(editorOptions(ls, store, {})?.user).toBe(given);
    expect(editorOptions(store, store, {})).toBeNull();
  });

  test('regions of an image that has not loaded yet are left out and marked incomplete, not cached', () => {
    const image = { isReady: false, naturalWidth: 1, naturalHeight: 1 };
    const entry = (w: number) => ({ id: 'p', from_name: 'label_polygon', to_name: 'image', type: 'polygonlabels', original_width: w, original_height: w, value: { points: [] } });
    const area = { id: 'p#a', results: [{ serialize: () => entry(image.naturalWidth) }] };
    const snapshot = { 'p#a': {} };
    const annotation = {
      areas: new Map([[area.id, area]]),
      objects: [image],
      names: new Map<string, unknown>([['image', image]]),
      history: { history: [snapshot], undoIdx: 0 },
      serializeAnnotation: () => [entry(image.naturalWidth)],
    };
    const cache: SerializeCache = new Map();
    expect(serializeResult(annotation, cache)).toEqual({ result: [], incomplete: true });
    expect(cache.size).toBe(0);
    expect(serializeResult(annotation, undefined, true).incomplete).toBe(true);
    // Loaded: the same undo snapshot, now with the image's sizes.
    Object.assign(image, { isReady: true, naturalWidth: 160, naturalHeight: 120 });
    expect(serializeResult(annotation, cache)).toEqual({ result: [entry(160)], incomplete: false });
    expect(cache.size).toBe(1);
    // A build that knows the natural size before it calls the image ready is not held back.
    Object.assign(image, { isReady: false });
    expect(serializeResult(annotation, new Map()).incomplete).toBe(false);
  });

  test('a build without isReady (1.4.0): 1×1 results are not kept, and a size change outdates what was cached', () => {
    const image: Record<string, unknown> = { name: 'image', naturalWidth: 1, naturalHeight: 1 };
    let calls = 0;
    const entry = () => ({ id: 'b', from_name: 'label', to_name: 'image', type: 'brushlabels', original_width: image.naturalWidth, original_height: image.naturalHeight, value: { rle: [1] } });
    const area = { id: 'b#a', results: [{ serialize: () => (calls++, entry()) }] };
    const annotation = { areas: new Map([[area.id, area]]), objects: [image], names: new Map<string, unknown>([['image', image]]), history: { history: [{ 'b#a': {} }], undoIdx: 0 } };
    const cache: SerializeCache = new Map();
    expect(serializeResult(annotation, cache)).toEqual({ result: [], incomplete: true });
    expect(cache.size).toBe(0);
    Object.assign(image, { naturalWidth: 160, naturalHeight: 120 });
    expect(serializeResult(annotation, cache).result.map((r) => r.original_width)).toEqual([160]);
    expect(serializeResult(annotation, cache).result.map((r) => r.original_width)).toEqual([160]);
    expect(calls).toBe(2);
    // Same undo step, other sizes (the editor reloaded the image at another resolution): serialized again.
    Object.assign(image, { naturalWidth: 320, naturalHeight: 240 });
    expect(serializeResult(annotation, cache).result.map((r) => r.original_width)).toEqual([320]);
    expect(calls).toBe(3);
    expect(objectSizes(annotation)).toBe('image:320x240');
  });

  test('the exact serialization: settled brushes give their stored RLE, stroked ones and polygons serialize in full', () => {
    const calls: string[] = [];
    const result = (id: string) => ({ serialize: (o?: { fast?: boolean }) => (calls.push(`${id}:${o?.fast ? 'fast' : 'full'}`), { id, from_name: 'label', to_name: 'image', type: 'x', value: {} }) });
    const settled = { id: 's', type: 'brushregion', rle: [1, 2, 3], touches: [], results: [result('s')] };
    const stroked = { id: 't', type: 'brushregion', rle: [1, 2, 3], touches: [{ points: [1, 1] }], results: [result('t')] };
    const polygon = { id: 'p', type: 'polygonregion', results: [result('p')] };
    const annotation = {
      areas: new Map<string, unknown>([['s', settled], ['t', stroked], ['p', polygon]]),
      objects: [{ name: 'image', isReady: true, naturalWidth: 8, naturalHeight: 8 }],
      history: { history: [{}], undoIdx: 0 },
      serializeAnnotation: () => (calls.push('whole'), []),
    };
    const out = serializeResult(annotation, undefined, true);
    expect(calls).toEqual(['s:fast', 't:full', 'p:full']);
    expect(out.result.map((r) => r.id)).toEqual(['s', 't', 'p']);
    expect(out.result.some((r) => 'segqcStrokes' in r)).toBe(false);
  });

  test('the save gate as a mobx-state-tree middleware on the store node, when the build exposes one', () => {
    const added: unknown[] = [];
    const store = { $treenode: { addMiddleWare: (m: unknown) => (added.push(m), () => added.splice(added.indexOf(m), 1)) } };
    const remove = addActionMiddleware(store, (call, next) => void next(call));
    expect(added).toHaveLength(1);
    remove?.();
    expect(added).toHaveLength(0);
    expect(addActionMiddleware({ annotationStore: {} }, (call, next) => void next(call))).toBeNull();
  });
});
