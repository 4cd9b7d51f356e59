/** The rule engine: a guideline and an item (or one annotation) in, findings out. */
import type { Guideline } from '../guideline/types.js';
import { guidelineSha256 } from '../guideline/hash.js';
import type { Box, MaskRef } from '../metrics/bbox.js';
import { agreementRules } from './agreement.js';
import type { AgreementScore, PairMemo } from './agreement.js';
import { applyOverrides, attestationRules } from './attestation.js';
import { answersOf, checklistRules } from './checklist.js';
import { componentRules } from './components.js';
import { containmentRule } from './containment.js';
import { emit } from './findings.js';
import type { FindingContext, FindingDraft } from './findings.js';
import { geometryRules } from './geometry.js';
import { requiredMissing, resolveLabels, resolvedMask } from './labels.js';
import { overlapRules } from './overlap.js';
import type { DrawnLabel } from './overlap.js';
import { incrementalShape, labelShape } from './shape.js';
import { componentsOf, isTracked, type MaskEdits } from './mask-edits.js';
import type { LabelShape } from './shape.js';
import type { Geometry, Segmentation } from '../model.js';
import { sliceRules } from './slices.js';
import { volumeRules } from './volume.js';
import type { AnnotationInput, Finding, ItemInput } from './types.js';
import { insideOf } from '../guideline/types.js';

export interface CheckOptions {
  /**
   * Values a reader assigned to label names itself (Label Studio stores names only): a named label whose value comes
   * from this map is never a `label.value_mismatch`.
   */
  labelValuesByName?: Record<string, number>;
  /** The guideline's sha256, when the caller has it already. */
  guidelineSha256?: string;
  /** Results kept between calls, keyed by mask arrays (which callers never change in place). */
  memo?: RuleMemo;
}

/** Shapes, container envelopes and pair metrics of masks seen before. */
export interface RuleMemo {
  shapes: WeakMap<object, Map<number, LabelShape>>;
  envelopes: WeakMap<object, Map<string, unknown>>;
  pairs: PairMemo;
  /** Edits recorded by a caller that changes 2D masks a box at a time: shapes and containment are then updated, not redone. */
  edits?: MaskEdits;
}
export const ruleMemo = (edits?: MaskEdits): RuleMemo => ({ shapes: new WeakMap(), envelopes: new WeakMap(), pairs: new WeakMap(), ...(edits ? { edits } : {}) });

/** `labelShape`, looked up first in the caller's memo. */
export function memoShape(memo: RuleMemo | undefined, mask: MaskRef, g: Geometry): LabelShape {
  if (!memo) return labelShape(mask, g);
  let byValue = memo.shapes.get(mask.data);
  if (!byValue) memo.shapes.set(mask.data, (byValue = new Map()));
  let shape = byValue.get(mask.value);
  if (!shape) {
    const [w, h, d] = g.shape;
    shape = memo.edits && d === 1 && isTracked(memo.edits, mask.data) ? incrementalShape(componentsOf(memo.edits, mask.data, mask.value, w, h)) : labelShape(mask, g);
    byValue.set(mask.value, shape);
  }
  return shape;
}

const shaMemo = new WeakMap<Guideline, string>();

const shaOf = (g: Guideline, opts: CheckOptions): string => {
  if (opts.guidelineSha256) return opts.guidelineSha256;
  let s = shaMemo.get(g);
  if (s === undefined) {
    s = guidelineSha256(g);
    shaMemo.set(g, s);
  }
  return s;
};

