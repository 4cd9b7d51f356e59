/** The live check: a serialized Label Studio result through the shared rule engine. */
import type { Guideline, ChecklistItem } from '../../shared/guideline/types.js';
import { isRequiredItem } from '../../shared/guideline/types.js';
import { guidelineSha256 } from '../../shared/guideline/hash.js';
import { readLabelStudioResult, type LabelStudioRegion, type RegionCache } from '../../shared/formats/labelstudio.js';
import { checkAnnotation, ruleMemo } from '../../shared/rules/engine.js';
import { maskEdits } from '../../shared/rules/mask-edits.js';
import { checklistState } from '../../shared/rules/checklist.js';
import type { ChecklistAnswers, Finding } from '../../shared/rules/types.js';
import { CHECKLIST_FROM_NAME_PREFIX, CHECKLIST_YES } from '../../shared/rules/types.js';
import type { Segmentation } from '../../shared/model.js';
import { LabelLayers, pointBoxes, type PartEdit } from './merge.js';
import { isStroked, type ResultEntry, type StrokedEntry } from './editor.js';
import { extendStrokeMask, frameOf, sameStrokes, strokeMask, type Painted, type Stroke } from './strokes.js';
import { MaskPool } from './pool.js';
import { parsePixelSpacing, planarGeometry } from '../../shared/formats/png.js';
import type { MaskLayer } from '../../shared/model.js';

/** One checklist item as the panel shows it. */
export interface ChecklistRow {
  item: ChecklistItem;
  visible: boolean;
  answered: boolean;
  required: boolean;
}

/** What one live check found. */
export interface LiveState {
  /** Findings of the annotation's drawing (labels, sizes, components, containment, overlap). */
  findings: Finding[];
  checklist: ChecklistRow[];
  answers: ChecklistAnswers;
  presentLabels: string[];
  regions: LabelStudioRegion[];
  /** The regions as read, one layer each (a painted region's array may hold only its box: see `frameOf`); their arrays are reused after the next check. */
  segmentation: Segmentation | null;
  /** Why the result could not be read, when it could not. */
  readError: string | null;
  /** Sizes are in pixels: the task has no pixel spacing. */
  pixelsOnly: boolean;
  ms: number;
}

/** A brush region as painted at the last check: what it was painted from, and the result. */
interface StrokeRecord {
  rle: number[] | null;
  strokes: Stroke[];
  w: number;
  h: number;
  value: number;
  hasBase: boolean;
  painted: Painted;
}

/** Whether two stored RLEs are the same (no RLE and an empty one are). */
function sameRle(a: number[] | null, b: number[] | null): boolean {
  if (a === b) return true;
  const x = a ?? [], y = b ?? [];
  if (x.length !== y.length) return false;
  for (let k = 0; k < x.length; k++) if (x[k] !== y[k]) return false;
  return true;
}

const DRAWING_ONLY = (f: Finding) => !f.rule.startsWith('checklist.') && !f.rule.startsWith('attestation.');

/** Options of a live checker. */
export interface LiveOptions {
  /** Task data field with the pixel spacing (default: `pixel_spacing` when the task has it). */
  spacingField?: string | null;
  /** The guideline's hash when the caller has it (spares hashing it again). */
  sha256?: string;
}

/** Checks one editor annotation against a guideline, keeping rasterized regions between calls. */
export class LiveChecker {
  readonly sha256: string;
  readonly labelValues: Record<string, number>;
  private readonly regionCache: RegionCache = new Map();
  private readonly edits = maskEdits();
  private readonly labelLayers = new LabelLayers(this.edits);
  private readonly memo = ruleMemo(this.edits);

  constructor(
    readonly guideline: Guideline,
    private readonly opts: LiveOptions = {},
  ) {
    this.sha256 = opts.sha256 ?? guidelineSha256(guideline);
    this.labelValues = Object.fromEntries(guideline.labels.map((l) => [l.name, l.value]));
  }

