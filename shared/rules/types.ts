/** Findings and the inputs of the rule engine. Rule codes are public API: see CHANGELOG.md before changing one. */
import type { Geometry, Segmentation } from '../model.js';
import type { RuleCode, Severity } from '../rule-codes.js';

// Defined a floor down (the guideline uses them too); findings are typed by them.
export type { RuleCode, Severity };
export { ATTESTATION_FROM_NAME, CHECKLIST_FROM_NAME_PREFIX, CHECKLIST_YES } from '../formats/labelstudio.js';

/** Where in an item a finding is: a slice (0-based k index), a region or segment id, a voxel bounding box. */
export interface FindingLocation {
  file?: string;
  slice?: number;
  region?: string;
  /** [i0, j0, k0, i1, j1, k1], inclusive voxel indices. */
  bbox?: [number, number, number, number, number, number];
}

/** One thing wrong with an item, as data; renderers turn it into words for each surface. */
export interface Finding {
  item: string;
  annotation: string | null;
  annotator: string | null;
  label: string | null;
  rule: RuleCode;
  severity: Severity;
  message: string;
  value: number | string | null;
  limit: number | string | null;
  location: FindingLocation | null;
}

/** Checklist answers by checklist item id: true when ticked, false or absent when not. */
export type ChecklistAnswers = Record<string, boolean>;

/** One annotation of an item, as the rule engine sees it. */
export interface AnnotationInput {
  id: string | null;
  annotator: string | null;
  segmentation: Segmentation;
  /** Answers found in the annotation itself (Label Studio checklist results), or null when it carries none. */
  checklist: ChecklistAnswers | null;
  /** The parsed attestation (from the Label Studio result or a `.segqc.json` sidecar), or null when absent. */
  attestation: unknown | null;
}

/** One image's annotations: the unit the rule engine checks. */
export interface ItemInput {
  id: string;
  annotations: AnnotationInput[];
  /** A gold-standard annotation to score the annotations against. */
  reference?: AnnotationInput | null;
  /** Geometry of the image the masks belong to, for `geometry.mismatch`. */
  image?: { path: string; geometry: Geometry } | null;
}

/** The attestation the extension writes and `segqc check` verifies (`guidelines/attestation.schema.json`). */
export interface Attestation {
  schema: 'segqc-attestation/1';
  guideline: { id: string; version: string; sha256: string };
  answers: ChecklistAnswers;
  findings: Array<Pick<Finding, 'rule' | 'severity' | 'label' | 'message'>>;
  overrides: Array<{ rule: RuleCode; label: string | null; reason: string; by: string | null }>;
  tool: { name: string; version: string };
  submitted_at: string;
}
