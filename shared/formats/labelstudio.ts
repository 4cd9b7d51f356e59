/**
 * Label Studio JSON exports (the project export array or one task): brush (RLE), polygon and rectangle regions are
 * rasterized on the image grid (`original_width` × `original_height`), one mask layer per region; choices and
 * text areas are kept for checklists and attestations.
 */
import type { LabelInfo, MaskLayer, ReadLimits, Segmentation } from '../model.js';
import { DEFAULT_LIMITS } from '../model.js';
import { SegqcError } from '../errors.js';
import { BRUSH_ALPHA_THRESHOLD, decodeBrushLayer } from './brush-rle.js';
import { parsePixelSpacing, planarGeometry } from './png.js';

/** A region of an annotation and the mask layer it became. */
export interface LabelStudioRegion {
  id: string;
  type: 'brush' | 'polygon' | 'rectangle';
  label: string;
  /** Index into `segmentation.layers`. */
  layer: number;
}

/** One annotation (or prediction) of a task, read. */
export interface LabelStudioAnnotation {
  id: string;
  author: string | null;
  createdAt: string | null;
  updatedAt: string | null;
  segmentation: Segmentation;
  /** Selected choices by control name (`from_name`). */
  choices: Record<string, string[]>;
  /** Text area values by control name. */
  texts: Record<string, string[]>;
  regions: LabelStudioRegion[];
}

/** One task of an export. */
export interface LabelStudioTask {
  id: string | null;
  data: Record<string, unknown>;
  annotations: LabelStudioAnnotation[];
  predictions: LabelStudioAnnotation[];
}

/**
 * Rasterized regions kept between calls (the editor re-checks after every edit): a region whose id and content are
 * unchanged is not decoded again. Create with `new Map()`.
 */
export type RegionCache = Map<string, { key: string; data: MaskLayer['data']; any: boolean }>;

/** Options of `readLabelStudioResult`. */
export interface ResultOptions {
  file: string;
  task?: Record<string, unknown>;
  id: string;
  author?: string | null;
  createdAt?: string | null;
  updatedAt?: string | null;
  /** Label values by label name (the guideline's); other names get values after the largest known one. */
  labelValues?: Record<string, number>;
  /** The task data field that holds the pixel spacing ([row, column] mm or one number). */
  spacingField?: string | null;
  limits?: ReadLimits;
  cache?: RegionCache;
  /** Alpha at or above which a brush pixel is foreground. */
  brushThreshold?: number;
  /** Zeroed mask arrays for polygons and rectangles (the editor's live check reuses dropped ones). */
  allocate?: MaskAllocator;
  /** Zeroed mask arrays for brush regions (a dataset check reuses those of the items checked before); new ones when absent. */
  allocateBrush?: MaskAllocator;
}

/** A zeroed mask array of `length` voxels that holds `maxValue`. */
export type MaskAllocator = (length: number, maxValue: number) => MaskLayer['data'];

/** Allocates a new zeroed mask array, of the narrowest type that holds `maxValue`. */
export const newMask: MaskAllocator = (length, maxValue) => new (maskArrayType(maxValue))(length);

/** The narrowest mask array type that holds `maxValue`. */
export const maskArrayType = (maxValue: number) => (maxValue <= 0xff ? Uint8Array : maxValue <= 0xffff ? Uint16Array : Uint32Array);

const REGION_KEYS: Record<string, LabelStudioRegion['type']> = { brushlabels: 'brush', polygonlabels: 'polygon', rectanglelabels: 'rectangle' };

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Coordinates are percent of the image: anything beyond ±MAX_PERCENT is not a place on or near it. */
const MAX_PERCENT = 1e6;
const isPercent = (v: unknown): v is number => isNumber(v) && Math.abs(v) <= MAX_PERCENT;

/** Largest image a Label Studio annotation is rasterized on: every region becomes a mask of the whole image. */
export const MAX_LABELSTUDIO_PIXELS = 2 ** 29;

/** A JSON scalar as text (ids, choices, authors); anything else, which `String` may not even convert, is `fallback`. */
export function scalarText(v: unknown, fallback: string): string {
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : fallback;
}

/** A value for a message: scalars as JSON, others by kind. */
const shown = (v: unknown): string => (v === undefined ? 'missing' : v === null || typeof v !== 'object' ? JSON.stringify(v) : Array.isArray(v) ? 'an array' : 'an object');

