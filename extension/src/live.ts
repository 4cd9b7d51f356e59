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
import { LabelLayers, pointBoxes } from './merge.js';
import { isStroked, type ResultEntry, type StrokedEntry } from './editor.js';
import { strokeMask } from './strokes.js';
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
  segmentation: Segmentation | null;
  /** Why the result could not be read, when it could not. */
  readError: string | null;
  /** Sizes are in pixels: the task has no pixel spacing. */
  pixelsOnly: boolean;
  ms: number;
}

const DRAWING_ONLY = (f: Finding) => !f.rule.startsWith('checklist.') && !f.rule.startsWith('attestation.');

/** Options of a live checker. */
export interface LiveOptions {
  /** Task data field with the pixel spacing (default: `pixel_spacing` when the task has it). */
  spacingField?: string | null;
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
    this.sha256 = guidelineSha256(guideline);
    this.labelValues = Object.fromEntries(guideline.labels.map((l) => [l.name, l.value]));
  }

  private readonly strokeLayers = new WeakMap<object, { data: MaskLayer['data']; any: boolean; box: [number, number, number, number] | null }>();
  /** Boxes of freshly painted brush regions, for the per-label layers (like polygon boxes). */
  private strokeBoxes = new Map<string, [number, number, number, number]>();

  /** Adds brush regions with unconverted strokes, painted here (see strokes.ts), to a read annotation. */
  private addStrokedRegions(ann: ReturnType<typeof readLabelStudioResult>, stroked: StrokedEntry[], task: Record<string, unknown>, field: string | null): void {
    const seg = ann.segmentation;
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
      let painted = this.strokeLayers.get(e);
      if (!painted) {
        // Erasers may clear all that was painted: `any` is then a hint, and the rules find no pixels.
        painted = strokeMask((e.value?.rle as number[] | undefined) ?? null, e.segqcStrokes, w, h, info.value);
        this.strokeLayers.set(e, painted);
      }
      if (painted.box) this.strokeBoxes.set(String(e.id), painted.box);
      const layer: MaskLayer = { data: painted.data, values: painted.any ? [info.value] : [], id: String(e.id) };
      ann.regions.push({ id: String(e.id), type: 'brush', label, layer: seg.layers.length });
      seg.layers.push(layer);
    }
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
      const ann = readLabelStudioResult(stroked.length ? (result as ResultEntry[]).filter((r) => !isStroked(r)) : result, {
        file: ctx.item,
        task: ctx.task,
        id: ctx.annotation,
        author: ctx.author,
        labelValues: this.labelValues,
        spacingField: field,
        cache: this.regionCache,
      });
      if (stroked.length) this.addStrokedRegions(ann, stroked, ctx.task, field);
      regions = ann.regions;
      // Rasterized regions of deleted regions (or another annotation's) would stay in memory: a 2048² mask is 4 MB.
      const live = new Set(ann.regions.map((r) => r.id));
      for (const k of [...this.regionCache.keys()]) if (!live.has(k.split('#')[0])) this.regionCache.delete(k);
      segmentation = ann.segmentation;
      if (!ctx.answers) answers = answersFromChoices(this.guideline, ann.choices);
      // As shared/dataset/items.ts builds it, without importing the dataset readers (dcmjs) into the browser bundle.
      const hints = pointBoxes(result);
      for (const [id, b] of this.strokeBoxes) hints.set(id, b);
      const merged = this.labelLayers.merge(ann.segmentation, ann.regions, hints);
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
