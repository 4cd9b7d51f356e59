/**
 * Pull requests that change the guideline: every item is judged under both guidelines whatever `full` says, the
 * headline leads with the result, `gate.guideline-change` decides whether it fails the gate, and shards add up.
 */
import { describe, expect, it } from 'vitest';
import { memoryTree } from '../shared/dataset/tree.js';
import { loadDatasetContext } from '../shared/dataset/context.js';
import { analyzePullRequest, pullRequestReport, type ChangedFile, type PullRequestAnalysis } from '../shared/dataset/pull-request.js';
import { mergeShardReports } from '../shared/dataset/merge-shards.js';
import { inShard, type Shard } from '../shared/dataset/shard.js';
import { renderDiffMarkdown } from '../shared/report/render-diff.js';
import { decideGuidelineChangeGate, parseGuidelineChangeGate, type GuidelineChangeGate } from '../shared/rules/gate.js';
import type { FailOn } from '../shared/rules/gate.js';
import { encodeNifti } from '../shared/formats/nifti-write.js';
import { axisGeometry } from '../shared/model.js';
import { parsePullRequestReport } from '../action/src/pr-report-file.js';
import { gateFailure } from '../action/src/publish.js';
import { runDiff } from '../cli/commands/diff.js';
import { MemoryGitRepository } from './memory-git.js';

// A 12×12×6 grid of 1×1×2 mm voxels: one voxel is 2 mm³.
const GRID = axisGeometry([12, 12, 6], [1, 1, 2]);
function organ(nx: number): Uint8Array {
  const data = new Uint8Array(12 * 12 * 6);
  for (let k = 1; k < 5; k++) for (let j = 2; j < 8; j++) for (let i = 2; i < 2 + nx; i++) data[i + 12 * (j + 12 * k)] = 1;
  return encodeNifti({ geometry: GRID, data }, { gzip: true });
}
// 6×6×4 voxels = 288 mm³; 7×6×4 = 336 mm³.
const SMALL = organ(6);
const GROWN = organ(7);

const guideline = (version: string, min: number) => `schema_version: 1
id: test-organ
version: ${version}
title: Test organ
labels:
  - name: Organ
    value: 1
    required: true
    min_volume_mm3: ${min}
`;
const config = (gate = '') => `guideline: guideline.yaml
sources:
  - format: nifti
    path: labels/*.nii.gz
${gate}`;

const IDS = ['case01', 'case02', 'case03', 'case04'];
const baseFiles = (gate = ''): Record<string, Uint8Array | string> => ({
  'segqc.yaml': config(gate),
  'guideline.yaml': guideline('1.0.0', 100),
  ...Object.fromEntries(IDS.map((id) => [`labels/${id}.nii.gz`, SMALL])),
});

interface Run {
  head?: Record<string, Uint8Array | string | null>;
  changed: ChangedFile[];
  gate?: GuidelineChangeGate;
  failOn?: FailOn;
  full?: boolean;
  shard?: Shard | null;
  baseGate?: string;
}

function analyze(o: Run): PullRequestAnalysis {
  const files = baseFiles(o.baseGate);
  const headFiles: Record<string, Uint8Array | string> = { ...files };
  for (const [p, c] of Object.entries(o.head ?? {})) {
    if (c === null) delete headFiles[p];
    else headFiles[p] = c;
  }
  const base = memoryTree(files, 'base');
  const context = loadDatasetContext(base, 'segqc.yaml');
  return analyzePullRequest({
    base,
    head: memoryTree(headFiles, 'head'),
    baseSha: 'a'.repeat(40),
    headSha: 'b'.repeat(40),
    changed: o.changed,
    context,
    failOn: o.failOn ?? 'error',
    guidelineChangeGate: o.gate,
    full: o.full ?? false,
    shard: o.shard ?? null,
    toolVersion: '0.0.0-test',
  });
}