function hashNumbers(xs: ArrayLike<number>): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < xs.length; i++) {
    h ^= xs[i] & 0xff;
    h = Math.imul(h, 0x01000193);
    h ^= (xs[i] >>> 8) & 0xff;
    h = Math.imul(h, 0x01000193);
  }
  return `${xs.length}:${(h >>> 0).toString(16)}`;
}

function regionType(r: Obj, value: Obj): LabelStudioRegion['type'] | null {
  const t = typeof r.type === 'string' ? r.type.toLowerCase() : '';
  if (REGION_KEYS[t]) return REGION_KEYS[t];
  if (t === 'labels' || t === '') {
    if (Array.isArray(value.rle) || value.rle instanceof Uint8Array) return 'brush';
    if (Array.isArray(value.points)) return 'polygon';
    if (typeof value.width === 'number' && typeof value.height === 'number') return 'rectangle';
  }
  return null;
}

function labelOf(value: Obj): string | null {
  for (const k of ['brushlabels', 'polygonlabels', 'rectanglelabels', 'labels']) {
    const v = value[k];
    if (Array.isArray(v) && typeof v[0] === 'string') return v[0];
  }
  return null;
}

/**
 * Fills pixels whose centres lie inside the polygon (even-odd rule); points in pixels. A scanline fill over an edge
 * table: each row meets only the edges that span it, so the cost is rows + edges + crossings, not rows × edges.
 */
export function rasterizePolygon(points: Array<[number, number]>, width: number, height: number, out: Uint8Array | Uint16Array | Uint32Array, value = 1): number {
  const n = points.length;
  // Edge e runs from vertex a = e to vertex b = e - 1 and crosses the centres of rows first[e] .. last[e].
  const xa = new Float64Array(n), ya = new Float64Array(n), xb = new Float64Array(n), yb = new Float64Array(n);
  const first = new Int32Array(n);
  const last = new Int32Array(n);
  const order: number[] = [];
  for (let a = 0, b = n - 1; a < n; b = a++) {
    xa[a] = points[a][0];
    ya[a] = points[a][1];
    xb[a] = points[b][0];
    yb[a] = points[b][1];
    const lo = Math.min(ya[a], yb[a]), hi = Math.max(ya[a], yb[a]);
    // Row j's centre j + 0.5 is crossed when lo <= j + 0.5 < hi.
    const j0 = Math.max(0, Math.ceil(lo - 0.5));
    const j1 = Math.min(height - 1, Math.ceil(hi - 0.5) - 1);
    if (j1 < j0) continue;
    first[a] = j0;
    last[a] = j1;
    order.push(a);
  }
  order.sort((p, q) => first[p] - first[q]);
  const active = new Int32Array(order.length);
  const xs = new Float64Array(order.length);
  let na = 0;
  let filled = 0;
  let next = 0;
  for (let j = order.length ? first[order[0]] : height; j < height; j++) {
    if (na === 0) {
      if (next >= order.length) break;
      if (first[order[next]] > j) j = first[order[next]];
    }
    while (next < order.length && first[order[next]] === j) active[na++] = order[next++];
    const cy = j + 0.5;
    let nx = 0;
    for (let k = 0; k < na; k++) {
      const e = active[k];
      xs[nx++] = xa[e] + ((cy - ya[e]) * (xb[e] - xa[e])) / (yb[e] - ya[e]);
    }
    const row = xs.subarray(0, nx).sort();
    for (let k = 0; k + 1 < nx; k += 2) {
      const i0 = Math.max(0, Math.ceil(row[k] - 0.5));
      const i1 = Math.min(width - 1, Math.ceil(row[k + 1] - 0.5) - 1);
      if (i1 >= i0) {
        out.fill(value, j * width + i0, j * width + i1 + 1);
        filled += i1 - i0 + 1;
      }
    }
    let keep = 0;
    for (let k = 0; k < na; k++) if (last[active[k]] > j) active[keep++] = active[k];
    na = keep;
  }
  return filled;
}

/** A region's value, checked: what its mask is drawn from (coordinates in percent of the image, as stored). */
type RegionShape =
  | { type: 'brush'; rle: ArrayLike<number> }
  | { type: 'polygon'; points: Array<[number, number]> }
  | { type: 'rectangle'; x: number; y: number; width: number; height: number; rotation: number };

