/** Building findings: default severities, the guideline's severity overrides, and the words and numbers in messages. */
import type { Geometry } from '../model.js';
import { is2D } from '../model.js';
import { voxelVolume } from '../metrics/bbox.js';
import type { Guideline } from '../guideline/types.js';
import type { Finding, FindingLocation, RuleCode, Severity } from './types.js';

/** Severity of each rule unless the guideline's `severity` map says otherwise. */
export const DEFAULT_SEVERITY: Record<RuleCode, Severity> = {
  'label.unknown': 'error',
  'label.value_mismatch': 'error',
  'label.required_missing': 'error',
  'volume.below_min': 'error',
  'volume.above_max': 'error',
  'components.too_many': 'error',
  'component.too_small': 'error',
  'containment.outside': 'error',
  'overlap.forbidden': 'error',
  'slices.gap': 'warning',
  'checklist.missing': 'error',
  'checklist.incomplete': 'error',
  'attestation.missing': 'error',
  'attestation.invalid': 'error',
  'attestation.stale_guideline': 'warning',
  'geometry.mismatch': 'error',
  'dataset.missing_annotation': 'error',
  'dataset.orphan_annotation': 'warning',
  'agreement.below_threshold': 'warning',
  'format.unreadable': 'error',
};

/** The severity of a rule under a guideline, or null when the guideline turns the rule off. */
export function severityOf(guideline: Guideline | null, rule: RuleCode): Severity | null {
  const s = guideline?.severity?.[rule];
  if (s === 'off') return null;
  return s ?? DEFAULT_SEVERITY[rule];
}

/** Whose finding it is: the item, and the annotation and annotator when there is one. */
export interface FindingContext {
  guideline: Guideline | null;
  item: string;
  annotation: string | null;
  annotator: string | null;
}

/** What a rule reports; the context and severity are added by `emit`. */
export interface FindingDraft {
  rule: RuleCode;
  label: string | null;
  message: string;
  value?: number | string | null;
  limit?: number | string | null;
  location?: FindingLocation | null;
}

/** Turns drafts into findings under a context, dropping the rules the guideline turns off. */
export function emit(ctx: FindingContext, drafts: FindingDraft[]): Finding[] {
  const out: Finding[] = [];
  for (const d of drafts) {
    const severity = severityOf(ctx.guideline, d.rule);
    if (severity === null) continue;
    out.push({
      item: ctx.item,
      annotation: ctx.annotation,
      annotator: ctx.annotator,
      label: d.label,
      rule: d.rule,
      severity,
      message: d.message,
      value: d.value ?? null,
      limit: d.limit ?? null,
      location: d.location ?? null,
    });
  }
  return out;
}

/** A finding that an item has images but no annotation (raised by the dataset runner). */
export const missingAnnotation = (ctx: FindingContext, file?: string): Finding[] =>
  emit(ctx, [
    {
      rule: 'dataset.missing_annotation',
      label: null,
      message: `Item ${ctx.item} has no annotation${file ? ` (image ${file})` : ''}; every item needs ${
        ctx.guideline?.review?.min_annotations ?? 1
      }`,
      value: 0,
      limit: ctx.guideline?.review?.min_annotations ?? 1,
      location: file ? { file } : null,
    },
  ]);

/** A finding that an item has fewer annotations than `review.min_annotations` asks (raised by the dataset runner). */
export const tooFewAnnotations = (ctx: FindingContext, count: number): Finding[] => {
  const min = ctx.guideline?.review?.min_annotations ?? 1;
  if (count >= min) return [];
  return emit(ctx, [
    {
      rule: 'dataset.missing_annotation',
      label: null,
      message: `Item ${ctx.item} has ${count} annotation${count === 1 ? '' : 's'}; the guideline asks for at least ${min}`,
      value: count,
      limit: min,
    },
  ]);
};

/** A finding that an annotation belongs to no known image (raised by the dataset runner). */
export const orphanAnnotation = (ctx: FindingContext, file: string): Finding[] =>
  emit(ctx, [
    {
      rule: 'dataset.orphan_annotation',
      label: null,
      message: `Annotation ${file} matches no image of the dataset: check its file name or the images pattern in segqc.yaml`,
      location: { file },
    },
  ]);

/** A finding that a file could not be read (raised by the dataset runner). */
export const unreadable = (ctx: FindingContext, file: string, detail: string, what = ''): Finding[] =>
  emit(ctx, [{ rule: 'format.unreadable', label: null, message: `${what}${file} cannot be read: ${detail}`, location: { file } }]);

/** Units of sizes in a geometry: mm³ in 3D, mm² in 2D, pixels (voxels) when the spacing is unknown. */
export type SizeUnits = 'mm3' | 'mm2' | 'px';

export const sizeUnits = (g: Geometry): SizeUnits => (!g.spacingKnown ? 'px' : is2D(g) ? 'mm2' : 'mm3');

/** mm³ (mm² in 2D) of one voxel; 1 when the spacing is unknown. */
export const voxelSize = (g: Geometry): number => (!g.spacingKnown ? 1 : voxelVolume(g));

/** A count of voxels (pixels in 2D) with its size: "12 voxels (30 mm³)", "4 pixels (1 mm²)", "52 pixels". */
export function voxelAmount(n: number, g: Geometry): string {
  const units = sizeUnits(g);
  const word = `${units === 'mm3' ? 'voxel' : 'pixel'}${n === 1 ? '' : 's'}`;
  return units === 'px' ? `${n} ${word}` : `${n} ${word} (${size(n * voxelSize(g), units)})`;
}

/** A number with three significant digits and no exponent for everyday magnitudes. */
export function num(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a >= 1000) return Math.round(x).toLocaleString('en-US');
  if (a < 1e-3) return x.toPrecision(3);
  return String(Number(x.toPrecision(3)));
}

/** A size with its unit: "12.3 mm³", "1,520,000 mm³ (1,520 mL)", "0.004 mm²", "52 pixels". */
export function size(x: number, units: SizeUnits): string {
  if (units === 'px') return `${num(x)} pixel${x === 1 ? '' : 's'}`;
  if (units === 'mm2') return `${num(x)} mm²`;
  return x >= 10000 ? `${num(x)} mm³ (${num(x / 1000)} mL)` : `${num(x)} mm³`;
}

/** Where a bounding box is, in words: "at slice 41", "at slices 40–43", "around pixel (12, 30)". */
export function whereIs(bbox: [number, number, number, number, number, number], g: Geometry): string {
  if (is2D(g)) return `around pixel (${Math.round((bbox[0] + bbox[3]) / 2)}, ${Math.round((bbox[1] + bbox[4]) / 2)})`;
  return bbox[2] === bbox[5] ? `at slice ${bbox[2]}` : `at slices ${bbox[2]}–${bbox[5]}`;
}

/** The location of a bounding box: its slice (the middle one) and the box. */
export const bboxLocation = (bbox: [number, number, number, number, number, number], file?: string): FindingLocation => ({
  ...(file ? { file } : {}),
  slice: Math.round((bbox[2] + bbox[5]) / 2),
  bbox,
});
