/**
 * The review loop end to end with the built CLI (dist/segqc.js): `segqc review` writes verdicts beside NIfTI masks
 * in a real git repository, `segqc check` and `segqc diff` judge them; a Label Studio export carries a review.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import reportSchema from '../guidelines/report.schema.json';
import reviewSchema from '../guidelines/review.schema.json';
import { axisGeometry } from '../shared/model.js';
import { encodeNifti } from '../shared/formats/nifti-write.js';
import { encodeBrushRle } from '../shared/formats/brush-rle.js';
import { labelStudioMaskSha256 } from '../shared/review/reader.js';
import { expectNoInternalError } from './no-internal.js';

const root = join(__dirname, '..');
const cli = join(root, 'dist/segqc.js');
const validateReport = new Ajv2020({ allErrors: true, strict: false }).compile(reportSchema);
const validateReview = new Ajv2020({ allErrors: true, strict: false }).compile(reviewSchema);

const GUIDELINE = `schema_version: 1
id: organ
version: 1.0.0
title: One organ
labels:
  - name: Liver
    value: 1
review:
  min_annotations: 1
  audit_rate: 0.5
  stages:
    - id: peer
      title: Peer review
      reviewers: others
    - id: senior
      reviewers: [dr.chen@hospital.example]
      items: audit
      required: false
  reasons:
    - id: boundary_loose
      title: Boundary includes adjacent structures
    - id: missed_lesion
      title: A lesion is not segmented
`;

const G = axisGeometry([12, 10, 6], [1, 1, 2], [0, 0, 0]);

/** A label map with a box of Liver from voxel `lo` to `hi` (inclusive) in each axis. */
function box(lo: number, hi: number): Uint8Array {
  const [nx, ny, nz] = G.shape;
  const data = new Uint8Array(nx * ny * nz);
  for (let k = lo; k <= Math.min(hi, nz - 1); k++) for (let j = lo; j <= hi; j++) for (let i = lo; i <= hi; i++) data[i + nx * (j + ny * k)] = 1;
  return encodeNifti({ geometry: G, data }, { gzip: true });
}

function run(args: string[], cwd: string) {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();

function check(dir: string) {
  const json = join(dir, '..', `report-${Math.random().toString(36).slice(2)}.json`);
  const r = run(['check', '.', '--json', json], dir);
  expect([0, 1], r.stderr).toContain(r.code);
  const report = JSON.parse(readFileSync(json, 'utf8'));
  expectNoInternalError(report, r.stderr);
  expect(validateReport(report), JSON.stringify(validateReport.errors)).toBe(true);
  return { ...r, report };
}

const findingsOf = (report: any, rule: string) => report.items.flatMap((i: any) => i.findings.filter((f: any) => f.rule === rule).map((f: any) => ({ ...f, item: i.id })));
const reviewRules = (report: any) =>
  report.items.flatMap((i: any) => i.findings.filter((f: any) => f.rule.startsWith('review.')).map((f: any) => `${i.id} ${f.rule} ${f.annotator}`)).sort();

let repo: string;

beforeAll(() => {
  expect(existsSync(cli), 'dist/segqc.js: run node scripts/build.mjs first').toBe(true);
  repo = join(mkdtempSync(join(tmpdir(), 'segqc-review-')), 'dataset');
  mkdirSync(join(repo, 'labels/rater1'), { recursive: true });
  writeFileSync(join(repo, 'guideline.yaml'), GUIDELINE);
  writeFileSync(join(repo, 'segqc.yaml'), 'guideline: guideline.yaml\nsources:\n  - format: nifti\n    path: labels/*/*.nii.gz\n    annotator: "{dir}"\n');
  writeFileSync(join(repo, 'labels/rater1/case_a.nii.gz'), box(2, 5));
  writeFileSync(join(repo, 'labels/rater1/case_b.nii.gz'), box(3, 6));
  git(repo, 'init', '-q', '-b', 'main');
  git(repo, 'config', 'user.email', 'rater2@hospital.example');
  git(repo, 'config', 'user.name', 'Rater Two');
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'two masks by rater1');
});

