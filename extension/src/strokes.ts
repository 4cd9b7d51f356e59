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

/** Paints one stroke into a `w`×`h` mask with `value` (erasers clear); returns the box of the pixels it touched. */
export function paintStroke(mask: MaskLayer['data'], w: number, h: number, s: Stroke, value = 1): PixelBox | null {
  const pts = s.relativePoints;
  if (pts.length < 2) return null;
  const r = (s.relativeStrokeWidth * w) / 100 / 2;
  const r2 = r * r;
  const v = s.type === 'eraser' ? 0 : value;
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
    for (let j = j0; j <= j1; j++) {
      const cy = j + 0.5;
      for (let i = i0; i <= i1; i++) {
        const cx = i + 0.5;
        const t = len2 > 0 ? Math.max(0, Math.min(1, ((cx - ax) * dx + (cy - ay) * dy) / len2)) : 0;
        const ex = cx - (ax + t * dx), ey = cy - (ay + t * dy);
        if (ex * ex + ey * ey <= r2) mask[j * w + i] = v;
      }
    }
  }
  return box;
}

/** A painted brush region (see `strokeMask`). */
export interface Painted {
  data: MaskLayer['data'];
  any: boolean;
  box: PixelBox | null;
}

const unionBox = (a: PixelBox | null, b: PixelBox): PixelBox => (a ? [Math.min(a[0], b[0]), Math.min(a[1], b[1]), Math.max(a[2], b[2]), Math.max(a[3], b[3])] : b);

/**
 * The mask of a brush region, `value` where painted: its stored RLE (if any) with its strokes over it. `box` holds
 * every painted pixel when the region has no stored RLE (null: unknown, or nothing painted when `any` is false).
 */
export function strokeMask(rle: ArrayLike<number> | null, strokes: Stroke[], w: number, h: number, value = 1, allocate: MaskAllocator = newMask): Painted {
  const base = rle && rle.length > 0 ? decodeBrushLayer(rle, w, h, 'brush region', value) : null;
  const data = base?.data ?? allocate(w * h, value);
  let box: PixelBox | null = null;
  let added = false;
  for (const s of strokes) {
    const b = paintStroke(data, w, h, s, value);
    if (s.type === 'add' && b) {
      added = true;
      box = box ? [Math.min(box[0], b[0]), Math.min(box[1], b[1]), Math.max(box[2], b[2]), Math.max(box[3], b[3])] : b;
    }
  }
  if (base) return { data, any: base.any || added, box: null };
  return { data, any: added, box: added ? box : null };
}

/**
 * `strokeMask` of a region whose first strokes were painted into `prev` (with `hasBase`: over a stored RLE), with
 * `more` strokes after them: `prev`'s pixels and the new strokes over them, and the box the new strokes touched
 * (outside it both masks are equal; null when they touched nothing).
 */
export function extendStrokeMask(prev: Painted, hasBase: boolean, more: Stroke[], w: number, h: number, value: number, allocate: MaskAllocator = newMask): { painted: Painted; changed: PixelBox | null } {
  const data = allocate(w * h, value);
  if (hasBase) data.set(prev.data);
  else if (prev.box) {
    const [i0, j0, i1, j1] = prev.box;
    for (let j = j0; j <= j1; j++) data.set(prev.data.subarray(j * w + i0, j * w + i1 + 1), j * w + i0);
  }
  let any = prev.any;
  let box = prev.box;
  let changed: PixelBox | null = null;
  for (const s of more) {
    const b = paintStroke(data, w, h, s, value);
    if (!b) continue;
    changed = unionBox(changed, b);
    if (s.type === 'add') {
      any = true;
      if (!hasBase) box = unionBox(box, b);
    }
  }
  return { painted: { data, any, box: hasBase ? null : box }, changed };
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
