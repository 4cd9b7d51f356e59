/** What the editor shows, read into the state: the selected annotation, its result as saving would serialize it, the config. */
import type { Guideline } from '../../shared/guideline/types.js';
import type { ChecklistAnswers } from '../../shared/rules/types.js';
import { ATTESTATION_FROM_NAME, CHECKLIST_FROM_NAME_PREFIX } from '../../shared/rules/types.js';
import { changeToken, control, objectSizes, selectedAnnotation, serializeResult, taskData, taskId, type ResultEntry } from './editor.js';
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
    return null;
  }
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
  };
}

/** Whether the editor shows something the last check did not see: another annotation, an undo step, new sizes, or regions left out. */
export function editorChanged(s: SegQCState, store: Any): boolean {
  const ann = selectedAnnotation(store);
  if (!ann) return false;
  return ann !== s.annotation || changeToken(ann) !== s.token || objectSizes(ann) !== s.sizes || s.pendingRegions;
}
