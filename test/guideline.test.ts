import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { SegqcError } from '../shared/errors.js';
import { loadGuideline, parseGuideline, validateGuideline } from '../shared/guideline/load.js';
import { parseConfig, validateConfig } from '../shared/guideline/config.js';
import { insideOf } from '../shared/guideline/types.js';

const example = (name: string) => readFileSync(`guidelines/examples/${name}`, 'utf8');

const minimal = `schema_version: 1
id: liver-ct
version: 1.0.0
title: Liver
labels:
  - name: Liver
    value: 1
`;

describe('guideline examples', () => {
  test.each(['liver-ct.yaml', 'liver-ct-slice.yaml', 'pathology-nuclei.yaml'])('%s validates and starts with the schema modeline', (name) => {
    const text = example(name);
    expect(text.split('\n')[0]).toBe('# yaml-language-server: $schema=../guideline.schema.json');
    const { guideline, errors } = validateGuideline(text, name);
    expect(errors).toEqual([]);
    expect(guideline?.schema_version).toBe(1);
  });

  test('liver-ct carries the rules the radiology team wrote', () => {
    const g = loadGuideline(example('liver-ct.yaml'), 'liver-ct.yaml');
    const liver = g.labels.find((l) => l.name === 'Liver')!;
    const tumour = g.labels.find((l) => l.name === 'Liver tumour')!;
    expect(liver).toMatchObject({ value: 1, required: true, max_components: 1, min_volume_mm3: 800000, max_volume_mm3: 3500000 });
    expect(liver.concept).toEqual({ scheme: 'SCT', code: '10200004', meaning: 'Liver' });
    expect(insideOf(tumour)).toEqual({ label: 'Liver', tolerance_mm: 2 });
    expect(g.checklist?.map((c) => c.when ?? null)).toEqual([null, { label_present: 'Liver tumour' }, { label_absent: 'Liver tumour' }]);
    expect(g.review).toEqual({ min_annotations: 1, audit_rate: 0.1 });
  });

  test('liver-ct-slice (the Label Studio demo\'s guideline) has an overridable error rule and one that is not', () => {
    const g = loadGuideline(example('liver-ct-slice.yaml'), 'liver-ct-slice.yaml');
    expect(g.overrides?.allowed).toBe(true);
    expect(g.overrides?.rules).toContain('components.too_many');
    expect(g.overrides?.rules).not.toContain('containment.outside');
    // An override is offered for errors only: the demo's stray liver island must stay an error.
    expect(g.severity?.['components.too_many'] ?? 'error').toBe('error');
  });

  test('JSON spelling of a guideline validates the same', () => {
    const data = parseYaml(example('liver-ct.yaml'));
    const { guideline, errors } = validateGuideline(JSON.stringify(data, null, 2), 'liver-ct.json');
    expect(errors).toEqual([]);
    expect(guideline).toEqual(data);
  });
});

