/** The state of one attached segqc, as one record: what the editor showed, what the annotator did, what was decided. */
import type { Override } from '../../shared/rules/override.js';
import type { GateVerdict } from '../../shared/rules/save-verdict.js';
import type { ChecklistAnswers } from '../../shared/rules/types.js';
import type { ReviewDocument, ReviewRecord } from '../../shared/review/record.js';
import type { SerializeCache } from './editor.js';
import type { LiveState } from './live.js';
import { emptyDraft, type Feedback, type ReviewDraft, type Role } from './review.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;

/** Whether the labeling config has the attestation TextArea and the checklist Choices. */
export interface ConfigFields {
  attestation: boolean;
  checklist: boolean;
}

/** Where saving is gated: a store middleware, the store's replaced actions, the event bus, or the page's buttons. */
export type SaveHook = 'middleware' | 'store' | 'events' | 'dom';

/** Everything an attached segqc keeps between checks. */
export interface SegQCState {
  /** The editor's selected annotation at the last check. */
  annotation: Any | null;
  /** Its undo step and object sizes at the last check: the poll checks again when either moves. */
  token: unknown;
  sizes: string;
  /** Regions serialized at earlier checks of this annotation. */
  cache: SerializeCache;
  /** A region could not be serialized yet (its canvas is not drawn): check again at the next poll. */
  pendingRegions: boolean;
  fields: ConfigFields;
  /** An image of the annotation has not loaded yet: what the editor serializes now has placeholder sizes. */
  imageLoading: boolean;
  /** Checklist answers kept here when the config has no checklist Choices. */
  localAnswers: ChecklistAnswers;
  overrides: Override[];
  /** The last check, and the gate's verdict on it (null while no annotation is selected). */
  live: LiveState | null;
  verdict: GateVerdict | null;
  /** The finding (`rule|label`) whose override form the panel shows. */
  openOverride: string | null;
  /** A gate message is on screen; it follows later checks until nothing is missing. */
  gateShown: boolean;
  hook: SaveHook | null;
  detached: boolean;
  review: ReviewState;
}

/** The review loop as it stands for the selected annotation. */
export interface ReviewState {
  role: Role;
  /** The annotation's author, as the editor says it. */
  author: string | null;
  /** Review records about the annotation, and the document saving appends to. */
  records: ReviewRecord[];
  document: ReviewDocument | null;
  problems: string[];
  /** Open rejections the annotator answers, and the feedback lines (`stage|reason`) confirmed. */
  feedback: Feedback[];
  confirmed: Record<string, boolean>;
  /** Whether `confirmed` was filled from the feedback the annotation's attestation already records addressed. */
  seeded: boolean;
  /** The reviewer's choices in the panel. */
  draft: ReviewDraft;
  /** Content hash of the regions when the annotation was first read completely, and at the last read. */
  openedSha256: string | null;
  currentSha256: string | null;
}

/** The review state of a freshly selected annotation. */
export function initialReview(): ReviewState {
  return { role: { kind: 'annotator' }, author: null, records: [], document: null, problems: [], feedback: [], confirmed: {}, seeded: false, draft: emptyDraft(), openedSha256: null, currentSha256: null };
}

/** The state before the first check. */
export function initialState(): SegQCState {
  return {
    annotation: null,
    token: undefined,
    sizes: '',
    cache: new Map(),
    pendingRegions: false,
    fields: { attestation: false, checklist: false },
    imageLoading: false,
    localAnswers: {},
    overrides: [],
    live: null,
    verdict: null,
    openOverride: null,
    gateShown: false,
    hook: null,
    detached: false,
    review: initialReview(),
  };
}

/** Follows the editor's selection: another annotation starts without cached regions, local answers or overrides. */
export function selectAnnotation(s: SegQCState, annotation: Any | null): void {
  if (annotation === s.annotation) return;
  s.annotation = annotation;
  s.cache = new Map();
  s.localAnswers = {};
  s.overrides = [];
  s.review = initialReview();
}
