/** Rule codes and severities: the vocabulary findings carry, guidelines configure and reports count. Public API: see CHANGELOG.md before changing one. */
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
  | 'format.unreadable';
