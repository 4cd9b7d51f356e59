/**
 * One mask layer per label instead of one per region, kept up to date between live checks. The rule engine unions
 * the layers of a label on every call (a full pass over the image per region); here only the pixels inside the
 * boxes of the regions that changed are touched. Rules compare labels, never regions of one label, so the findings
 * are the same (`overlap.forbidden` pairs different labels, which stay in different layers). Each change is
 * recorded in `edits` (the new layer equals the last one outside the changed box), so that the rules update the
 * label's components and containment on that box instead of the whole image.
 */
import type { MaskLayer, Segmentation } from '../../shared/model.js';
import type { LabelStudioRegion } from '../../shared/formats/labelstudio.js';
import { boundingBox, unionBox, type Box } from '../../shared/metrics/bbox.js';
import { recordEdit, trackMask, type MaskEdits } from '../../shared/rules/mask-edits.js';
import { frameOf, pixelAt } from './strokes.js';

/** [i0, j0, i1, j1], inclusive; null when empty. */
type Box2 = [number, number, number, number] | null;

/** A region's new array equals `from` (its array at the last merge) outside `box`. */
export interface PartEdit {
  from: object;
  box: [number, number, number, number];
}

interface Merged {
  parts: Array<MaskLayer['data']>;
  boxes: Box2[];
  counts: Uint16Array;
  data: MaskLayer['data'];
}

/** Box of a layer's pixels (each of its values; the layer holds no others), by the shared word-skipping scan. */
function scanBox(data: MaskLayer['data'], values: number[], w: number, h: number): Box2 {
  const frame = frameOf(data);
  if (frame !== undefined) return frame;
  const b = values.reduce<Box | null>((acc, value) => unionBox(acc, boundingBox({ data, value }, [w, h, 1])), null);
  return b && [b[0], b[1], b[3], b[4]];
}

const union = (a: Box2, b: Box2): Box2 => (!a ? b : !b ? a : [Math.min(a[0], b[0]), Math.min(a[1], b[1]), Math.max(a[2], b[2]), Math.max(a[3], b[3])]);

/** Keeps per-label layers between calls; give it each new read of the same annotation. */
export class LabelLayers {
  private readonly boxes = new WeakMap<object, Box2>();
  private merged = new Map<number, Merged>();
  private shape = '';

  constructor(private readonly edits?: MaskEdits) {}

  /**
   * Box of a region's pixels, from its polygon or rectangle points when it has them, from the region it was edited
   * from, else by scanning once.
   */
  private boxOf(layer: MaskLayer, w: number, h: number, hint: Box2 | undefined, edit: PartEdit | undefined): Box2 {
    let b = this.boxes.get(layer.data);
    if (b === undefined) {
      const from = edit ? this.boxes.get(edit.from) : undefined;
      b = hint !== undefined ? hint : from !== undefined ? union(from, (edit as PartEdit).box) : scanBox(layer.data, layer.values, w, h);
      this.boxes.set(layer.data, b);
    }
    return b;
  }

  /** The box known to hold every non-zero pixel of a region's array that was merged (undefined: none known). */
  knownBox(data: MaskLayer['data']): Box2 | undefined {
    return this.boxes.get(data);
  }

  /**
   * The segmentation with the layers of each label merged (2D only; 3D passes through). `hints` are pixel boxes of
   * polygon and rectangle regions by region id, a superset of their pixels; `edits` say which new region arrays
   * equal an earlier array of the same region outside a box (more strokes on a brush region).
   */
  merge(seg: Segmentation, regions: LabelStudioRegion[], hints: Map<string, Box2> = new Map(), edits: Map<object, PartEdit> = new Map()): Segmentation {
    const [w, h, d] = seg.geometry.shape;
    if (d !== 1) return seg;
    const shapeKey = `${w}x${h}`;
    if (shapeKey !== this.shape) {
      this.merged = new Map();
      this.shape = shapeKey;
    }
    const layerRegion = new Map(regions.map((r) => [r.layer, r.id]));
    const byValue = new Map<number, Array<{ layer: MaskLayer; index: number }>>();
    seg.layers.forEach((layer, index) => {
      for (const v of layer.values) byValue.set(v, [...(byValue.get(v) ?? []), { layer, index }]);
    });
    const layers: MaskLayer[] = [];
    const seen = new Set<number>();
    for (const [v, holders] of byValue) {
      seen.add(v);
      const parts = holders.map((x) => x.layer.data);
      const boxes = holders.map((x) => this.boxOf(x.layer, w, h, hints.get(layerRegion.get(x.index) ?? ''), edits.get(x.layer.data)));
      layers.push({ data: this.update(v, parts, boxes, w, h, edits), values: [v], id: `label:${v}` });
    }
    for (const v of [...this.merged.keys()]) if (!seen.has(v)) this.merged.delete(v);
    // Layers without pixels carry no values and stay out, as they add nothing to any rule.
    return { ...seg, layers };
  }

