import { describe, expect, test } from 'vitest';
import type { Geometry, LabelInfo, MaskLayer, Segmentation, Vec3 } from '../shared/model.js';
import { axisGeometry } from '../shared/model.js';
import type { Guideline } from '../shared/guideline/types.js';
import { guidelineSha256 } from '../shared/guideline/hash.js';
import { checkAnnotation, checkItem } from '../shared/rules/engine.js';
import { checklistState } from '../shared/rules/checklist.js';
import { outsideEnvelope } from '../shared/rules/containment.js';
import { fillHoles } from '../shared/rules/envelope.js';
import { maskEdits, recordEdit, trackMask } from '../shared/rules/mask-edits.js';
import { trackedPair } from './tracked-masks.js';
import { missingAnnotation, orphanAnnotation } from '../shared/rules/findings.js';
import type { AnnotationInput, Attestation, Finding, RuleCode } from '../shared/rules/types.js';

const geom = (shape: Vec3, spacing: Vec3 = [1, 1, 1]): Geometry => axisGeometry(shape, spacing);

const layerOf = (data: Uint8Array, id?: string): MaskLayer => ({
  data,
  values: [...new Set(data)].filter((v) => v !== 0).sort((a, b) => a - b),
  ...(id ? { id } : {}),
});

const seg = (g: Geometry, layers: Uint8Array[], labels: LabelInfo[] = [], format: Segmentation['format'] = 'nifti'): Segmentation => ({
  path: 'mask.nii.gz',
  format,
  geometry: g,
  layers: layers.map((d, i) => layerOf(d, String(i))),
  labels,
  warnings: [],
});

/** Sets voxels of a box [i0..i1]x[j0..j1]x[k0..k1] to v. */
function box(data: Uint8Array, shape: Vec3, b: [number, number, number, number, number, number], v: number) {
  for (let k = b[2]; k <= b[5]; k++) for (let j = b[1]; j <= b[4]; j++) for (let i = b[0]; i <= b[3]; i++) data[(k * shape[1] + j) * shape[0] + i] = v;
}

const ann = (s: Segmentation, extra: Partial<AnnotationInput> = {}): AnnotationInput => ({
  id: 'a1',
  annotator: 'rater1',
  segmentation: s,
  checklist: null,
  attestation: null,
  ...extra,
});

const base: Guideline = {
  schema_version: 1,
  id: 't',
  version: '1.0.0',
  title: 't',
  labels: [
    { name: 'Liver', value: 1, required: true },
    { name: 'Tumour', value: 2, inside: { label: 'Liver', tolerance_mm: 0 } },
  ],
};

const rules = (fs: Finding[]) => fs.map((f) => f.rule);
const only = (fs: Finding[], r: RuleCode) => fs.filter((f) => f.rule === r);

const S: Vec3 = [20, 20, 20];
/** A 12x12x12 liver with a 4x4x4 tumour replacing its centre. */
function liverWithTumour(): Uint8Array {
  const d = new Uint8Array(8000);
  box(d, S, [4, 4, 4, 15, 15, 15], 1);
  box(d, S, [8, 8, 8, 11, 11, 11], 2);
  return d;
}