const render = (a: PullRequestAnalysis, failOn: FailOn = 'error') =>
  renderDiffMarkdown({
    diff: a.diff,
    verdict: a.report.verdict,
    failOn,
    guideline: { id: 'test-organ', version: '1.0.0', path: 'guideline.yaml' },
    auditSample: a.report.audit_sample,
    runUrl: null,
    guidelineChange: a.guidelineChange,
  });
const headline = (md: string) => md.split('\n').find((l) => l.startsWith('## '));

// Raises Organ's minimum from 100 to 400 mm³: all four 288 mm³ organs pass today and fail after merge.
const RAISE = { head: { 'guideline.yaml': guideline('1.1.0', 400) }, changed: [{ status: 'M' as const, path: 'guideline.yaml' }] };

describe('a PR that only changes the guideline', () => {
  it('judges every item under both guidelines although it touches none: 4 of 4 would fail after merge', () => {
    const a = analyze(RAISE);
    expect(a.diff.items).toEqual([]);
    expect(a.report.totals.items).toBe(0);
    expect(a.guidelineChange).toMatchObject({ items_checked: 4, items_failing_base: 0, items_failing_head: 4, gate: 'warn' });
    expect(a.guidelineChange!.changes).toEqual(['labels[Organ].min_volume_mm3: 100 → 400', 'version: "1.0.0" → "1.1.0"']);
  });

  it('warn (the default): the headline leads with the result, warns, and the gate passes', () => {
    const a = analyze(RAISE);
    expect(a.report.verdict).toBe('pass');
    const md = render(a);
    expect(headline(md)).toBe('## ⚠️ segqc: pass — guideline 1.0.0 → 1.1.0: 4 of 4 items would fail after merge · 0 items changed, 0 new findings (0 errors), 0 resolved');
    expect(md).toContain('> ⚠️ **After merge 4 of 4 items would fail the new guideline** (0 under the current one). The gate does not fail on it (guideline change gate: warn)');
    expect(md).toContain('Under the new guideline 4 of 4 items would fail (0 under the current one); guideline change gate: warn.');
    expect(md).not.toContain('0 of 0');
  });

  it('fail flips the verdict, and says why', () => {
    const a = analyze({ ...RAISE, gate: 'fail' });
    expect(a.report.verdict).toBe('fail');
    expect(a.report.totals.errors).toBe(0);
    const md = render(a);
    expect(headline(md)).toBe('## ❌ segqc: fail — guideline 1.0.0 → 1.1.0: 4 of 4 items would fail after merge · 0 items changed, 0 new findings (0 errors), 0 resolved');
    expect(md).toContain('> ❌ **The gate fails: after merge 4 of 4 items would fail the new guideline** (0 under the current one; guideline change gate: fail).');
    const report = pullRequestReport(a, { repository: null, pullRequest: 1, shard: null, auditRate: 0 });
    expect(gateFailure(report)).toBe('segqc: the gate failed: after merge 4 of 4 items would fail the new guideline 1.1.0 (guideline-change: fail)');
    // The report file carries the gate and passes its own schema.
    expect(parsePullRequestReport(JSON.parse(JSON.stringify(report)), 'r.json').guideline_change?.gate).toBe('fail');
  });

  it('fail does not fail a change under which every item still passes', () => {
    const a = analyze({ head: { 'guideline.yaml': guideline('1.1.0', 50) }, changed: RAISE.changed, gate: 'fail' });
    expect(a.guidelineChange).toMatchObject({ items_checked: 4, items_failing_head: 0 });
    expect(a.report.verdict).toBe('pass');
    expect(headline(render(a))).toBe('## ✅ segqc: pass — guideline 1.0.0 → 1.1.0: 0 of 4 items would fail after merge · 0 items changed, 0 new findings (0 errors), 0 resolved');
  });

  it('counts items that fail the gate: warnings too under fail-on warning', () => {
    const warnOnly = `${guideline('1.1.0', 400)}severity:\n  volume.below_min: warning\n`;
    const head = { 'guideline.yaml': warnOnly };
    expect(analyze({ head, changed: RAISE.changed }).guidelineChange!.items_failing_head).toBe(0);
    expect(analyze({ head, changed: RAISE.changed, failOn: 'warning' }).guidelineChange!.items_failing_head).toBe(4);
  });

  it('a guideline edited together with a mask: the mask is diffed, the guideline is judged on all items', () => {
    const a = analyze({
      head: { 'guideline.yaml': guideline('1.1.0', 400), 'labels/case01.nii.gz': GROWN },
      changed: [...RAISE.changed, { status: 'M', path: 'labels/case01.nii.gz' }],
    });
    expect(a.diff.items.map((d) => d.id)).toEqual(['case01']);
    expect(a.guidelineChange).toMatchObject({ items_checked: 4, items_failing_head: 4 });
    expect(headline(render(a))).toContain('4 of 4 items would fail after merge · 1 item changed');
  });
});

