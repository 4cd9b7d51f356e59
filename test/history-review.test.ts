/**
 * `segqc history` with review records, on a real git repository built here: annotators' masks, a reviewer's
 * `.review.json` sidecars committed later (a reject with two reasons, accepts), masks changed after a reject and after
 * a failing check; also a commit whose guideline does not parse and a Git LFS pointer without its content. The
 * expected review outcomes and rework are tallied below from the list of commits, not from segqc's code.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import Ajv2020 from 'ajv/dist/2020.js';
import { encodeNifti } from '../shared/formats/nifti-write.js';
import { axisGeometry } from '../shared/model.js';
import { walkHistory } from '../node/history-walk.js';
import { memoryCache } from '../node/cache.js';
import { buildHistory } from '../shared/history/scorecard.js';
import { renderHistoryMarkdown } from '../shared/history/render-markdown.js';
import { renderHistoryHtml } from '../shared/history/render-html.js';
import type { HistoryReport } from '../shared/history/types.js';

const GUIDELINE = `schema_version: 1
id: hist-review
version: 1.0.0
title: History with reviews
modalities: [CT]
labels:
  - name: Liver
    value: 1
    color: "#d2691e"
    max_components: 1
review:
  stages:
    - id: peer
      reviewers: others
  reasons:
    - id: boundary_loose
      title: Boundary includes adjacent structures
    - id: missed_lesion
      title: A lesion is not segmented
severity:
  review.pending: off
  review.rejected: off
  review.stale: off
`;
const CONFIG = `guideline: g.yaml
sources:
  - name: raters
    format: nifti
    path: raters/*/*.nii.gz
    annotator: "{dir}"
gate:
  fail-on: error