describe('segqc review and segqc check on a NIfTI dataset in a git repository', () => {
  it('before any review, every annotation is pending at the required stage only', () => {
    const { report, code } = check(repo);
    expect(code).toBe(1);
    // peer is required for both; senior covers the audit sample but is not required: no finding for it.
    expect(reviewRules(report)).toEqual(['case_a review.pending rater1', 'case_b review.pending rater1']);
    const pending = findingsOf(report, 'review.pending')[0];
    expect(pending.message).toMatch(/stage peer \(Peer review\)/);
    expect(pending.severity).toBe('error');
    expect(report.review.stages.map((s: any) => [s.id, s.items_covered, s.items_reviewed, s.items_pending])).toEqual([
      ['peer', 2, 0, 2],
      ['senior', 1, 0, 1],
    ]);
  });

  it('a reject with two reasons: the record beside the mask (reviewer from git config, sha256 of the file), review.rejected naming both reasons', () => {
    const r = run(['review', 'labels/rater1/case_a.nii.gz', '--verdict', 'reject', '--reason', 'boundary_loose', '--reason', 'missed_lesion', '--comment', 'trim the top slice'], repo);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('labels/rater1/case_a.review.json');
    const doc = JSON.parse(readFileSync(join(repo, 'labels/rater1/case_a.review.json'), 'utf8'));
    expect(validateReview(doc), JSON.stringify(validateReview.errors)).toBe(true);
    expect(doc.reviews).toHaveLength(1);
    const rec = doc.reviews[0];
    expect([rec.stage, rec.reviewer, rec.verdict, rec.reasons, rec.comment]).toEqual(['peer', 'rater2@hospital.example', 'reject', ['boundary_loose', 'missed_lesion'], 'trim the top slice']);
    expect(rec.mask_sha256).toBe(createHash('sha256').update(readFileSync(join(repo, 'labels/rater1/case_a.nii.gz'))).digest('hex'));
    expect(Date.now() - Date.parse(rec.time)).toBeLessThan(120_000);

    const { report, stdout } = check(repo);
    expect(reviewRules(report)).toEqual(['case_a review.rejected rater1', 'case_b review.pending rater1']);
    const rejected = findingsOf(report, 'review.rejected')[0];
    expect(rejected.message).toContain('Boundary includes adjacent structures');
    expect(rejected.message).toContain('A lesion is not segmented');
    expect(rejected.message).toContain('trim the top slice');
    expect(rejected.location.file).toBe('labels/rater1/case_a.review.json');
    // Per annotator: their open rejections, in the report and on the terminal.
    const rater1 = report.annotators.find((a: any) => a.annotator === 'rater1');
    expect(rater1.open_rejections).toEqual([
      { item: 'case_a', annotation: 'labels/rater1/case_a.nii.gz', stage: 'peer', reviewer: 'rater2@hospital.example', reasons: ['boundary_loose', 'missed_lesion'], comment: 'trim the top slice', time: rec.time },
    ]);
    expect(stdout).toMatch(/open rejections:\n {2}rater1: case_a at peer by rater2@hospital\.example: Boundary includes adjacent structures; A lesion is not segmented/);
    const peer = report.review.stages.find((s: any) => s.id === 'peer');
    expect([peer.items_covered, peer.items_reviewed, peer.items_rejected, peer.items_accepted]).toEqual([2, 1, 1, 0]);
    expect(peer.reasons.map((x: any) => [x.id, x.count])).toEqual([
      ['boundary_loose', 1],
      ['missed_lesion', 1],
    ]);
  });

  it('the pull request that records the verdict says so in the comment', () => {
    git(repo, 'checkout', '-q', '-b', 'review-a');
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'peer review of case_a');
    const r = run(['diff', '--base', 'main', '--head', 'review-a'], repo);
    expect([0, 1]).toContain(r.code);
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.stdout).toContain('This pull request records verdicts: 1 rejected by peer review: boundary\\_loose ×1, missed\\_lesion ×1.');
    expect(r.stdout).toMatch(/\| <code>peer<\/code> Peer review \| anyone but the author \| every item \| 1 \/ 1 \| 0 \| 1 \| 0 \|/);
    // Only the item whose review sidecar changed was checked.
    expect(r.stdout).toMatch(/\| items checked \| 1 \| 1 \|/);
  });

  it('editing the mask after the reject makes the review stale', () => {
    writeFileSync(join(repo, 'labels/rater1/case_a.nii.gz'), box(2, 4));
    const { report } = check(repo);
    expect(reviewRules(report)).toEqual(['case_a review.stale rater1', 'case_b review.pending rater1']);
    const stale = findingsOf(report, 'review.stale')[0];
    expect(stale.message).toMatch(/changed after its review at stage peer/);
    expect(stale.value).toBe(createHash('sha256').update(readFileSync(join(repo, 'labels/rater1/case_a.nii.gz'))).digest('hex'));
    expect(report.annotators.find((a: any) => a.annotator === 'rater1').open_rejections).toEqual([]);
  });

  it('a new accept of the edited mask makes the item clean; the history keeps both records', () => {
    const r = run(['review', 'labels/rater1/case_a.nii.gz', '--verdict', 'accept'], repo);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(repo, 'labels/rater1/case_a.review.json'), 'utf8')).reviews.map((x: any) => x.verdict)).toEqual(['reject', 'accept']);
    const { report } = check(repo);
    expect(report.items.find((i: any) => i.id === 'case_a').findings).toEqual([]);
    expect(reviewRules(report)).toEqual(['case_b review.pending rater1']);
  });

  it("the author's own verdict under an `others` stage is review.ineligible, and the stage stays pending", () => {
    const r = run(['review', 'labels/rater1/case_b.nii.gz', '--verdict', 'accept', '--reviewer', 'rater1@hospital.example'], repo);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/may not review at stage peer .*review\.ineligible/);
    const { report } = check(repo);
    expect(reviewRules(report)).toEqual(['case_b review.ineligible rater1', 'case_b review.pending rater1']);
    const f = findingsOf(report, 'review.ineligible')[0];
    expect(f.severity).toBe('warning');
    expect(f.message).toMatch(/rater1@hospital\.example .* does not count: it is their own annotation/);
  });

  it('someone not listed for a stage is review.ineligible; a listed reviewer accepts with fixes against the committed mask', () => {
    const other = run(['review', 'labels/rater1/case_b.nii.gz', '--verdict', 'accept', '--stage', 'senior'], repo);
    expect(other.code, other.stderr).toBe(0);
    let { report } = check(repo);
    expect(findingsOf(report, 'review.ineligible').map((f: any) => f.message)).toEqual(
      expect.arrayContaining([expect.stringMatching(/rater2@hospital\.example at review stage senior .* not a reviewer of that stage \(reviewers: dr\.chen@hospital\.example\)/)]),
    );
    // The senior radiologist fixes case_b in the working tree and accepts it: the record carries both hashes.
    writeFileSync(join(repo, 'labels/rater1/case_b.nii.gz'), box(3, 5));
    const fixed = run(['review', 'labels/rater1/case_b.nii.gz', '--verdict', 'accept_with_fixes', '--reason', 'boundary_loose', '--stage', 'senior', '--reviewer', 'dr.chen@hospital.example'], repo);
    expect(fixed.code, fixed.stderr).toBe(0);
    const last = JSON.parse(readFileSync(join(repo, 'labels/rater1/case_b.review.json'), 'utf8')).reviews.at(-1);
    expect(last.mask_sha256).toBe(createHash('sha256').update(execFileSync('git', ['show', 'HEAD:labels/rater1/case_b.nii.gz'], { cwd: repo })).digest('hex'));
    expect(last.fixed_sha256).toBe(createHash('sha256').update(readFileSync(join(repo, 'labels/rater1/case_b.nii.gz'))).digest('hex'));
    ({ report } = check(repo));
    // The senior's verdict is about the fixed mask: not stale; the earlier ineligible one is superseded. Peer is still open.
    expect(reviewRules(report)).toEqual(['case_b review.ineligible rater1', 'case_b review.pending rater1']);
    expect(findingsOf(report, 'review.ineligible')[0].message).toMatch(/stage peer/);
    const senior = report.items.find((i: any) => i.id === 'case_b').reviews.find((s: any) => s.stage === 'senior');
    expect([senior.status, senior.verdict, senior.reviewer]).toEqual(['accepted', 'accept_with_fixes', 'dr.chen@hospital.example']);
  });

  it('refuses what the guideline does not know, naming it, and writes nothing', () => {
    const before = readFileSync(join(repo, 'labels/rater1/case_b.review.json'), 'utf8');
    const cases: Array<[string[], RegExp]> = [
      [['--verdict', 'reject', '--reason', 'boundary_lose'], /'boundary_lose' is not a review reason of the guideline — did you mean boundary_loose\?/],
      [['--verdict', 'reject'], /a reject needs at least one reason/],
      [['--verdict', 'accept', '--stage', 'senoir'], /'senoir' is not a review stage of the guideline — did you mean senior\?/],
      [['--verdict', 'rejected', '--reason', 'boundary_loose'], /the verdict is accept, reject or accept_with_fixes, not 'rejected'/],
      [['--verdict', 'accept_with_fixes', '--reason', 'boundary_loose', '--reviewer', 'dr.chen@hospital.example', '--stage', 'senior'], /is the same in HEAD and in the working tree/],
    ];
    writeFileSync(join(repo, 'labels/rater1/case_b.nii.gz'), execFileSync('git', ['show', 'HEAD:labels/rater1/case_b.nii.gz'], { cwd: repo }));
    for (const [args, message] of cases) {
      const r = run(['review', 'labels/rater1/case_b.nii.gz', ...args], repo);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    expect(run(['review', 'guideline.yaml', '--verdict', 'accept'], repo).stderr).toMatch(/is not an annotation of the dataset/);
    expect(readFileSync(join(repo, 'labels/rater1/case_b.review.json'), 'utf8')).toBe(before);
    writeFileSync(join(repo, 'labels/rater1/case_a.review.json'), '{"schema": "segqc-review/1", "reviews": [{"stage": "peer"}]}');
    const broken = run(['review', 'labels/rater1/case_a.nii.gz', '--verdict', 'accept'], repo);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/case_a\.review\.json: is not a review record file .*needs 'reviewer'.*does not overwrite/);
    // segqc check names the broken sidecar and still checks the mask.
    const { report } = check(repo);
    const unreadable = findingsOf(report, 'format.unreadable');
    expect(unreadable.map((f: any) => f.location.file)).toEqual(['labels/rater1/case_a.review.json']);
    expect(findingsOf(report, 'review.pending').map((f: any) => f.item)).toContain('case_a');
  });
});

