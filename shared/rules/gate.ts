/**
 * The gate: which findings fail a run. `segqc.yaml`'s `gate.fail-on` sets it (default `error`); a `--fail-on` flag or
 * the Action's `fail-on` input may tighten it, and only the CLI's `--override-config` lets a flag loosen it.
 */
import { SegqcError } from '../errors.js';
import { DEFAULT_FAIL_ON, DEFAULT_GUIDELINE_CHANGE_GATE, FAIL_ON, GUIDELINE_CHANGE_GATES, type FailOn, type GuidelineChangeGate } from '../rule-codes.js';

// Defined a floor down (the dataset config names the gate too).
export { DEFAULT_FAIL_ON, DEFAULT_GUIDELINE_CHANGE_GATE, FAIL_ON, GUIDELINE_CHANGE_GATES, type FailOn, type GuidelineChangeGate };

const STRICTNESS: Record<FailOn, number> = { never: 0, error: 1, warning: 2 };

/** Parses a gate name given by `source` (`--fail-on`, `input fail-on`). */
export function parseFailOn(text: string, source: string): FailOn {
  const v = text.trim();
  if ((FAIL_ON as readonly string[]).includes(v)) return v as FailOn;
  throw new SegqcError('usage', `${source} is one of ${FAIL_ON.join(', ')}, got "${text}"`);
}

/** The gate a run applies; `refused` is a requested gate looser than the config's that was not applied. */
export interface GateDecision {
  failOn: FailOn;
  refused: FailOn | null;
}

/**
 * The config's gate combined with a requested one (a flag or an input, null when none): a request may tighten the
 * gate; it loosens it only with `override`, otherwise it is refused and the config's gate applies.
 */
export function decideGate(config: FailOn, requested: FailOn | null, override = false): GateDecision {
  if (requested === null) return { failOn: config, refused: null };
  if (override || STRICTNESS[requested] >= STRICTNESS[config]) return { failOn: requested, refused: null };
  return { failOn: config, refused: requested };
}

/** Whether findings of these counts fail the gate. */
export function gateFails(counts: { errors: number; warnings: number }, failOn: FailOn): boolean {
  if (failOn === 'never') return false;
  if (failOn === 'warning') return counts.errors + counts.warnings > 0;
  return counts.errors > 0;
}

/** Parses a guideline-change gate given by `source` (`--guideline-change`, `input guideline-change`). */
export function parseGuidelineChangeGate(text: string, source: string): GuidelineChangeGate {
  const v = text.trim();
  if ((GUIDELINE_CHANGE_GATES as readonly string[]).includes(v)) return v as GuidelineChangeGate;
  throw new SegqcError('usage', `${source} is one of ${GUIDELINE_CHANGE_GATES.join(', ')}, got "${text}"`);
}

/** The guideline-change gate a run applies; `refused` is a requested `warn` under a config's `fail` that was not applied. */
export interface GuidelineChangeDecision {
  gate: GuidelineChangeGate;
  refused: GuidelineChangeGate | null;
}

/** As `decideGate`: a request may turn `warn` into `fail`; turning `fail` into `warn` takes `override`. */
export function decideGuidelineChangeGate(
  configured: GuidelineChangeGate | undefined,
  requested: GuidelineChangeGate | null,
  override = false,
): GuidelineChangeDecision {
  const config = configured ?? DEFAULT_GUIDELINE_CHANGE_GATE;
  if (requested === null) return { gate: config, refused: null };
  if (override || GUIDELINE_CHANGE_GATES.indexOf(requested) >= GUIDELINE_CHANGE_GATES.indexOf(config)) return { gate: requested, refused: null };
  return { gate: config, refused: requested };
}

/**
 * Whether a pull request's guideline change fails the gate: always when the new guideline does not validate (the
 * merged dataset would have no usable guideline), and under `fail` when any item would fail the new guideline.
 */
export function guidelineChangeFails(change: { error?: string; gate?: GuidelineChangeGate; items_failing_head: number }): boolean {
  if (change.error !== undefined) return true;
  return (change.gate ?? DEFAULT_GUIDELINE_CHANGE_GATE) === 'fail' && change.items_failing_head > 0;
}

/** Whether one item fails the gate `failOn`; under `never`, an item with errors counts as failing. */
export function itemFails(counts: { errors: number; warnings: number }, failOn: FailOn): boolean {
  return gateFails(counts, failOn === 'never' ? 'error' : failOn);
}

/** Whether a finding of this severity fails the gate on its own. */
export const blocksGate = (severity: 'error' | 'warning' | 'info', failOn: FailOn): boolean =>
  failOn === 'warning' ? severity !== 'info' : failOn === 'error' ? severity === 'error' : false;
