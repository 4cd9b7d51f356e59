/** The attestation written with a saved annotation (`guidelines/attestation.schema.json`). */
import type { Guideline } from '../guideline/types.js';
import type { AddressedFeedback, Attestation, ChecklistAnswers, Finding } from './types.js';
import { canOverride, overrideMatches, type Override } from './override.js';

/** What an attestation records: the guideline checked against, the check's findings and answers, the overrides. */
export interface AttestationInput {
  guideline: Guideline;
  /** `guidelineSha256` of the guideline. */
  sha256: string;
  findings: Finding[];
  answers: ChecklistAnswers;
  overrides: Override[];
  /** Review rejections confirmed addressed; recorded only when there are some. */
  feedback?: AddressedFeedback[];
  tool: { name: string; version: string };
  now: Date;
  /** Who attests, recorded where nothing else does (a sidecar); omitted when absent. */
  annotator?: string | null;
}

/** Builds the attestation: every checklist item answered or not, and only the overrides of findings present and allowed. */
export function buildAttestation(input: AttestationInput): Attestation {
  const g = input.guideline;
  const answers: ChecklistAnswers = {};
  for (const item of g.checklist ?? []) answers[item.id] = input.answers[item.id] === true;
  const used = input.overrides.filter((o) => input.findings.some((f) => overrideMatches(o, f)) && canOverride(g, o.rule));
  return {
    schema: 'segqc-attestation/1',
    guideline: { id: g.id, version: g.version, sha256: input.sha256 },
    answers,
    findings: input.findings.map((f) => ({ rule: f.rule, severity: f.severity, label: f.label, message: f.message })),
    overrides: used.map((o) => ({ rule: o.rule, label: o.label, reason: o.reason, by: o.by })),
    ...(input.feedback && input.feedback.length > 0 ? { feedback: input.feedback.map((f) => ({ ...f, reasons: [...f.reasons] })) } : {}),
    tool: { name: input.tool.name, version: input.tool.version },
    submitted_at: input.now.toISOString(),
    ...(input.annotator ? { annotator: input.annotator } : {}),
  };
}