  private update(v: number, parts: Array<MaskLayer['data']>, boxes: Box2[], w: number, h: number, edits: Map<object, PartEdit>): MaskLayer['data'] {
    let m = this.merged.get(v);
    let added = parts.map((p, k) => [p, boxes[k]] as const);
    let removed: Array<readonly [MaskLayer['data'], Box2]> = [];
    if (m) {
      const before = new Set(m.parts);
      const now = new Set(parts);
      removed = m.parts.map((p, k) => [p, m!.boxes[k]] as const).filter(([p]) => !now.has(p));
      added = added.filter(([p]) => !before.has(p));
      if (removed.length === 0 && added.length === 0) return m.data;
    } else {
      const data = v <= 0xff ? new Uint8Array(w * h) : v <= 0xffff ? new Uint16Array(w * h) : new Uint32Array(w * h);
      m = { parts: [], boxes: [], counts: new Uint16Array(w * h), data };
      if (this.edits) trackMask(this.edits, m.data);
    }
    let dirty: Box2 = null;
    const apply = (p: MaskLayer['data'], b: Box2, delta: number) => {
      if (!b) return;
      dirty = union(dirty, b);
      const counts = m!.counts;
      const f = frameOf(p);
      if (f !== undefined) {
        for (let j = b[1]; j <= b[3]; j++) for (let i = b[0]; i <= b[2]; i++) if (pixelAt(p, f, w, i, j) === v) counts[j * w + i] += delta;
        return;
      }
      for (let j = b[1]; j <= b[3]; j++) {
        const row = j * w;
        for (let i = row + b[0], end = row + b[2]; i <= end; i++) if (p[i] === v) counts[i] += delta;
      }
    };
    // A region array that replaces an earlier one of the same region differs from it only in the edit's box.
    const replaced = new Set<object>();
    const removedNow = new Set<object>(removed.map(([p]) => p));
    for (const [p] of added) {
      const e = edits.get(p);
      if (!e || !removedNow.has(e.from) || replaced.has(e.from)) continue;
      replaced.add(e.from);
      replaced.add(p);
      const from = e.from as MaskLayer['data'];
      const b: Box2 = [Math.max(0, e.box[0]), Math.max(0, e.box[1]), Math.min(w - 1, e.box[2]), Math.min(h - 1, e.box[3])];
      if (b[0] > b[2] || b[1] > b[3]) continue;
      dirty = union(dirty, b);
      const counts = m.counts;
      const fp = frameOf(p), ff = frameOf(from);
      if (fp !== undefined || ff !== undefined) {
        for (let j = b[1]; j <= b[3]; j++) {
          for (let i = b[0]; i <= b[2]; i++) counts[j * w + i] += (pixelAt(p, fp, w, i, j) === v ? 1 : 0) - (pixelAt(from, ff, w, i, j) === v ? 1 : 0);
        }
        continue;
      }
      for (let j = b[1]; j <= b[3]; j++) {
        const row = j * w;
        for (let i = row + b[0], end = row + b[2]; i <= end; i++) counts[i] += (p[i] === v ? 1 : 0) - (from[i] === v ? 1 : 0);
      }
    }
    for (const [p, b] of removed) if (!replaced.has(p)) apply(p, b, -1);
    for (const [p, b] of added) if (!replaced.has(p)) apply(p, b, 1);
    const db = dirty as Box2;
    if (db) {
      const { counts, data } = m;
      for (let j = db[1]; j <= db[3]; j++) {
        const row = j * w;
        for (let i = row + db[0], end = row + db[2]; i <= end; i++) data[i] = counts[i] > 0 ? v : 0;
      }
    }
    m.parts = parts;
    m.boxes = boxes;
    this.merged.set(v, m);
    if (!db) return m.data;
    // A new view of the same buffer: results memoized by the old view are never looked up again.
    const before = m.data;
    m.data = m.data.subarray(0);
    if (this.edits) recordEdit(this.edits, before, m.data, db);
    return m.data;
  }
}

/** Pixel boxes of polygon and rectangle results (points in percent), widened by a pixel and clipped to the image. */
export function pointBoxes(result: unknown[]): Map<string, Box2> {
  const out = new Map<string, Box2>();
  for (const raw of result) {
    const r = raw as { id?: unknown; original_width?: unknown; original_height?: unknown; value?: Record<string, unknown> };
    const w = Number(r.original_width), h = Number(r.original_height);
    const v = r.value;
    if (!v || typeof r.id !== 'string' || !(w > 0 && h > 0)) continue;
    let pts: Array<[number, number]> | null = null;
    if (Array.isArray(v.points)) pts = (v.points as unknown[]).map((p) => (Array.isArray(p) ? [Number(p[0]), Number(p[1])] : [NaN, NaN]));
    else if (['x', 'y', 'width', 'height'].every((k) => Number.isFinite(Number(v[k]))) && !Number(v.rotation)) {
      const x = Number(v.x), y = Number(v.y), rw = Number(v.width), rh = Number(v.height);
      pts = [[x, y], [x + rw, y + rh]];
    }
    if (!pts || pts.length === 0 || pts.some(([x, y]) => !Number.isFinite(x) || !Number.isFinite(y))) continue;
    const xs = pts.map(([x]) => (x / 100) * w);
    const ys = pts.map(([, y]) => (y / 100) * h);
    const box: Box2 = [
      Math.max(0, Math.floor(Math.min(...xs)) - 1),
      Math.max(0, Math.floor(Math.min(...ys)) - 1),
      Math.min(w - 1, Math.ceil(Math.max(...xs)) + 1),
      Math.min(h - 1, Math.ceil(Math.max(...ys)) + 1),
    ];
    out.set(r.id, box[0] > box[2] || box[1] > box[3] ? null : box);
  }
  return out;
}