  /** Brush regions painted at the last check, by region id: more strokes on one are painted over a copy. */
  private strokeRecords = new Map<string, StrokeRecord>();
  /** Boxes of freshly painted brush regions, for the per-label layers (like polygon boxes). */
  private strokeBoxes = new Map<string, [number, number, number, number]>();
  /** Region arrays painted over a copy of the region's last array, for the per-label layers. */
  private partEdits = new Map<object, PartEdit>();
  private readonly pool = new MaskPool();
  /** The region arrays of the last check and their image width: those the next check drops go back to the pool. */
  private lastArrays: { arrays: Set<MaskLayer['data']>; width: number } = { arrays: new Set(), width: 0 };

  /** Adds brush regions with unconverted strokes, painted here (see strokes.ts), to a read annotation. */
  private addStrokedRegions(ann: ReturnType<typeof readLabelStudioResult>, stroked: StrokedEntry[], task: Record<string, unknown>, field: string | null): void {
    const seg = ann.segmentation;
    const paintedIds = new Set<string>();
    for (const e of stroked) {
      const w = Number(e.original_width), h = Number(e.original_height);
      const label = ((e.value?.brushlabels as string[] | undefined) ?? [])[0];
      if (!(w > 0 && h > 0) || typeof label !== 'string') continue;
      if (ann.regions.length === 0 && seg.layers.length === 0) {
        const spacing = field ? parsePixelSpacing(task[field], `task field "${field}"`) : null;
        seg.geometry = planarGeometry(w, h, spacing);
      }
      const [gw, gh] = seg.geometry.shape;
      if (gw !== w || gh !== h) throw new Error(`brush region ${String(e.id)} is on a ${w}x${h} image, others on ${gw}x${gh}`);
      let info = seg.labels.find((l) => l.name === label);
      if (!info) {
        const value = this.labelValues[label] ?? Math.max(0, ...Object.values(this.labelValues), ...seg.labels.map((l) => l.value)) + 1;
        info = { value, name: label };
        seg.labels = [...seg.labels, info].sort((a, b) => a.value - b.value);
      }
      const id = String(e.id);
      const rle = (e.value?.rle as number[] | undefined) ?? null;
      const rec = this.strokeRecords.get(id);
      let painted: Painted;
      if (rec && rec.w === w && rec.h === h && rec.value === info.value && sameRle(rec.rle, rle) && e.segqcStrokes.length >= rec.strokes.length && sameStrokes(rec.strokes, e.segqcStrokes.slice(0, rec.strokes.length))) {
        painted = rec.painted;
        const more = e.segqcStrokes.slice(rec.strokes.length);
        if (more.length > 0) {
          const x = extendStrokeMask(rec.painted, rec.hasBase, more, w, h, info.value, this.pool.take);
          if (x.changed) {
            painted = x.painted;
            this.partEdits.set(painted.data, { from: rec.painted.data, box: x.changed });
          } else if (rec.hasBase) this.pool.give(x.painted.data, null, w);
        }
      } else {
        // Erasers may clear all that was painted: `any` is then a hint, and the rules find no pixels.
        painted = strokeMask(rle, e.segqcStrokes, w, h, info.value);
      }
      this.strokeRecords.set(id, { rle, strokes: e.segqcStrokes, w, h, value: info.value, hasBase: !!rle && rle.length > 0, painted });
      paintedIds.add(id);
      if (painted.box) this.strokeBoxes.set(String(e.id), painted.box);
      const layer: MaskLayer = { data: painted.data, values: painted.any ? [info.value] : [], id: String(e.id) };
      ann.regions.push({ id: String(e.id), type: 'brush', label, layer: seg.layers.length });
      seg.layers.push(layer);
    }
    // A region gone (or no longer strokes) must not be extended from an array the pool may have handed out since.
    for (const id of [...this.strokeRecords.keys()]) if (!paintedIds.has(id)) this.strokeRecords.delete(id);
  }

  /**
   * Gives the pool the region arrays of the last check that this one no longer has: nothing refers to them any more
   * (the region cache and the stroke records hold only arrays of this check; the last state is replaced by this one).
   */
  private recycle(seg: Segmentation): void {
    const arrays = new Set(seg.layers.map((l) => l.data));
    const { arrays: before, width } = this.lastArrays;
    for (const d of before) if (!arrays.has(d) && frameOf(d) === undefined) this.pool.give(d, this.labelLayers.knownBox(d) ?? null, width);
    this.lastArrays = { arrays, width: seg.geometry.shape[0] };
  }

