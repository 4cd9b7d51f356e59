/**
 * A short run of the live check on a small made-up annotation, at attach time. The first stroke that puts pixels
 * outside a container (or grows the container past its edge, or erases) otherwise runs code the engine has never run:
 * it is interpreted and then compiled while the annotator waits (tens of ms on a 2048² image). Here those paths run
 * on a 192² image with the guideline's own labels, on a checker of their own that is then dropped.
 */
import type { Guideline } from '../../shared/guideline/types.js';
import { insideOf } from '../../shared/guideline/types.js';
import { LiveChecker } from './live.js';
import type { Stroke } from './strokes.js';

const N = 192;
/** Rounds at most, and the time after which no round starts. */
const ROUNDS = 4;
const BUDGET_MS = 15;

type Entry = Record<string, unknown> & { id: string };

/** A stroke through pixel points (x, y, ...), `width` px wide. */
const stroke = (type: Stroke['type'], width: number, ...px: number[]): Stroke => ({ type, relativePoints: px.map((v) => (v / N) * 100), relativeStrokeWidth: (width / N) * 100 });

const base = { to_name: 'image', original_width: N, original_height: N, image_rotation: 0 };
const brush = (id: string, label: string, strokes: Stroke[]): Entry => ({ ...base, id, from_name: 'label', type: 'brushlabels', value: { format: 'rle', rle: [], brushlabels: [label] }, segqcStrokes: strokes });
const polygon = (id: string, label: string, cx: number, cy: number, r: number): Entry => ({
  ...base,
  id,
  from_name: 'label_polygon',
  type: 'polygonlabels',
  value: { points: Array.from({ length: 8 }, (_, k) => [((cx + r * Math.cos(k * 0.785)) / N) * 100, ((cy + r * Math.sin(k * 0.785)) / N) * 100]), closed: true, polygonlabels: [label] },
});

/** The container and inner label the run draws: the first `inside` rule's, else the first two labels (or one). */
function labelsOf(guideline: Guideline): { outer: string; inner: string } | null {
  for (const l of guideline.labels) {
    const rule = insideOf(l);
    if (rule && guideline.labels.some((c) => c.name === rule.label)) return { outer: rule.label, inner: l.name };
  }
  const [a, b] = guideline.labels;
  return a ? { outer: a.name, inner: (b ?? a).name } : null;
}

/**
 * One editing session, a check after each edit: a container painted, an inner polygon moved, inner strokes inside
 * it and far outside it (grown, then erased), a container stroke inside it, the container grown past its edge and
 * cut, a region deleted. `d` shifts the drawing so rounds differ.
 */
function session(guideline: Guideline, outer: string, inner: string, d: number, found: Set<string>): void {
  const checker = new LiveChecker(guideline);
  const ctx = { task: { pixel_spacing: [0.5, 0.5] }, item: 'warm-up', annotation: 'warm-up', author: null };
  const c1 = [stroke('add', 60, 70 + d, 90, 120 + d, 96)];
  const far = [stroke('add', 10, 12, 170 - d, 30, 176 - d)];
  let result: Entry[] = [brush('c1', outer, c1)];
  const steps: Array<() => void> = [
    () => result.push(polygon('p1', inner, 95 + d, 92, 8)),
    () => (result = result.map((e) => (e.id === 'p1' ? polygon('p1', inner, 97 + d, 93, 8) : e))),
    () => result.push(brush('s1', inner, [stroke('add', 8, 90 + d, 100, 100 + d, 102)])),
    () => result.push(brush('s2', inner, far.slice())),
    () => far.push(stroke('add', 10, 30, 176 - d, 48, 180 - d)),
    () => far.push(stroke('eraser', 6, 20, 172 - d, 24, 174 - d)),
    () => result.push(brush('c2', outer, [stroke('add', 12, 100 + d, 90, 104 + d, 94)])),
    () => c1.push(stroke('add', 14, 150 + d, 96, 166 + d, 98)),
    () => c1.push(stroke('add', 14, 166 + d, 98, 178 + d, 100)),
    () => c1.push(stroke('eraser', 8, 120 + d, 70, 124 + d, 76)),
    () => (result = result.filter((e) => e.id !== 's1')),
  ];
  const refresh = () => (result = result.map((e) => (e.id === 'c1' ? brush('c1', outer, c1.slice()) : e.id === 's2' ? brush('s2', inner, far.slice()) : e)));
  const check = () => {
    for (const f of checker.check(result, ctx).findings) found.add(f.rule);
  };
  check();
  for (const step of steps) {
    step();
    refresh();
    check();
  }
}

/** Runs the live check's paths on a small annotation drawn with `guideline`'s labels; gives the time taken and the rules that found something. */
export function warmUp(guideline: Guideline): { ms: number; rules: string[] } {
  const t0 = performance.now();
  const labels = labelsOf(guideline);
  const found = new Set<string>();
  if (labels) for (let round = 0; round < ROUNDS && performance.now() - t0 < BUDGET_MS; round++) session(guideline, labels.outer, labels.inner, round * 3, found);
  return { ms: performance.now() - t0, rules: [...found].sort() };
}
