/**
 * The GitHub Action end to end: temporary git repositories with base and head commits, the bundled
 * action/dist/index.js as a child process with the runner's environment, and a GitHub REST fake on 127.0.0.1.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { encodeNifti } from '../shared/formats/nifti-write.js';
import { encodeBrushRle } from '../shared/formats/brush-rle.js';
import type { Geometry } from '../shared/model.js';
import { axisGeometry } from '../shared/model.js';
import { COMMENT_MARKER } from '../shared/report/render-diff.js';
import { itemAnchor } from '../shared/report/html-page.js';
import { readPullRequestReport } from '../action/src/pr-report-file.js';
import { FakeGitHub } from './action-fake-github.js';
import { ACTION, ROOT, TestRepo, pullRequestEvent, runAction as runActionIn, type ActionRun, type RunOptions } from './action-runner.js';

// A 12×12×6 grid of 1×1×2 mm voxels: one voxel is 2 mm³.
const GRID: Geometry = axisGeometry([12, 12, 6], [1, 1, 2]);
const ODD = 'case_<1>|*';
/** The odd item's file as a URL path (each character outside the unreserved set percent-encoded). */
const ODD_URL = 'case_%3C1%3E%7C%2A.nii.gz';
/** Where the fake server's files are, at a commit. */
const blob = (commit: string, path: string) => `https://github.example/acme/ct-data/blob/${commit}/${path}`;
/** The line that tells the comment of the dataset under data/ from those of other datasets in the repository. */
const DATA_LINE = '<!-- segqc:dataset data%2Fsegqc.yaml -->';
const LESION = 'Lesion <b>|*x*';

/** A label map with boxes [i0, i1) × [j0, j1) × [k0, k1) of a value. */
function mask(boxes: Array<[number, number, number, number, number, number, number]>): Uint8Array {
  const [nx, ny] = GRID.shape;
  const data = new Uint8Array(GRID.shape[0] * GRID.shape[1] * GRID.shape[2]);
  for (const [v, i0, i1, j0, j1, k0, k1] of boxes) {
    for (let k = k0; k < k1; k++) for (let j = j0; j < j1; j++) for (let i = i0; i < i1; i++) data[i + nx * (j + ny * k)] = v;
  }
  return encodeNifti({ geometry: GRID, data }, { gzip: true });
}

const guideline = (organMin: number) => `schema_version: 1
id: test-organ
version: ${organMin === 100 ? '1.0.0' : '1.1.0'}
title: Test organ
labels:
  - name: Organ
    value: 1
    required: true
    min_volume_mm3: ${organMin}
    max_components: 1
  - name: "${LESION}"
    value: 2
    min_component_volume_mm3: 8
`;

const config = (failOn: string) => `guideline: guideline.yaml
sources:
  - name: masks
    format: nifti
    path: labels/*.nii.gz
gate:
  fail-on: ${failOn}
`;

// Organ 6×6×4 = 144 voxels = 288 mm³; grown by one column of voxels to 7×6×4 = 168 voxels = 336 mm³.
const organ = mask([[1, 2, 8, 2, 8, 1, 5]]);
const organGrown = mask([[1, 2, 9, 2, 8, 1, 5]]);
// The odd item: organ plus a 2×2×1 lesion (8 mm³, at the minimum); in the bad head a second organ island and a 1-voxel lesion.
// In the organ-only head its organ grows by a column and the lesion stays exactly as it was.
const oddBase = mask([[1, 2, 8, 2, 8, 1, 5], [2, 3, 5, 3, 5, 2, 3]]);
const oddBad = mask([[1, 2, 8, 2, 8, 1, 5], [1, 10, 12, 10, 12, 0, 1], [2, 3, 4, 3, 4, 2, 3]]);
const oddOrganGrown = mask([[1, 2, 9, 2, 8, 1, 5], [2, 3, 5, 3, 5, 2, 3]]);

// Every repository, runner directory and download of this file lives under one scratch directory, removed at the end.
let scratch: string;
const tmp = (prefix: string) => mkdtempSync(join(scratch, prefix));
const runAction = (o: RunOptions) => runActionIn({ scratch, ...o });

let repo: TestRepo;
const sha: Record<string, string> = {};
let fake: FakeGitHub;

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'segqc-e2e-'));
  repo = new TestRepo(tmp('repo-'));
  sha.base = repo.commit(
    {
      'README.md': 'a CT dataset\n',
      'data/segqc.yaml': config('error'),
      'data/guideline.yaml': guideline(100),
      'data/labels/case01.nii.gz': organ,
      'data/labels/case02.nii.gz': organ,
      [`data/labels/${ODD}.nii.gz`]: oddBase,
    },
    'base',
  );
  repo.git('branch', 'base');
  // good: case01 grows by 48 mm³, nothing breaks
  sha.good = repo.commit({ 'data/labels/case01.nii.gz': organGrown }, 'grow case01');
  repo.git('branch', 'good');
  // bad: the odd item gets a second organ island and a lesion under the minimum
  repo.git('checkout', '-q', '-b', 'bad', sha.base);
  sha.bad = repo.commit({ [`data/labels/${ODD}.nii.gz`]: oddBad }, 'break the odd item');
  // corrupt: case02 replaced by a truncated gzip stream
  repo.git('checkout', '-q', '-b', 'corrupt', sha.base);
  sha.corrupt = repo.commit({ 'data/labels/case02.nii.gz': organ.subarray(0, 70) }, 'truncate case02');
  // guideline: raises Organ's minimum to 400 mm³ and grows case01 (336 mm³ fails under the new minimum)
  repo.git('checkout', '-q', '-b', 'guideline', sha.base);
  sha.guideline = repo.commit({ 'data/guideline.yaml': guideline(400), 'data/labels/case01.nii.gz': organGrown }, 'raise the minimum');
  // guideline-only: raises the minimum and touches no mask (every 288 mm³ organ fails 400 mm³ after merge)
  repo.git('checkout', '-q', '-b', 'guideline-only', sha.base);
  sha.guidelineOnly = repo.commit({ 'data/guideline.yaml': guideline(400) }, 'raise the minimum only');
  // strict: a base whose segqc.yaml fails guideline changes that would fail items, and a PR raising the minimum on it
  repo.git('checkout', '-q', '-b', 'strict', sha.base);
  sha.strictBase = repo.commit({ 'data/segqc.yaml': `${config('error')}  guideline-change: fail\n` }, 'fail on guideline changes');
  sha.strictHead = repo.commit({ 'data/guideline.yaml': guideline(400) }, 'raise the minimum');
  // loosen: breaks the odd item and tries to switch the gate off in its own segqc.yaml
  repo.git('checkout', '-q', '-b', 'loosen', sha.base);
  sha.loosen = repo.commit({ [`data/labels/${ODD}.nii.gz`]: oddBad, 'data/segqc.yaml': config('never') }, 'loosen the gate');
  // moved: the base branch moves on after the PR branched off (a guideline edit and a case02 edit of its own)
  repo.git('checkout', '-q', '-b', 'moved', sha.base);
  sha.moved = repo.commit({ 'data/guideline.yaml': guideline(50), 'data/labels/case02.nii.gz': organGrown }, 'main moves on');
  // lfs: case02 committed as a Git LFS pointer; renamed: case02 renamed to case03 (git follows the rename)
  repo.git('checkout', '-q', '-b', 'lfs', sha.base);
  sha.lfs = repo.commit({ 'data/labels/case02.nii.gz': 'version https://git-lfs.github.com/spec/v1\noid sha256:' + 'a'.repeat(64) + '\nsize 4242\n' }, 'lfs pointer');
  // organ: the odd item's organ grows, its lesion and every other item stay as they were; committed by someone else
  repo.git('checkout', '-q', '-b', 'organ', sha.base);
  writeFileSync(join(repo.dir, `data/labels/${ODD}.nii.gz`), oddOrganGrown);
  repo.git('add', '-A');
  repo.git('-c', 'user.name=Dana Curator', '-c', 'user.email=dana@example.com', 'commit', '-q', '-m', 'grow the organ');
  sha.organ = repo.git('rev-parse', 'HEAD');
  repo.git('checkout', '-q', '-b', 'renamed', sha.base);
  repo.git('mv', 'data/labels/case02.nii.gz', 'data/labels/case03.nii.gz');
  sha.renamed = repo.commit({}, 'rename case02');
  repo.git('checkout', '-q', 'good');
  expect(existsSync(ACTION), 'action/dist/index.js is built (npm run build)').toBe(true);
});

