import { describe, expect, it } from 'vitest';
import { escapeHtml, escapeMarkdown, markdownCode, neutralize } from '../shared/report/escape.js';
import { renderCheckMarkdown, renderCheckTerminal } from '../shared/report/render-check.js';
import { renderDiffMarkdown } from '../shared/report/render-diff.js';
import type { DatasetReport } from '../shared/report/types.js';
import type { DatasetDiff } from '../shared/report/diff.js';
import type { Finding } from '../shared/rules/types.js';
import { inert } from '../action/src/publish.js';

describe('escaping dataset text for Markdown and HTML', () => {
  it('neutralises HTML, tables, links, mentions and newlines', () => {
    const evil = '<img src=x onerror=alert(1)>|[click](http://x) @octocat #12\n# heading `code`';
    const md = escapeMarkdown(evil);
    expect(md).not.toMatch(/<img/);
    expect(md).toContain('&lt;img');
    expect(md).not.toMatch(/(^|[^\\])\|/);
    expect(md).toContain('\\[click\\]\\(http://x\\)');
    expect(md).not.toMatch(/@octocat/);
    expect(md).not.toContain('\n');
    expect(md).toContain('\\`code\\`');
  });
  it('inline code cannot be broken out of', () => {
    const c = markdownCode('a`|</code><script>');
    expect(c.startsWith('<code>') && c.endsWith('</code>')).toBe(true);
    expect(c.slice(6, -7)).not.toMatch(/[<>|]/);
  });
  it('escapes attribute quotes', () => {
    expect(escapeHtml(`"'&`)).toBe('&quot;&#39;&amp;');
  });
});

/** Characters no rendering of dataset text may carry: C0 (newline included), DEL, C1, line separators, bidi formatting. */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const UNSAFE_BUT_NEWLINE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

describe('neutralize', () => {
  it('shows control and bidirectional formatting characters as visible escapes', () => {
    expect(neutralize('a\nb\r\tc\x1b[31md\x7f\x00')).toBe('a␊b␍␉c␛[31md␡␀');
    expect(neutralize('x\u0085\u009by')).toBe('x\\u{85}\\u{9B}y');
    expect(neutralize('\u202Aa\u202Bb\u202Cc\u202Dd\u202Ee\u2066f\u2067g\u2068h\u2069i\u200Ej\u200Fk\u061Cl\u2028m\u2029')).toBe(
      '\\u{202A}a\\u{202B}b\\u{202C}c\\u{202D}d\\u{202E}e\\u{2066}f\\u{2067}g\\u{2068}h\\u{2069}i\\u{200E}j\\u{200F}k\\u{61C}l\\u{2028}m\\u{2029}',
    );
  });
  it('leaves ordinary text alone, is idempotent, and keeps newlines only when asked', () => {
    const plain = 'Leber (ä) 肝臓 كبد ✓ 🫀 — "quotes" <b>';
    expect(neutralize(plain)).toBe(plain);
    const once = neutralize('a\u202Eb\nc');
    expect(neutralize(once)).toBe(once);
    expect(neutralize('one\ntwo\r\n\u202Ethree', { keepNewlines: true })).toBe('one\ntwo␍\n\\u{202E}three');
  });
  it('is applied by the HTML and Markdown escapes', () => {
    expect(escapeHtml('a\u202Eb\nc')).toBe('a\\u{202E}b␊c');
    expect(escapeMarkdown('a\u202Eb\nc')).toBe('a\\\\u\\{202E\\}b␊c');
    expect(markdownCode('a\u2066b\nc')).toBe('<code>a\\u{2066}b␊c</code>');
  });
});