describe('guideline errors are located and actionable', () => {
  test('a bad colour names the field, the line and the column', () => {
    const text = minimal.replace('    value: 1\n', '    value: 1\n    color: red\n');
    const { guideline, errors } = validateGuideline(text, 'g.yaml');
    expect(guideline).toBeUndefined();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      file: 'g.yaml',
      line: 8,
      column: 12,
      path: 'labels[0].color',
      schemaPath: '#/$defs/label/properties/color/pattern',
    });
    expect(errors[0].message).toContain('labels[0].color must be a colour like #ff0000');
  });

  test('an unknown field suggests the right one and points at the key', () => {
    const text = minimal.replace('    value: 1\n', '    value: 1\n    min_volume: 20\n');
    const { errors } = validateGuideline(text, 'g.yaml');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ line: 8, column: 5, path: 'labels[0].min_volume', schemaPath: '#/$defs/label/additionalProperties' });
    expect(errors[0].message).toBe("unknown field 'min_volume' in label 'Liver' — did you mean min_volume_mm3?");
  });

  test('every problem is reported, in file order', () => {
    const text = `schema_version: 2
id: liver-ct
version: "1.0"
title: Liver
labels:
  - name: Liver
    value: 0
  - value: 3
`;
    const { errors } = validateGuideline(text, 'g.yaml');
    expect(errors.map((e) => [e.line, e.column, e.path])).toEqual([
      [1, 17, 'schema_version'],
      [3, 10, 'version'],
      [7, 12, 'labels[0].value'],
      [8, 5, 'labels[1]'],
    ]);
    expect(errors[3].message).toContain("needs the field 'name'");
    expect(errors[2].message).toBe('labels[0].value must be at least 1 (found 0)');
  });

  test('an unquoted version is explained', () => {
    const { errors } = validateGuideline(minimal.replace('1.0.0', '1.0'), 'g.yaml');
    expect(errors[0].message).toMatch(/semantic version.*put it in quotes/);
  });

  test('inside and when accept their two forms and explain a wrong one', () => {
    const ok = `${minimal}  - name: Tumour
    value: 2
    inside: Liver
checklist:
  - id: a
    prompt: Tumour checked
    when: { label_present: Tumour }
`;
    expect(validateGuideline(ok, 'g.yaml').errors).toEqual([]);
    const bad = ok.replace('inside: Liver', 'inside: 5').replace('{ label_present: Tumour }', '{ label_here: Tumour }');
    const { errors } = validateGuideline(bad, 'g.yaml');
    expect(errors.map((e) => e.path)).toEqual(['labels[1].inside', 'checklist[0].when']);
    expect(errors[0].message).toContain('a label name, or { label: <name>, tolerance_mm: <mm> }');
    const typo = ok.replace('inside: Liver', 'inside: { label: Liver, tol: 2 }');
    const e2 = validateGuideline(typo, 'g.yaml').errors;
    expect(e2).toHaveLength(1);
    expect(e2[0].message).toContain("unknown field 'tol'");
    expect(e2[0].message).toContain('did you mean tolerance_mm?');
  });

  test('an unknown rule in the severity map suggests the rule code', () => {
    const { errors } = validateGuideline(`${minimal}severity:\n  components.too_mny: warning\n`, 'g.yaml');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ line: 9, column: 3 });
    expect(errors[0].message).toContain('did you mean components.too_many?');
  });

  test('YAML syntax errors carry line and column', () => {
    const { errors } = validateGuideline('id: [unclosed\ntitle: x\n', 'g.yaml');
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0].schemaPath).toBe('syntax');
    expect(errors[0].line).toBeGreaterThanOrEqual(1);
    expect(errors[0].message).toMatch(/^cannot read the file/);
  });

  test('JSON errors are located too', () => {
    const text = '{\n  "schema_version": 1,\n  "id": "x",\n  "version": "1.0.0",\n  "title": "t",\n  "labels": [{"name": "A", "value": 1, "colour": "#ff0000"}]\n}\n';
    const { errors } = validateGuideline(text, 'g.json');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ line: 6, column: 40, path: 'labels[0].colour' });
    expect(errors[0].message).toContain('did you mean color?');
  });
});