/** Checks a region's value before anything is hashed, allocated or drawn: numbers only, RLE bytes 0 to 255. */
function regionShape(type: LabelStudioRegion['type'], value: Obj, where: { file: string; item: string }): RegionShape {
  if (type === 'brush') {
    const rle = value.rle;
    if (rle instanceof Uint8Array) return { type, rle };
    if (!Array.isArray(rle)) throw new SegqcError('format.unsupported', 'brush region without an "rle" array (only the RLE brush format is read)', where);
    for (let i = 0; i < rle.length; i++) {
      const v: unknown = rle[i];
      if (!(typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 255)) {
        throw new SegqcError('format.unreadable', `brush RLE value ${i} is ${shown(v)}; RLE values are integers 0 to 255`, where);
      }
    }
    return { type, rle: rle as number[] };
  }
  if (type === 'polygon') {
    const pts = value.points;
    if (!Array.isArray(pts) || pts.length < 3) {
      throw new SegqcError('format.polygon', `polygon has ${Array.isArray(pts) ? pts.length : 0} point(s); at least 3 are needed`, where);
    }
    const points = pts.map((p: unknown, i) => {
      if (!(Array.isArray(p) && p.length === 2 && isNumber(p[0]) && isNumber(p[1]))) {
        throw new SegqcError('format.polygon', `polygon point ${i} is ${shown(p)}; points must be [x, y] pairs of numbers`, where);
      }
      if (!isPercent(p[0]) || !isPercent(p[1])) {
        throw new SegqcError('format.polygon', `polygon point ${i} is [${p[0]}, ${p[1]}]; coordinates are percent of the image, within ±${MAX_PERCENT}`, where);
      }
      return [p[0], p[1]] as [number, number];
    });
    return { type, points };
  }
  const r = { x: value.x, y: value.y, width: value.width, height: value.height, rotation: value.rotation ?? 0 };
  for (const [k, v] of Object.entries(r)) {
    if (!isNumber(v)) throw new SegqcError('format.unreadable', `rectangle "${k}" is ${shown(v)}, not a number`, where);
    if (k !== 'rotation' && !isPercent(v)) throw new SegqcError('format.unreadable', `rectangle "${k}" is ${v}; coordinates are percent of the image, within ±${MAX_PERCENT}`, where);
  }
  return { type, ...(r as Record<keyof typeof r, number>) };
}

function rectanglePoints(r: Extract<RegionShape, { type: 'rectangle' }>, w: number, h: number): Array<[number, number]> {
  const x = (r.x / 100) * w;
  const y = (r.y / 100) * h;
  const rw = (r.width / 100) * w;
  const rh = (r.height / 100) * h;
  const rot = (r.rotation * Math.PI) / 180;
  const c = Math.cos(rot), s = Math.sin(rot);
  // Label Studio rotates a rectangle about its top-left corner (x, y).
  return ([[0, 0], [rw, 0], [rw, rh], [0, rh]] as Array<[number, number]>).map(([dx, dy]) => [x + dx * c - dy * s, y + dx * s + dy * c]);
}

/** What a region's mask depends on, for the region cache. */
function shapeKey(r: RegionShape): string {
  if (r.type === 'brush') return hashNumbers(r.rle);
  if (r.type === 'polygon') return r.points.join(';');
  return [r.x, r.y, r.width, r.height, r.rotation].join(',');
}

function regionLayer(
  shape: RegionShape,
  w: number,
  h: number,
  lv: number,
  ctx: { file: string; threshold: number; allocate: MaskAllocator; allocateBrush?: MaskAllocator },
): { data: MaskLayer['data']; any: boolean } {
  if (shape.type === 'brush') return decodeBrushLayer(shape.rle, w, h, ctx.file, lv, ctx.threshold, ctx.allocateBrush);
  const data = ctx.allocate(w * h, lv);
  const pts = shape.type === 'polygon' ? shape.points.map(([x, y]) => [(x / 100) * w, (y / 100) * h] as [number, number]) : rectanglePoints(shape, w, h);
  return { data, any: rasterizePolygon(pts, w, h, data, lv) > 0 };
}

