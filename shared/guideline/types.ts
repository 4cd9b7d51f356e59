/** A parsed annotation guideline (`guidelines/guideline.schema.json`), exactly as written: snake_case keys. */
import type { CodedConcept } from '../model.js';
import type { RuleCode, Severity } from '../rule-codes.js';

export const GUIDELINE_SCHEMA_VERSION = 1;

/** `inside: Liver` or `inside: { label: Liver, tolerance_mm: 2 }`. */
export type InsideRule = string | { label: string; tolerance_mm?: number };

/** One label and the rules it must satisfy. Volumes are mm³ in 3D and mm² in 2D. */
export interface GuidelineLabel {
  name: string;
  value: number;
  color?: string;
  description?: string;
  concept?: CodedConcept;
  required?: boolean;
  min_volume_mm3?: number;
  max_volume_mm3?: number;
  max_components?: number;
  min_component_volume_mm3?: number;
  inside?: InsideRule;
  exclusive_with?: string[];
  contiguous_slices?: boolean;
}

/** Ask a checklist item only when a label is present, or only when it is absent. */
export type ChecklistCondition = { label_present: string } | { label_absent: string };

/** One question the annotator confirms. `required` defaults to true. */
export interface ChecklistItem {
  id: string;
  prompt: string;
  required?: boolean;
  help?: string;
  when?: ChecklistCondition;
}

/** Agreement thresholds for one label. */
export interface AgreementRule {
  label: string;
  dice_min?: number;
  nsd_min?: number;
  tolerance_mm?: number;
  hd95_max_mm?: number;
}

/** Which items a review stage covers: every item, the audit sample, or items with findings of the given rules. */
export type ReviewItems = 'all' | 'audit' | { findings: RuleCode[] };

/** One stage of the review loop; `required` defaults to true, `items` to all. */
export interface ReviewStage {
  id: string;
  title?: string;
  /** `others`: anyone but the annotation's author; else the reviewers' e-mail addresses or names. */
  reviewers: 'others' | string[];
  items?: ReviewItems;
  required?: boolean;
  /** Ids of `review.reasons` offered at this stage; all when absent. */
  reasons?: string[];
}

/** One reason to reject an annotation, from the team's taxonomy. */
export interface ReviewReason {
  id: string;
  title: string;
  help?: string;
}

/** The review policy: annotations per item, the audit sample, and the review loop. */
export interface ReviewPolicy {
  min_annotations?: number;
  audit_rate?: number;
  stages?: ReviewStage[];
  reasons?: ReviewReason[];
}

/** Severity per rule; `off` disables a rule. */
export type SeverityOverrides = Partial<Record<RuleCode, Severity | 'off'>>;

export interface Guideline {
  schema_version: typeof GUIDELINE_SCHEMA_VERSION;
  id: string;
  version: string;
  title: string;
  description?: string;
  modalities?: string[];
  labels: GuidelineLabel[];
  checklist?: ChecklistItem[];
  agreement?: AgreementRule[];
  review?: ReviewPolicy;
  attestation?: { required: boolean };
  overrides?: { allowed: boolean; rules?: RuleCode[] };
  severity?: SeverityOverrides;
  labelstudio?: { tool?: 'brush' | 'polygon' | 'both'; image_field?: string };
}

/** A problem in a guideline or config file, located so an annotator can fix it. Line and column are 1-based. */
export interface GuidelineError {
  file: string;
  line: number;
  column: number;
  /** Where in the document, e.g. `labels[1].color`. */
  path: string;
  /** The schema rule that failed, e.g. `#/$defs/label/properties/color/pattern`; `cross-field` for checks after the schema. */
  schemaPath: string;
  message: string;
}

/** The container and tolerance of an `inside` rule. */
export function insideOf(label: GuidelineLabel): { label: string; tolerance_mm: number } | null {
  const r = label.inside;
  if (r === undefined) return null;
  return typeof r === 'string' ? { label: r, tolerance_mm: 0 } : { label: r.label, tolerance_mm: r.tolerance_mm ?? 0 };
}

/** Whether a review stage's verdict is needed for the gate. */
export const isRequiredStage = (stage: ReviewStage): boolean => stage.required !== false;

/** Whether a checklist item must be ticked when its condition holds. */
export const isRequiredItem = (item: ChecklistItem): boolean => item.required !== false;