  /** The spacing field used for a task. */
  spacingField(task: Record<string, unknown>): string | null {
    if (this.opts.spacingField !== undefined) return this.opts.spacingField;
    return task.pixel_spacing !== undefined ? 'pixel_spacing' : null;
  }

  /**
   * Runs every per-annotation rule. `answers` are the checklist answers when they are not in the result (a config
   * without the segqc checklist controls); otherwise they are read from the `segqc_checklist_*` choices.
   */
  check(result: unknown[], ctx: { task: Record<string, unknown>; item: string; annotation: string; author: string | null; answers?: ChecklistAnswers }): LiveState {
    const t0 = performance.now();
    let findings: Finding[] = [];
    let regions: LabelStudioRegion[] = [];
    let segmentation: Segmentation | null = null;
    let readError: string | null = null;
    let answers: ChecklistAnswers = { ...(ctx.answers ?? {}) };
    let presentLabels: string[] = [];
    const field = this.spacingField(ctx.task);
    try {
      const stroked = (result as ResultEntry[]).filter(isStroked);
      this.strokeBoxes = new Map();
      this.partEdits = new Map();
      const ann = readLabelStudioResult(stroked.length ? (result as ResultEntry[]).filter((r) => !isStroked(r)) : result, {
        file: ctx.item,
        task: ctx.task,
        id: ctx.annotation,
        author: ctx.author,
        labelValues: this.labelValues,
        spacingField: field,
        cache: this.regionCache,
        allocate: this.pool.take,
      });
      if (stroked.length) this.addStrokedRegions(ann, stroked, ctx.task, field);
      else this.strokeRecords.clear();
      regions = ann.regions;
      // Rasterized regions of deleted regions (or another annotation's) would stay in memory: a 2048² mask is 4 MB.
      const live = new Set(ann.regions.map((r) => r.id));
      for (const k of [...this.regionCache.keys()]) if (!live.has(k.split('#')[0])) this.regionCache.delete(k);
      segmentation = ann.segmentation;
      if (!ctx.answers) answers = answersFromChoices(this.guideline, ann.choices);
      // As shared/dataset/items.ts builds it, without importing the dataset readers (dcmjs) into the browser bundle.
      const hints = pointBoxes(result);
      for (const [id, b] of this.strokeBoxes) hints.set(id, b);
      const merged = this.labelLayers.merge(ann.segmentation, ann.regions, hints, this.partEdits);
      this.recycle(ann.segmentation);
      const input = { id: ann.id, annotator: ann.author, segmentation: merged, checklist: answers, attestation: null };
      const all = checkAnnotation(this.guideline, input, ctx.item, { labelValuesByName: this.labelValues, guidelineSha256: this.sha256, memo: this.memo });
      findings = all.filter(DRAWING_ONLY);
      presentLabels = presentLabelNames(this.guideline, ann.segmentation);
    } catch (e) {
      readError = (e as Error).message;
    }
    const checklist = checklistState(this.guideline, presentLabels, answers).map((s) => ({ ...s, required: isRequiredItem(s.item) }));
    return {
      findings,
      checklist,
      answers,
      presentLabels,
      regions,
      segmentation,
      readError,
      pixelsOnly: segmentation ? !segmentation.geometry.spacingKnown : field === null,
      ms: performance.now() - t0,
    };
  }
}

/** Checklist answers from the `segqc_checklist_<id>` choices of a result: every item answered or not. */
export function answersFromChoices(guideline: Guideline, choices: Record<string, string[]>): ChecklistAnswers {
  const out: ChecklistAnswers = {};
  for (const item of guideline.checklist ?? []) out[item.id] = (choices[`${CHECKLIST_FROM_NAME_PREFIX}${item.id}`] ?? []).includes(CHECKLIST_YES);
  return out;
}

/** Guideline label names drawn (with at least one pixel) in a segmentation. */
export function presentLabelNames(guideline: Guideline, seg: Segmentation): string[] {
  const values = new Set<number>();
  for (const l of seg.layers) for (const v of l.values) values.add(v);
  const names = new Set(seg.labels.filter((l) => values.has(l.value) && l.name !== null).map((l) => (l.name as string).toLowerCase()));
  return guideline.labels.filter((l) => names.has(l.name.toLowerCase())).map((l) => l.name);
}