describe('sizes and components', () => {
  test('a 10x10x10 cube at 2 mm is 8000 mm³: below a 9000 minimum, above a 7000 maximum, fine in between', () => {
    const d = new Uint8Array(8000);
    box(d, S, [0, 0, 0, 9, 9, 9], 1);
    const s = seg(geom(S, [2, 2, 2]), [d]);
    const g = (min?: number, max?: number): Guideline => ({ ...base, labels: [{ name: 'Liver', value: 1, min_volume_mm3: min, max_volume_mm3: max }] });
    const below = only(checkAnnotation(g(9000), ann(s)), 'volume.below_min');
    expect(below).toHaveLength(1);
    expect(below[0]).toMatchObject({ value: 8000, limit: 9000, severity: 'error', label: 'Liver', item: 'mask.nii.gz', annotator: 'rater1' });
    expect(below[0].message).toBe("Liver volume is 8,000 mm³, below the guideline's minimum of 9,000 mm³");
    expect(only(checkAnnotation(g(undefined, 7000), ann(s)), 'volume.above_max')[0].value).toBe(8000);
    expect(checkAnnotation(g(7000, 9000), ann(s))).toEqual([]);
  });

  test('2D areas are mm²', () => {
    const d = new Uint8Array(100);
    box(d, [10, 10, 1], [0, 0, 0, 4, 4, 0], 1);
    const s = seg(geom([10, 10, 1], [0.5, 0.5, 1]), [d]);
    const f = checkAnnotation({ ...base, labels: [{ name: 'Liver', value: 1, min_volume_mm3: 10 }] }, ann(s));
    expect(f[0].value).toBe(6.25);
    expect(f[0].message).toContain('area is 6.25 mm²');
  });

  test('too many components and each too-small component, with its slice', () => {
    const d = new Uint8Array(8000);
    box(d, S, [0, 0, 0, 4, 4, 4], 1); // 125 voxels
    box(d, S, [10, 10, 10, 10, 10, 10], 1); // 1 voxel at slice 10
    box(d, S, [15, 15, 15, 16, 16, 15], 1); // 4 voxels at slice 15, diagonal-free
    const s = seg(geom(S), [d]);
    const g: Guideline = { ...base, labels: [{ name: 'Liver', value: 1, max_components: 1, min_component_volume_mm3: 5 }] };
    const f = checkAnnotation(g, ann(s));
    expect(only(f, 'components.too_many')[0]).toMatchObject({ value: 3, limit: 1 });
    const small = only(f, 'component.too_small');
    expect(small.map((x) => [x.value, x.location?.slice])).toEqual([
      [4, 15],
      [1, 10],
    ]);
    expect(small[1].message).toBe("Liver component of 1 mm³ at slice 10 (axial, around (10, 10) px, L 10 P 10 S 10 mm) is below the guideline's minimum of 5 mm³");
    expect(small[1].location?.bbox).toEqual([10, 10, 10, 10, 10, 10]);
    // A guideline may downgrade a rule.
    const w = checkAnnotation({ ...g, severity: { 'components.too_many': 'warning', 'component.too_small': 'off' } }, ann(s));
    expect(only(w, 'components.too_many')[0].severity).toBe('warning');
    expect(only(w, 'component.too_small')).toEqual([]);
  });

  test('diagonal neighbours are one component (26-connectivity)', () => {
    const d = new Uint8Array(8000);
    box(d, S, [1, 1, 1, 1, 1, 1], 1);
    box(d, S, [2, 2, 2, 2, 2, 2], 1);
    const f = checkAnnotation({ ...base, labels: [{ name: 'Liver', value: 1, max_components: 1 }] }, ann(seg(geom(S), [d])));
    expect(f).toEqual([]);
  });

  test('slice gaps name the missing range', () => {
    const d = new Uint8Array(8000);
    box(d, S, [0, 0, 2, 3, 3, 4], 1);
    box(d, S, [0, 0, 8, 3, 3, 9], 1);
    const f = checkAnnotation({ ...base, labels: [{ name: 'Liver', value: 1, contiguous_slices: true }] }, ann(seg(geom(S), [d])));
    expect(rules(f)).toEqual(['slices.gap']);
    expect(f[0]).toMatchObject({ severity: 'warning', value: '5-7', location: { slice: 5 } });
    expect(f[0].message).toContain('slices 5–7 are empty between slice 4 and slice 8');
  });
});