describe('reports neutralize text from the dataset', () => {
  const evilItem = 'case1\n  error   label.unknown              forged finding';
  const evilLabel = 'Liver\u202Egpj.exe\n## forged heading';
  const evilAnnotator = 'rater\u2066one\u2069\x1b[2J';
  const finding = (over: Partial<Finding> = {}): Finding => ({
    item: evilItem,
    annotation: 'labels/rater1/case1.nii.gz',
    annotator: evilAnnotator,
    label: evilLabel,
    rule: 'label.unknown',
    severity: 'error',
    message: `label '${evilLabel}' is not in the guideline`,
    value: null,
    limit: null,
    location: null,
    ...over,
  });
  const report: DatasetReport = {
    schema_version: 1,
    tool: { name: 'segqc', version: '0.1.0' },
    guideline: { id: 'liver\u202Ect', version: '1.0\n0', sha256: '0'.repeat(64), path: 'guidelines/\u202Eliver.yaml' },
    config: { path: 'segqc.yaml', fail_on: 'error' },
    brush_alpha_threshold: 128,
    items: [
      {
        id: evilItem,
        files: ['labels/rater1/case1\n.nii.gz'],
        annotations: [{ id: null, annotator: evilAnnotator, source: 'labels/rater1/case1.nii.gz', labels: [{ label: evilLabel, value: 9, volume: 12, units: 'mm3', voxels: 12, components: 1 }] }],
        findings: [finding()],
        agreement: [],
      },
    ],
    annotators: [{ annotator: evilAnnotator, items: 1, findings: { 'label.unknown': 1 }, mean_dice_vs_others: null, mean_dice_vs_reference: null }],
    totals: { items: 1, annotations: 1, errors: 1, warnings: 0, infos: 0, by_rule: { 'label.unknown': 1 }, items_without_annotations: 0, annotations_without_images: 0 },
    audit_sample: [evilItem],
    verdict: 'fail',
  };

  it('terminal: one line per finding, no control or bidi character from the dataset', () => {
    const text = renderCheckTerminal(report);
    expect(text).not.toMatch(UNSAFE_BUT_NEWLINE);
    const lines = text.split('\n');
    expect(lines.filter((l) => /^\s*error/.test(l))).toEqual([
      `  error   label.unknown               label 'Liver\\u{202E}gpj.exe␊## forged heading' is not in the guideline [rater\\u{2066}one\\u{2069}␛[2J]`,
    ]);
    expect(lines.filter((l) => l.includes('forged finding'))).toEqual([
      'case1␊  error   label.unknown              forged finding',
      'audit sample for senior review: case1␊  error   label.unknown              forged finding',
    ]);
    expect(lines[0]).toBe('segqc 0.1.0 — guideline liver\\u{202E}ct 1.0␊0 (guidelines/\\u{202E}liver.yaml)');
  });

  it('Markdown check report: table rows stay rows, no control or bidi character', () => {
    const md = renderCheckMarkdown(report);
    expect(md).not.toMatch(UNSAFE_BUT_NEWLINE);
    const forged = md.split('\n').filter((l) => l.includes('forged'));
    expect(forged).toHaveLength(3);
    for (const l of forged) expect(l).toMatch(/^(\| .* \||\*\*Audit sample for senior review:\*\* .*)$/);
    expect(md).not.toMatch(/^#+ forged/m);
    expect(md).toContain('Liver\\\\u\\{202E\\}gpj.exe␊\\#\\# forged heading');
    expect(md).toContain('rater\\\\u\\{2066\\}one\\\\u\\{2069\\}␛\\[2J');
  });

  it('Markdown pull-request comment: no control or bidi character, no forged heading', () => {
    const diff: DatasetDiff = {
      base_sha: 'a'.repeat(40),
      head_sha: 'b'.repeat(40),
      tolerance_mm: 2,
      items: [
        {
          id: evilItem,
          status: 'modified',
          labels: [{ annotation: 'x/\u202Ey.nii.gz', label: evilLabel, volume_base: 1, volume_head: 2, volume_change_pct: 100, components_base: 1, components_head: 1, dice: 0.5, nsd: 0.5, hd95: 1 }],
          findings_added: [finding()],
          findings_resolved: [finding({ severity: 'warning', message: 'resolved\r\n| forged | row |' })],
          agreement: [{ label: evilLabel, a: evilAnnotator, b: 'rater\u200F2', dice_base: 0.9, dice_head: 0.8 }],
        },
      ],
      totals: { base: report.totals, head: report.totals },
    };
    const md = renderDiffMarkdown({
      diff,
      verdict: 'fail',
      failOn: 'error',
      guideline: { id: 'liver\u202Ect', version: '1\n0', path: 'g.yaml' },
      auditSample: [evilItem],
      runUrl: null,
      guidelineChange: null,
      note: 'shard\u2067 1/2\n## forged',
    });
    expect(md).not.toMatch(UNSAFE_BUT_NEWLINE);
    expect(md).not.toMatch(/^#+ forged/m);
    expect(md).not.toMatch(/^\| forged/m);
    expect(md).toContain('resolved␍␊\\| forged \\| row \\|');
    expect(md).toContain('rater\\\\u\\{200F\\}2');
  });

  it('the Action log lines are neutralized too', () => {
    expect(inert('a\u202Eb\x1b[0m\n::warning::x')).toBe('a\\u{202E}b␛[0m :\u200b:warning:\u200b:x');
    expect(UNSAFE.test(inert(`${evilItem}${evilLabel}${evilAnnotator}`))).toBe(false);
  });
});
