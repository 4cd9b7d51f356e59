/**
 * The comment leads to a decision: blocking findings un-folded, only the labels that changed, grouped by who changed
 * them, links to the files at the head commit and to the review page, and the command that reproduces the run.
 */
import { describe, expect, it } from 'vitest';
import type { Finding } from '../shared/rules/types.js';
import type { DatasetDiff, ItemDiff, LabelDiff } from '../shared/report/diff.js';
import { labelChanged } from '../shared/report/diff.js';
import { changeGroups } from '../shared/report/change-groups.js';
import { decisionOf, reproduceCommand, shellWord } from '../shared/report/decision.js';
import { itemAnchor, renderDiffMarkdown, type DiffView } from '../shared/report/render-diff.js';
import { renderCheckMarkdown } from '../shared/report/render-check.js';
import type { DatasetReport } from '../shared/report/types.js';

const BASE = 'a'.repeat(40);
const HEAD = 'b'.repeat(40);
const ann = { name: 'Ann Rater', email: 'ann@example.com' };
const bot = { name: 'Data Bot', email: 'bot@example.com' };

/** A label row: unchanged unless `change` moves the head volume (Dice 1 only for identical masks). */
function label(annotation: string, name: string, over: Partial<LabelDiff> = {}): LabelDiff {
  return {
    annotation,
    annotator: null,
    file: annotation,
    label: name,
    volume_base: 100,
    volume_head: 100,
    volume_change_pct: 0,
    components_base: 1,
    components_head: 1,
    dice: 1,
    nsd: 1,
    hd95: 0,
    ...over,
  };
}
const grown = (annotation: string, name: string, over: Partial<LabelDiff> = {}) =>
  label(annotation, name, { volume_head: 120, volume_change_pct: 20, dice: 0.9, nsd: 0.95, hd95: 2, ...over });

function finding(item: string, over: Partial<Finding> = {}): Finding {
  return { item, annotation: null, annotator: null, label: 'Liver', rule: 'volume.below_min', severity: 'error', message: `${item} is too small`, value: 1, limit: 2, location: null, ...over };
}

function item(id: string, labels: LabelDiff[], over: Partial<ItemDiff> = {}): ItemDiff {
  return { id, status: 'modified', labels, findings_added: [], findings_resolved: [], agreement: [], ...over };
}

const totals = { items: 0, annotations: 0, errors: 0, warnings: 0, infos: 0, by_rule: {}, items_without_annotations: 0, annotations_without_images: 0 };
const diffOf = (items: ItemDiff[]): DatasetDiff => ({ base_sha: BASE, head_sha: HEAD, tolerance_mm: 2, items, totals: { base: totals, head: totals } });

describe('labelChanged', () => {
  it('an identical mask is unchanged; a moved, resized, split, added or removed one is changed', () => {
    expect(labelChanged(label('a', 'Liver'))).toBe(false);
    // Same volume and pieces, but the boundary moved.
    expect(labelChanged(label('a', 'Liver', { dice: 0.8 }))).toBe(true);
    expect(labelChanged(label('a', 'Liver', { volume_head: 101 }))).toBe(true);
    expect(labelChanged(label('a', 'Liver', { components_head: 2 }))).toBe(true);
    expect(labelChanged(label('a', 'Liver', { volume_base: null, components_base: null, dice: null }))).toBe(true);
    // A grid change leaves no Dice: counted as changed.
    expect(labelChanged(label('a', 'Liver', { dice: null }))).toBe(true);
  });
});