/** Reads the `result` array of one annotation into a segmentation plus its choices and texts. */
export function readLabelStudioResult(result: unknown[], opts: ResultOptions): LabelStudioAnnotation {
  const file = opts.file;
  const item = opts.id;
  const limits = opts.limits ?? DEFAULT_LIMITS;
  const threshold = opts.brushThreshold ?? BRUSH_ALPHA_THRESHOLD;
  const labelValues = { ...(opts.labelValues ?? {}) };
  let nextValue = Math.max(0, ...Object.values(labelValues)) + 1;
  const choices: Record<string, string[]> = {};
  const texts: Record<string, string[]> = {};
  const warnings: string[] = [];
  const regionResults: Array<{ r: Obj; value: Obj; type: LabelStudioRegion['type'] }> = [];
  let width = 0, height = 0;
  for (const [idx, raw] of result.entries()) {
    if (!isObj(raw) || !isObj(raw.value)) throw new SegqcError('format.unreadable', `result ${idx} has no "value" object`, { file, item });
    const value = raw.value;
    const from = typeof raw.from_name === 'string' ? raw.from_name : `result_${idx}`;
    if (raw.type === 'choices' && Array.isArray(value.choices)) {
      choices[from] = [...(choices[from] ?? []), ...value.choices.map((c: unknown) => scalarText(c, ''))];
      continue;
    }
    if (raw.type === 'textarea' && Array.isArray(value.text)) {
      texts[from] = [...(texts[from] ?? []), ...value.text.map((t: unknown) => scalarText(t, ''))];
      continue;
    }
    const type = regionType(raw, value);
    if (!type) continue;
    const rid = scalarText(raw.id, String(idx));
    const w = raw.original_width, h = raw.original_height;
    if (!(typeof w === 'number' && Number.isInteger(w) && w > 0 && typeof h === 'number' && Number.isInteger(h) && h > 0)) {
      throw new SegqcError('format.unreadable', `region ${rid}: original_width ${shown(w)} and original_height ${shown(h)} must be positive whole numbers`, { file, item });
    }
    if (width && (w !== width || h !== height)) {
      throw new SegqcError('format.unreadable', `region ${rid} is on a ${w}x${h} image, others on ${width}x${height}`, { file, item });
    }
    const maxPixels = Math.min(limits.maxVoxels, MAX_LABELSTUDIO_PIXELS);
    if (w * h > maxPixels) {
      throw new SegqcError('format.too_large', `region ${rid} is on a ${w}x${h} image (${w * h} pixels), over the limit of ${maxPixels} pixels for one Label Studio image`, { file, item });
    }
    width = w;
    height = h;
    if (isNumber(raw.image_rotation) && raw.image_rotation % 360 !== 0) {
      warnings.push(`${file} [${item}]: image_rotation ${raw.image_rotation} is ignored; regions are read in image coordinates`);
    }
    regionResults.push({ r: raw, value, type });
  }
  if (width * height * Math.max(1, regionResults.length) > limits.maxVoxels) {
    throw new SegqcError('format.too_large', `${regionResults.length} region(s) of ${width}x${height} pixels exceed the limit of ${limits.maxVoxels}`, { file, item });
  }
  let spacing: [number, number] | null = null;
  if (opts.spacingField) {
    spacing = parsePixelSpacing(opts.task?.[opts.spacingField], `task field "${opts.spacingField}" of ${item}`);
    if (!spacing) warnings.push(`${file} [${item}]: task field "${opts.spacingField}" is missing; sizes are in pixels`);
  } else warnings.push(`${file} [${item}]: no pixel spacing field configured; sizes are in pixels`);
  if (regionResults.length === 0) {
    width = 1;
    height = 1;
  }
  const layers: MaskLayer[] = [];
  const regions: LabelStudioRegion[] = [];
  const labels = new Map<string, LabelInfo>();
  const seen = new Set<string>();
  for (const { r, value, type } of regionResults) {
    const name = labelOf(value);
    const rid = scalarText(r.id, `region_${layers.length}`);
    if (name === null) {
      warnings.push(`${file} [${item}]: region ${rid} has no label and is ignored`);
      continue;
    }
    if (!(name in labelValues)) labelValues[name] = nextValue++;
    const lv = labelValues[name];
    if (!labels.has(name)) labels.set(name, { value: lv, name });
    let shape: RegionShape;
    try {
      shape = regionShape(type, value, { file, item });
    } catch (e) {
      if (e instanceof SegqcError) throw new SegqcError(e.code, `region ${rid}: ${e.detail}`, { file, item });
      throw e;
    }
    // Only a cache compares keys: hashing a brush RLE costs a pass over it.
    const key = opts.cache ? `${type}|${width}x${height}|${threshold}|${lv}|${shapeKey(shape)}` : '';
    const cacheId = seen.has(rid) ? `${rid}#${layers.length}` : rid;
    seen.add(rid);
    let entry = opts.cache?.get(cacheId);
    if (!entry || entry.key !== key) {
      try {
        entry = { key, ...regionLayer(shape, width, height, lv, { file, threshold, allocate: opts.allocate ?? newMask, allocateBrush: opts.allocateBrush }) };
      } catch (e) {
        if (e instanceof SegqcError) throw new SegqcError(e.code, `region ${rid}: ${e.detail}`, { file, item });
        throw e;
      }
      opts.cache?.set(cacheId, entry);
    }
    const { data, any } = entry;
    regions.push({ id: rid, type, label: name, layer: layers.length });
    layers.push({ data, values: any ? [lv] : [], id: rid });
  }
  const segmentation: Segmentation = {
    path: file,
    format: 'labelstudio',
    geometry: planarGeometry(width, height, spacing),
    layers,
    labels: [...labels.values()].sort((a, b) => a.value - b.value),
    warnings,
  };
  return {
    id: opts.id,
    author: opts.author ?? null,
    createdAt: opts.createdAt ?? null,
    updatedAt: opts.updatedAt ?? null,
    segmentation,
    choices,
    texts,
    regions,
  };
}