describe('labels', () => {
  test('an unnamed value not in the guideline is unknown; required labels must be drawn', () => {
    const d = new Uint8Array(8000);
    box(d, S, [0, 0, 0, 1, 1, 1], 5);
    const f = checkAnnotation(base, ann(seg(geom(S), [d])));
    expect(rules(f).sort()).toEqual(['label.required_missing', 'label.unknown']);
    expect(only(f, 'label.unknown')[0].value).toBe(5);
    expect(only(f, 'label.required_missing')[0].label).toBe('Liver');
  });

  test('a DICOM SEG segment "liver" numbered 2 is Liver by name, with a value mismatch; a coded concept matches too', () => {
    const d = new Uint8Array(8000);
    box(d, S, [0, 0, 0, 3, 3, 3], 2);
    const s = seg(geom(S), [d], [{ value: 2, name: 'liver' }], 'dicom-seg');
    const f = checkAnnotation(base, ann(s));
    expect(rules(f)).toEqual(['label.value_mismatch']);
    expect(f[0]).toMatchObject({ value: 2, limit: 1, label: 'Liver' });
    const g: Guideline = { ...base, labels: [{ name: 'Liver', value: 2, required: true, concept: { scheme: 'SCT', code: '10200004', meaning: 'Liver' } }] };
    const s2 = seg(geom(S), [d], [{ value: 2, name: 'Hepar', concept: { scheme: 'SRT', code: '10200004', meaning: 'Liver' } }], 'dicom-seg');
    expect(checkAnnotation(g, ann(s2))).toEqual([]);
    const s3 = seg(geom(S), [d], [{ value: 2, name: 'Spleen' }], 'dicom-seg');
    expect(rules(checkAnnotation(g, ann(s3))).sort()).toEqual(['label.required_missing', 'label.unknown']);
  });
});

describe('containment', () => {
  test('a tumour replacing the liver voxels at its centre is inside (the filled envelope)', () => {
    expect(checkAnnotation(base, ann(seg(geom(S), [liverWithTumour()])))).toEqual([]);
  });

  test('a tumour poking out of the liver is reported with the voxels and distance outside', () => {
    const d = liverWithTumour();
    box(d, S, [16, 8, 8, 17, 11, 11], 2); // 2 layers beyond the liver's face at i = 15
    const f = checkAnnotation(base, ann(seg(geom(S, [1, 1, 2]), [d])));
    expect(rules(f)).toEqual(['containment.outside']);
    // 2x4x4 = 32 voxels of 2 mm³, the farthest 2 voxels (2 mm) from the liver.
    expect(f[0].value).toBe(64);
    expect(f[0].message).toContain('32 voxels (64 mm³) of Tumour lie outside Liver, up to 2 mm away, at slices 8–11');
    // With a 2 mm tolerance it passes; with 1.5 mm only the outer layer (16 voxels) is outside.
    const tol = (t: number): Guideline => ({ ...base, labels: [base.labels[0], { name: 'Tumour', value: 2, inside: { label: 'Liver', tolerance_mm: t } }] });
    expect(checkAnnotation(tol(2), ann(seg(geom(S, [1, 1, 2]), [d])))).toEqual([]);
    expect(checkAnnotation(tol(1.5), ann(seg(geom(S, [1, 1, 2]), [d])))[0].value).toBe(32);
  });

  test('a tumour with no liver at all is outside', () => {
    const d = new Uint8Array(8000);
    box(d, S, [0, 0, 0, 1, 1, 1], 2);
    const f = checkAnnotation({ ...base, labels: [{ name: 'Liver', value: 1 }, base.labels[1]] }, ann(seg(geom(S), [d])));
    expect(rules(f)).toEqual(['containment.outside']);
    expect(f[0].message).toContain('Liver is not drawn at all');
  });

  test('2D: a nucleus in a hole of a region passes; one outside fails', () => {
    const sh: Vec3 = [12, 12, 1];
    const d = new Uint8Array(144);
    box(d, sh, [1, 1, 0, 9, 9, 0], 1);
    box(d, sh, [4, 4, 0, 5, 5, 0], 2);
    const g2 = geom(sh, [0.5, 0.5, 1]);
    expect(checkAnnotation({ ...base, labels: [{ name: 'Liver', value: 1 }, base.labels[1]] }, ann(seg(g2, [d])))).toEqual([]);
    box(d, sh, [11, 11, 0, 11, 11, 0], 2);
    const f = checkAnnotation({ ...base, labels: [{ name: 'Liver', value: 1 }, base.labels[1]] }, ann(seg(g2, [d])));
    expect(rules(f)).toEqual(['containment.outside']);
    expect(f[0].value).toBe(0.25);
  });

  test('a hole enclosed only on one slice (open in 3D through a vessel channel) still counts as inside', () => {
    const d = liverWithTumour();
    box(d, S, [9, 9, 12, 10, 10, 15], 0); // channel from the tumour through the top face
    expect(checkAnnotation(base, ann(seg(geom(S), [d])))).toEqual([]);
  });
});

