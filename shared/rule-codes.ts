/** Rule codes, severities and gates: the vocabulary findings carry, guidelines and configs set and reports count. Public API: see CHANGELOG.md before changing one. */
/** How bad a finding is; the gate fails on a severity and everything worse. */
export type Severity = 'error' | 'warning' | 'info';

/** The code of each rule (`label.unknown`, `containment.outside`, …): the key of findings, severity overrides and report totals. */
export type RuleCode =
  | 'label.unknown'
  | 'label.value_mismatch'
  | 'label.required_missing'
  | 'volume.below_min'
  | 'volume.above_max'
  | 'components.too_many'
  | 'component.too_small'
  | 'containment.outside'
  | 'overlap.forbidden'
  | 'slices.gap'
  | 'checklist.missing'
  | 'checklist.incomplete'
  | 'attestation.missing'
  | 'attestation.invalid'
  | 'attestation.stale_guideline'
  | 'geometry.mismatch'
  | 'dataset.missing_annotation'
  | 'dataset.orphan_annotation'
  | 'agreement.below_threshold'
  | 'format.unreadable'
  | 'review.rejected'
  | 'review.pending'
  | 'review.stale'
  | 'review.ineligible';

/** The gate names, in the order messages list them. */
export const FAIL_ON = ['error', 'warning', 'never'] as const;

/** Which findings fail the gate: any error, any error or warning, or none. */
export type FailOn = (typeof FAIL_ON)[number];

/** The gate of a `segqc.yaml` without `gate.fail-on`. */
export const DEFAULT_FAIL_ON: FailOn = 'error';

/** What a pull request that changes the guideline does to the gate when items would fail the new one, loosest first. */
export const GUIDELINE_CHANGE_GATES = ['warn', 'fail'] as const;

/** `warn`: shown in the headline, the gate unaffected; `fail`: the gate fails. */
export type GuidelineChangeGate = (typeof GUIDELINE_CHANGE_GATES)[number];

/** The guideline-change gate of a `segqc.yaml` without `gate.guideline-change`. */
export const DEFAULT_GUIDELINE_CHANGE_GATE: GuidelineChangeGate = 'warn';