/** Who made an annotation: `completed_by` (its e-mail, username or id), or `model:<version>` for a prediction. */
export function annotationAuthor(a: Record<string, unknown>): string | null {
  const c = a.completed_by;
  if (c === null || c === undefined) return typeof a.model_version === 'string' ? `model:${a.model_version}` : null;
  if (isObj(c)) return scalarText(c.email ?? c.username ?? c.id, 'unknown');
  return scalarText(c, 'unknown');
}

/** Options of `parseLabelStudioExport`. */
export interface ExportOptions {
  labelValues?: Record<string, number>;
  spacingField?: string | null;
  limits?: ReadLimits;
}

/** Parses a Label Studio JSON export (an array of tasks, or a single task). Cancelled annotations are skipped. */
export function parseLabelStudioExport(text: string, file: string, opts: ExportOptions = {}): LabelStudioTask[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new SegqcError('format.unreadable', `not valid JSON: ${(e as Error).message}`, { file });
  }
  const tasks = Array.isArray(parsed) ? parsed : [parsed];
  return tasks.map((t, index) => {
    if (!isObj(t)) throw new SegqcError('format.unreadable', `task ${index} is not an object`, { file });
    const data = isObj(t.data) ? t.data : {};
    const taskId = t.id === undefined || t.id === null ? null : scalarText(t.id, String(index));
    const read = (list: unknown, kind: string): LabelStudioAnnotation[] => {
      if (list === undefined || list === null) return [];
      if (!Array.isArray(list)) throw new SegqcError('format.unreadable', `task ${taskId ?? index}: "${kind}" is not an array`, { file });
      return list
        .filter((a): a is Obj => isObj(a) && a.was_cancelled !== true)
        .map((a, k) => {
          const id = scalarText(a.id, `${kind}-${k}`);
          if (!Array.isArray(a.result)) throw new SegqcError('format.unreadable', `${kind.slice(0, -1)} ${id} has no "result" array`, { file, item: `task ${taskId ?? index}` });
          return readLabelStudioResult(a.result, {
            file,
            task: data,
            id,
            author: annotationAuthor(a),
            createdAt: typeof a.created_at === 'string' ? a.created_at : null,
            updatedAt: typeof a.updated_at === 'string' ? a.updated_at : null,
            labelValues: opts.labelValues,
            spacingField: opts.spacingField ?? null,
            limits: opts.limits,
          });
        });
    };
    return { id: taskId, data, annotations: read(t.annotations, 'annotations'), predictions: read(t.predictions, 'predictions') };
  });
}

/** Names the generated Label Studio config uses: `<Choices name="segqc_checklist_{id}">` and a hidden attestation `<TextArea>`. */
export const CHECKLIST_FROM_NAME_PREFIX = 'segqc_checklist_';
export const CHECKLIST_YES = 'yes';
export const ATTESTATION_FROM_NAME = 'segqc_attestation';
/** The hidden `<TextArea>` holding review records (`guidelines/review.schema.json`); generated when the guideline has review stages. */
export const REVIEW_FROM_NAME = 'segqc_review';