describe('containment distances against brute force', () => {
  // A small deterministic generator, so the cases are the same on every run.
  const rng = (seed: number) => () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);

  test.each([1, 2, 3, 4, 5, 6])('random case %i: voxels and farthest distance match an exhaustive search', (seed) => {
    const rnd = rng(seed * 7919);
    const sh: Vec3 = seed % 2 ? [17, 13, 7] : [26, 21, 1];
    const spacing: Vec3 = [0.5 + rnd(), 0.5 + rnd(), 1 + 2 * rnd()];
    const [nx, ny, nz] = sh;
    const n = nx * ny * nz;
    const outer = new Uint8Array(n);
    const inner = new Uint8Array(n);
    // A shell with a cavity (the envelope fills it), then an inner blob that is partly inside and partly out.
    // The shell, the inner blob and their union start at different corners, so the three grids' offsets differ.
    const o = [4 + Math.floor(rnd() * 3), 3 + Math.floor(rnd() * 2), nz > 1 ? 1 : 0];
    const oe = [nx - 3 - Math.floor(rnd() * 3), ny - 2 - Math.floor(rnd() * 2), nz > 1 ? nz - 2 : 0];
    // Seeds 4 to 6: the shell touches the image's edges, where the envelope's crop has no margin.
    if (seed > 3) [o[0], oe[1]] = [0, ny - 1];
    box(outer, sh, [o[0], o[1], o[2], oe[0], oe[1], oe[2]], 1);
    box(outer, sh, [o[0] + 1, o[1] + 1, nz > 1 ? o[2] + 1 : 0, oe[0] - 1, oe[1] - 1, nz > 1 ? oe[2] - 1 : 0], 0);
    for (let x = 0; x < n; x++) {
      const [i, j] = [x % nx, Math.floor(x / nx) % ny];
      if (i >= 2 && i <= nx - 2 && j >= 1 && j <= ny - 2 && rnd() < 0.25) inner[x] = 2;
    }
    // Half of the inner voxels measured first into the memo: the full measurement then mixes kept and new distances.
    const memo = new WeakMap<object, Map<string, unknown>>();
    const half = inner.map((v, x) => (x % 2 ? v : 0));
    outsideEnvelope({ data: half, value: 2 }, { data: outer, value: 1 }, { ...geom(sh, spacing), spacingKnown: true }, 0, undefined, memo);
    for (const tol of [0, 1.2]) {
      const g = { ...geom(sh, spacing), spacingKnown: true };
      const got = outsideEnvelope({ data: inner, value: 2 }, { data: outer, value: 1 }, g, tol);
      expect(outsideEnvelope({ data: inner, value: 2 }, { data: outer, value: 1 }, g, tol, undefined, memo)).toEqual(got);
      // The reference: the envelope on the whole image, then every inner voxel against every envelope voxel.
      const env = outer.slice();
      fillHoles(env, sh);
      const envIdx: number[] = [];
      for (let x = 0; x < n; x++) if (env[x] === 1) envIdx.push(x);
      let voxels = 0;
      let farthest = 0;
      for (let x = 0; x < n; x++) {
        if (inner[x] !== 2 || env[x] === 1) continue;
        const [i, j, k] = [x % nx, Math.floor(x / nx) % ny, Math.floor(x / (nx * ny))];
        let best = Infinity;
        for (const y of envIdx) {
          const di = (y % nx) - i, dj = (Math.floor(y / nx) % ny) - j, dk = Math.floor(y / (nx * ny)) - k;
          best = Math.min(best, (di * spacing[0]) ** 2 + (dj * spacing[1]) ** 2 + (dk * spacing[2]) ** 2);
        }
        if (best <= tol * tol * (1 + 1e-9)) continue;
        voxels++;
        farthest = Math.max(farthest, best);
      }
      expect(voxels).toBeGreaterThan(0);
      expect(got.voxels).toBe(voxels);
      expect(got.farthest).toBeCloseTo(Math.sqrt(farthest), 9);
    }
  });
});

