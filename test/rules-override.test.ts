/** The override policy, the save verdict and the attestation built at save time: pure shared/rules code, in Node. */
import { describe, expect, test } from 'vitest';
import type { Guideline } from '../shared/guideline/types.js';
import { validateAttestation } from '../shared/rules/attestation.js';
import { buildAttestation } from '../shared/rules/build-attestation.js';
import { canOverride, recordOverride, type Override } from '../shared/rules/override.js';
import { gateVerdict, type SaveCheck } from '../shared/rules/save-verdict.js';
import type { Finding } from '../shared/rules/types.js';

const guideline = (overrides?: Guideline['overrides']): Guideline => ({
  schema_version: 1,
  id: 'g',
  version: '2.0.0',
  title: 'G',
  labels: [
    { name: 'Liver', value: 1 },
    { name: 'Tumour', value: 2 },
  ],
  checklist: [
    { id: 'a', prompt: 'Item A' },
    { id: 'b', prompt: 'Item B', required: false },
  ],
  ...(overrides ? { overrides } : {}),
}) as Guideline;

const finding = (rule: Finding['rule'], label: string | null, severity: Finding['severity'] = 'error'): Finding => ({
  item: 'i',
  annotation: 'a1',
  annotator: null,
  label,
  rule,
  severity,
  message: `${rule} on ${label ?? 'the image'}`,
  value: null,
  limit: null,
  location: null,
});

const row = (prompt: string, visible: boolean, required: boolean, answered: boolean): SaveCheck['checklist'][number] => ({ item: { prompt }, visible, required, answered });
const by = (rule: Finding['rule'], label: string | null, reason = 'a reason'): Override => ({ rule, label, reason, by: 'ann' });

describe('which findings may be overridden', () => {
  test('only with overrides allowed, and then only the rules listed (all rules when none are)', () => {
    expect(canOverride(guideline(), 'volume.below_min')).toBe(false);
    expect(canOverride(guideline({ allowed: false }), 'volume.below_min')).toBe(false);
    expect(canOverride(guideline({ allowed: true }), 'containment.outside')).toBe(true);
    const listed = guideline({ allowed: true, rules: ['volume.below_min'] });
    expect(canOverride(listed, 'volume.below_min')).toBe(true);
    expect(canOverride(listed, 'containment.outside')).toBe(false);
  });

  test('recording: the reason is trimmed and at least 3 characters; a second one for the same rule and label replaces the first', () => {
    const g = guideline({ allowed: true, rules: ['volume.below_min'] });
    expect(recordOverride(g, [], by('volume.below_min', 'Liver', '  ab  '))).toBeNull();
    expect(recordOverride(g, [], by('containment.outside', 'Liver'))).toBeNull();
    const one = recordOverride(g, [], by('volume.below_min', 'Liver', '  resected lobe '));
    expect(one).toEqual([{ rule: 'volume.below_min', label: 'Liver', reason: 'resected lobe', by: 'ann' }]);
    const two = recordOverride(g, one!, by('volume.below_min', 'Tumour', 'tiny'));
    const three = recordOverride(g, two!, by('volume.below_min', 'Liver', 'transplant'));
    expect(three!.map((o) => `${o.label}:${o.reason}`)).toEqual(['Tumour:tiny', 'Liver:transplant']);
  });
});

describe('the save verdict', () => {
  const g = guideline({ allowed: true, rules: ['volume.below_min'] });

  test('nothing wrong: not blocked; warnings and info never block', () => {
    const v = gateVerdict(g, { findings: [finding('overlap.forbidden', 'Liver', 'warning'), finding('volume.below_min', 'Liver', 'info')], checklist: [], readError: null }, []);
    expect(v).toEqual({ blocked: false, missing: [], overridable: [] });
  });

  test('an unreadable annotation, each error finding, and each shown required item unticked block, in that order', () => {
    const check: SaveCheck = {
      findings: [finding('containment.outside', 'Tumour'), finding('volume.below_min', 'Liver')],
      checklist: [row('Item A', true, true, false), row('Item B', true, false, false), row('Item C', false, true, false), row('Item D', true, true, true)],
      readError: 'bad RLE',
    };
    const v = gateVerdict(g, check, []);
    expect(v.blocked).toBe(true);
    expect(v.missing).toEqual([
      'the annotation could not be read: bad RLE',
      'containment.outside on Tumour [containment.outside]',
      'volume.below_min on Liver [volume.below_min]',
      'checklist: "Item A" is not confirmed',
    ]);
    expect(v.overridable.map((f) => f.rule)).toEqual(['volume.below_min']);
  });

  test('an allowed override covers its rule on its label, or on every label when it names none; a disallowed one covers nothing', () => {
    const check: SaveCheck = { findings: [finding('volume.below_min', 'Liver'), finding('volume.below_min', 'Tumour'), finding('containment.outside', 'Tumour')], checklist: [], readError: null };
    const onLiver = gateVerdict(g, check, [by('volume.below_min', 'Liver')]);
    expect(onLiver.missing).toEqual(['volume.below_min on Tumour [volume.below_min]', 'containment.outside on Tumour [containment.outside]']);
    expect(onLiver.overridable.map((f) => f.label)).toEqual(['Tumour']);
    const anyLabel = gateVerdict(g, check, [by('volume.below_min', null), by('containment.outside', 'Tumour')]);
    expect(anyLabel.missing).toEqual(['containment.outside on Tumour [containment.outside]']);
    expect(anyLabel.overridable).toEqual([]);
    // The same overrides under a guideline that no longer allows them.
    expect(gateVerdict(guideline(), check, [by('volume.below_min', null)]).missing).toHaveLength(3);
  });
});

describe('the attestation built at save time', () => {
  const g = guideline({ allowed: true, rules: ['volume.below_min'] });
  const findings = [finding('volume.below_min', 'Liver'), finding('overlap.forbidden', 'Tumour', 'warning')];
  const att = buildAttestation({
    guideline: g,
    sha256: 'f'.repeat(64),
    findings,
    answers: { a: true, stray: true },
    overrides: [by('volume.below_min', 'Liver', 'transplant'), by('volume.below_min', 'Tumour'), by('components.too_many', null)],
    tool: { name: 'segqc-labelstudio', version: '9.9.9' },
    now: new Date(Date.UTC(2026, 0, 2, 3, 4, 5)),
  });

  test('records every checklist item (unticked as false), the findings, and only overrides of present findings the guideline allows', () => {
    expect(att).toEqual({
      schema: 'segqc-attestation/1',
      guideline: { id: 'g', version: '2.0.0', sha256: 'f'.repeat(64) },
      answers: { a: true, b: false },
      findings: [
        { rule: 'volume.below_min', severity: 'error', label: 'Liver', message: 'volume.below_min on Liver' },
        { rule: 'overlap.forbidden', severity: 'warning', label: 'Tumour', message: 'overlap.forbidden on Tumour' },
      ],
      overrides: [{ rule: 'volume.below_min', label: 'Liver', reason: 'transplant', by: 'ann' }],
      tool: { name: 'segqc-labelstudio', version: '9.9.9' },
      submitted_at: '2026-01-02T03:04:05.000Z',
    });
  });

  test('follows guidelines/attestation.schema.json', () => {
    expect(validateAttestation(att).problems).toEqual([]);
  });
});