describe('an unusable head guideline', () => {
  it('one that does not validate fails the gate even under warn, and the headline says so', () => {
    const a = analyze({ head: { 'guideline.yaml': 'schema_version: 1\nid: test-organ\nversion: 1.1.0\n' }, changed: RAISE.changed });
    expect(a.guidelineChange!.error).toMatch(/labels/);
    expect(a.guidelineChange).toMatchObject({ items_checked: 4, items_failing_base: 0, gate: 'warn' });
    expect(a.report.verdict).toBe('fail');
    const md = render(a);
    expect(headline(md)).toBe('## ❌ segqc: fail — the new guideline <code>guideline.yaml</code> is unusable · 0 items changed, 0 new findings (0 errors), 0 resolved');
    expect(md).toContain('> ❌ **The gate fails: the new guideline <code>guideline.yaml</code> is unusable**');
    expect(md).toContain('→ an unusable guideline.');
  });

  it('one the PR deletes fails the gate too', () => {
    const a = analyze({ head: { 'guideline.yaml': null }, changed: [{ status: 'D', path: 'guideline.yaml' }] });
    expect(a.guidelineChange!.error).toBe('the pull request deletes the guideline guideline.yaml');
    expect(a.report.verdict).toBe('fail');
  });
});

describe('full: true', () => {
  it('judges every item but counts as changed only those whose content changed', () => {
    const a = analyze({ head: { 'labels/case03.nii.gz': GROWN }, changed: [{ status: 'M', path: 'labels/case03.nii.gz' }], full: true });
    expect(a.report.totals.items).toBe(4);
    expect(a.diff.items.filter((d) => !d.unchanged).map((d) => d.id)).toEqual(['case03']);
    expect(a.diff.items.filter((d) => d.unchanged)).toHaveLength(3);
    const md = render(a);
    expect(headline(md)).toBe('## ✅ segqc: pass — 1 item changed, 0 new findings (0 errors), 0 resolved');
    // The changed-items table lists only case03.
    expect(md.match(/^\| case0\d /gm)).toEqual(['| case03 ']);
    expect(md).toContain('| items checked | 4 | 4 |');
  });
});

describe('shards', () => {
  const shards: Shard[] = [{ index: 0, count: 2 }, { index: 1, count: 2 }];
  const parts = (gate: GuidelineChangeGate) =>
    shards.map((shard) => pullRequestReport(analyze({ ...RAISE, gate, shard }), { repository: 'acme/ct', pullRequest: 7, shard, auditRate: 0 }));

  it('each shard judges its share; merged, the counts are the whole dataset’s, counted once', () => {
    const share = shards.map((s) => IDS.filter((id) => inShard(id, s)).length);
    // Both shards hold items, so a shard that counted the whole dataset would double count.
    expect(share.every((n) => n > 0)).toBe(true);
    const ps = parts('warn');
    expect(ps.map((p) => p.guideline_change!.items_checked)).toEqual(share);
    expect(ps.map((p) => p.guideline_change!.items_failing_head)).toEqual(share);
    const merged = mergeShardReports(ps);
    expect(merged.guideline_change).toMatchObject({ items_checked: 4, items_failing_head: 4, items_failing_base: 0, gate: 'warn' });
    expect(merged.report.verdict).toBe('pass');
  });

  it('under fail the merged gate fails, though no shard on its own gates', () => {
    const merged = mergeShardReports(parts('fail'));
    expect(merged.guideline_change).toMatchObject({ items_checked: 4, items_failing_head: 4, gate: 'fail' });
    expect(merged.report.verdict).toBe('fail');
  });

  it('shards that disagree on the guideline-change gate are refused', () => {
    const [a] = parts('warn');
    const [, b] = parts('fail');
    expect(() => mergeShardReports([a, b])).toThrow(/disagree on the guideline change/);
  });
});

