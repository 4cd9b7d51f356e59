/**
 * Brush regions with strokes the editor has not turned into RLE yet. Serializing them makes the editor export its
 * canvas (hundreds of ms on a 2048² image), so the live check paints the strokes itself: the stored RLE, then each
 * stroke as round-capped segments (pixels whose centre lies within half the stroke width), erasers clearing. Edge
 * pixels may differ from the editor's anti-aliased export; the submit gate serializes exactly.
 */
import { decodeBrushLayer } from '../../shared/formats/brush-rle.js';
import { newMask, type MaskAllocator } from '../../shared/formats/labelstudio.js';
import type { MaskLayer } from '../../shared/model.js';

/** A stroke as the editor keeps it: points and width in percent of the image size. */
export interface Stroke {
  type: 'add' | 'eraser';
  relativePoints: number[];
  relativeStrokeWidth: number;
}

/** [i0, j0, i1, j1] pixels, inclusive. */
export type PixelBox = [number, number, number, number];

/** Box of the pixels stroke `s` may touch on a `w`×`h` image (null: none): what `paintStroke` returns. */
export function strokeBox(w: number, h: number, s: Stroke): PixelBox | null {
  const pts = s.relativePoints;
  if (pts.length < 2) return null;
  const r = (s.relativeStrokeWidth * w) / 100 / 2;
  const n = pts.length / 2;
  let box: PixelBox | null = null;
  for (let e = 0; e < Math.max(1, n - 1); e++) {
    const ax = (pts[2 * e] * w) / 100, ay = (pts[2 * e + 1] * h) / 100;
    const bx = n > 1 ? (pts[2 * e + 2] * w) / 100 : ax, by = n > 1 ? (pts[2 * e + 3] * h) / 100 : ay;
    const i0 = Math.max(0, Math.floor(Math.min(ax, bx) - r)), i1 = Math.min(w - 1, Math.ceil(Math.max(ax, bx) + r));
    const j0 = Math.max(0, Math.floor(Math.min(ay, by) - r)), j1 = Math.min(h - 1, Math.ceil(Math.max(ay, by) + r));
    if (i0 > i1 || j0 > j1) continue;
    box = unionBox(box, [i0, j0, i1, j1]);
  }
  return box;
}

/**
 * Paints one stroke into a `w`×`h` mask with `value` (erasers clear); returns the box of the pixels it touched.
 * With `frame`, the mask holds only that box of the image, row by row: pixels outside it are left alone.
 */
export function paintStroke(mask: MaskLayer['data'], w: number, h: number, s: Stroke, value = 1, frame: PixelBox | null = null): PixelBox | null {
  const pts = s.relativePoints;
  if (pts.length < 2) return null;
  const r = (s.relativeStrokeWidth * w) / 100 / 2;
  const r2 = r * r;
  const v = s.type === 'eraser' ? 0 : value;
  const [f0, f1, f2, f3] = frame ?? [0, 0, w - 1, h - 1];
  const stride = f2 - f0 + 1;
  let box: PixelBox | null = null;
  const px = (k: number) => (pts[k] * w) / 100;
  const py = (k: number) => (pts[k + 1] * h) / 100;
  const n = pts.length / 2;
  for (let e = 0; e < Math.max(1, n - 1); e++) {
    const ax = px(2 * e), ay = py(2 * e);
    const bx = n > 1 ? px(2 * e + 2) : ax, by = n > 1 ? py(2 * e + 2) : ay;
    const dx = bx - ax, dy = by - ay;
    const len2 = dx * dx + dy * dy;
    const i0 = Math.max(0, Math.floor(Math.min(ax, bx) - r)), i1 = Math.min(w - 1, Math.ceil(Math.max(ax, bx) + r));
    const j0 = Math.max(0, Math.floor(Math.min(ay, by) - r)), j1 = Math.min(h - 1, Math.ceil(Math.max(ay, by) + r));
    if (i0 > i1 || j0 > j1) continue;
    box = box ? [Math.min(box[0], i0), Math.min(box[1], j0), Math.max(box[2], i1), Math.max(box[3], j1)] : [i0, j0, i1, j1];
    for (let j = Math.max(j0, f1), jEnd = Math.min(j1, f3); j <= jEnd; j++) {
      const cy = j + 0.5;
      const row = (j - f1) * stride - f0;
      for (let i = Math.max(i0, f0), iEnd = Math.min(i1, f2); i <= iEnd; i++) {
        const cx = i + 0.5;
        const t = len2 > 0 ? Math.max(0, Math.min(1, ((cx - ax) * dx + (cy - ay) * dy) / len2)) : 0;
        const ex = cx - (ax + t * dx), ey = cy - (ay + t * dy);
        if (ex * ex + ey * ey <= r2) mask[row + i] = v;
      }
    }
  }
  return box;
}

/**
 * Arrays of painted regions that hold only a box of the image, row by row (pixel (i, j) at
 * `(j - j0)·(i1 - i0 + 1) + (i - i0)`); null: an empty array, no pixels. Regions without a stored RLE are kept so: a
 * stroke costs its box, not the image (a 2048² mask is 4 MB).
 */
const frames = new WeakMap<object, PixelBox | null>();

/** The box a region array holds (see `frames`); undefined: the whole image. */
export function frameOf(data: object): PixelBox | null | undefined {
  return frames.get(data);
}

