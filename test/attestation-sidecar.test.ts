import { describe, expect, test } from 'vitest';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { jsonSyntaxError, parseJsonText } from '../shared/formats/json-syntax.js';
import { memoryTree } from '../shared/dataset/tree.js';
import { loadDatasetContext } from '../shared/dataset/context.js';
import { checkDataset } from '../shared/dataset/check.js';
import type { Finding } from '../shared/rules/types.js';
import { expectNoInternalError } from './no-internal.js';

const example = join(__dirname, '..', 'examples', 'liver-ct');
const listFiles = (dir: string): string[] =>
  readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? listFiles(join(dir, n)) : [join(dir, n)]));

/** liver-ct in memory, with some files replaced (a string) or removed (null). */
function liver(changes: Record<string, string | null> = {}) {
  const files: Record<string, Uint8Array | string> = {};
  for (const f of listFiles(example)) files[relative(example, f)] = new Uint8Array(readFileSync(f));
  for (const [k, v] of Object.entries(changes)) {
    if (v === null) delete files[k];
    else files[k] = v;
  }
  const tree = memoryTree(files, 'working tree');
  const ctx = loadDatasetContext(tree);
  const report = checkDataset(tree, ctx.config, ctx.guideline, { toolVersion: 't', configPath: ctx.configPath, guidelinePath: ctx.guidelinePath });
  expectNoInternalError(report);
  return report;
}

const SIDE = 'labels/rater1/ct_001.segqc.json';
const committed = JSON.parse(readFileSync(join(example, SIDE), 'utf8'));
const findingsOf = (r: ReturnType<typeof liver>, item: string, annotator: string): Finding[] =>
  r.items.find((i) => i.id === item)!.findings.filter((f) => f.annotator === annotator);

describe('JSON syntax errors', () => {
  test('name the line and column (1-based) and what was expected and found', () => {
    // Line 3 is `  "version": "1.2.0"` with the comma missing: the error is the quote opening line 4, column 3.
    const text = '{\n  "schema": "x",\n  "version": "1.2.0"\n  "answers": {}\n}\n';
    const r = parseJsonText(text);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error).toEqual({ offset: text.indexOf('"answers"'), line: 4, column: 3, expected: 'comma_or_object_end', found: '"' });
  });
  test('each kind of mistake', () => {
    const at = (t: string) => {
      const e = jsonSyntaxError(t);
      return e && [e.line, e.column, e.expected, e.found];
    };
    expect(at('')).toEqual([1, 1, 'value', null]);
    expect(at('{"a": 1,}')).toEqual([1, 9, 'property_name', '}']);
    expect(at('{"a" 1}')).toEqual([1, 6, 'colon', '1']);
    expect(at('[1, 2\n\n  3]')).toEqual([3, 3, 'comma_or_array_end', '3']);
    expect(at('{"a": "b}')).toEqual([1, 10, 'string_end', null]);
    expect(at('{"a": "b\nc"}')).toEqual([1, 9, 'string_end', '\n']);
    expect(at('{"a": "\\x"}')).toEqual([1, 9, 'escape', 'x']);
    expect(at('{"a": "\\u12g4"}')).toEqual([1, 12, 'hex_digit', 'g']);
    expect(at('{"a": 01}')).toEqual([1, 8, 'comma_or_object_end', '1']);
    expect(at('{"a": 1.}')).toEqual([1, 9, 'digit', '}']);
    expect(at('{"a": -}')).toEqual([1, 8, 'digit', '}']);
    expect(at('{"a": tru}')).toEqual([1, 7, 'value', 't']);
    expect(at("{'a': 1}")).toEqual([1, 2, 'property_name', "'"]);
    expect(at('{} {}')).toEqual([1, 4, 'end_of_text', '{']);
    // Columns count characters: an emoji (two UTF-16 units) is one column; CRLF is one line break.
    expect(at('{"😀": 1 2}')).toEqual([1, 9, 'comma_or_object_end', '2']);
    expect(at('{\r\n"a": 1\r\n,}')).toEqual([3, 2, 'property_name', '}']);
    // A byte order mark is not part of the text; deep nesting is no problem for the scanner.
    expect(parseJsonText('\ufeff{"a": 1}')).toEqual({ ok: true, value: { a: 1 } });
    expect(at('['.repeat(100_000) + ']'.repeat(99_999))).toEqual([1, 200_000, 'comma_or_array_end', null]);
  });
  test('the scanner agrees with JSON.parse on what is JSON, over 20,000 seeded mutations of a sidecar', () => {
    const seedText = JSON.stringify({ ...committed, findings: [{ rule: 'slices.gap', severity: 'warning', label: 'Liver', message: 'a "quoted" \\ é\u2028' }], n: [-1.5e3, 0, 2E-2, true, false, null] }, null, 2);
    const alphabet = '{}[]",:0123456789-+.eE \n\tabcfnrtu\\/\u0001é';
    let seed = 12345;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    let invalid = 0;
    for (let k = 0; k < 20_000; k++) {
      let t = seedText;
      for (let m = 1 + rnd(3); m > 0; m--) {
        const i = rnd(t.length + 1);
        const op = rnd(3);
        const c = alphabet[rnd(alphabet.length)];
        t = op === 0 ? t.slice(0, i) + t.slice(i + 1) : op === 1 ? t.slice(0, i) + c + t.slice(i) : t.slice(0, i) + c + t.slice(i + 1);
      }
      let parses = true;
      try {
        JSON.parse(t);
      } catch {
        parses = false;
      }
      if (!parses) invalid++;
      expect(jsonSyntaxError(t) === null, t).toBe(parses);
    }
    expect(invalid).toBeGreaterThan(5_000);
  });
});

