/** What the editor shows, read into the state: the selected annotation, its result as saving would serialize it, the config. */
import type { Guideline } from '../../shared/guideline/types.js';
import type { ChecklistAnswers } from '../../shared/rules/types.js';
import { ATTESTATION_FROM_NAME, CHECKLIST_FROM_NAME_PREFIX } from '../../shared/rules/types.js';
import { annotationAuthor, changeToken, control, objectSizes, objectsLoading, otherAnnotations, ownAnnotation, selectedAnnotation, serializeResult, taskData, taskId, type ResultEntry } from './editor.js';
import { labelStudioMaskSha256 } from '../../shared/review/reader.js';
import { attestedFeedback, confirmedBefore, openFeedback, reviewsInOthers, reviewsOfResult, roleOf, type OtherAnnotation } from './review.js';
import { byTime } from '../../shared/review/record.js';
import { selectAnnotation, type ConfigFields, type SegQCState } from './state.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;

/** What the live checker needs besides the author. */
export interface CheckInput {
  result: ResultEntry[];
  task: Record<string, unknown>;
  item: string;
  annotation: string;
  /** The answers kept in the panel, when the config has no checklist Choices to read them from. */
  answers: ChecklistAnswers | undefined;
  /** Who made the annotation, and whether it is the current user's own. */
  author: string | null;
  own: boolean;
  /** The task's other annotations as saved: a reviewer's review-only annotation holds records about this one. */
  others: OtherAnnotation[];
}

/** Which of the guideline's controls the annotation's labeling config has. */
export function configFields(guideline: Guideline, annotation: Any): ConfigFields {
  return {
    attestation: !!control(annotation, ATTESTATION_FROM_NAME),
    checklist: (guideline.checklist ?? []).every((i) => !!control(annotation, `${CHECKLIST_FROM_NAME_PREFIX}${i.id}`)),
  };
}

/**
 * Reads the selected annotation into the state and returns what to check, or null when none is selected. `exact`
 * serializes every region as saving does; otherwise regions unchanged since the last check come from the cache.
 */
export function readEditor(s: SegQCState, store: Any, guideline: Guideline, exact: boolean): CheckInput | null {
  const ann = selectedAnnotation(store);
  selectAnnotation(s, ann);
  if (!ann) {
    s.fields = { attestation: false, checklist: false };
    s.imageLoading = false;
    return null;
  }
  s.imageLoading = objectsLoading(ann);
  s.token = changeToken(ann);
  s.sizes = objectSizes(ann);
  const { result, incomplete } = serializeResult(ann, exact ? undefined : s.cache, exact);
  s.pendingRegions = incomplete;
  s.fields = configFields(guideline, ann);
  const id = taskId(store);
  return {
    result,
    task: taskData(store),
    item: id === null ? 'task' : `task ${id}`,
    annotation: String(ann.pk ?? ann.id ?? 'new'),
    answers: s.fields.checklist ? undefined : s.localAnswers,
    author: annotationAuthor(ann),
    own: ownAnnotation(ann, store),
    others: otherAnnotations(store, ann),
  };
}

/** Whether the editor shows something the last check did not see: another annotation, an undo step, new sizes, or regions left out. */
export function editorChanged(s: SegQCState, store: Any): boolean {
  const ann = selectedAnnotation(store);
  if (!ann) return false;
  return ann !== s.annotation || changeToken(ann) !== s.token || objectSizes(ann) !== s.sizes || s.pendingRegions;
}

/**
 * Reads the review side of what the editor shows into the state: the records about the annotation, whether the
 * person in the editor reviews it or annotates it, the open rejections an annotator answers, the regions' hashes.
 */
export function readReview(s: SegQCState, guideline: Guideline, input: CheckInput, who: { user: string | null; userId: string | null }): void {
  const r = s.review;
  r.author = input.author;
  r.role = roleOf(guideline, { user: who.user, userId: who.userId, author: input.author, own: input.own });
  const read = reviewsOfResult(input.result, { file: input.item, item: input.item, annotation: input.annotation });
  r.document = read.document;
  const elsewhere = reviewsInOthers(input.others, { file: input.item, item: input.item, annotation: input.annotation });
  r.records = elsewhere.length ? [...read.records, ...elsewhere].sort(byTime) : read.records;
  r.problems = read.problems;
  r.feedback = r.role.kind === 'annotator' ? openFeedback(guideline, r.records, input.author ?? who.user) : [];
  if (!r.seeded && r.feedback.length > 0) {
    r.confirmed = { ...confirmedBefore(r.feedback, attestedFeedback(input.result)), ...r.confirmed };
    r.seeded = true;
  }
  // Only a reviewer's save uses the hashes; hashing every region's RLE would cost an annotator's live check tens of ms.
  if (r.role.kind !== 'reviewer') return;
  r.currentSha256 = labelStudioMaskSha256(input.result);
  if (r.openedSha256 === null && !s.pendingRegions) r.openedSha256 = r.currentSha256;
}