/** The value of pixel (i, j) of a region array of a `w`-wide image, whole or boxed (`frame` as `frameOf` gives it). */
export function pixelAt(data: ArrayLike<number>, frame: PixelBox | null | undefined, w: number, i: number, j: number): number {
  if (frame === undefined) return data[j * w + i];
  if (frame === null || i < frame[0] || i > frame[2] || j < frame[1] || j > frame[3]) return 0;
  return data[(j - frame[1]) * (frame[2] - frame[0] + 1) + (i - frame[0])];
}

/** A zeroed array holding box `frame` of an image (null: no pixels), registered in `frames`. */
function framed(frame: PixelBox | null, value: number): MaskLayer['data'] {
  const data = newMask(frame ? (frame[2] - frame[0] + 1) * (frame[3] - frame[1] + 1) : 0, value);
  frames.set(data, frame);
  return data;
}

/** A painted brush region (see `strokeMask`). */
export interface Painted {
  data: MaskLayer['data'];
  any: boolean;
  box: PixelBox | null;
}

const unionBox = (a: PixelBox | null, b: PixelBox): PixelBox => (a ? [Math.min(a[0], b[0]), Math.min(a[1], b[1]), Math.max(a[2], b[2]), Math.max(a[3], b[3])] : b);

/**
 * The mask of a brush region, `value` where painted: its stored RLE (if any) with its strokes over it. Without a
 * stored RLE, `box` holds every painted pixel (null: nothing painted, `any` false) and the array holds only that box
 * (see `frameOf`); with one, `box` is null and the array is the whole image (from `allocate` or the decoder).
 */
export function strokeMask(rle: ArrayLike<number> | null, strokes: Stroke[], w: number, h: number, value = 1): Painted {
  if (rle && rle.length > 0) {
    const base = decodeBrushLayer(rle, w, h, 'brush region', value);
    let added = false;
    for (const s of strokes) if (paintStroke(base.data, w, h, s, value) && s.type === 'add') added = true;
    return { data: base.data, any: base.any || added, box: null };
  }
  let box: PixelBox | null = null;
  for (const s of strokes) {
    const b = s.type === 'add' ? strokeBox(w, h, s) : null;
    if (b) box = unionBox(box, b);
  }
  const data = framed(box, value);
  if (box) for (const s of strokes) paintStroke(data, w, h, s, value, box);
  return { data, any: box !== null, box };
}

/**
 * `strokeMask` of a region whose first strokes were painted into `prev` (with `hasBase`: over a stored RLE, into an
 * array from `allocate`), with `more` strokes after them: `prev`'s pixels and the new strokes over them, and the box
 * the new strokes touched (outside it both masks are equal; null when they touched nothing).
 */
export function extendStrokeMask(prev: Painted, hasBase: boolean, more: Stroke[], w: number, h: number, value: number, allocate: MaskAllocator = newMask): { painted: Painted; changed: PixelBox | null } {
  let changed: PixelBox | null = null;
  let any = prev.any;
  if (hasBase) {
    const data = allocate(w * h, value);
    data.set(prev.data);
    for (const s of more) {
      const b = paintStroke(data, w, h, s, value);
      if (!b) continue;
      changed = unionBox(changed, b);
      if (s.type === 'add') any = true;
    }
    return { painted: { data, any, box: null }, changed };
  }
  let box = prev.box;
  for (const s of more) {
    const b = strokeBox(w, h, s);
    if (!b) continue;
    changed = unionBox(changed, b);
    if (s.type === 'add') {
      any = true;
      box = unionBox(box, b);
    }
  }
  const data = framed(box, value);
  if (box && prev.box) {
    const [i0, j0, i1, j1] = prev.box;
    const from = frameOf(prev.data);
    const stride = box[2] - box[0] + 1;
    for (let j = j0; j <= j1; j++) {
      const at = from === undefined ? j * w + i0 : from ? (j - from[1]) * (from[2] - from[0] + 1) + (i0 - from[0]) : -1;
      if (at >= 0) data.set(prev.data.subarray(at, at + (i1 - i0 + 1)), (j - box[1]) * stride + (i0 - box[0]));
    }
  }
  if (box) for (const s of more) paintStroke(data, w, h, s, value, box);
  return { painted: { data, any, box }, changed };
}

/** Whether stroke lists `a` and `b` are equal. */
export function sameStrokes(a: Stroke[], b: Stroke[]): boolean {
  if (a.length !== b.length) return false;
  for (let k = 0; k < a.length; k++) {
    const x = a[k], y = b[k];
    if (x.type !== y.type || x.relativeStrokeWidth !== y.relativeStrokeWidth || x.relativePoints.length !== y.relativePoints.length) return false;
    for (let t = 0; t < x.relativePoints.length; t++) if (x.relativePoints[t] !== y.relativePoints[t]) return false;
  }
  return true;
}

/** The strokes of an editor brush region, as plain data (the editor's are state-tree nodes). */
export function strokesOf(touches: unknown): Stroke[] {
  if (!touches || typeof (touches as { length?: unknown }).length !== 'number') return [];
  return Array.from(touches as ArrayLike<Record<string, unknown>>)
    .map((t) => ({
      type: t.type === 'eraser' ? ('eraser' as const) : ('add' as const),
      relativePoints: Array.from((t.relativePoints as ArrayLike<number> | undefined) ?? []).map(Number),
      relativeStrokeWidth: Number(t.relativeStrokeWidth),
    }))
    .filter((s) => s.relativePoints.length >= 2 && Number.isFinite(s.relativeStrokeWidth) && s.relativeStrokeWidth > 0);
}