describe('sidecar attestations in segqc check', () => {
  test('a sidecar that is not JSON: attestation.invalid naming the sidecar, line and column', () => {
    const broken = readFileSync(join(example, SIDE), 'utf8').replace('"1.2.0",', '"1.2.0"');
    const r = liver({ [SIDE]: broken });
    const f = findingsOf(r, 'ct_001', 'rater1').filter((x) => x.rule === 'attestation.invalid');
    expect(f).toHaveLength(1);
    // `"version": "1.2.0"` (inside `"guideline"`) is line 5; `"sha256"` begins line 6 after 4 spaces.
    expect(f[0].message).toBe(
      `The attestation ${SIDE} is not valid JSON: line 6, column 5: expected ',' or '}' after the property value, found '"'`,
    );
    expect(f[0].location).toEqual({ file: SIDE });
    expect(f[0].value).toBe('6:5');
    expect(f[0].severity).toBe('error');
  });
  test('an empty sidecar, and one of the wrong shape, are named too', () => {
    const empty = findingsOf(liver({ [SIDE]: '' }), 'ct_001', 'rater1').find((x) => x.rule === 'attestation.invalid')!;
    expect(empty.message).toBe(`The attestation ${SIDE} is not valid JSON: line 1, column 1: expected a JSON value, found the end of the text`);
    const shape = findingsOf(liver({ [SIDE]: '{"schema": "segqc-attestation/1"}' }), 'ct_001', 'rater1').find((x) => x.rule === 'attestation.invalid')!;
    expect(shape.message).toMatch(new RegExp(`^The attestation ${SIDE} does not follow guidelines/attestation.schema.json: the attestation needs 'guideline'`));
    expect(shape.location).toEqual({ file: SIDE });
  });
  test('an answer id not in the checklist is a finding with the closest id; the real item is then unconfirmed', () => {
    const typo = { ...committed, answers: { vein_excluded: true, margins_reviewed: true, tumour_size_ok: true } };
    const fs = findingsOf(liver({ [SIDE]: JSON.stringify(typo) }), 'ct_001', 'rater1');
    const unknown = fs.filter((x) => x.rule === 'attestation.invalid');
    expect(unknown.map((x) => x.message)).toEqual([
      `The attestation ${SIDE} answers unknown checklist id \`vein_excluded\`; did you mean \`veins_excluded\`?`,
      `The attestation ${SIDE} answers unknown checklist id \`tumour_size_ok\`; the guideline's checklist has no such item`,
    ]);
    expect(unknown.map((x) => x.location)).toEqual([
      { file: SIDE, region: 'vein_excluded' },
      { file: SIDE, region: 'tumour_size_ok' },
    ]);
    const incomplete = fs.filter((x) => x.rule === 'checklist.incomplete');
    expect(incomplete.map((x) => [x.value, x.location])).toEqual([['veins_excluded', { file: SIDE, region: 'veins_excluded' }]]);
  });
  test('a stale attestation names its sidecar and how to attest again; its ids are not judged by the current checklist', () => {
    const stale = { ...committed, guideline: { ...committed.guideline, version: '1.1.0' }, answers: { veins_excluded: true, margins_reviewed: true, old_item: true } };
    const fs = findingsOf(liver({ [SIDE]: JSON.stringify(stale) }), 'ct_001', 'rater1');
    expect(fs.map((x) => x.rule)).toEqual(['attestation.stale_guideline']);
    expect(fs[0].location).toEqual({ file: SIDE });
    expect(fs[0].message).toMatch(/re-check the annotation against the current guideline and attest it again \(`segqc attest --force labels\/rater1\/ct_001.nii.gz`\)$/);
  });
  test('a mask without a sidecar: the findings name the mask and point to segqc attest', () => {
    const fs = findingsOf(liver({ [SIDE]: null }), 'ct_001', 'rater1');
    expect(fs.map((x) => [x.rule, x.location])).toEqual([
      ['attestation.missing', { file: 'labels/rater1/ct_001.nii.gz' }],
      ['checklist.missing', { file: 'labels/rater1/ct_001.nii.gz' }],
    ]);
    expect(fs[0].message).toBe(
      'The annotation has no attestation; the guideline requires one (submit through the segqc Label Studio extension, or write labels/rater1/ct_001.segqc.json with `segqc attest labels/rater1/ct_001.nii.gz`)',
    );
    expect(fs[1].message).toBe(
      'The annotation carries no checklist answers and no attestation; the guideline asks 2 questions: "Portal and hepatic veins excluded from liver", "Tumour margins reviewed on adjacent slices"; run `segqc attest labels/rater1/ct_001.nii.gz` to answer them',
    );
  });
});