beforeEach(async () => {
  fake = new FakeGitHub();
  fake.pulls.set(7, { headSha: sha.good, baseSha: sha.base });
  await fake.start();
});

afterEach(async () => {
  await fake.stop();
});

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

const check = (head: string, extra: { inputs?: Record<string, string>; runId?: number; headRepo?: string; workspace?: string; runnerTemp?: string } = {}): Promise<ActionRun> =>
  runAction({
    workspace: extra.workspace ?? repo.dir,
    event: pullRequestEvent(7, sha.base, sha[head] ?? head, extra.headRepo),
    apiUrl: fake.url,
    inputs: { config: 'data/segqc.yaml', ...extra.inputs },
    runId: extra.runId,
    runnerTemp: extra.runnerTemp,
  });

const ours = () => fake.list(7).filter((c) => c.user.login === 'github-actions[bot]');

describe('mode: check', () => {
  it('first run creates the comment, with the metric diff and everything from the dataset escaped', async () => {
    // 120 comments by people: segqc's own comment will sit on the second page.
    for (let i = 0; i < 120; i++) fake.addComment(7, `looks good ${i}`, 'alice');
    const r = await check('good');
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
    expect(r.code, r.stdout).toBe(0);
    expect(r.outputs).toMatchObject({ verdict: 'pass', errors: '0', warnings: '0' });
    expect(fake.writes().map((w) => w.method)).toEqual(['POST']);
    expect(fake.requests.some((q) => q.authorization === 'token ghs_faketoken123')).toBe(true);
    const [c] = ours();
    expect(c.body.startsWith(COMMENT_MARKER)).toBe(true);
    expect(c.body).toMatch(/<!-- segqc:digest [0-9a-f]{64} -->/);
    // case01: 144 → 168 voxels of 2 mm³; base and head masks overlap in 144 voxels: Dice 2·144/(144+168).
    // The item links to its file at the head commit, under the dataset's directory.
    expect(c.body).toContain(`| [case01](${blob(sha.good, 'data/labels/case01.nii.gz')}) | Organ | 288 → 336 (+16.7%) | 1 |`);
    expect(c.body).toContain('**Nothing blocks the merge: review 1 changed label in 1 item.**');
    expect(c.body).toContain(`**Reproduce locally:** <code>npx segqc diff --base ${sha.base} --head ${sha.good} data</code>`);
    expect(c.body).toContain(`| ${(288 / 312).toFixed(3)} |`);
    expect(c.body).toContain('## ✅ segqc: pass — 1 item changed');
    // Totals: the whole dataset (3 masks on each side) and the one item this PR touched.
    expect(c.body).toContain('| items in the dataset | 3 | 3 |');
    expect(c.body).toContain('| items checked | 1 | 1 |');
    // The dataset is not at the repository's top: its comment names it (and is told apart by it).
    expect(c.body).toContain(DATA_LINE);
    expect(c.body).toContain('[Workflow run](https://github.example/acme/ct-data/actions/runs/4242)');
    expect(c.body.length).toBeLessThanOrEqual(65_536);
    // The job summary carries the diff and the full report of the changed items.
    expect(r.summary).toContain('288 → 336 (+16.7%)');
    expect(r.summary).toContain('### Changed items, worst first');
    const report = readPullRequestReport(r.outputs.report);
    expect(report.pull_request).toBe(7);
    expect(report.head_sha).toBe(sha.good);
    expect(report.diff.items.map((i) => i.id)).toEqual(['case01']);
  });

  it('second run updates the same comment; the gate fails with exit 1 and annotates the files', async () => {
    await check('good');
    const first = ours();
    expect(first).toHaveLength(1);
    const r = await check('bad', { runId: 4243 });
    expect(r.code, r.stdout).toBe(1);
    expect(r.outputs.verdict).toBe('fail');
    expect(Number(r.outputs.errors)).toBe(2);
    expect(fake.writes().map((w) => w.method)).toEqual(['POST', 'PATCH']);
    expect(ours().map((c) => c.id)).toEqual([first[0].id]);
    const body = ours()[0].body;
    if (process.env.SEGQC_DUMP) writeFileSync(process.env.SEGQC_DUMP, body + '\n\n=====SUMMARY=====\n' + r.summary + '\n=====STDOUT=====\n' + r.stdout);
    expect(body).toContain('## ❌ segqc: fail — 1 item changed, 2 new findings (2 errors)');
    // The item id (a file name) and the label name carry Markdown and HTML specials: escaped, never raw.
    expect(body).toContain('case\\_&lt;1&gt;\\|\\*');
    expect(body).toContain('Lesion &lt;b&gt;\\|\\*x\\*');
    expect(body).not.toContain('<1>');
    expect(body).not.toContain('<b>');
    expect(body).toContain('<code>components.too_many</code>');
    expect(body).toContain('<code>component.too_small</code>');
    const errors = r.commands.filter((c) => c.command === 'error' && c.props.includes('title=segqc'));
    expect(errors).toHaveLength(2);
    expect(errors[0].props).toContain(`file=data/labels/${ODD}.nii.gz`);
    expect(r.commands.some((c) => c.command === 'error' && /the gate failed/.test(c.message))).toBe(true);
  });

  it('a failing gate shows its blocking findings un-folded, linked to the file at the head commit, and how to reproduce the run', async () => {
    const r = await check('bad');
    expect(r.code, r.stdout).toBe(1);
    const body = ours()[0].body;
    expect(body).toContain('**To merge: fix the 2 blocking findings below in this pull request (the gate fails on error), then push again.**');
    const heading = body.indexOf('### Blocking findings (2)');
    const row = body.split('\n').find((l) => l.includes('<code>components.too_many</code>'))!;
    const at = body.indexOf(row);
    expect(heading).toBeGreaterThan(0);
    expect(at).toBeGreaterThan(heading);
    // Outside any <details>: every one opened before the error's row is closed before it.
    const before = body.slice(0, at);
    expect(before.split('<details').length).toBe(before.split('</details>').length);
    const file = `[labels/case\\_&lt;1&gt;\\|\\*.nii.gz](${blob(sha.bad, `data/labels/${ODD_URL}`)})`;
    expect(row.startsWith(`| case\\_&lt;1&gt;\\|\\* | error | <code>components.too_many</code> |  | ${file} | Organ is in 2 separate pieces`), row).toBe(true);
    // The location names the plane, the slice, and the position in voxels and in patient mm.
    expect(row).toContain('at slice 0 \\(axial, around \\(11, 11\\) px, L 10.5 P 10.5 S 0 mm\\)');
    // The reproduce line is a command that runs: from the repository's top it gives the same verdict and findings.
    const cmd = /\*\*Reproduce locally:\*\* <code>([^<]+)<\/code>/.exec(body)?.[1];
    expect(cmd).toBe(`npx segqc diff --base ${sha.base} --head ${sha.bad} data`);
    const cli = spawnSync(process.execPath, [join(ROOT, 'dist/segqc.js'), ...cmd!.split(' ').slice(2)], { cwd: repo.dir, encoding: 'utf8' });
    expect(cli.status, cli.stderr).toBe(1);
    expect(cli.stdout).toContain('### Blocking findings (2)');
    expect(cli.stdout).toContain(row.replace(/\[(labels\/[^\]]*)\]\([^)]*\)/, '$1'));
  });

  it('only the labels that changed are listed, under who changed them; the unchanged one is counted', async () => {
    const r = await check('organ');
    expect(r.code, r.stdout).toBe(0);
    const body = ours()[0].body;
    const table = body.slice(body.indexOf('### Changed items'));
    // Organ: 6×6×4 voxels less the 2×2×1 lesion = 140 voxels of 2 mm³, grown by a 1×6×4 column = 164.
    expect(table).toContain(`**committed by Dana Curator**\n\n| item | label |`);
    expect(table).toContain(`| [case\\_&lt;1&gt;\\|\\*](${blob(sha.organ, `data/labels/${ODD_URL}`)}) | Organ | 280 → 328 (+17.1%) | 1 |`);
    expect(table).not.toContain('Lesion');
    expect(table).toContain('Not listed: 1 label of the touched items that did not change.');
    // The report keeps every label, with who committed the file.
    const labels = readPullRequestReport(r.outputs.report).diff.items[0].labels;
    expect(labels.map((l) => l.label)).toEqual(['Organ', LESION]);
    expect(labels[0].committed_by).toEqual([{ name: 'Dana Curator', email: 'dana@example.com' }]);
  });

  it("links the review page the workflow uploads (input review-artifact) from the comment: the run's artifacts", async () => {
    const r = await check('bad', { inputs: { 'review-artifact': 'segqc-report.html' } });
    expect(r.code).toBe(1);
    const body = ours()[0].body;
    expect(body).toContain(
      '🖼️ **Pictures:** [the review page](https://github.example/acme/ct-data/actions/runs/4242#artifacts) (the <code>segqc-report.html</code> artifact of the workflow run)',
    );
    expect(r.summary).toContain('[the review page](https://github.example/acme/ct-data/actions/runs/4242#artifacts)');
    // Without the input there is no link: the workflow may not upload the page.
    fake.comments.clear();
    await check('bad');
    expect(ours()[0].body).not.toContain('Pictures');
  });

  it('writes the review page beside the report: the changed item pictured, its findings boxed, the dataset escaped', async () => {
    const r = await check('bad', { runId: 4250 });
    expect(r.code, r.stdout).toBe(1);
    expect(r.outputs.html).toBe(r.outputs.report.replace(/\.json$/, '.html'));
    const html = readFileSync(r.outputs.html, 'utf8');
    expect(html).toContain(`<section class="item" id="${itemAnchor(ODD)}">`);
    expect(html).toContain('<h3>case_&lt;1&gt;|*');
    expect(html).not.toContain('<1>');
    expect(html).not.toMatch(/<script|https?:\/\//);
    expect(html.match(/<img src="data:image\/png;base64,/g)?.length).toBeGreaterThanOrEqual(1);
    expect(html).toMatch(/<rect class="hl error"[^>]*data-rule="component.too_small"/);
  });

  it('an unchanged report writes nothing, even from another run', async () => {
    await check('good', { runId: 1 });
    const before = ours()[0].body;
    const writes = fake.writes().length;
    const r = await check('good', { runId: 2 });
    expect(r.code).toBe(0);
    expect(fake.writes()).toHaveLength(writes);
    expect(ours()[0].body).toBe(before);
    expect(r.stdout).toMatch(/comment \d+ on #7: unchanged/);
  });

  it('a duplicate comment is deleted and the oldest kept; a person quoting the marker is left alone', async () => {
    const quote = fake.addComment(7, `> ${COMMENT_MARKER}\n> why did this fail?`, 'alice');
    const pasted = fake.addComment(7, `${COMMENT_MARKER}\nI pasted the bot's comment`, 'bob');
    const a = fake.addComment(7, `${COMMENT_MARKER}\n${DATA_LINE}\nold report`, 'github-actions[bot]');
    const b = fake.addComment(7, `${COMMENT_MARKER}\n${DATA_LINE}\nrace duplicate`, 'github-actions[bot]');
    // Ours, but about the dataset at the repository's top: another dataset's comment, left alone.
    const root = fake.addComment(7, `${COMMENT_MARKER}\nthe top-level dataset's report`, 'github-actions[bot]');
    const other = fake.addComment(7, `${COMMENT_MARKER}\nsome other bot`, 'renovate[bot]');
    const r = await check('good');
    expect(r.code).toBe(0);
    expect(fake.writes().map((w) => `${w.method} ${w.path.split('/').pop()}`)).toEqual([`PATCH ${a}`, `DELETE ${b}`]);
    const ids = fake.list(7).map((c) => c.id);
    expect(ids).toEqual([quote, pasted, a, root, other]);
    expect(fake.list(7).find((c) => c.id === pasted)!.body).toBe(`${COMMENT_MARKER}\nI pasted the bot's comment`);
    expect(ours()[0].body).toContain('288 → 336');
    expect(r.stdout).toContain('deleted 1 duplicate');
  });

  it('retries 5xx answers and succeeds', async () => {
    fake.faults.push({ method: 'GET', path: /\/issues\/7\/comments$/, status: 502, times: 1 });
    fake.faults.push({ method: 'POST', path: /\/issues\/7\/comments$/, status: 503, times: 1 });
    const r = await check('good');
    expect(r.code, r.stdout).toBe(0);
    expect(ours()).toHaveLength(1);
    expect(fake.requests.filter((q) => q.method === 'POST' && q.path.endsWith('/comments'))).toHaveLength(2);
    expect(r.stdout).toMatch(/answered 502 .*retrying/);
    expect(r.stdout).toMatch(/answered 503 .*retrying/);
  });

  it('retries a secondary rate limit after Retry-After', async () => {
    fake.faults.push({ method: 'POST', path: /\/issues\/7\/comments$/, status: 403, times: 1, headers: { 'retry-after': '1' }, message: 'You have exceeded a secondary rate limit' });
    const r = await check('good');
    expect(r.code, r.stdout).toBe(0);
    expect(ours()).toHaveLength(1);
    expect(r.stdout).toMatch(/answered 403 .*secondary rate limit.*retrying in 1\.0 s/);
  });

  it("a fork's read-only token (403) still leaves the summary, the outputs and the report, with a notice", async () => {
    fake.faults.push({ method: 'POST', path: /\/issues\/7\/comments$/, status: 403, times: 99, message: 'Resource not accessible by integration' });
    const r = await check('bad', { headRepo: 'mallory/ct-data' });
    expect(r.code).toBe(1);
    expect(fake.requests.filter((q) => q.method === 'POST' && q.path.endsWith('/comments'))).toHaveLength(1);
    expect(ours()).toHaveLength(0);
    expect(r.outputs).toMatchObject({ verdict: 'fail', errors: '2', warnings: '0' });
    expect(readPullRequestReport(r.outputs.report).report.totals.errors).toBe(2);
    expect(r.summary).toContain('components.too_many');
    const notice = r.commands.find((c) => c.command === 'warning' && c.props.includes('comment not posted'));
    expect(notice?.message).toMatch(/403 Resource not accessible by integration.*fork-safe setup.*mode: comment/);
  });

  it('a corrupt mask in the head becomes a finding, not a crash', async () => {
    const r = await check('corrupt');
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).not.toMatch(/internal error/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const body = ours()[0].body;
    expect(body).toContain('<code>format.unreadable</code>');
    expect(body).toContain('case02');
    const report = readPullRequestReport(r.outputs.report);
    const f = report.report.items.find((i) => i.id === 'case02')!.findings;
    expect(f.map((x) => x.rule)).toEqual(['format.unreadable']);
    expect(f[0].message).toContain('labels/case02.nii.gz');
  });

  it('a Git LFS pointer where a mask should be is named as such', async () => {
    const r = await check('lfs');
    expect(r.code).toBe(1);
    const f = readPullRequestReport(r.outputs.report).report.items.find((i) => i.id === 'case02')!.findings;
    expect(f.map((x) => x.rule)).toEqual(['format.unreadable']);
    expect(f[0].message).toContain('is a Git LFS pointer, not the file itself');
    expect(r.commands.find((c) => c.command === 'warning' && c.props.includes('Git LFS'))?.message).toContain('lfs: true');
  });

  it('a renamed mask: the old item is removed, the new one added', async () => {
    const r = await check('renamed');
    expect(r.code, r.stdout).toBe(0);
    const d = readPullRequestReport(r.outputs.report).diff.items;
    expect(d.map((i) => [i.id, i.status])).toEqual([['case02', 'removed'], ['case03', 'added']]);
    expect(readPullRequestReport(r.outputs.report).diff.dataset_items).toEqual({ base: 3, head: 3 });
    expect(ours()[0].body).toContain(`| [case03](${blob(sha.renamed, 'data/labels/case03.nii.gz')}) (added) | Organ | — → 288 | — → 1 |`);
    // The removed item's file is linked where it still exists: at the base commit.
    expect(ours()[0].body).toContain(`| [case02](${blob(sha.base, 'data/labels/case02.nii.gz')}) (removed) | Organ | 288 → — |`);
  });

  it('a PR that edits the guideline is judged by the base guideline and gets its own section', async () => {
    const r = await check('guideline');
    // 336 mm³ passes the base minimum of 100 mm³: the PR cannot judge itself by its own guideline.
    expect(r.code, r.stdout).toBe(0);
    const body = ours()[0].body;
    expect(body).toContain('### This PR changes the guideline');
    expect(body).toContain('<code>test-organ</code> 1.0.0 → <code>test-organ</code> 1.1.0');
    expect(body).toContain('labels\\[Organ\\].min\\_volume\\_mm3: 100 → 400');
    // Every item of the dataset, not only case01, is judged under the new guideline: all three are under 400 mm³.
    expect(body).toContain('## ⚠️ segqc: pass — guideline 1.0.0 → 1.1.0: 3 of 3 items would fail after merge · 1 item changed');
    expect(body).toContain('Under the new guideline 3 of 3 items would fail (0 under the current one); guideline change gate: warn.');
  });

  it('a PR that only changes the guideline leads with it: warn passes, the input guideline-change: fail fails the gate', async () => {
    const warn = await check('guidelineOnly');
    expect(warn.code, warn.stdout).toBe(0);
    expect(warn.outputs.verdict).toBe('pass');
    expect(ours()[0].body).toContain('## ⚠️ segqc: pass — guideline 1.0.0 → 1.1.0: 3 of 3 items would fail after merge · 0 items changed, 0 new findings (0 errors), 0 resolved');
    expect(ours()[0].body).toContain('> ⚠️ **After merge 3 of 3 items would fail the new guideline** (0 under the current one).');
    expect(readPullRequestReport(warn.outputs.report).guideline_change).toMatchObject({ items_checked: 3, items_failing_base: 0, items_failing_head: 3, gate: 'warn' });

    const fail = await check('guidelineOnly', { inputs: { 'guideline-change': 'fail' }, runId: 4244 });
    expect(fail.code, fail.stdout).toBe(1);
    expect(fail.outputs).toMatchObject({ verdict: 'fail', errors: '0' });
    expect(ours()).toHaveLength(1);
    expect(ours()[0].body).toContain('## ❌ segqc: fail — guideline 1.0.0 → 1.1.0: 3 of 3 items would fail after merge · 0 items changed');
    const failed = fail.commands.find((c) => c.command === 'error' && /the gate failed/.test(c.message));
    expect(failed?.message).toBe('segqc: the gate failed: after merge 3 of 3 items would fail the new guideline 1.1.0 (guideline-change: fail)');
  });

  it("the base segqc.yaml's gate.guideline-change: fail applies; the input warn cannot loosen it", async () => {
    const r = await runAction({
      workspace: repo.dir,
      event: pullRequestEvent(7, sha.strictBase, sha.strictHead),
      apiUrl: fake.url,
      inputs: { config: 'data/segqc.yaml', 'guideline-change': 'warn' },
    });
    expect(r.code, r.stdout).toBe(1);
    expect(r.outputs.verdict).toBe('fail');
    expect(r.stdout).toContain('gate.guideline-change (fail) is stricter than the input guideline-change (warn) and applies');
    expect(ours()[0].body).toContain('## ❌ segqc: fail — guideline 1.0.0 → 1.1.0: 3 of 3 items would fail after merge');
  });

  it('what the PR changed is taken from the merge base: base-branch commits since it branched off are not its changes', async () => {
    const r = await runAction({ workspace: repo.dir, event: pullRequestEvent(7, sha.moved, sha.good), apiUrl: fake.url, inputs: { config: 'data/segqc.yaml' } });
    expect(r.code, r.stdout).toBe(0);
    const report = readPullRequestReport(r.outputs.report);
    expect(report.base_sha).toBe(sha.moved);
    expect(report.diff.items.map((i) => i.id)).toEqual(['case01']);
    expect(report.guideline_change).toBeNull();
    // The base side is the base branch as it is now; the guideline is the moved base's (version 1.1.0).
    expect(ours()[0].body).toContain('Dataset <code>data/segqc.yaml</code> · guideline <code>test-organ</code> 1.1.0 from the base commit');
    expect(ours()[0].body).not.toContain('This PR changes the guideline');
  });

  it('two datasets in one repository keep one comment each', async () => {
    // A second dataset beside data/: its own config and guideline, one mask; the PR edits a mask in each.
    repo.git('checkout', '-q', '-b', 'two-base', sha.base);
    const twoBase = repo.commit({ 'mr/segqc.yaml': config('error'), 'mr/guideline.yaml': guideline(100), 'mr/labels/mr01.nii.gz': organ }, 'add the MR dataset');
    const twoHead = repo.commit({ 'mr/labels/mr01.nii.gz': organGrown, 'data/labels/case02.nii.gz': organGrown }, 'edit both datasets');
    repo.git('checkout', '-q', 'good');
    const run = (cfg: string, runId: number) =>
      runAction({ workspace: repo.dir, event: pullRequestEvent(7, twoBase, twoHead), apiUrl: fake.url, inputs: { config: cfg }, runId });
    const data = await run('data/segqc.yaml', 1);
    const mr = await run('mr/segqc.yaml', 2);
    expect([data.code, mr.code], data.stdout + mr.stdout).toEqual([0, 0]);
    expect(readPullRequestReport(data.outputs.report).diff.items.map((i) => i.id)).toEqual(['case02']);
    expect(readPullRequestReport(mr.outputs.report).diff.items.map((i) => i.id)).toEqual(['mr01']);
    const bodies = ours().map((c) => c.body);
    expect(bodies).toHaveLength(2);
    expect(bodies[0]).toContain('Dataset <code>data/segqc.yaml</code>');
    expect(bodies[0]).toContain(`| [case02](${blob(twoHead, 'data/labels/case02.nii.gz')}) | Organ | 288 → 336`);
    expect(bodies[1]).toContain('Dataset <code>mr/segqc.yaml</code>');
    expect(bodies[1]).toContain(`| [mr01](${blob(twoHead, 'mr/labels/mr01.nii.gz')}) | Organ | 288 → 336`);
    expect(bodies[1]).toContain(`<code>npx segqc diff --base ${twoBase} --head ${twoHead} mr</code>`);
    expect(bodies[1]).toContain('| items in the dataset | 1 | 1 |');
    // Re-running one dataset's check leaves the other's comment alone.
    await run('data/segqc.yaml', 3);
    expect(ours().map((c) => c.body)).toEqual(bodies);
    expect(fake.writes().map((w) => w.method)).toEqual(['POST', 'POST']);
  });

  it("a PR cannot loosen its own gate through its segqc.yaml", async () => {
    const r = await check('loosen');
    expect(r.code).toBe(1);
    expect(r.outputs.verdict).toBe('fail');
  });

  it('a shallow clone without the base commit gets a clear message', async () => {
    const shallow = tmp('shallow-');
    execFileSync('git', ['clone', '-q', '--depth', '1', '--branch', 'good', `file://${repo.dir}`, shallow]);
    const r = await check('good', { workspace: shallow });
    expect(r.code).toBe(2);
    const err = r.commands.find((c) => c.command === 'error');
    expect(err?.message).toContain(`commit ${sha.base} is not in this clone`);
    expect(err?.message).toContain('fetch-depth: 0');
    expect(fake.writes()).toHaveLength(0);
  });

  it('finds the repository below the workspace (checkout path:), and says so when there is none', async () => {
    const parent = join(repo.dir, '..');
    const name = repo.dir.slice(parent.length + 1);
    const r = await check('good', { workspace: parent, inputs: { config: `${name}/data/segqc.yaml` } });
    expect(r.code, r.stdout).toBe(0);
    expect(r.outputs.verdict).toBe('pass');
    const none = await check('good', { workspace: tmp('not-a-repo-') });
    expect(none.code).toBe(2);
    expect(none.commands.find((c) => c.command === 'error')?.message).toMatch(/is not in a git checkout.*actions\/checkout with fetch-depth: 0/);
  });

  it('bad inputs are usage errors naming the input', async () => {
    const r = await check('good', { inputs: { 'fail-on': 'sometimes' } });
    expect(r.code).toBe(2);
    expect(r.commands.find((c) => c.command === 'error')?.message).toContain('input fail-on is one of error, warning, never, got "sometimes"');
  });
});

describe('mode: merge (a shard matrix)', () => {
  it('shards take disjoint shares; merged they give the totals and the comment of one run', async () => {
    const full = await check('bad', { inputs: { full: 'true', comment: 'false' } });
    expect(full.code).toBe(1);
    const whole = readPullRequestReport(full.outputs.report);
    expect(whole.report.totals.items).toBe(3);
    const downloads = tmp('shards-');
    const parts = [];
    for (const s of ['1/2', '2/2']) {
      const r = await check('bad', { inputs: { full: 'true', shard: s } });
      // A shard neither comments nor gates: the merge does.
      expect(r.code, r.stdout).toBe(0);
      const p = readPullRequestReport(r.outputs.report);
      parts.push(p);
      const dir = join(downloads, `segqc-report-${s.replace('/', '-of-')}`);
      mkdirSync(dir);
      copyFileSync(r.outputs.report, join(dir, 'report.json'));
    }
    expect(fake.writes()).toHaveLength(0);
    expect(parts[0].report.totals.items + parts[1].report.totals.items).toBe(3);
    const ids = [...parts[0].report.items, ...parts[1].report.items].map((i) => i.id).sort();
    expect(ids).toEqual(['case01', 'case02', ODD]);

    const merged = await runAction({
      workspace: repo.dir,
      event: pullRequestEvent(7, sha.base, sha.bad),
      apiUrl: fake.url,
      inputs: { mode: 'merge', reports: downloads },
    });
    expect(merged.code, merged.stdout).toBe(1);
    expect(merged.outputs).toMatchObject({ verdict: 'fail', errors: String(whole.report.totals.errors), warnings: String(whole.report.totals.warnings) });
    const m = readPullRequestReport(merged.outputs.report);
    expect(m.report.totals).toEqual(whole.report.totals);
    expect(m.diff.totals).toEqual(whole.diff.totals);
    expect(m.diff.dataset_items).toEqual({ base: 3, head: 3 });
    expect(m.config_path).toBe('data/segqc.yaml');
    expect(m.report.audit_sample).toEqual(whole.report.audit_sample);
    expect(ours()).toHaveLength(1);
    // full checks all three items; the PR changed one.
    expect(ours()[0].body).toContain('## ❌ segqc: fail — 1 item changed');
    expect(m.diff.items.filter((i) => !i.unchanged).map((i) => i.id)).toEqual([ODD]);
  });

  it('refuses an incomplete matrix', async () => {
    const r1 = await check('bad', { inputs: { full: 'true', shard: '1/3' } });
    const dir = tmp('shards-');
    copyFileSync(r1.outputs.report, join(dir, 'a.json'));
    const merged = await runAction({ workspace: repo.dir, event: pullRequestEvent(7, sha.base, sha.bad), apiUrl: fake.url, inputs: { mode: 'merge', reports: dir } });
    expect(merged.code).toBe(2);
    expect(merged.commands.find((c) => c.command === 'error')?.message).toContain('shards 2/3, 3/3 missing');
    expect(fake.writes()).toHaveLength(0);
  });
});

describe('mode: comment (the fork-safe workflow_run half)', () => {
  const workflowRun = (headSha: string) => ({
    action: 'completed',
    workflow_run: { id: 99, head_sha: headSha, html_url: 'https://github.example/acme/ct-data/actions/runs/99', pull_requests: [] },
    repository: { full_name: 'acme/ct-data' },
  });

  async function uploadedReport(): Promise<string> {
    fake.faults.push({ method: 'POST', path: /\/issues\/7\/comments$/, status: 403, times: 1, message: 'Resource not accessible by integration' });
    const r = await check('bad', { headRepo: 'mallory/ct-data' });
    const dir = tmp('download-');
    copyFileSync(r.outputs.report, join(dir, 'segqc-report.json'));
    fake.requests.length = 0;
    return dir;
  }

  it('checks nothing out, confirms the head and posts the comment from the report', async () => {
    const dir = await uploadedReport();
    fake.pulls.set(7, { headSha: sha.bad, baseSha: sha.base });
    const empty = tmp('empty-');
    const r = await runAction({ workspace: empty, event: workflowRun(sha.bad), eventName: 'workflow_run', apiUrl: fake.url, inputs: { mode: 'comment', reports: dir } });
    expect(r.code, r.stdout).toBe(0);
    expect(fake.requests.some((q) => q.method === 'GET' && q.path === '/repos/acme/ct-data/pulls/7')).toBe(true);
    expect(ours()).toHaveLength(1);
    const body = ours()[0].body;
    expect(body).toContain('## ❌ segqc: fail');
    expect(body).toContain('case\\_&lt;1&gt;\\|\\*');
    expect(body).toContain('[Workflow run](https://github.example/acme/ct-data/actions/runs/99)');
    expect(r.outputs).toMatchObject({ verdict: 'fail', errors: '2' });
  });

  it("links the review page the check run uploaded, each item to its section; no link when there is no page", async () => {
    const dir = await uploadedReport();
    fake.pulls.set(7, { headSha: sha.bad, baseSha: sha.base });
    const run = () =>
      runAction({ workspace: tmp('empty-'), event: workflowRun(sha.bad), eventName: 'workflow_run', apiUrl: fake.url, inputs: { mode: 'comment', reports: dir, 'review-artifact': 'segqc-report.html' } });
    // The check run uploaded no page (or it has expired): nothing to link.
    fake.artifacts.set(99, [{ id: 554, name: 'segqc-report.html', expired: true }]);
    let r = await run();
    expect(r.code, r.stdout).toBe(0);
    expect(fake.requests.some((q) => q.method === 'GET' && q.path === '/repos/acme/ct-data/actions/runs/99/artifacts')).toBe(true);
    expect(ours()[0].body).not.toContain('Pictures');
    fake.artifacts.set(99, [{ id: 555, name: 'segqc-report.html', expired: false }]);
    r = await run();
    expect(r.code, r.stdout).toBe(0);
    const body = ours()[0].body;
    const page = 'https://github.example/acme/ct-data/actions/runs/99/artifacts/555';
    expect(body).toContain(`🖼️ **Pictures:** [the review page](${page}): `);
    // The item's section: "item-" and its id, characters outside A–Z a–z 0–9 _ . - as ~hex~.
    expect(body).toContain(`[case\\_&lt;1&gt;\\|\\*](${blob(sha.bad, `data/labels/${ODD_URL}`)}) · [pictures](${page}#item-case_~3c~1~3e~~7c~~2a~) | Organ |`);
  });

  it('does not post when the pull request has moved on to another head', async () => {
    const dir = await uploadedReport();
    fake.pulls.set(7, { headSha: sha.good, baseSha: sha.base });
    const r = await runAction({ workspace: dir, event: workflowRun(sha.bad), eventName: 'workflow_run', apiUrl: fake.url, inputs: { mode: 'comment', reports: dir } });
    expect(r.code).toBe(0);
    expect(fake.writes()).toHaveLength(0);
    expect(r.commands.find((c) => c.command === 'notice')?.message).toContain('has moved on');
  });

  it('refuses a report of another commit, a report that breaks the schema, and one over the size limit', async () => {
    const dir = await uploadedReport();
    const file = join(dir, 'segqc-report.json');
    fake.pulls.set(7, { headSha: sha.bad, baseSha: sha.base });
    const run = () => runAction({ workspace: dir, event: workflowRun(sha.bad), eventName: 'workflow_run', apiUrl: fake.url, inputs: { mode: 'comment', reports: dir } });
    const original = JSON.parse(readFileSync(file, 'utf8'));

    writeFileSync(file, JSON.stringify({ ...original, head_sha: sha.good }));
    let r = await run();
    expect(r.code).toBe(2);
    expect(r.commands.find((c) => c.command === 'error')?.message).toContain(`is a report of ${sha.good.slice(0, 7)}, but the workflow run checked ${sha.bad.slice(0, 7)}`);

    writeFileSync(file, JSON.stringify({ ...original, report: { ...original.report, verdict: '<script>' } }));
    r = await run();
    expect(r.code).toBe(2);
    expect(r.commands.find((c) => c.command === 'error')?.message).toContain('is not a segqc pull request report (at /report/verdict');

    writeFileSync(file, Buffer.alloc(64 * 1024 * 1024 + 1, 0x20));
    r = await run();
    expect(r.code).toBe(2);
    expect(r.commands.find((c) => c.command === 'error')?.message).toContain('over the 67108864-byte limit');
    expect(fake.writes()).toHaveLength(0);
  });
});

describe('Label Studio exports', () => {
  /** A 32×32 task whose Organ brush is a w×h pixel rectangle (1 mm pixels: w·h mm²). */
  const task = (id: number, image: string, w: number, h = 12) => {
    const alpha = new Uint8Array(32 * 32);
    for (let y = 4; y < 4 + h; y++) for (let x = 4; x < 4 + w; x++) alpha[y * 32 + x] = 255;
    return {
      id,
      data: { image: `/data/upload/1/${image}.png`, pixel_spacing: [1, 1] },
      annotations: [
        {
          id: id * 10,
          completed_by: { email: 'rater@example.com' },
          result: [
            { id: `r${id}`, type: 'brushlabels', from_name: 'label', to_name: 'image', original_width: 32, original_height: 32, image_rotation: 0, value: { format: 'rle', rle: encodeBrushRle(alpha, 32, 32), brushlabels: ['Organ'] } },
          ],
        },
      ],
    };
  };

  it('an export edited in place touches only the tasks whose JSON changed', async () => {
    const ls = new TestRepo(tmp('ls-'));
    const cfg = 'guideline: guideline.yaml\nsources:\n  - format: labelstudio\n    path: exports/*.json\n    spacing: pixel_spacing\n';
    const base = ls.commit(
      { 'segqc.yaml': cfg, 'guideline.yaml': guideline(100), 'exports/project.json': JSON.stringify([task(1, 'slice_a', 12), task(2, 'slice_b', 12), task(3, 'slice_c', 12)]) },
      'base',
    );
    const head = ls.commit({ 'exports/project.json': JSON.stringify([task(1, 'slice_a', 12), task(2, 'slice_b', 14), task(3, 'slice_c', 12)]) }, 'slice_b grows');
    const r = await runAction({ workspace: ls.dir, event: pullRequestEvent(7, base, head), apiUrl: fake.url });
    expect(r.code, r.stdout).toBe(0);
    const report = readPullRequestReport(r.outputs.report);
    expect(report.diff.items.map((i) => i.id)).toEqual(['slice_b']);
    expect(report.report.items[0].annotations[0].annotator).toBe('rater@example.com');
    expect(ours()[0].body).toContain(`| [slice\\_b](${blob(head, 'exports/project.json')}) | Organ | 144 → 168 (+16.7%) | 1 |`);
  });

  it("two raters: only the one whose annotation changed is listed, under the annotator's name", async () => {
    const rater = (id: number, email: string, w: number) => ({ ...task(0, '', w).annotations[0], id, completed_by: { email } });
    const both = (wa: number, wb: number) => JSON.stringify([{ ...task(1, 'slice_a', 12), annotations: [rater(10, 'ann@example.com', wa), rater(11, 'ben@example.com', wb)] }]);
    const ls = new TestRepo(tmp('ls-'));
    const cfg = 'guideline: guideline.yaml\nsources:\n  - format: labelstudio\n    path: exports/*.json\n    spacing: pixel_spacing\n';
    const base = ls.commit({ 'segqc.yaml': cfg, 'guideline.yaml': guideline(100), 'exports/project.json': both(12, 12) }, 'base');
    // Ann commits her own change: the git author is the annotator, named once.
    ls.git('config', 'user.email', 'ann@example.com');
    const head = ls.commit({ 'exports/project.json': both(14, 12) }, 'ann redraws');
    const r = await runAction({ workspace: ls.dir, event: pullRequestEvent(7, base, head), apiUrl: fake.url });
    expect(r.code, r.stdout).toBe(0);
    const table = ours()[0].body.slice(ours()[0].body.indexOf('### Changed items'));
    expect(table).toContain('**ann@\u200bexample.com**\n');
    expect(table).not.toContain('committed by');
    expect(table).toContain('| Organ | 144 → 168 (+16.7%) |');
    expect(table).not.toContain('ben@');
    expect(table).toContain('Not listed: 1 label of the touched items that did not change, 1 annotation of them unchanged throughout.');
  });

  it('the top 10 errors become annotations on the export, one notice counts the rest', async () => {
    const ls = new TestRepo(tmp('ls-'));
    const cfg = 'guideline: guideline.yaml\nsources:\n  - format: labelstudio\n    path: exports/*.json\n    spacing: pixel_spacing\n';
    const tasks = (h: number) => JSON.stringify(Array.from({ length: 12 }, (_, i) => task(i + 1, `slice_${String(i).padStart(2, '0')}`, 12, h)));
    const base = ls.commit({ 'segqc.yaml': cfg, 'guideline.yaml': guideline(100), 'exports/project.json': tasks(12) }, 'base');
    // Every organ shrinks to 12×4 = 48 mm², under the 100 mm² minimum.
    const head = ls.commit({ 'exports/project.json': tasks(4) }, 'shrink all');
    const r = await runAction({ workspace: ls.dir, event: pullRequestEvent(7, base, head), apiUrl: fake.url });
    expect(r.code).toBe(1);
    expect(r.outputs.errors).toBe('12');
    const annotations = r.commands.filter((c) => c.command === 'error' && c.props.includes('title=segqc volume.below_min'));
    expect(annotations).toHaveLength(10);
    expect(annotations.every((a) => a.props.includes('file=exports/project.json'))).toBe(true);
    expect(r.commands.find((c) => c.command === 'notice')?.message).toBe('2 more errors and warnings are in the job summary and the report.');
  });
});

describe('annotator trends from the history (a clone with history)', () => {
  // Organ with a second island: components.too_many, its one finding under guideline 1.0.0 (max_components 1).
  const twoIslands = mask([[1, 2, 8, 2, 8, 1, 5], [1, 10, 12, 10, 12, 0, 1]]);
  let history: TestRepo;
  const at: Record<string, string> = {};
  const commitOn = (who: string, date: string, files: Record<string, Uint8Array | string>, message: string) => {
    for (const [p, content] of Object.entries(files)) {
      mkdirSync(join(history.dir, p, '..'), { recursive: true });
      writeFileSync(join(history.dir, p), content);
      history.git('add', '--', p);
    }
    const when = `${date}T12:00:00+00:00`;
    const email = `${who.split(' ')[0].toLowerCase()}@example.com`;
    execFileSync('git', ['commit', '-q', '-m', message], {
      cwd: history.dir,
      env: { ...process.env, GIT_AUTHOR_NAME: who, GIT_AUTHOR_EMAIL: email, GIT_COMMITTER_NAME: who, GIT_COMMITTER_EMAIL: email, GIT_AUTHOR_DATE: when, GIT_COMMITTER_DATE: when },
    });
    return history.git('rev-parse', 'HEAD');
  };

  beforeAll(() => {
    history = new TestRepo(tmp('history-'));
    commitOn('Lee Lead', '2024-01-10', { 'data/segqc.yaml': config('error'), 'data/guideline.yaml': guideline(100), 'data/labels/case01.nii.gz': organ }, 'setup');
    // Dana's case02, month by month: no finding, one finding, no finding (findings per annotation 0, 1, 0).
    commitOn('Dana Curator', '2024-02-10', { 'data/labels/case02.nii.gz': organ }, 'case02');
    commitOn('Dana Curator', '2024-03-10', { 'data/labels/case02.nii.gz': twoIslands }, 'case02 island');
    at.base = commitOn('Dana Curator', '2024-04-10', { 'data/labels/case02.nii.gz': organGrown }, 'case02 fixed');
    at.head = commitOn('Dana Curator', '2024-05-02', { 'data/labels/case02.nii.gz': organ }, 'case02 again');
  });

  const prCheck = (workspace: string) =>
    runAction({ workspace, event: pullRequestEvent(8, at.base, at.head), apiUrl: fake.url, inputs: { config: 'data/segqc.yaml' } });

  it("the comment has one line per annotator who changed items: their findings per annotation over the last months", async () => {
    fake.pulls.set(8, { headSha: at.head, baseSha: at.base });
    const r = await prCheck(history.dir);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const body = fake.list(8).find((c) => c.user.login === 'github-actions[bot]')!.body;
    // Months 2024-01 (Dana: nothing), 02 (0), 03 (1), 04 (0): a blank, the lowest bar, the highest, the lowest.
    expect(body).toContain('**Annotator trends** — findings per annotation by month, <code>2024-01</code> to <code>2024-04</code>, up to the base commit:');
    expect(body).toContain('- Dana Curator: <code> ▁█▁</code> (latest 0.00)');
    expect(body).not.toContain('- Lee Lead:');
    expect(readPullRequestReport(r.outputs.report).annotator_trends).toEqual([{ annotator: 'Dana Curator', periods: ['2024-01', '2024-02', '2024-03', '2024-04'], findings_per_annotation: [null, 0, 1, 0] }]);
    expect(r.summary).toContain('- Dana Curator: <code> ▁█▁</code>');
  });

  it('a shallow clone has no trend line and the same verdict', async () => {
    fake.pulls.set(8, { headSha: at.head, baseSha: at.base });
    const shallow = join(tmp('shallow-'), 'repo');
    execFileSync('git', ['clone', '-q', '--depth', '2', `file://${history.dir}`, shallow]);
    const r = await prCheck(shallow);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.outputs.verdict).toBe('pass');
    const body = fake.list(8).find((c) => c.user.login === 'github-actions[bot]')!.body;
    expect(body).not.toContain('Annotator trends');
    expect(readPullRequestReport(r.outputs.report).annotator_trends).toBeUndefined();
  });
});
