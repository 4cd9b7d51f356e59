/** `attestation.missing`, `attestation.invalid`, `attestation.stale_guideline`, and overrides recorded in attestations. */
import type { ValidateFunction } from 'ajv/dist/2020.js';
import schema from '../../guidelines/attestation.schema.json';
import { closest, compileSchema, formatPath } from '../guideline/document.js';
import type { Guideline } from '../guideline/types.js';
import { parseJsonText } from '../formats/json-syntax.js';
import { overriddenMessage } from '../report/finding-text.js';
import type { FindingDraft } from './findings.js';
import type { Attestation, Finding } from './types.js';

let validator: ValidateFunction | undefined;
const attestationValidator = (): ValidateFunction => (validator ??= compileSchema(schema));

function schemaProblems(value: unknown): { attestation?: Attestation; problems: string[] } {
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

/** Parses a raw attestation (an object, or JSON text from a Label Studio TextArea) and lists its schema problems. */
export function validateAttestation(raw: unknown): { attestation?: Attestation; problems: string[] } {
  if (typeof raw !== 'string') return schemaProblems(raw);
  const parsed = parseJsonText(raw);
  return parsed.ok ? schemaProblems(parsed.value) : { problems: ['it is not JSON'] };
}

/** Where an annotation's attestation lives: the mask and its `.segqc.json` sidecar, or neither (Label Studio). */
export interface AttestationSource {
  mask: string | null;
  sidecar: string | null;
}

/** What the attestation rules found, the attestation when it is one, and the parsed value (for its answers). */
export interface AttestationCheck {
  drafts: FindingDraft[];
  attestation: Attestation | null;
  value: unknown;
}

/** Longest answer id a "did you mean" is looked for (the edit distance is quadratic in its length). */
const MAX_SUGGESTED_ID = 200;

/**
 * Checks an annotation's attestation (a value, or JSON text) against the schema and the current guideline (`sha256`
 * of its canonical JSON); answers to questions the guideline does not ask are findings unless the attestation was made
 * under another guideline (then it is stale, and its ids are that guideline's).
 */
export function attestationRules(guideline: Guideline, sha256: string, raw: unknown, source: AttestationSource = { mask: null, sidecar: null }): AttestationCheck {
  const file = source.sidecar;
  const location = file ? { file } : null;
  if (raw === null || raw === undefined) {
    if (!guideline.attestation?.required) return { drafts: [], attestation: null, value: null };
    return {
      drafts: [{ rule: 'attestation.missing', label: null, facts: { mask: source.mask, sidecar: source.sidecar }, location: source.mask ? { file: source.mask } : null }],
      attestation: null,
      value: null,
    };
  }
  let value: unknown = raw;
  if (typeof raw === 'string') {
    const parsed = parseJsonText(raw);
    if (!parsed.ok) {
      const s = parsed.error;
      return {
        drafts: [{ rule: 'attestation.invalid', label: null, facts: { kind: 'syntax', syntax: s, file }, value: `${s.line}:${s.column}`, location }],
        attestation: null,
        value: null,
      };
    }
    value = parsed.value;
  }
  const { attestation, problems } = schemaProblems(value);
  if (!attestation) {
    return {
      drafts: [{ rule: 'attestation.invalid', label: null, facts: { kind: 'schema', problems, file }, value: problems.length, location }],
      attestation: null,
      value,
    };
  }
  const a = attestation.guideline;
  if (a.id !== guideline.id || a.version !== guideline.version || a.sha256 !== sha256) {
    return {
      drafts: [
        {
          rule: 'attestation.stale_guideline',
          label: null,
          facts: { made: { id: a.id, version: a.version, sha256: a.sha256 }, current: { id: guideline.id, version: guideline.version, sha256 }, mask: source.mask },
          value: `${a.id}@${a.version}#${a.sha256}`,
          limit: `${guideline.id}@${guideline.version}#${sha256}`,
          location,
        },
      ],
      attestation,
      value,
    };
  }
  const ids = (guideline.checklist ?? []).map((i) => i.id);
  const drafts = Object.keys(attestation.answers)
    .filter((id) => !ids.includes(id))
    .map(
      (id): FindingDraft => ({
        rule: 'attestation.invalid',
        label: null,
        facts: { kind: 'unknown_answer', id, suggestion: id.length <= MAX_SUGGESTED_ID ? closest(id, ids) : null, file },
        value: id,
        location: { ...location, region: id },
      }),
    );
  return { drafts, attestation, value };
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
