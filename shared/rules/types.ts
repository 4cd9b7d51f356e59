/** Findings and the inputs of the rule engine. Rule codes are public API: see CHANGELOG.md before changing one. */
import type { ErrorReason } from '../errors.js';
import type { JsonSyntaxError } from '../formats/json-syntax.js';
import type { SizeUnits } from '../metrics/size.js';
import type { Geometry, Segmentation } from '../model.js';
import type { RuleCode, Severity } from '../rule-codes.js';
import type { ReviewRecord, ReviewVerdict } from '../review/record.js';

// Defined a floor down (the guideline uses them too); findings are typed by them.
export type { RuleCode, Severity };
export { ATTESTATION_FROM_NAME, CHECKLIST_FROM_NAME_PREFIX, CHECKLIST_YES } from '../formats/labelstudio.js';

/** The anatomical plane a grid's slices lie in, named from the direction of its k axis. */
export type SliceAxis = 'axial' | 'coronal' | 'sagittal';

/**
 * Where in an item a finding is, as data a picture can be drawn from: the file, the slices (0-based k indices) and
 * their plane, the box and its centre in voxels and in patient LPS millimetres, the component, the labels involved.
 */
export interface FindingLocation {
  file?: string;
  /** The middle slice of the box (the first one of a gap). */
  slice?: number;
  region?: string;
  /** [i0, j0, k0, i1, j1, k1], inclusive voxel indices. */
  bbox?: [number, number, number, number, number, number];
  /** 3D only: the plane of the slices. */
  axis?: SliceAxis;
  /** 3D only: the first and last slice (k index) of the box. */
  slices?: [number, number];
  /** Centre of the box in voxel indices (i, j, k); halves where the box spans an even number of voxels. */
  center?: [number, number, number];
  /** Centre of the box in patient LPS millimetres; absent when the spacing is unknown. */
  center_mm?: [number, number, number];
  /** The connected component, by rank: 1 is the label's largest. */
  component?: number;
  /** Labels whose voxels the finding is about (both labels of an overlap; the file's own name of an unknown label). */
  labels?: string[];
}

/** A count of voxels with its size in `units`. */
export interface Amount {
  voxels: number;
  size: number;
  units: SizeUnits;
}

/** One agreement threshold an annotation pair misses. */
export type AgreementMiss =
  | { metric: 'dice'; value: number; min: number }
  | { metric: 'nsd'; value: number; min: number; tolerance_mm: number }
  | { metric: 'hd95'; value: number | null; max_mm: number };

/** A guideline's identity, as an attestation records it. */
export interface GuidelineStamp {
  id: string;
  version: string;
  sha256: string;
}

/** Why an attestation is not one: its JSON, its schema, or an answer to a question the guideline does not ask. */
export type AttestationProblem =
  | { kind: 'syntax'; syntax: JsonSyntaxError }
  | { kind: 'schema'; problems: string[] }
  | { kind: 'unknown_answer'; id: string; suggestion: string | null };

/** A review stage as findings name it. */
export interface StageRef {
  id: string;
  title: string | null;
}

/** Which items a review stage covers, as findings say it. */
export type StageCoverage = 'all' | 'audit' | { findings: RuleCode[] };

/** Why a reviewer's record does not count: their own annotation, not a reviewer of the stage, no such stage. */
export type IneligibleWhy = 'author' | 'not_listed' | 'unknown_stage';

/**
 * What each rule knows about what it found: the data its message is rendered from (`shared/report/finding-text.ts`),
 * discriminated on the rule code.
 */
