/** `agreement.below_threshold`: Dice, NSD and HD95 between the annotations of an item, and of each against the reference. */
import type { Segmentation } from '../model.js';
import type { AgreementRule, Guideline } from '../guideline/types.js';
import { compareMasks, type LabelMetrics } from '../metrics/compare.js';
import type { MaskRef } from '../metrics/bbox.js';
import { emit } from './findings.js';
import type { FindingDraft } from './findings.js';
import { resolveLabels, resolvedMask } from './labels.js';
import type { AgreementMiss, AnnotationInput, Finding, ItemInput } from './types.js';

/** One label scored between two annotations (`b` is `reference` for the gold set); null where not computed. */
export interface AgreementScore {
  label: string;
  a: string;
  b: string;
  dice: number;
  nsd: number | null;
  hd95: number | null;
}

const REFERENCE = 'reference';

const nameOf = (a: AnnotationInput, index: number): string => a.id ?? a.annotator ?? `annotation ${index + 1}`;

/** The mask of each guideline label in a segmentation, by label name. */
function masksByLabel(guideline: Guideline, seg: Segmentation): Map<string, MaskRef> {
  const out = new Map<string, MaskRef>();
  for (const r of resolveLabels(guideline, seg).labels) {
    const m = resolvedMask(seg, r.values);
    if (m) out.set(r.label.name, m);
  }
  return out;
}

const sameGrid = (a: Segmentation, b: Segmentation) => a.geometry.shape.every((s, i) => s === b.geometry.shape[i]);

/** A label absent from one side of a pair; one object, so that memo keys match across callers. */
export const EMPTY_MASK: MaskRef = { data: new Uint8Array(0), value: 1 };

/** NSD tolerance of the report when a rule names none. */
export const REPORT_TOLERANCE_MM = 2;

/** The NSD tolerance reports use for an agreement rule: its `tolerance_mm`, else `REPORT_TOLERANCE_MM`. */
export const reportToleranceMm = (rule: AgreementRule | undefined): number => rule?.tolerance_mm ?? REPORT_TOLERANCE_MM;

/** The pairs agreement is scored on: each two annotations in order, then the reference (first) with each annotation. */
export function annotationPairs<T>(annotations: readonly T[], reference: T | null): Array<[T, T]> {
  const out: Array<[T, T]> = [];
  for (let i = 0; i < annotations.length; i++) for (let j = i + 1; j < annotations.length; j++) out.push([annotations[i], annotations[j]]);
  if (reference !== null) for (const a of annotations) out.push([reference, a]);
  return out;
}

/** Metrics of mask pairs already compared, keyed by the masks' arrays (which callers never change in place). */
export type PairMemo = WeakMap<object, WeakMap<object, Map<string, LabelMetrics>>>;

/**
 * Every metric of one label between two masks, at the rule's tolerance and at the report's: computed once per pair
 * and shared by the agreement rule and the dataset report through `memo`.
 */
export function pairMetrics(rule: AgreementRule, a: MaskRef, b: MaskRef, seg: Segmentation, memo?: PairMemo): LabelMetrics {
  const tolerances = [...new Set([rule.tolerance_mm ?? 0, reportToleranceMm(rule)])];
  const key = `${a.value}|${b.value}|${tolerances.join(',')}`;
  let byB = memo?.get(a.data);
  if (memo && !byB) memo.set(a.data, (byB = new WeakMap()));
  let byKey = byB?.get(b.data);
  if (byB && !byKey) byB.set(b.data, (byKey = new Map()));
  let m = byKey?.get(key);
  if (!m) {
    m = compareMasks(a, b, seg.geometry, { tolerances, surface: 'voxel' });
    byKey?.set(key, m);
  }
  return m;
}

/** Scores one label of a pair and says which thresholds it misses. */
function scorePair(rule: AgreementRule, a: MaskRef | null, b: MaskRef | null, seg: Segmentation, memo?: PairMemo): { score: Omit<AgreementScore, 'a' | 'b'>; misses: AgreementMiss[] } | null {
  if (!a && !b) return null;
  const g = seg.geometry;
  const wantSurface = rule.nsd_min !== undefined || rule.hd95_max_mm !== undefined;
  const tol = rule.tolerance_mm ?? 0;
  const m = pairMetrics(rule, a ?? EMPTY_MASK, b ?? EMPTY_MASK, seg, memo);
  const nsd = wantSurface && g.spacingKnown ? (m.nsd[String(tol)] ?? null) : null;
  const hd95 = wantSurface && g.spacingKnown ? m.hd95 : null;
  const misses: AgreementMiss[] = [];
  if (rule.dice_min !== undefined && m.dice < rule.dice_min) misses.push({ metric: 'dice', value: m.dice, min: rule.dice_min });
  if (rule.nsd_min !== undefined && nsd !== null && nsd < rule.nsd_min) misses.push({ metric: 'nsd', value: nsd, min: rule.nsd_min, tolerance_mm: tol });
  if (rule.hd95_max_mm !== undefined && g.spacingKnown && (hd95 === null || hd95 > rule.hd95_max_mm)) {
    misses.push({ metric: 'hd95', value: hd95, max_mm: rule.hd95_max_mm });
  }
  return { score: { label: rule.label, dice: m.dice, nsd, hd95 }, misses };
}

/** Scores every agreement rule between each pair of annotations and of each annotation against the reference. */
export function agreementRules(guideline: Guideline, item: ItemInput, memo?: PairMemo): { findings: Finding[]; scores: AgreementScore[] } {
  const rules = guideline.agreement ?? [];
  const findings: Finding[] = [];
  const scores: AgreementScore[] = [];
  if (rules.length === 0) return { findings, scores };
  const side = (ann: AnnotationInput, name: string) => ({ ann, name, masks: masksByLabel(guideline, ann.segmentation) });
  const sides = item.annotations.map((ann, i) => side(ann, nameOf(ann, i)));
  const ref = item.reference ? side(item.reference, REFERENCE) : null;
  for (const rule of rules) {
    for (const [x, y] of annotationPairs(sides, ref)) {
      if (!sameGrid(x.ann.segmentation, y.ann.segmentation)) continue;
      const r = scorePair(rule, x.masks.get(rule.label) ?? null, y.masks.get(rule.label) ?? null, x.ann.segmentation, memo);
      if (!r) continue;
      if (x !== ref) {
        const a = x.name;
        const b = y.name;
        scores.push({ ...r.score, a, b });
        if (r.misses.length === 0) continue;
        const draft: FindingDraft = {
          rule: 'agreement.below_threshold',
          label: rule.label,
          facts: { label: rule.label, a, b, misses: r.misses },
          value: r.score.dice,
          limit: rule.dice_min ?? null,
          location: { region: `${a} vs ${b}`, labels: [rule.label] },
        };
        findings.push(...emit({ guideline, item: item.id, annotation: null, annotator: null }, [draft]));
      } else {
        const a = y.name;
        scores.push({ ...r.score, a, b: REFERENCE });
        if (r.misses.length === 0) continue;
        const draft: FindingDraft = {
          rule: 'agreement.below_threshold',
          label: rule.label,
          facts: { label: rule.label, a, b: null, misses: r.misses },
          value: r.score.dice,
          limit: rule.dice_min ?? null,
          location: { region: `${a} vs ${REFERENCE}`, labels: [rule.label] },
        };
        findings.push(...emit({ guideline, item: item.id, annotation: y.ann.id, annotator: y.ann.annotator }, [draft]));
      }
    }
  }
  return { findings, scores };
}