describe('changed items grouped by who changed them', () => {
  // case1: rater ann changed Liver (committed by herself, the email matches) and left Spleen alone; rater bob's
  // annotation of the same item is untouched. case2: ann's Liver, committed by a bot. case3: only a finding resolved.
  const items = [
    item('case1', [
      grown('ann/case1.nii.gz', 'Liver', { annotator: 'ann@example.com', committed_by: [ann] }),
      label('ann/case1.nii.gz', 'Spleen', { annotator: 'ann@example.com', committed_by: [ann] }),
      label('bob/case1.nii.gz', 'Liver', { annotator: 'bob' }),
      label('bob/case1.nii.gz', 'Spleen', { annotator: 'bob' }),
    ]),
    item('case2', [grown('ann/case2.nii.gz', 'Liver', { annotator: 'ann@example.com', committed_by: [ann, bot], dice: 0.5 })], { findings_added: [finding('case2')] }),
    item('case3', [label('ann/case3.nii.gz', 'Liver', { annotator: 'ann@example.com' })], { findings_resolved: [finding('case3')] }),
    item('case4', [label('ann/case4.nii.gz', 'Liver', { annotator: 'ann@example.com' })]),
  ];

  it('groups by annotator and the git authors who are someone else; unchanged labels and annotations are counted', () => {
    const { groups, unchanged } = changeGroups(items);
    const shape = groups.map((g) => ({ annotator: g.annotator, committers: g.committers.map((c) => c.name), rows: g.rows.map((r) => [r.item.id, r.labels.map((l) => l.label)]) }));
    // case2 is worst (a new error): its group comes first. The bot committed it, so it is its own group.
    expect(shape).toEqual([
      { annotator: 'ann@example.com', committers: ['Data Bot'], rows: [['case2', ['Liver']]] },
      { annotator: 'ann@example.com', committers: [], rows: [['case1', ['Liver']]] },
      { annotator: null, committers: [], rows: [['case3', []]] },
    ]);
    // Unchanged: case1's Spleen of ann, bob's two labels, case3's and case4's Liver; bob's, case3's and case4's annotations whole.
    expect(unchanged).toEqual({ labels: 5, annotations: 3 });
  });

  it('the comment lists only the changed labels, under who changed them, with links to the head commit', () => {
    const v: DiffView = {
      diff: diffOf(items),
      verdict: 'fail',
      failOn: 'error',
      guideline: { id: 'g', version: '1', path: 'g.yaml' },
      auditSample: [],
      runUrl: null,
      guidelineChange: null,
      dataset: 'ct data/segqc.yaml',
      links: { server: 'https://github.example', repository: 'acme/ct' },
    };
    const md = renderDiffMarkdown(v);
    const table = md.slice(md.indexOf('### Changed items'));
    // An email's @ is defused (no mention), as everything from the dataset is escaped.
    expect(table).toContain('**ann@\u200bexample.com · committed by Data Bot**');
    expect(table).toContain('**ann@\u200bexample.com**\n');
    expect(table).toContain('**annotator not recorded**');
    // The file at the head commit, under the dataset's directory, each path segment encoded.
    expect(table).toContain(`| [case1](https://github.example/acme/ct/blob/${HEAD}/ct%20data/ann/case1.nii.gz) | Liver | 100 → 120 (+20.0%) |`);
    expect(table).toContain('| case3 | no mask changed |');
    // Unchanged labels are not rows: Spleen appears nowhere, bob nowhere, case4 nowhere.
    expect(table).not.toMatch(/Spleen|bob|case4/);
    expect(table).toContain('Not listed: 5 labels of the touched items that did not change, 3 annotations of them unchanged throughout.');
  });
});