export type FindingFacts =
  | { rule: 'label.unknown'; facts: { name: string | null; value: number; known: Array<{ value: number; name: string }>; location?: FindingLocation } }
  | { rule: 'label.value_mismatch'; facts: { name: string; value: number; guideline_name: string; guideline_value: number } }
  | { rule: 'label.required_missing'; facts: { label: string } }
  | { rule: 'volume.below_min' | 'volume.above_max'; facts: { label: string; size: number; limit: number; units: SizeUnits } }
  | {
      rule: 'components.too_many';
      facts: {
        label: string;
        count: number;
        allowed: number;
        units: SizeUnits;
        largest: number;
        /** The first few pieces besides the allowed ones, largest first. */
        others: Array<{ size: number; location: FindingLocation }>;
        /** Pieces besides those listed. */
        more: number;
      };
    }
  | { rule: 'component.too_small'; facts: { label: string; size: number; min: number; units: SizeUnits; location: FindingLocation } }
  | {
      rule: 'containment.outside';
      facts: {
        label: string;
        container: string;
        /** Null when the container is not drawn at all. */
        outside: (Amount & { farthest: number }) | null;
        tolerance_mm: number;
        spacing_known: boolean;
        location: FindingLocation;
      };
    }
  | { rule: 'overlap.forbidden'; facts: { label: string; other: string; overlap: Amount; location: FindingLocation } }
  | { rule: 'slices.gap'; facts: { label: string; first: number; last: number; before: number; after: number; axis: SliceAxis } }
  | { rule: 'checklist.missing'; facts: { prompts: string[]; mask: string | null } }
  | { rule: 'checklist.incomplete'; facts: { prompt: string; help: string | null } }
  | { rule: 'attestation.missing'; facts: { mask: string | null; sidecar: string | null } }
  | { rule: 'attestation.invalid'; facts: AttestationProblem & { file: string | null } }
  | { rule: 'attestation.stale_guideline'; facts: { made: GuidelineStamp; current: GuidelineStamp; mask: string | null } }
  | {
      rule: 'geometry.mismatch';
      facts: { aspect: 'shape' | 'spacing' | 'origin' | 'direction'; mask: string; image: string; unit: string; image_path: string };
    }
  | { rule: 'dataset.missing_annotation'; facts: { item: string; count: number; min: number; image: string | null } }
  | { rule: 'dataset.orphan_annotation'; facts: { file: string } }
  | {
      rule: 'agreement.below_threshold';
      /** `b` null: `a` against the reference. */
      facts: { label: string; a: string; b: string | null; misses: AgreementMiss[] };
    }
  | { rule: 'format.unreadable'; facts: { file: string; detail: string; image: boolean } }
  | {
      rule: 'review.rejected';
      facts: { stage: StageRef; reviewer: string; reasons: Array<{ id: string; title: string | null }>; comment: string | null; time: string };
    }
  | { rule: 'review.pending'; facts: { stage: StageRef; reviewers: 'others' | string[]; items: StageCoverage } }
  | {
      rule: 'review.stale';
      facts: { stage: StageRef; reviewer: string; verdict: ReviewVerdict; time: string; reviewed_sha256: string; current_sha256: string };
    }
  | {
      rule: 'review.ineligible';
      /** `reviewers` null and `stages` the guideline's stage ids when the stage does not exist. */
      facts: { stage: StageRef; reviewer: string; time: string; why: IneligibleWhy; reviewers: 'others' | string[] | null; stages: string[] };
    };

/** What a rule reports, as data; `emit` adds the context and severity and renders the message. */
export type FindingDraft = FindingFacts & {
  label: string | null;
  value?: number | string | null;
  limit?: number | string | null;
  location?: FindingLocation | null;
  reason?: ErrorReason;
};

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
  /** `format.unreadable` only: why, where the reader knows (a Git LFS pointer instead of the file). */
  reason?: ErrorReason;
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
  /** The attestation (parsed, or its JSON text) from the Label Studio result or a `.segqc.json` sidecar; null when absent. */
  attestation: unknown | null;
  /** The `.segqc.json` sidecar that holds (or would hold) a mask's attestation; absent for Label Studio annotations. */
  sidecar?: string | null;
  /** Review records about this annotation and its current content hash; absent when nobody reviewed it. */
  reviews?: AnnotationReviews;
}

/** What reviewers said about one annotation, and what the annotation is now. */
export interface AnnotationReviews {
  records: ReviewRecord[];
  /** The content hash of the mask as it is now (sha256 of the file, or of the Label Studio regions). */
  sha256: string;
  /** Records that could not be read (a sidecar that is not a review document), by file. */
  problems: Array<{ file: string; detail: string }>;
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
  /** Review rejections the annotator confirmed addressed before submitting, reason by reason. */
  feedback?: AddressedFeedback[];
  tool: { name: string; version: string };
  submitted_at: string;
  /** Who attested, where nothing else records it (a sidecar written by `segqc attest`). */
  annotator?: string;
}

/** One rejection an annotator confirmed addressed: the record's stage, reviewer and time, and the reasons confirmed. */
export interface AddressedFeedback {
  stage: string;
  reviewer: string;
  time: string;
  reasons: string[];
}
