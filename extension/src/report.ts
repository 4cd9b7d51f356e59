/** The outcome of a check as data (`CheckReport`, given to `onCheck` and returned by `check()`), and the notes about the setup. */
import type { Guideline } from '../../shared/guideline/types.js';
import type { Override } from '../../shared/rules/override.js';
import type { Finding } from '../../shared/rules/types.js';
import { ATTESTATION_FROM_NAME, CHECKLIST_FROM_NAME_PREFIX } from '../../shared/rules/types.js';
import type { ConfigFields, SegQCState } from './state.js';

/** What stays fixed while segqc is attached: the guideline, its hash, and whether its schema could be checked. */
export interface Setup {
  guideline: Guideline;
  sha256: string;
  /** False when the page's Content-Security-Policy kept the schema validator from running. */
  schemaChecked: boolean;
}

/** The outcome of a check, as data. */
export interface CheckReport {
  guideline: { id: string; version: string; sha256: string };
  findings: Finding[];
  checklist: Array<{ id: string; prompt: string; visible: boolean; answered: boolean; required: boolean }>;
  blocked: boolean;
  missing: string[];
  overrides: Override[];
  /** Whether the labeling config has the attestation TextArea and the checklist Choices. */
  fields: ConfigFields;
  notes: string[];
  ms: number;
}

/** What the annotator should know about this page: no annotation yet, missing config controls, pixels only, CSP, DOM-only gate. */
export function notesOf(setup: Setup, s: SegQCState): string[] {
  const notes: string[] = [];
  const f = s.fields;
  if (!s.annotation) notes.push('Waiting for the editor to load an annotation.');
  if (s.annotation && !f.attestation) {
    notes.push(
      `This labeling config has no "${ATTESTATION_FROM_NAME}" TextArea, so the attestation cannot be saved with the annotation (generate the config with "segqc guideline labelconfig"). Saving is still gated.`,
    );
  }
  if (s.annotation && !f.checklist && (setup.guideline.checklist ?? []).length > 0) {
    notes.push(`This labeling config lacks the "${CHECKLIST_FROM_NAME_PREFIX}…" checklist Choices: answers stay in this panel and are not exported with the annotation.`);
  }
  if (s.live?.pixelsOnly) notes.push('The task has no pixel spacing field: sizes are in pixels and the guideline\'s mm² limits cannot be checked exactly.');
  if (!setup.schemaChecked) {
    notes.push('This page\'s Content-Security-Policy forbids the schema validator, so the guideline was only read, not validated here: validate it with "segqc guideline validate".');
  }
  if (s.hook === 'dom') notes.push('The editor\'s save actions were not found: saving is gated at the Submit/Update buttons and Ctrl+Enter only.');
  return notes;
}

/** The report of the state's last check; blocked while no annotation is selected. */
export function reportOf(setup: Setup, s: SegQCState): CheckReport {
  const { guideline } = setup;
  return {
    guideline: { id: guideline.id, version: guideline.version, sha256: setup.sha256 },
    findings: s.live?.findings ?? [],
    checklist: (s.live?.checklist ?? []).map((r) => ({ id: r.item.id, prompt: r.item.prompt, visible: r.visible, answered: r.answered, required: r.required })),
    blocked: s.verdict?.blocked ?? true,
    missing: s.verdict?.missing ?? ['the editor has no annotation selected'],
    overrides: [...s.overrides],
    fields: { ...s.fields },
    notes: notesOf(setup, s),
    ms: s.live?.ms ?? 0,
  };
}