describe('containment distances far from a 2D container', () => {
  const rng = (seed: number) => () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);

  /** Every inner pixel against every envelope pixel: how many lie beyond the tolerance, and the farthest (mm). */
  const bruteForce = (inner: Uint8Array, outer: Uint8Array, sh: Vec3, spacing: Vec3, tol: number) => {
    const [nx] = sh;
    const env = outer.slice();
    fillHoles(env, sh);
    const envIdx: number[] = [];
    for (let x = 0; x < env.length; x++) if (env[x] === 1) envIdx.push(x);
    let voxels = 0;
    let farthest = 0;
    for (let x = 0; x < inner.length; x++) {
      if (inner[x] !== 2 || env[x] === 1) continue;
      let best = Infinity;
      for (const y of envIdx) best = Math.min(best, (((y % nx) - (x % nx)) * spacing[0]) ** 2 + ((Math.floor(y / nx) - Math.floor(x / nx)) * spacing[1]) ** 2);
      if (best <= tol * tol * (1 + 1e-9)) continue;
      voxels++;
      farthest = Math.max(farthest, best);
    }
    return { voxels, farthest: Math.sqrt(farthest) };
  };

  test('a cavity open only to an image edge is outside, on each of the four edges', () => {
    const sh: Vec3 = [20, 16, 1];
    const [nx, ny] = sh;
    const g = { ...geom(sh, [0.7, 1.1, 1]), spacingKnown: true };
    // For each edge: a U whose opening lies on that edge, with tumour pixels deep inside it.
    for (const edge of ['top', 'bottom', 'left', 'right'] as const) {
      const outer = new Uint8Array(nx * ny);
      const inner = new Uint8Array(nx * ny);
      const at = (i: number, j: number) => (edge === 'top' ? [i, j] : edge === 'bottom' ? [i, ny - 1 - j] : edge === 'left' ? [j, i] : [nx - 1 - j, i]);
      const set = (a: Uint8Array, i: number, j: number, v: number) => {
        const [x, y] = at(i, j);
        a[y * nx + x] = v;
      };
      for (let j = 0; j < 9; j++) for (let i = 2; i <= 10; i++) if (i === 2 || i === 10 || j === 8) set(outer, i, j, 1);
      for (let j = 2; j <= 6; j++) for (let i = 4; i <= 8; i++) set(inner, i, j, 2);
      // The tumour lies in the U's cavity, which opens onto the image edge: outside, 3 to 5 pixels from the walls.
      const want = bruteForce(inner, outer, sh, g.spacing, 0);
      expect(want.voxels, edge).toBe(25);
      const got = outsideEnvelope({ data: inner, value: 2 }, { data: outer, value: 1 }, g, 0);
      expect(got.voxels, edge).toBe(want.voxels);
      expect(got.farthest).toBeCloseTo(want.farthest, 9);
    }
  });

  test.each([1, 2, 3])('case %i: pixels above, below and to both sides of a small ring, measured whole and edit by edit', (seed) => {
    const rnd = rng(seed * 104729);
    const sh: Vec3 = [70 + seed * 9, 58 + seed * 5, 1];
    const [nx, ny] = sh;
    const spacing: Vec3 = [0.4 + rnd(), 0.4 + rnd(), 1];
    const outer = new Uint8Array(nx * ny);
    // A ring with a gap in its wall on odd seeds (then its inside is not filled), and a lone pixel beside it.
    const [c0, r0] = [25 + Math.floor(rnd() * 10), 20 + Math.floor(rnd() * 8)];
    box(outer, sh, [c0, r0, 0, c0 + 14, r0 + 10, 0], 1);
    box(outer, sh, [c0 + 2, r0 + 2, 0, c0 + 12, r0 + 8, 0], 0);
    if (seed % 2) box(outer, sh, [c0 + 6, r0, 0, c0 + 7, r0 + 1, 0], 0);
    outer[(r0 + 5) * nx + c0 + 20] = 1;
    const g = { ...geom(sh, spacing), spacingKnown: true };
    const edits = maskEdits();
    const memo = new WeakMap<object, Map<string, unknown>>();
    const tracked = new Uint8Array(nx * ny);
    trackMask(edits, tracked);
    let inner = tracked.subarray(0);
    outsideEnvelope({ data: inner, value: 2 }, { data: outer, value: 1 }, g, 1, undefined, memo, edits);
    let checked = 0;
    for (let step = 0; step < 40; step++) {
      // A rectangle painted or erased anywhere, far out or across the ring; the tracked mask is a new view of one buffer.
      const i0 = Math.floor(rnd() * nx), j0 = Math.floor(rnd() * ny);
      const b: [number, number, number, number] = [i0, j0, Math.min(nx - 1, i0 + Math.floor(rnd() * 12)), Math.min(ny - 1, j0 + Math.floor(rnd() * 9))];
      const v = rnd() < 0.3 ? 0 : 2;
      for (let j = b[1]; j <= b[3]; j++) for (let i = b[0]; i <= b[2]; i++) if (rnd() < 0.8) tracked[j * nx + i] = v;
      const next = tracked.subarray(0);
      recordEdit(edits, inner, next, b);
      inner = next;
      for (const tol of [0, 1]) {
        const want = bruteForce(inner, outer, sh, spacing, tol);
        const whole = outsideEnvelope({ data: inner.slice(), value: 2 }, { data: outer, value: 1 }, g, tol);
        const edited = outsideEnvelope({ data: inner, value: 2 }, { data: outer, value: 1 }, g, tol, undefined, memo, edits);
        expect(whole.voxels, `step ${step}`).toBe(want.voxels);
        expect(whole.farthest).toBeCloseTo(want.farthest, 9);
        expect(edited).toEqual(whole);
        if (want.voxels > 0) checked++;
      }
    }
    expect(checked).toBeGreaterThan(40);
  });
});

