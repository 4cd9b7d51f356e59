/** The dataset report: what `segqc check` computes and `--json` writes (schema `guidelines/report.schema.json`). */
import type { Finding, RuleCode } from '../rules/types.js';
import type { FailOn, GuidelineChangeGate } from '../rules/gate.js';
import type { OpenRejection, ReviewProgress, ReviewStatus } from '../review/status.js';

export const REPORT_SCHEMA_VERSION = 1;

/** One label of one annotation: its size and shape. */
export interface LabelSummary {
  label: string;
  value: number;
  /** mm³ in 3D, mm² in 2D, pixels when the spacing is unknown (`units` says which). */
  volume: number;
  units: 'mm3' | 'mm2' | 'px';
  voxels: number;
  components: number;
}

/** One annotation of an item. */
export interface AnnotationSummary {
  id: string | null;
  annotator: string | null;
  source: string;
  labels: LabelSummary[];
}

/** One image and everything said about it. */
export interface ItemReport {
  id: string;
  /** Files the item was read from (masks, export, image), repository-relative. */
  files: string[];
  annotations: AnnotationSummary[];
  findings: Finding[];
  /** Per-label agreement between annotations or with the reference. */
  agreement: Array<{ label: string; a: string; b: string; dice: number; nsd: number | null; hd95: number | null }>;
  /** Where each annotation stands at each review stage that covers the item or has a verdict; with review stages only. */
  reviews?: ReviewStatus[];
}

export interface AnnotatorReport {
  annotator: string;
  items: number;
  findings: Partial<Record<RuleCode, number>>;
  mean_dice_vs_others: number | null;
  mean_dice_vs_reference: number | null;
  /** Rejections of this annotator's work not yet answered with a new version; with review stages only. */
  open_rejections?: OpenRejection[];
}

export interface DatasetReport {
  schema_version: typeof REPORT_SCHEMA_VERSION;
  tool: { name: 'segqc'; version: string };
  guideline: { id: string; version: string; sha256: string; path: string };
  config: { path: string; fail_on: FailOn };
  /** Brush masks are binarized at this alpha (Label Studio). */
  brush_alpha_threshold: number;
  items: ItemReport[];
  annotators: AnnotatorReport[];
  totals: {
    items: number;
    annotations: number;
    errors: number;
    warnings: number;
    infos: number;
    by_rule: Partial<Record<RuleCode, number>>;
    items_without_annotations: number;
    annotations_without_images: number;
  };
  /** Item ids drawn for senior review at the guideline's audit rate, deterministically. */
  audit_sample: string[];
  /** Progress of each review stage over the items of the report; with review stages only. */
  review?: ReviewProgress;
  verdict: 'pass' | 'fail';
}

/**
 * What the guideline change of a PR would do: every item of the head dataset (of a shard: its share), changed or not,
 * judged under the base and the head guideline. An item fails when it has an error (a warning too, with fail-on warning).
 */
export interface GuidelineChange {
  base: { id: string; version: string; sha256: string };
  head: { id: string; version: string; sha256: string };
  /** Top-level and per-label fields that differ, as "labels[Liver].min_volume_mm3: 800000 → 700000". */
  changes: string[];
  items_failing_base: number;
  items_failing_head: number;
  items_checked: number;
  /** Set when the head guideline is unusable (does not validate, or the PR deletes it): the gate fails. */
  error?: string;
  /** The guideline-change gate applied (`gate.guideline-change`); absent in older reports, meaning `warn`. */
  gate?: GuidelineChangeGate;
}
