/**
 * The gate: which findings fail a run. `segqc.yaml`'s `gate.fail-on` sets it (default `error`); a `--fail-on` flag or
 * the Action's `fail-on` input may tighten it, and only the CLI's `--override-config` lets a flag loosen it.
 */
import { SegqcError } from '../errors.js';
import { DEFAULT_FAIL_ON, FAIL_ON, type FailOn } from '../rule-codes.js';

// Defined a floor down (the dataset config names the gate too).
export { DEFAULT_FAIL_ON, FAIL_ON, type FailOn };

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
