/**
 * A short run of the live check on a small made-up annotation, at attach time. The first stroke that puts pixels
 * outside a container (or grows the container past its edge, or erases) otherwise runs code the engine has never run:
 * it is interpreted and then compiled while the annotator waits (tens of ms on a 2048² image). Here those paths run
 * on a 128² image with the guideline's own labels, on a checker of their own that is then dropped.
 */
import type { Guideline } from '../../shared/guideline/types.js';
import { insideOf } from '../../shared/guideline/types.js';
import { LiveChecker } from './live.js';
import type { Stroke } from './strokes.js';

const N = 128;

type Entry = Record<string, unknown> & { id: string };

/** A stroke through points (x, y, ...) in percent of the image, `width` percent wide. */
const stroke = (type: Stroke['type'], width: number, ...pts: number[]): Stroke => ({ type, relativePoints: pts, relativeStrokeWidth: width });

const base = { to_name: 'image', original_width: N, original_height: N, image_rotation: 0 };
const brush = (id: string, label: string, strokes: Stroke[]): Entry => ({ ...base, id, from_name: 'label', type: 'brushlabels', value: { format: 'rle', rle: [], brushlabels: [label] }, segqcStrokes: strokes.slice() });
const polygon = (id: string, label: string, cx: number, cy: number, r: number): Entry => ({
  ...base,
  id,
  from_name: 'label_polygon',
  type: 'polygonlabels',
  value: { points: Array.from({ length: 8 }, (_, k) => [cx + r * Math.cos(k * 0.785), cy + r * Math.sin(k * 0.785)]), closed: true, polygonlabels: [label] },
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
 * Runs the live check's paths on a small annotation drawn with `guideline`'s labels (`sha256`: its hash, when known),
 * a check after each edit as the editor gives them: a container painted with an inner polygon in it, an inner stroke
 * far outside it and more strokes on that region, the container grown past its edge and cut, the polygon moved.
 * Gives the time taken and the rules that found something.
 */
export function warmUp(guideline: Guideline, sha256?: string): { ms: number; rules: string[] } {
  const t0 = performance.now();
  const labels = labelsOf(guideline);
  const found = new Set<string>();
  if (!labels) return { ms: 0, rules: [] };
  const { outer, inner } = labels;
  const checker = new LiveChecker(guideline, { sha256 });
  const ctx = { task: { pixel_spacing: [0.5, 0.5] }, item: 'warm-up', annotation: 'warm-up', author: null };
  const c1 = [stroke('add', 30, 35, 45, 60, 48)];
  const far = [stroke('add', 5, 6, 88, 16, 91)];
  const edits: Array<() => Entry[]> = [
    () => [brush('c1', outer, c1), polygon('p1', inner, 48, 46, 4)],
    () => [brush('c1', outer, c1), polygon('p1', inner, 48, 46, 4), brush('s1', inner, far)],
    () => (far.push(stroke('add', 5, 16, 91, 25, 93)), [brush('c1', outer, c1), polygon('p1', inner, 48, 46, 4), brush('s1', inner, far)]),
    () => (c1.push(stroke('add', 7, 75, 48, 88, 50)), [brush('c1', outer, c1), polygon('p1', inner, 48, 46, 4), brush('s1', inner, far)]),
    () => (c1.push(stroke('eraser', 4, 60, 35, 62, 38)), [brush('c1', outer, c1), polygon('p1', inner, 48, 46, 4), brush('s1', inner, far)]),
    () => [brush('c1', outer, c1), polygon('p1', inner, 50, 47, 4), brush('s1', inner, far)],
  ];
  for (const edit of edits) for (const f of checker.check(edit(), ctx).findings) found.add(f.rule);
  return { ms: performance.now() - t0, rules: [...found].sort() };
}