describe('containment of edited 2D masks against a measurement from scratch', () => {
  const rng = (seed: number) => () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);

  test.each([1, 2, 3, 4, 5, 6])('case %i: container and inner edited in turn (grown, cut, holes closed and opened), with and without a tolerance', (seed) => {
    const rnd = rng(seed * 7727);
    const sh: Vec3 = [64 + seed * 7, 52 + seed * 3, 1];
    const [nx, ny] = sh;
    const g = { ...geom(sh, [0.5 + rnd(), 0.5 + rnd(), 1]), spacingKnown: true };
    const { edits, memo, outerBuf, innerBuf } = trackedPair(nx * ny);
    // A ring (its inside is a hole of the container) and scattered inner pixels, some far out.
    box(outerBuf, sh, [15, 12, 0, 45, 38, 0], 1);
    box(outerBuf, sh, [20, 17, 0, 40, 33, 0], 0);
    for (let x = 0; x < nx * ny; x++) if (rnd() < 0.15) innerBuf[x] = 2;
    let outer = outerBuf.subarray(0), inner = innerBuf.subarray(0);
    let kept = 0;
    for (let step = 0; step < 60; step++) {
      const container = rnd() < 0.6;
      const buf = container ? outerBuf : innerBuf;
      const v = container ? 1 : 2;
      // Mostly small boxes near the ring (a wall cut or mended, a bump), now and then anywhere.
      const near = container && rnd() < 0.8;
      const i0 = near ? 13 + Math.floor(rnd() * 32) : Math.floor(rnd() * nx), j0 = near ? 10 + Math.floor(rnd() * 26) : Math.floor(rnd() * ny);
      const b: [number, number, number, number] = [i0, j0, Math.min(nx - 1, i0 + Math.floor(rnd() * 6)), Math.min(ny - 1, j0 + Math.floor(rnd() * 6))];
      const paint = rnd() < 0.55 ? v : 0;
      for (let j = b[1]; j <= b[3]; j++) for (let i = b[0]; i <= b[2]; i++) buf[j * nx + i] = paint;
      const next = buf.subarray(0);
      recordEdit(edits, container ? outer : inner, next, b);
      if (container) outer = next;
      else inner = next;
      for (const tol of [0, 1.5, 4]) {
        const whole = outsideEnvelope({ data: inner.slice(), value: 2 }, { data: outer.slice(), value: 1 }, g, tol);
        const edited = outsideEnvelope({ data: inner, value: 2 }, { data: outer, value: 1 }, g, tol, undefined, memo, edits);
        expect(edited, `step ${step} tolerance ${tol}`).toEqual(whole);
        if (whole.voxels > 0) kept++;
      }
    }
    expect(kept).toBeGreaterThan(60);
  });
});