describe('gate.guideline-change: from the base segqc.yaml, tightened by a flag or input', () => {
  it('is read from segqc.yaml, default warn, and refuses other values', () => {
    const ctx = (gate: string) => loadDatasetContext(memoryTree({ ...baseFiles(gate) }), 'segqc.yaml').config.gate;
    expect(ctx('')).toEqual({ fail_on: 'error', guideline_change: 'warn' });
    expect(ctx('gate:\n  guideline-change: fail\n')).toEqual({ fail_on: 'error', guideline_change: 'fail' });
    expect(() => ctx('gate:\n  guideline-change: block\n')).toThrow(/one of warn or fail/);
  });

  it('a request may tighten warn to fail; loosening fail takes override', () => {
    expect(decideGuidelineChangeGate('warn', 'fail')).toEqual({ gate: 'fail', refused: null });
    expect(decideGuidelineChangeGate('fail', 'warn')).toEqual({ gate: 'fail', refused: 'warn' });
    expect(decideGuidelineChangeGate('fail', 'warn', true)).toEqual({ gate: 'warn', refused: null });
    expect(decideGuidelineChangeGate('fail', null)).toEqual({ gate: 'fail', refused: null });
    expect(() => parseGuidelineChangeGate('strict', 'input guideline-change')).toThrow('input guideline-change is one of warn, fail, got "strict"');
  });
});

describe('segqc diff --guideline-change', () => {
  const repo = new MemoryGitRepository();
  const base = repo.commit(baseFiles());
  const warnHead = repo.commit({ 'guideline.yaml': guideline('1.1.0', 400) }, { branch: 'raise', parent: base });
  const failBase = repo.commit({ 'segqc.yaml': config('gate:\n  guideline-change: fail\n') }, { branch: 'strict', parent: base });
  const failHead = repo.commit({ 'guideline.yaml': guideline('1.1.0', 400) }, { branch: 'strict-raise', parent: failBase });

  const diff = async (...args: string[]) => {
    let out = '', err = '';
    const code = await runDiff([...args, '--quiet', repo.top], (s) => (out += s), (s) => (err += s), () => repo);
    return { code, out, err };
  };

  it('warn by default: exit 0; --guideline-change fail: exit 1', async () => {
    expect(await diff('--base', base, '--head', warnHead)).toEqual({ code: 0, out: 'pass: guideline 1.0.0 → 1.1.0: 4 of 4 items would fail after merge, 0 items changed, 0 errors, 0 warnings\n', err: '' });
    expect(await diff('--base', base, '--head', warnHead, '--guideline-change', 'fail')).toMatchObject({ code: 1, out: expect.stringMatching(/^fail: guideline 1\.0\.0 → 1\.1\.0: 4 of 4 items/) });
  });

  it("the base config's fail applies; --guideline-change warn is refused unless --override-config", async () => {
    expect((await diff('--base', failBase, '--head', failHead)).code).toBe(1);
    const refused = await diff('--base', failBase, '--head', failHead, '--guideline-change', 'warn');
    expect(refused.code).toBe(1);
    expect(refused.err).toContain("--guideline-change warn is looser than segqc.yaml's gate.guideline-change (fail), which applies; add --override-config to loosen it");
    expect(await diff('--base', failBase, '--head', failHead, '--guideline-change', 'warn', '--override-config')).toMatchObject({ code: 0, err: '' });
  });
});