describe('cross-field checks', () => {
  const base = `schema_version: 1
id: t
version: 1.0.0
title: t
labels:
  - name: Liver
    value: 1
    min_volume_mm3: 10
    max_volume_mm3: 5
  - name: liver
    value: 1
    inside: Livr
    exclusive_with: [Spleen]
checklist:
  - id: a
    prompt: p
    when: { label_absent: Tumor }
agreement:
  - label: Tumour
    dice_min: 0.8
`;
  test('duplicate names and values, unknown references and min > max are all reported with positions', () => {
    const { guideline, errors } = validateGuideline(base, 'g.yaml');
    expect(guideline).toBeUndefined();
    expect(errors.every((e) => e.schemaPath === 'cross-field')).toBe(true);
    const byPath = Object.fromEntries(errors.map((e) => [e.path, e]));
    expect(byPath['labels[0].min_volume_mm3'].message).toContain('larger than max_volume_mm3');
    expect(byPath['labels[0].min_volume_mm3'].line).toBe(8);
    expect(byPath['labels[1].name'].message).toContain('used twice');
    expect(byPath['labels[1].value'].message).toContain('already used');
    expect(byPath['labels[1].inside'].message).toContain("did you mean Liver?");
    expect(byPath['labels[1].inside']).toMatchObject({ line: 12, column: 13 });
    expect(byPath['labels[1].exclusive_with[0]'].message).toContain("'Spleen', which is not a label");
    expect(byPath['checklist[0].when.label_absent'].line).toBe(17);
    expect(byPath['agreement[0].label'].message).toContain("'Tumour'");
  });

  test('loadGuideline throws guideline.invalid listing every problem', () => {
    let err: unknown;
    try {
      parseGuideline(base, 'g.yaml');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SegqcError);
    expect((err as SegqcError).code).toBe('guideline.invalid');
    expect((err as SegqcError).file).toBe('g.yaml');
    expect((err as SegqcError).detail).toContain('g.yaml:8:');
    expect((err as SegqcError).detail.split('\n').length).toBeGreaterThan(5);
  });

  test('an inside cycle is reported', () => {
    const text = `${minimal}    inside: B
  - name: B
    value: 2
    inside: Liver
`;
    const { errors } = validateGuideline(text, 'g.yaml');
    expect(errors.some((e) => e.message.includes('cycle'))).toBe(true);
  });
});

describe('segqc.yaml', () => {
  const cfg = `# yaml-language-server: $schema=guidelines/segqc-config.schema.json
guideline: guidelines/liver-ct.yaml
sources:
  - format: nifti
    path: "labels/rater1/*.nii.gz"
    images: "images/{id}_0000.nii.gz"
    annotator: rater1
  - format: labelstudio
    path: export/*.json
    spacing: pixel_spacing
reference:
  format: nifti
  path: "gold/*.nii.gz"
gate:
  fail-on: warning
`;
  test('parses with defaults', () => {
    const c = parseConfig(cfg, 'segqc.yaml');
    expect(c.guideline).toBe('guidelines/liver-ct.yaml');
    expect(c.sources).toHaveLength(2);
    expect(c.sources[0]).toEqual({ format: 'nifti', path: 'labels/rater1/*.nii.gz', images: 'images/{id}_0000.nii.gz', annotator: 'rater1' });
    expect(c.reference).toEqual({ format: 'nifti', path: 'gold/*.nii.gz' });
    expect(c.gate.fail_on).toBe('warning');
    const d = parseConfig('guideline: g.yaml\nsources:\n  - { format: png, path: "m/*.png" }\n', 'segqc.yaml');
    expect(d.gate.fail_on).toBe('error');
    expect(d.reference).toBeNull();
  });

  test('errors are located and suggest fixes', () => {
    const bad = cfg.replace('format: labelstudio', 'format: label-studio').replace('fail-on: warning', 'fail_on: warning');
    const { config, errors } = validateConfig(bad, 'segqc.yaml');
    expect(config).toBeUndefined();
    expect(errors.map((e) => [e.line, e.column, e.path])).toEqual([
      [8, 13, 'sources[1].format'],
      [15, 3, 'gate.fail_on'],
    ]);
    expect(errors[0].message).toContain('did you mean labelstudio?');
    expect(errors[1].message).toContain('did you mean fail-on?');
    expect(() => parseConfig(bad, 'segqc.yaml')).toThrow(SegqcError);
    try {
      parseConfig(bad, 'segqc.yaml');
    } catch (e) {
      expect((e as SegqcError).code).toBe('config.invalid');
    }
  });
});