`;

// 12x12x4 voxels of 1 mm: boxes of label 1 at these corners; `shift` moves the first box to change the bytes.
function mask(components: number, shift = 0): Uint8Array {
  const g = axisGeometry([12, 12, 4], [1, 1, 1]);
  const data = new Uint8Array(12 * 12 * 4);
  for (const [i0, j0] of [[shift, 0], [8, 8]].slice(0, components)) {
    for (let k = 0; k < 4; k++) for (let j = j0; j < j0 + 4; j++) for (let i = i0; i < i0 + 4; i++) data[(k * 12 + j) * 12 + i] = 1;
  }
  return encodeNifti({ geometry: g, data }, { gzip: true });
}
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const review = (entries: Array<{ verdict: string; reasons?: string[]; time: string; mask: Uint8Array }>) =>
  JSON.stringify({
    schema: 'segqc-review/1',
    reviews: entries.map((e) => ({ stage: 'peer', reviewer: 'rita@lab.org', verdict: e.verdict, reasons: e.reasons ?? [], time: e.time, mask_sha256: sha256(e.mask) })),
  });
const LFS_POINTER = 'version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n';

let scratch: string;
let dir: string;
const sha: Record<string, string> = {};
function git(args: string[], env: Record<string, string> = {}): string {
  return execFileSync('git', args, { cwd: dir, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] }).toString().trim();
}
function commit(name: string, date: string, files: Record<string, Uint8Array | string>, message: string): string {
  for (const [p, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), content);
    git(['add', '--', p]);
  }
  const at = `${date}T12:00:00+00:00`;
  git(['commit', '-q', '-m', message], { GIT_AUTHOR_NAME: name, GIT_AUTHOR_EMAIL: `${name}@lab.org`, GIT_COMMITTER_NAME: name, GIT_COMMITTER_EMAIL: `${name}@lab.org`, GIT_AUTHOR_DATE: at, GIT_COMMITTER_DATE: at });
  return git(['rev-parse', 'HEAD']);
}

const A1 = mask(1), A1b = mask(1, 2), B1 = mask(1), B2 = mask(2, 1), B1b = mask(1, 3);

/** What each commit does, in words the tally below reads: mask versions (with their components) and verdicts. */
type Event =
  | { month: string; kind: 'mask'; annotator: string; item: string; components: number }
  | { month: string; kind: 'verdict'; annotator: string; item: string; verdict: 'accept' | 'reject'; reasons: string[] };
const EVENTS: Event[] = [
  { month: '2024-01', kind: 'mask', annotator: 'alice', item: 'c1', components: 1 },
  { month: '2024-01', kind: 'mask', annotator: 'bob', item: 'c2', components: 1 },
  { month: '2024-01', kind: 'verdict', annotator: 'alice', item: 'c1', verdict: 'reject', reasons: ['boundary_loose', 'missed_lesion'] },
  { month: '2024-01', kind: 'verdict', annotator: 'bob', item: 'c2', verdict: 'accept', reasons: [] },
  { month: '2024-02', kind: 'mask', annotator: 'alice', item: 'c1', components: 1 },
  { month: '2024-02', kind: 'verdict', annotator: 'alice', item: 'c1', verdict: 'accept', reasons: [] },
  { month: '2024-02', kind: 'mask', annotator: 'bob', item: 'c2', components: 2 },
  { month: '2024-02', kind: 'mask', annotator: 'bob', item: 'c2', components: 1 },
  { month: '2024-03', kind: 'verdict', annotator: 'bob', item: 'c2', verdict: 'reject', reasons: ['boundary_loose'] },
];

/** Per annotator: verdicts by kind, reject reasons, rework (a change after a failing version or a standing reject). */
function tally() {
  const out = new Map<string, { accepted: number; rejected: number; reasons: Record<string, number>; rework: number; months: Record<string, [number, number]> }>();
  const failed = new Map<string, boolean>();
  const rejected = new Map<string, boolean>();
  for (const e of EVENTS) {
    const row = out.get(e.annotator) ?? { accepted: 0, rejected: 0, reasons: {}, rework: 0, months: {} };
    out.set(e.annotator, row);
    if (e.kind === 'mask') {
      if (failed.get(e.item) || rejected.get(e.item)) row.rework++;
      failed.set(e.item, e.components !== 1);
      rejected.set(e.item, false);
      continue;
    }
    const m = (row.months[e.month] ??= [0, 0]);
    if (e.verdict === 'accept') {
      row.accepted++;
      m[0]++;
    } else {
      row.rejected++;
      m[1]++;
      for (const r of e.reasons) row.reasons[r] = (row.reasons[r] ?? 0) + 1;
    }
    rejected.set(e.item, e.verdict === 'reject');
  }
  return out;
}

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'segqc-history-review-'));
  dir = join(scratch, 'repo');
  mkdirSync(dir);
  git(['init', '-q', '-b', 'main']);
  commit('lead', '2024-01-02', { 'g.yaml': GUIDELINE, 'segqc.yaml': CONFIG }, 'setup');
  commit('lead', '2024-01-05', { 'raters/alice/c1.nii.gz': A1, 'raters/bob/c2.nii.gz': B1 }, 'first masks');
  commit('rita', '2024-01-20', {
    'raters/alice/c1.review.json': review([{ verdict: 'reject', reasons: ['boundary_loose', 'missed_lesion'], time: '2024-01-20T10:00:00Z', mask: A1 }]),
    'raters/bob/c2.review.json': review([{ verdict: 'accept', time: '2024-01-20T10:05:00Z', mask: B1 }]),
  }, 'peer review');
  commit('lead', '2024-02-03', { 'raters/alice/c1.nii.gz': A1b }, 'alice redraws c1');
  commit('rita', '2024-02-05', {
    'raters/alice/c1.review.json': review([
      { verdict: 'reject', reasons: ['boundary_loose', 'missed_lesion'], time: '2024-01-20T10:00:00Z', mask: A1 },
      { verdict: 'accept', time: '2024-02-05T09:00:00Z', mask: A1b },
    ]),
  }, 'accept c1');
  commit('lead', '2024-02-10', { 'raters/bob/c2.nii.gz': B2 }, 'bob adds a second island');
  sha.brokenGuideline = commit('lead', '2024-02-11', { 'g.yaml': 'schema_version: 1\nlabels: [unclosed\n' }, 'broken guideline');
  commit('lead', '2024-02-12', { 'g.yaml': GUIDELINE }, 'guideline repaired');
  commit('lead', '2024-02-15', { 'raters/bob/c2.nii.gz': B1b }, 'bob removes it');
  commit('rita', '2024-03-01', {
    'raters/bob/c2.review.json': review([
      { verdict: 'accept', time: '2024-01-20T10:05:00Z', mask: B1 },
      { verdict: 'reject', reasons: ['boundary_loose'], time: '2024-03-01T08:00:00Z', mask: B1b },
    ]),
  }, 'reject c2');
  commit('lead', '2024-03-04', { 'raters/carl/c3.nii.gz': LFS_POINTER }, 'c3 (an LFS pointer, content not fetched)');
});

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const report = async (): Promise<HistoryReport> => {
  const walk = await walkHistory(dir, { configPath: 'segqc.yaml', cache: memoryCache(), toolVersion: 'test' });
  return buildHistory(walk.steps, { by: 'month', toolVersion: 'test', shallow: walk.shallow, notes: walk.notes });
};

describe('segqc history with review records', () => {
  let r: HistoryReport;
  beforeAll(async () => {
    r = await report();
  });

  it('counts each verdict once, for the annotator reviewed, in the month of the commit that brought it', () => {
    const want = tally();
    expect(r.annotators.map((a) => a.annotator)).toEqual(['alice', 'bob']);
    for (const a of r.annotators) {
      const w = want.get(a.annotator)!;
      const v = a.totals.reviews!;
      expect({ who: a.annotator, accepted: v.accepted, rejected: v.rejected, verdicts: v.verdicts, fixes: v.accepted_with_fixes }).toEqual({ who: a.annotator, accepted: w.accepted, rejected: w.rejected, verdicts: w.accepted + w.rejected, fixes: 0 });
      expect(Object.fromEntries(v.reject_reasons.map((x) => [x.id, x.count]))).toEqual(w.reasons);
      const months = Object.fromEntries(a.periods.filter((p) => p.reviews!.verdicts > 0).map((p) => [p.period, [p.reviews!.accepted, p.reviews!.rejected]]));
      expect(months).toEqual(w.months);
    }
    // By hand, for the reader: alice was rejected (two reasons) then accepted; bob accepted, then rejected in March.
    expect(want.get('alice')!.months).toEqual({ '2024-01': [0, 1], '2024-02': [1, 0] });
    expect(r.totals.reviews!.reject_reasons).toEqual([
      { id: 'boundary_loose', title: 'Boundary includes adjacent structures', count: 2 },
      { id: 'missed_lesion', title: 'A lesion is not segmented', count: 1 },
    ]);
  });

  it('rework: a mask changed after a reject verdict, or after a version that failed the check', () => {
    const want = tally();
    for (const a of r.annotators) expect([a.annotator, a.totals.rework]).toEqual([a.annotator, want.get(a.annotator)!.rework]);
    expect(want.get('alice')!.rework).toBe(1);
    expect(want.get('bob')!.rework).toBe(1);
    // A review commit is not a change by the annotator: alice's c1 counts its two mask versions only.
    expect(r.annotators.find((a) => a.annotator === 'alice')!.totals.annotations).toBe(2);
  });

  it('a commit whose guideline does not parse is a gap naming the guideline; an LFS pointer is reported as such', () => {
    expect(r.gaps.map((g) => g.commit)).toEqual([sha.brokenGuideline]);
    expect(r.gaps[0].error).toMatch(/g\.yaml/);
    expect(r.totals.lfs_pointers).toBe(1);
    expect(r.notes.join(' ')).toMatch(/1 file is a Git LFS pointer without content.*git lfs pull/);
    // The pointer has no mask to attribute: its finding counts for the rule, not for carl.
    expect(r.rules.find((x) => x.rule === 'format.unreadable')!.total).toBe(1);
  });

  it('JSON validates; Markdown and HTML show the reviews table with the top reasons by title', () => {
    const schema = JSON.parse(readFileSync(join(import.meta.dirname, '../guidelines/history.schema.json'), 'utf8'));
    const validate = new Ajv2020({ allErrors: true, strict: false }).compile(schema);
    validate(JSON.parse(JSON.stringify(r)));
    expect(validate.errors ?? []).toEqual([]);
    const md = renderHistoryMarkdown(r);
    expect(md).toContain('### Reviews');
    expect(md).toContain('| alice | 2 | 1 | 0 | 1 | Boundary includes adjacent structures \\(1\\); A lesion is not segmented \\(1\\) |');
    expect(md).toContain('| bob | 2 | 1 | 0 | 1 | Boundary includes adjacent structures \\(1\\) |');
    expect(renderHistoryHtml(r)).toContain('<table id="reviews">');
  });

  it('without review records the review columns are absent, not zero', async () => {
    const plain = buildHistory(
      (await walkHistory(dir, { configPath: 'segqc.yaml', cache: memoryCache(), toolVersion: 'test', until: 'HEAD~9' })).steps,
      { by: 'month', toolVersion: 'test', shallow: false },
    );
    expect(plain.annotators.length).toBeGreaterThan(0);
    expect(plain.totals.reviews).toBeUndefined();
    for (const a of plain.annotators) {
      expect(a.totals.reviews).toBeUndefined();
      for (const p of a.periods) expect(p.reviews).toBeUndefined();
    }
    expect(renderHistoryMarkdown(plain)).not.toContain('Reviews');
    expect(renderHistoryHtml(plain)).not.toContain('id="reviews"');
  });
});
