/** What the gate decides, from the state alone: the verdict on the last check, and whether saving goes ahead with which attestation. */
import { validateAttestation } from '../../shared/rules/attestation.js';
import { buildAttestation } from '../../shared/rules/build-attestation.js';
import { gateVerdict, type GateVerdict } from '../../shared/rules/save-verdict.js';
import type { Attestation } from '../../shared/rules/types.js';
import { isCspRefusal } from './guideline-input.js';
import { addressedFeedback, draftProblems, feedbackMissing, reviewSave, type ReviewSaveDecision } from './review.js';
import type { Setup } from './report.js';
import type { SegQCState } from './state.js';
import { TOOL } from './version.js';

/** The verdict on the state's last check, with its overrides; null while no annotation is selected. */
export function decide(setup: Setup, s: SegQCState): GateVerdict | null {
  if (!s.live) return null;
  const { role } = s.review;
  if (role.kind === 'reviewer') {
    // A reviewer is gated by their verdict, not by the annotator's checklist or findings.
    const missing = draftProblems(setup.guideline, role, s.review.draft);
    return { blocked: missing.length > 0, missing, overridable: [] };
  }
  const v = gateVerdict(setup.guideline, s.imageLoading ? { ...s.live, readError: 'the image has not loaded yet' } : s.live, s.overrides);
  const feedback = feedbackMissing(s.review.feedback, s.review.confirmed);
  return feedback.length ? { ...v, blocked: true, missing: [...v.missing, ...feedback] } : v;
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
    feedback: addressedFeedback(s.review.feedback, s.review.confirmed),
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

/**
 * Whether a reviewer's save goes ahead, with the review document for the hidden field. `savedSha256` is the hash of
 * the regions as saving writes them; the state's last check (an exact one) says whether the reviewer changed them.
 */
export function reviewSaveDecision(setup: Setup, s: SegQCState, who: { reviewer: string | null; reviewerId: string | null }, savedSha256: string, now: Date): ReviewSaveDecision {
  const r = s.review;
  if (!s.annotation || r.role.kind !== 'reviewer') return { save: false, missing: ['the editor has no annotation to review selected'] };
  if (!who.reviewer) return { save: false, missing: ['review: the editor does not say who you are, so the review cannot name its reviewer'] };
  return reviewSave(setup.guideline, r.role, r.draft, {
    reviewer: who.reviewer,
    reviewerId: who.reviewerId,
    openedSha256: r.openedSha256,
    changed: r.openedSha256 !== null && r.currentSha256 !== null && r.openedSha256 !== r.currentSha256,
    savedSha256,
    existing: r.document,
    readProblems: r.problems,
    now,
    tool: TOOL,
  });
}