describe('a Label Studio export carrying reviews', () => {
  const W = 32, H = 32;
  const disc = (cx: number, cy: number, r: number) => {
    const a = new Uint8Array(W * H);
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) if (Math.hypot(x + 0.5 - cx, y + 0.5 - cy) <= r) a[y * W + x] = 255;
    return a;
  };
  const region = (id: string, alpha: Uint8Array) => ({
    id, type: 'brushlabels', from_name: 'label', to_name: 'image', original_width: W, original_height: H,
    value: { format: 'rle', rle: encodeBrushRle(alpha, W, H), brushlabels: ['Nucleus'] },
  });
  const reviewResult = (reviews: unknown[]) => ({ id: 'rv', type: 'textarea', from_name: 'segqc_review', to_name: 'image', value: { text: [JSON.stringify({ schema: 'segqc-review/1', reviews })] } });
  const entry = (o: Record<string, unknown>) => ({ stage: 'peer', reviewer: 'ben@lab.example', reasons: [], time: '2026-12-01T10:00:00.000Z', ...o });

  it('a review is counted as a review, never as an annotation or a region; a reviewer-only annotation is not checked', () => {
    const dir = mkdtempSync(join(tmpdir(), 'segqc-review-ls-'));
    const r1 = [region('a', disc(16, 16, 6))];
    const r2 = [region('b', disc(10, 10, 4)), region('c', disc(22, 22, 4))];
    const tasks = [
      {
        id: 1,
        data: { image: '/data/upload/1/tile_001.png', pixel_spacing: [0.5, 0.5] },
        annotations: [
          // Ana's annotation, rejected by Ben in his own review-only annotation (Community has no review step).
          { id: 11, completed_by: { id: 1, email: 'ana@lab.example' }, result: r1 },
          { id: 12, completed_by: { id: 2, email: 'ben@lab.example' }, result: [reviewResult([entry({ verdict: 'reject', reasons: ['boundary_loose'], annotation: '11', mask_sha256: labelStudioMaskSha256(r1) })])] },
        ],
      },
      {
        id: 2,
        data: { image: '/data/upload/1/tile_002.png', pixel_spacing: [0.5, 0.5] },
        annotations: [
          // Ana's annotation accepted in place: the review text sits in her annotation's result.
          { id: 21, completed_by: { id: 1, email: 'ana@lab.example' }, result: [...r2, reviewResult([entry({ verdict: 'accept', mask_sha256: labelStudioMaskSha256(r2) })])] },
        ],
      },
    ];
    mkdirSync(join(dir, 'exports'));
    writeFileSync(join(dir, 'exports/project.json'), JSON.stringify(tasks));
    writeFileSync(
      join(dir, 'guideline.yaml'),
      `schema_version: 1
id: nuclei
version: 1.0.0
title: Nuclei
labels:
  - name: Nucleus
    value: 1
    required: true
attestation:
  required: true
review:
  stages:
    - id: peer
      reviewers: others
  reasons:
    - id: boundary_loose
      title: Boundary includes adjacent structures
`,
    );
    writeFileSync(join(dir, 'segqc.yaml'), 'guideline: guideline.yaml\nsources:\n  - format: labelstudio\n    path: exports/*.json\n    spacing: pixel_spacing\n');
    const { report } = check(dir);
    expect(report.totals.items).toBe(2);
    expect(report.totals.annotations).toBe(2);
    expect(report.items.map((i: any) => i.annotations.map((a: any) => `${a.id} ${a.annotator}`))).toEqual([['11 ana@lab.example'], ['21 ana@lab.example']]);
    expect(report.annotators.map((a: any) => a.annotator)).toEqual(['ana@lab.example']);
    // The review text is not a region: tile_002 has its two nuclei, one label, and nothing else.
    const tile2 = report.items.find((i: any) => i.id === 'tile_002').annotations[0].labels;
    expect(tile2.map((l: any) => [l.label, l.components])).toEqual([['Nucleus', 2]]);
    // Only the deliberate findings: Ana's missing attestations (the guideline requires one), the rejection; no finding
    // about Ben's review-only annotation (no missing label, attestation or checklist), no unreadable result.
    const keys = report.items.flatMap((i: any) => i.findings.map((f: any) => `${i.id} ${f.rule} ${f.annotation} ${f.annotator}`)).sort();
    expect(keys).toEqual([
      'tile_001 attestation.missing 11 ana@lab.example',
      'tile_001 review.rejected 11 ana@lab.example',
      'tile_002 attestation.missing 21 ana@lab.example',
    ]);
    expect(findingsOf(report, 'review.rejected')[0].message).toMatch(/by ben@lab\.example .*Boundary includes adjacent structures/);
    const peer = report.review.stages[0];
    expect([peer.items_covered, peer.items_reviewed, peer.items_accepted, peer.items_rejected]).toEqual([2, 2, 1, 1]);

    // Ana redraws her nucleus: the reject is now about an earlier version.
    tasks[0].annotations[0].result = [region('a', disc(16, 16, 5))];
    writeFileSync(join(dir, 'exports/project.json'), JSON.stringify(tasks));
    expect(reviewRules(check(dir).report)).toEqual(['tile_001 review.stale ana@lab.example']);

    // A review naming an annotation the task does not have is reported, never attached elsewhere.
    (tasks[0].annotations[1].result[0] as any).value.text = [JSON.stringify({ schema: 'segqc-review/1', reviews: [entry({ verdict: 'accept', annotation: '99', mask_sha256: '0'.repeat(64) })] })];
    writeFileSync(join(dir, 'exports/project.json'), JSON.stringify(tasks));
    const after = check(dir).report;
    expect(findingsOf(after, 'format.unreadable').map((f: any) => f.message)).toEqual([expect.stringMatching(/names annotation 99, which the task does not have/)]);
    expect(after.totals.annotations).toBe(2);
  });
});
