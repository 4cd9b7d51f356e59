/** `checklist.missing` / `checklist.incomplete`, and the checklist panel state of the Label Studio extension. */
import type { ChecklistItem, Guideline } from '../guideline/types.js';
import { isRequiredItem } from '../guideline/types.js';
import type { FindingDraft } from './findings.js';
import type { ChecklistAnswers } from './types.js';

const norm = (s: string) => s.trim().toLowerCase();

/** Whether an item's `when` holds for the labels drawn. */
export function itemApplies(item: ChecklistItem, presentLabelNames: string[]): boolean {
  if (!item.when) return true;
  const present = new Set(presentLabelNames.map(norm));
  return 'label_present' in item.when ? present.has(norm(item.when.label_present)) : !present.has(norm(item.when.label_absent));
}

/** Each checklist item: shown (its condition holds) and ticked. */
export function checklistState(
  guideline: Guideline,
  presentLabelNames: string[],
  answers: ChecklistAnswers | null,
): Array<{ item: ChecklistItem; visible: boolean; answered: boolean }> {
  return (guideline.checklist ?? []).map((item) => ({
    item,
    visible: itemApplies(item, presentLabelNames),
    answered: answers?.[item.id] === true,
  }));
}

/** The answers of an annotation: its own, else those of its attestation. */
export function answersOf(checklist: ChecklistAnswers | null, attestation: unknown): ChecklistAnswers | null {
  if (checklist) return checklist;
  if (attestation && typeof attestation === 'object') {
    const a = (attestation as { answers?: unknown }).answers;
    if (a && typeof a === 'object' && !Array.isArray(a)) {
      const out: ChecklistAnswers = {};
      for (const [k, v] of Object.entries(a)) out[k] = v === true;
      return out;
    }
  }
  return null;
}

/**
 * Required items whose condition holds must be ticked; no answers at all is one `checklist.missing`. `mask` names a
 * mask whose answers `segqc attest` writes; `answersFile` the file the answers came from (a sidecar).
 */
export function checklistRules(
  guideline: Guideline,
  presentLabelNames: string[],
  answers: ChecklistAnswers | null,
  where: { mask: string | null; answersFile: string | null } = { mask: null, answersFile: null },
): FindingDraft[] {
  const due = checklistState(guideline, presentLabelNames, answers).filter((s) => s.visible && isRequiredItem(s.item));
  if (due.length === 0) return [];
  if (answers === null) {
    return [
      {
        rule: 'checklist.missing',
        label: null,
        facts: { prompts: due.map((s) => s.item.prompt), mask: where.mask },
        value: 0,
        limit: due.length,
        location: where.mask ? { file: where.mask } : null,
      },
    ];
  }
  return due
    .filter((s) => !s.answered)
    .map((s): FindingDraft => ({
      rule: 'checklist.incomplete',
      label: s.item.when ? ('label_present' in s.item.when ? s.item.when.label_present : s.item.when.label_absent) : null,
      facts: { prompt: s.item.prompt, help: s.item.help ?? null },
      value: s.item.id,
      limit: null,
      location: where.answersFile ? { file: where.answersFile, region: s.item.id } : { region: s.item.id },
    }));
}
