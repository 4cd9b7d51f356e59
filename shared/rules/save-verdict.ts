/** Whether an annotation may be saved: error findings not overridden and unconfirmed required checklist items block it. */
import type { Guideline } from '../guideline/types.js';
import type { Finding } from './types.js';
import { canOverride, overrideMatches, type Override } from './override.js';

/** What the verdict looks at: one check of an annotation's drawing and its checklist. */
export interface SaveCheck {
  findings: Finding[];
  checklist: Array<{ item: { prompt: string }; visible: boolean; required: boolean; answered: boolean }>;
  /** Why the annotation could not be read, when it could not. */
  readError: string | null;
}

/** The verdict: whether saving is blocked, and what is missing, in words. */
export interface GateVerdict {
  blocked: boolean;
  missing: string[];
  /** Error findings the guideline lets the annotator override and that are not yet overridden. */
  overridable: Finding[];
}

/** Blocks while there are error findings not overridden, or required checklist items (whose condition holds) unticked. */
export function gateVerdict(guideline: Guideline, check: SaveCheck, overrides: Override[]): GateVerdict {
  const missing: string[] = [];
  if (check.readError) missing.push(`the annotation could not be read: ${check.readError}`);
  const overridable: Finding[] = [];
  for (const f of check.findings) {
    if (f.severity !== 'error') continue;
    const allowed = canOverride(guideline, f.rule);
    if (allowed && overrides.some((o) => overrideMatches(o, f))) continue;
    if (allowed) overridable.push(f);
    missing.push(`${f.message} [${f.rule}]`);
  }
  for (const row of check.checklist) {
    if (row.visible && row.required && !row.answered) missing.push(`checklist: "${row.item.prompt}" is not confirmed`);
  }
  return { blocked: missing.length > 0, missing, overridable };
}
