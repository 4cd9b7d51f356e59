/** What the gate decides, from the state alone: the verdict on the last check, and whether saving goes ahead with which attestation. */
import { validateAttestation } from '../../shared/rules/attestation.js';
import { buildAttestation } from '../../shared/rules/build-attestation.js';
import { gateVerdict, type GateVerdict } from '../../shared/rules/save-verdict.js';
import type { Attestation } from '../../shared/rules/types.js';
import { isCspRefusal } from './guideline-input.js';
import type { Setup } from './report.js';
import type { SegQCState } from './state.js';
import { TOOL } from './version.js';

/** The verdict on the state's last check, with its overrides; null while no annotation is selected. */
export function decide(setup: Setup, s: SegQCState): GateVerdict | null {
  return s.live ? gateVerdict(setup.guideline, s.live, s.overrides) : null;
}

/** Saving goes ahead with this attestation, or not, with the lines that say why. */
export type SaveDecision = { save: true; attestation: Attestation } | { save: false; missing: string[] };

/** Whether the state's last check (an exact one, at save time) lets the annotation be saved. */
export function saveDecision(setup: Setup, s: SegQCState, now: Date): SaveDecision {
  if (!s.annotation || !s.live || !s.verdict) return { save: false, missing: ['the editor has no annotation selected'] };
  if (s.verdict.blocked) return { save: false, missing: s.verdict.missing };
  const attestation = buildAttestation({
    guideline: setup.guideline,
    sha256: setup.sha256,
    findings: s.live.findings,
    answers: s.live.answers,
    overrides: s.overrides,
    tool: TOOL,
    now,
  });
  let problems: string[] = [];
  try {
    problems = validateAttestation(attestation).problems;
  } catch (e) {
    // Under a CSP without 'unsafe-eval' the schema cannot be compiled; the attestation is built from typed values.
    if (!isCspRefusal(e)) throw e;
  }
  if (problems.length > 0) return { save: false, missing: [`segqc could not build a valid attestation: ${problems.join('; ')}`] };
  return { save: true, attestation };
}