/** Every per-annotation rule: labels, sizes, components, slices, containment, overlap, checklist and attestation. */
export function checkAnnotation(guideline: Guideline, annotation: AnnotationInput, itemId?: string, opts: CheckOptions = {}): Finding[] {
  const seg = annotation.segmentation;
  const g = seg.geometry;
  const file = seg.path;
  const ctx: FindingContext = { guideline, item: itemId ?? seg.path, annotation: annotation.id, annotator: annotation.annotator };
  const drafts: FindingDraft[] = [];
  const { labels, drafts: labelDrafts } = resolveLabels(guideline, seg);
  const byName = opts.labelValuesByName;
  drafts.push(
    ...labelDrafts.filter(
      (d) => !(d.rule === 'label.value_mismatch' && byName && typeof d.value === 'number' && Object.values(byName).includes(d.value)),
    ),
    ...requiredMissing(guideline, labels),
  );

  const drawn: Array<DrawnLabel & { box: Box | null }> = [];
  for (const r of labels) {
    const mask = resolvedMask(seg, r.values);
    if (!mask) continue;
    const shape = memoShape(opts.memo, mask, g);
    if (shape.voxels === 0) continue;
    drawn.push({ resolved: r, mask, bbox: shape.bbox, box: shape.bbox });
    drafts.push(...volumeRules(r.label, shape, g, file), ...componentRules(r.label, shape, g, file), ...sliceRules(r.label, shape, g, file));
  }
  const maskOf = new Map<string, MaskRef>(drawn.map((d) => [d.resolved.label.name, d.mask]));
  for (const d of drawn) {
    const inside = insideOf(d.resolved.label);
    if (!inside) continue;
    drafts.push(...containmentRule(d.resolved.label, d.mask, d.box, maskOf.get(inside.label) ?? null, g, file, opts.memo?.envelopes, opts.memo?.edits));
  }
  drafts.push(...overlapRules(seg, drawn, file));

  const sidecar = annotation.sidecar ?? null;
  const source = { mask: sidecar ? file : null, sidecar };
  const att = attestationRules(guideline, shaOf(guideline, opts), annotation.attestation, source);
  drafts.push(...att.drafts);
  const present = drawn.map((d) => d.resolved.label.name);
  const answersFile = annotation.checklist ? null : sidecar;
  drafts.push(...checklistRules(guideline, present, answersOf(annotation.checklist, att.value), { mask: source.mask, answersFile }));

  return applyOverrides(guideline, att.attestation, emit(ctx, drafts));
}

/**
 * Guideline labels drawn in a segmentation with at least one voxel, as `checkAnnotation` sees them: what the `when`
 * conditions of the checklist are evaluated on.
 */
export function drawnLabelNames(guideline: Guideline, seg: Segmentation): string[] {
  const drawn = (m: MaskRef): boolean => {
    for (let i = 0; i < m.data.length; i++) if (m.data[i] === m.value) return true;
    return false;
  };
  return resolveLabels(guideline, seg)
    .labels.filter((r) => {
      const m = resolvedMask(seg, r.values);
      return m !== null && drawn(m);
    })
    .map((r) => r.label.name);
}

/** Findings of an item and the agreement scores behind its `agreement.below_threshold` findings. */
export interface ItemCheck {
  findings: Finding[];
  agreement: AgreementScore[];
}

/** Checks every annotation of an item, their geometry against the image, and their agreement. */
export function checkItemDetailed(guideline: Guideline, item: ItemInput, opts: CheckOptions = {}): ItemCheck {
  const findings: Finding[] = [];
  for (const a of item.annotations) {
    findings.push(...checkAnnotation(guideline, a, item.id, opts));
    if (item.image) {
      const ctx: FindingContext = { guideline, item: item.id, annotation: a.id, annotator: a.annotator };
      findings.push(...emit(ctx, geometryRules(a.segmentation.geometry, item.image.geometry, item.image.path, a.segmentation.path)));
    }
  }
  const agreement = agreementRules(guideline, item, opts.memo?.pairs);
  findings.push(...agreement.findings);
  return { findings, agreement: agreement.scores };
}

/** Checks one item: every rule of the guideline on every annotation, plus geometry and agreement. */
export const checkItem = (guideline: Guideline, item: ItemInput, opts: CheckOptions = {}): Finding[] =>
  checkItemDetailed(guideline, item, opts).findings;