describe('the decision: blocking findings first and un-folded', () => {
  const errors = Array.from({ length: 12 }, (_, i) =>
    finding(`case${String(i).padStart(2, '0')}`, { annotator: i % 2 ? 'bob' : 'ann', location: { file: `labels/case${i}.nii.gz` } }),
  );
  const warning = finding('case00', { severity: 'warning', rule: 'components.too_many', message: 'two pieces' });
  const preexisting = finding('old', { message: 'already wrong on the base' });
  const items = errors.map((f) => item(f.item, [grown(`labels/${f.item}.nii.gz`, 'Liver')], { findings_added: [f] }));
  items[0].findings_added.push(warning);
  const view = (over: Partial<DiffView> = {}): DiffView => ({
    diff: diffOf(items),
    verdict: 'fail',
    failOn: 'error',
    guideline: { id: 'g', version: '1', path: 'g.yaml' },
    auditSample: [],
    runUrl: 'https://github.example/acme/ct/actions/runs/9',
    guidelineChange: null,
    findings: [...errors, warning, preexisting],
    links: { server: 'https://github.example', repository: 'acme/ct' },
    ...over,
  });

  it('blocking: every finding of the checked items the gate counts, new or not; the rest of the new ones fold', () => {
    const d = decisionOf(diffOf(items), 'error', [...errors, warning, preexisting]);
    expect(d.blocking).toHaveLength(13);
    expect(d.blocking.map((f) => f.item)).toContain('old');
    expect(d.otherNew).toEqual([warning]);
    // Under fail-on warning the warning blocks too; under never nothing does.
    expect(decisionOf(diffOf(items), 'warning', [...errors, warning]).blocking).toHaveLength(13);
    expect(decisionOf(diffOf(items), 'never', [...errors, warning]).blocking).toHaveLength(0);
  });

  it('a failing comment shows 10 blocking findings outside any <details>, then a count and the link', () => {
    const md = renderDiffMarkdown(view({ reviewPage: { url: 'https://github.example/acme/ct/actions/runs/9#artifacts', direct: false, name: 'segqc-review.html' } }));
    const start = md.indexOf('### Blocking findings (13)');
    expect(start).toBeGreaterThan(0);
    const firstDetails = md.indexOf('<details');
    const section = md.slice(start, md.indexOf('\n\n', md.indexOf('| item | severity', start)));
    const rows = section.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| item'));
    expect(rows).toHaveLength(10);
    expect(firstDetails < 0 || firstDetails > start + section.length).toBe(true);
    // Annotator and file (linked at the head commit) in each row.
    expect(rows[0]).toBe(`| case00 | error | <code>volume.below_min</code> | ann | [labels/case0.nii.gz](https://github.example/acme/ct/blob/${HEAD}/labels/case0.nii.gz) | case00 is too small |`);
    expect(md).toContain('…and 3 more blocking findings: [the review page](https://github.example/acme/ct/actions/runs/9#artifacts) and the job summary list them all.');
    expect(md).toContain('**To merge: fix the 13 blocking findings below in this pull request (the gate fails on error), then push again.**');
    // The warning is not blocking: folded under its own heading.
    expect(md).toMatch(/<details><summary>Other new findings \(1\)<\/summary>[\s\S]*two pieces[\s\S]*<\/details>/);
    expect(md).toContain('🖼️ **Pictures:** [the review page](https://github.example/acme/ct/actions/runs/9#artifacts) (the <code>segqc-review.html</code> artifact of the workflow run)');
    expect(md).toContain(`**Reproduce locally:** <code>npx segqc diff --base ${BASE} --head ${HEAD}</code>`);
  });

  it("a direct link to the page links each item's section", () => {
    const url = 'https://github.example/acme/ct/actions/runs/9/artifacts/77';
    const md = renderDiffMarkdown(view({ reviewPage: { url, direct: true, name: 'segqc-review.html' } }));
    expect(md).toContain(`[case00](https://github.example/acme/ct/blob/${HEAD}/labels/case00.nii.gz) · [pictures](${url}#item-case00)`);
    expect(itemAnchor('case <1>/é')).toBe('item-case~20~~3c~1~3e~~2f~~e9~');
  });

  it('a passing comment says nothing blocks and what to review', () => {
    const pass = [item('case01', [grown('labels/case01.nii.gz', 'Liver')], { findings_added: [warning] })];
    const md = renderDiffMarkdown({ ...view(), diff: diffOf(pass), verdict: 'pass', findings: [warning] });
    expect(md).toContain('**Nothing blocks the merge: review 1 changed label in 1 item; 1 new finding to weigh (not blocking).**');
    expect(md).not.toContain('### Blocking findings');
    expect(md).toContain('<details><summary>New findings (1)</summary>');
  });
});

describe('the reproduce line', () => {
  const d = diffOf([]);
  it('the dataset directory and config name when not segqc.yaml at the top; gates when not the defaults', () => {
    expect(reproduceCommand(d, { dataset: null, failOn: 'error' })).toBe(`npx segqc diff --base ${BASE} --head ${HEAD}`);
    expect(reproduceCommand(d, { dataset: 'data/segqc.yaml', failOn: 'error' })).toBe(`npx segqc diff --base ${BASE} --head ${HEAD} data`);
    expect(reproduceCommand(d, { dataset: 'ct scans/qc.yaml', failOn: 'warning' })).toBe(`npx segqc diff --base ${BASE} --head ${HEAD} --config qc.yaml --fail-on warning 'ct scans'`);
    expect(reproduceCommand({ ...d, head_sha: 'working tree' }, { failOn: 'error' })).toBeNull();
    expect(shellWord("it's $HOME")).toBe(`'it'\\''s $HOME'`);
  });
});

describe('segqc check --markdown: annotator and file columns', () => {
  it("two raters' identical findings on one item are two distinguishable rows", () => {
    const f = (annotator: string, file: string) => finding('case1', { annotator, location: { file } });
    const report: DatasetReport = {
      schema_version: 1,
      tool: { name: 'segqc', version: '0' },
      guideline: { id: 'g', version: '1', sha256: '0'.repeat(64), path: 'g.yaml' },
      config: { path: 'segqc.yaml', fail_on: 'error' },
      brush_alpha_threshold: 128,
      items: [{ id: 'case1', files: ['r1/case1.nii.gz', 'r2/case1.nii.gz'], annotations: [], findings: [f('r1', 'r1/case1.nii.gz'), f('r2', 'r2/case1.nii.gz')], agreement: [] }],
      annotators: [],
      totals: { ...totals, items: 1, errors: 2 },
      audit_sample: [],
      verdict: 'fail',
    };
    const rows = renderCheckMarkdown(report).split('\n').filter((l) => l.startsWith('| case1 |') && l.includes('volume.below_min'));
    expect(rows).toEqual([
      '| case1 | r1 | r1/case1.nii.gz | error | <code>volume.below_min</code> | case1 is too small |',
      '| case1 | r2 | r2/case1.nii.gz | error | <code>volume.below_min</code> | case1 is too small |',
    ]);
  });
});
