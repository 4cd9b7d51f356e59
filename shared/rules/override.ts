/** The override policy: which findings an annotator may override with a typed reason, and recording one. */
import type { Guideline } from '../guideline/types.js';
import type { Finding, RuleCode } from './types.js';

/** An override the annotator typed for a finding the guideline lets them override. */
export interface Override {
  rule: RuleCode;
  label: string | null;
  reason: string;
  by: string | null;
}

/** The shortest reason (after trimming) an override is recorded with. */
export const MIN_OVERRIDE_REASON = 3;

/** Whether the guideline lets an annotator override a finding of this rule. */
export function canOverride(guideline: Guideline, rule: RuleCode): boolean {
  const p = guideline.overrides;
  if (!p?.allowed) return false;
  return p.rules ? p.rules.includes(rule) : true;
}

/** Whether an override covers a finding: same rule, and same label unless the override has none. */
export const overrideMatches = (o: Override, f: Finding): boolean => o.rule === f.rule && (o.label === null || o.label === f.label);

/**
 * The overrides after recording one (replacing an earlier one of the same rule and label), or null when the
 * guideline does not allow it or its reason is too short.
 */
export function recordOverride(guideline: Guideline, overrides: Override[], next: Override): Override[] | null {
  const reason = next.reason.trim();
  if (reason.length < MIN_OVERRIDE_REASON || !canOverride(guideline, next.rule)) return null;
  return [...overrides.filter((o) => !(o.rule === next.rule && o.label === next.label)), { ...next, reason }];
}
