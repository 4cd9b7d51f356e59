/** `attestation.missing`, `attestation.invalid`, `attestation.stale_guideline`, and overrides recorded in attestations. */
import type { ValidateFunction } from 'ajv/dist/2020.js';
import schema from '../../guidelines/attestation.schema.json';
import { compileSchema, formatPath } from '../guideline/document.js';
import type { Guideline } from '../guideline/types.js';
import { overriddenMessage } from '../report/finding-text.js';
import type { FindingDraft } from './findings.js';
import type { Attestation, Finding } from './types.js';

let validator: ValidateFunction | undefined;
const attestationValidator = (): ValidateFunction => (validator ??= compileSchema(schema));

/** Parses a raw attestation (an object, or JSON text from a Label Studio TextArea) and lists its schema problems. */
export function validateAttestation(raw: unknown): { attestation?: Attestation; problems: string[] } {
  let value = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch {
      return { problems: ['it is not JSON'] };
    }
  }
  const validate = attestationValidator();
  if (validate(value)) return { attestation: value as unknown as Attestation, problems: [] };
  const problems = (validate.errors ?? []).map((e) => {
    const where = formatPath(e.instancePath.split('/').slice(1).map((p) => (/^\d+$/.test(p) ? Number(p) : p))) || 'the attestation';
    if (e.keyword === 'required') return `${where} needs '${String((e.params as { missingProperty: string }).missingProperty)}'`;
    if (e.keyword === 'additionalProperties') return `${where} has an unknown field '${String((e.params as { additionalProperty: string }).additionalProperty)}'`;
    const exp = (e.parentSchema as Record<string, unknown> | undefined)?.['x-expected'];
    return `${where} ${typeof exp === 'string' ? `must be ${exp}` : (e.message ?? 'is invalid')}`;
  });
  return { problems: [...new Set(problems)] };
}

/** Checks an annotation's attestation against the schema and the current guideline (`sha256` of its canonical JSON). */
export function attestationRules(guideline: Guideline, sha256: string, raw: unknown): { drafts: FindingDraft[]; attestation: Attestation | null } {
  if (raw === null || raw === undefined) {
    if (!guideline.attestation?.required) return { drafts: [], attestation: null };
    return {
      drafts: [
        { rule: 'attestation.missing', label: null, facts: {} },
      ],
      attestation: null,
    };
  }
  const { attestation, problems } = validateAttestation(raw);
  if (!attestation) {
    return {
      drafts: [
        { rule: 'attestation.invalid', label: null, facts: { problems }, value: problems.length },
      ],
      attestation: null,
    };
  }
  const a = attestation.guideline;
  if (a.id === guideline.id && a.version === guideline.version && a.sha256 === sha256) return { drafts: [], attestation };
  return {
    drafts: [
      {
        rule: 'attestation.stale_guideline',
        label: null,
        facts: { made: { id: a.id, version: a.version, sha256: a.sha256 }, current: { id: guideline.id, version: guideline.version, sha256 } },
        value: `${a.id}@${a.version}#${a.sha256}`,
        limit: `${guideline.id}@${guideline.version}#${sha256}`,
      },
    ],
    attestation,
  };
}

/**
 * Applies the overrides of an attestation the guideline allows: a matching finding (same rule, same label or a
 * label-less override) becomes `info`, with the reason in its message.
 */
export function applyOverrides(guideline: Guideline, attestation: Attestation | null, findings: Finding[]): Finding[] {
  const policy = guideline.overrides;
  if (!attestation || !policy?.allowed || attestation.overrides.length === 0) return findings;
  const allowed = policy.rules ? new Set(policy.rules) : null;
  return findings.map((f) => {
    if (allowed && !allowed.has(f.rule)) return f;
    if (f.rule.startsWith('attestation.')) return f;
    const o = attestation.overrides.find((x) => x.rule === f.rule && (x.label === null || x.label === f.label));
    if (!o) return f;
    return { ...f, severity: 'info', message: overriddenMessage(f.message, o.by, o.reason) };
  });
}