describe('overlap', () => {
  const g: Guideline = { ...base, labels: [{ name: 'Tumour region', value: 1, exclusive_with: ['Stroma'] }, { name: 'Stroma', value: 2 }] };
  test('separate layers that overlap are reported; disjoint ones are not', () => {
    const sh: Vec3 = [10, 10, 1];
    const a = new Uint8Array(100);
    const b = new Uint8Array(100);
    box(a, sh, [0, 0, 0, 4, 4, 0], 1);
    box(b, sh, [3, 3, 0, 8, 8, 0], 2);
    const f = checkAnnotation(g, ann(seg(geom(sh, [0.5, 0.5, 1]), [a, b], [], 'labelstudio')));
    expect(rules(f)).toEqual(['overlap.forbidden']);
    expect(f[0].value).toBe(1); // 2x2 pixels of 0.25 mm²
    expect(f[0].message).toContain('Tumour region and Stroma overlap in 4 pixels (1 mm²)');
    const b2 = new Uint8Array(100);
    box(b2, sh, [5, 5, 0, 8, 8, 0], 2);
    expect(checkAnnotation(g, ann(seg(geom(sh), [a, b2], [], 'labelstudio')))).toEqual([]);
  });
});

describe('checklist and attestation', () => {
  const g: Guideline = {
    ...base,
    checklist: [
      { id: 'veins', prompt: 'Veins excluded', required: true },
      { id: 'margins', prompt: 'Margins reviewed', when: { label_present: 'Tumour' } },
      { id: 'none', prompt: 'No tumour confirmed', when: { label_absent: 'Tumour' } },
      { id: 'optional', prompt: 'Optional', required: false },
    ],
    attestation: { required: true },
  };
  const s = () => seg(geom(S), [liverWithTumour()]);
  const sha = guidelineSha256(g);
  const att = (over: Partial<Attestation> = {}): Attestation => ({
    schema: 'segqc-attestation/1',
    guideline: { id: 't', version: '1.0.0', sha256: sha },
    answers: { veins: true, margins: true },
    findings: [],
    overrides: [],
    tool: { name: 'segqc-labelstudio', version: '0.1.0' },
    submitted_at: '2026-12-02T21:00:00Z',
    ...over,
  });

  test('no answers and no attestation', () => {
    expect(rules(checkAnnotation(g, ann(s()))).sort()).toEqual(['attestation.missing', 'checklist.missing']);
  });
  test('incomplete answers name the prompts whose condition holds', () => {
    const f = only(checkAnnotation(g, ann(s(), { checklist: { veins: true } })), 'checklist.incomplete');
    expect(f.map((x) => x.value)).toEqual(['margins']);
    expect(f[0].message).toBe('Checklist item not confirmed: "Margins reviewed"');
  });
  test('answers fall back to the attestation; a valid, current attestation passes', () => {
    expect(checkAnnotation(g, ann(s(), { attestation: att() }))).toEqual([]);
    expect(checkAnnotation(g, ann(s(), { attestation: JSON.stringify(att()) }))).toEqual([]);
  });
  test('invalid and stale attestations', () => {
    const inv = checkAnnotation(g, ann(s(), { checklist: { veins: true, margins: true }, attestation: { schema: 'x' } }));
    expect(rules(inv)).toEqual(['attestation.invalid']);
    const stale = checkAnnotation(g, ann(s(), { attestation: att({ guideline: { id: 't', version: '0.9.0', sha256: 'a'.repeat(64) } }) }));
    expect(rules(stale)).toEqual(['attestation.stale_guideline']);
    expect(stale[0].severity).toBe('warning');
    expect(stale[0].message).toContain('version 0.9.0 (current: 1.0.0)');
  });
  test('an allowed override turns a finding into info with the reason', () => {
    const d = liverWithTumour();
    box(d, S, [0, 0, 0, 0, 0, 0], 1);
    const go: Guideline = { ...g, labels: [{ name: 'Liver', value: 1, max_components: 1 }, base.labels[1]], overrides: { allowed: true } };
    const a = att({ guideline: { id: 't', version: '1.0.0', sha256: guidelineSha256(go) }, overrides: [{ rule: 'components.too_many', label: 'Liver', reason: 'accessory lobe', by: 'rater1' }] });
    const f = checkAnnotation(go, ann(seg(geom(S), [d]), { attestation: a }));
    expect(f).toHaveLength(1);
    expect(f[0].severity).toBe('info');
    expect(f[0].message).toContain('accessory lobe');
  });
  test('checklistState for the panel', () => {
    const st = checklistState(g, ['Liver'], { veins: true });
    expect(st.map((x) => [x.item.id, x.visible, x.answered])).toEqual([
      ['veins', true, true],
      ['margins', false, false],
      ['none', true, false],
      ['optional', true, false],
    ]);
  });
});

