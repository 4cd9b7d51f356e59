/** Building findings: default severities, the guideline's severity overrides, and the rendering of each draft's message. */
import type { Guideline } from '../guideline/types.js';
import type { ErrorReason } from '../errors.js';
import { findingMessage } from '../report/finding-text.js';
import type { Finding, FindingDraft, RuleCode, Severity } from './types.js';

export type { FindingDraft } from './types.js';

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
  'review.rejected': 'error',
  'review.pending': 'error',
  'review.stale': 'error',
  'review.ineligible': 'warning',
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

/** Turns drafts into findings under a context, dropping the rules the guideline turns off; messages come from the facts. */
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
      message: findingMessage(d),
      value: d.value ?? null,
      limit: d.limit ?? null,
      location: d.location ?? null,
      ...(d.reason ? { reason: d.reason } : {}),
    });
  }
  return out;
}

const minAnnotations = (ctx: FindingContext) => ctx.guideline?.review?.min_annotations ?? 1;

/** A finding that an item has images but no annotation (raised by the dataset runner). */
export const missingAnnotation = (ctx: FindingContext, file?: string): Finding[] =>
  emit(ctx, [
    {
      rule: 'dataset.missing_annotation',
      label: null,
      facts: { item: ctx.item, count: 0, min: minAnnotations(ctx), image: file ?? null },
      value: 0,
      limit: minAnnotations(ctx),
      location: file ? { file } : null,
    },
  ]);

/** A finding that an item has fewer annotations than `review.min_annotations` asks (raised by the dataset runner). */
export const tooFewAnnotations = (ctx: FindingContext, count: number): Finding[] => {
  const min = minAnnotations(ctx);
  if (count >= min) return [];
  return emit(ctx, [{ rule: 'dataset.missing_annotation', label: null, facts: { item: ctx.item, count, min, image: null }, value: count, limit: min }]);
};

/** A finding that an annotation belongs to no known image (raised by the dataset runner). */
export const orphanAnnotation = (ctx: FindingContext, file: string): Finding[] =>
  emit(ctx, [{ rule: 'dataset.orphan_annotation', label: null, facts: { file }, location: { file } }]);

/** A finding that a file (an image when `image`) could not be read (raised by the dataset runner). */
export const unreadable = (ctx: FindingContext, file: string, detail: string, opts: { image?: boolean; reason?: ErrorReason | null } = {}): Finding[] =>
  emit(ctx, [
    {
      rule: 'format.unreadable',
      label: null,
      facts: { file, detail, image: opts.image ?? false },
      location: { file },
      ...(opts.reason ? { reason: opts.reason } : {}),
    },
  ]);