describe('YAML aliases', () => {
  const bad = (name: string) => readFileSync(`test/fixtures/bad-input/${name}`, 'utf8');
  const thrown = (fn: () => unknown): SegqcError => {
    try {
      fn();
    } catch (e) {
      expect(e).toBeInstanceOf(SegqcError);
      return e as SegqcError;
    }
    throw new Error('no error thrown');
  };
  const selfAlias = 'cannot read the file: the alias *a refers to the node anchored &a that contains it (a recursive structure)';

  // The timeout is a backstop: resolving these aliases took 94 s before they were refused up front.
  test('a self-referencing alias in segqc.yaml is refused before it is resolved', { timeout: 5000 }, () => {
    const text = bad('yaml_segqc_selfalias_1000.yaml');
    expect(text.match(/\*a/g)).toHaveLength(1000);
    const { config, errors } = validateConfig(text, 'segqc.yaml');
    expect(config).toBeUndefined();
    expect(errors).toEqual([{ file: 'segqc.yaml', line: 1, column: 8, path: '', schemaPath: 'syntax', message: selfAlias }]);
    const e = thrown(() => parseConfig(text, 'segqc.yaml'));
    expect(e.code).toBe('config.invalid');
    expect(e.file).toBe('segqc.yaml');
    expect(e.detail).toContain(selfAlias);
  });

  test('a self-referencing alias in a guideline is refused before it is resolved', { timeout: 5000 }, () => {
    const text = bad('yaml_guideline_selfalias_300.yaml');
    const line = text.split('\n').findIndex((l) => l.startsWith('a: &a [*a')) + 1;
    expect(line).toBeGreaterThan(0);
    expect(text).toContain('labels:');
    const { guideline, errors } = validateGuideline(text, 'g.yaml');
    expect(guideline).toBeUndefined();
    expect(errors.map((x) => [x.line, x.column, x.message])).toEqual([[line, 8, selfAlias]]);
    const e = thrown(() => loadGuideline(text, 'g.yaml'));
    expect(e.code).toBe('guideline.invalid');
    expect(e.detail).toContain(selfAlias);
  });

  test('an alias nested deeper in its own anchor, or in a key, is refused too', () => {
    const deep = validateConfig('a: &x {b: [1, {c: *x}]}\n', 'segqc.yaml');
    expect(deep.errors.map((e) => [e.line, e.column, e.message])).toEqual([
      [1, 19, 'cannot read the file: the alias *x refers to the node anchored &x that contains it (a recursive structure)'],
    ]);
    const key = validateConfig('? &k [*k]\n: 1\n', 'segqc.yaml');
    expect(key.errors.map((e) => e.message)).toEqual([
      'cannot read the file: the alias *k refers to the node anchored &k that contains it (a recursive structure)',
    ]);
  });

  test('aliases that do not refer to an enclosing node still work', () => {
    const text = `schema_version: 1
id: liver-ct
version: 1.0.0
title: &t Liver
labels:
  - {name: *t, value: 1, color: &red "#ff0000"}
  - {name: Tumour, value: 2, color: *red, inside: *t}
`;
    const g = loadGuideline(text, 'g.yaml');
    expect(g.labels.map((l) => [l.name, l.value, l.color, l.inside ?? null])).toEqual([
      ['Liver', 1, '#ff0000', null],
      ['Tumour', 2, '#ff0000', 'Liver'],
    ]);
    // An anchor name reused inside a node refers to the inner node, which does not contain the alias.
    expect(validateConfig('guideline: &g g.yaml\nsources: &s [{format: png, path: &g "m/*.png", annotator: *g}]\n', 'segqc.yaml').errors).toEqual([]);
  });

  test('more than 1000 aliases are refused', () => {
    // The yaml library itself refuses too many uses of one anchor, so the aliases refer to 21 anchors.
    const config = (n: number) => {
      const lists = Array.from({ length: Math.ceil(n / 50) }, (_, a) => `  - [&v${a} ${a}, ${Array(Math.min(50, n - 50 * a)).fill(`*v${a}`).join(', ')}]\n`);
      return `guideline: g.yaml\nsources:\n  - {format: png, path: "m/*.png"}\nx:\n${lists.join('')}`;
    };
    const over = validateConfig(config(1001), 'segqc.yaml').errors;
    expect(over.map((e) => [e.line, e.column, e.message])).toEqual([[25, 15, 'cannot read the file: more than 1000 aliases (*name); write the values out']]);
    const at = validateConfig(config(1000), 'segqc.yaml').errors;
    expect(at.map((e) => e.message)).toEqual([expect.stringContaining("unknown field 'x'")]);
  });
});