describe('items', () => {
  test('geometry mismatch says which aspect and shows both', () => {
    const s = seg(geom(S), [liverWithTumour()]);
    const img = { ...geom(S), origin: [0, 0, 5] as Vec3 };
    const f = checkItem(base, { id: 'ct_001', annotations: [ann(s)], image: { path: 'img.nii.gz', geometry: img } });
    expect(rules(f)).toEqual(['geometry.mismatch']);
    expect(f[0]).toMatchObject({ item: 'ct_001', value: '(0, 0, 0)', limit: '(0, 0, 5)' });
    const close = { ...geom(S), origin: [0, 0, 0.0005] as Vec3 };
    expect(checkItem(base, { id: 'x', annotations: [ann(s)], image: { path: 'i', geometry: close } })).toEqual([]);
  });

  test('agreement below the threshold between two annotators and against the reference', () => {
    const a = liverWithTumour();
    const b = new Uint8Array(8000);
    box(b, S, [4, 4, 4, 15, 15, 9], 1); // half the liver: Dice = 2·(6·12·12 − 32)/((12³ − 64) + 6·12·12) 
    const g: Guideline = { ...base, agreement: [{ label: 'Liver', dice_min: 0.9 }] };
    const f = checkItem(g, {
      id: 'ct',
      annotations: [ann(seg(geom(S), [a])), ann(seg(geom(S), [b]), { id: 'a2', annotator: 'rater2' })],
      reference: ann(seg(geom(S), [a]), { id: 'gold' }),
    });
    const ag = only(f, 'agreement.below_threshold');
    // Liver of a: 1728 − 64 = 1664 voxels. b: 864 voxels, of which a holds 864 − (tumour voxels at k 8..9 = 32) = 832.
    const dice = (2 * 832) / (1664 + 864);
    expect(ag).toHaveLength(2);
    expect(ag[0].value).toBeCloseTo(dice, 12);
    expect(ag[0].severity).toBe('warning');
    expect(ag[1].annotation).toBe('a2');
  });

  test('dataset helpers build findings', () => {
    const ctx = { guideline: base, item: 'ct_9', annotation: null, annotator: null };
    expect(missingAnnotation(ctx)[0]).toMatchObject({ rule: 'dataset.missing_annotation', severity: 'error', item: 'ct_9' });
    expect(orphanAnnotation(ctx, 'labels/x.nii.gz')[0]).toMatchObject({ rule: 'dataset.orphan_annotation', severity: 'warning' });
  });
});
