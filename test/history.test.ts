/**
 * `segqc history` on a real git repository built here: several authors, a guideline change in the middle, a revert,
 * a merge commit (--no-ff) whose branch commits must not be steps, a commit whose segqc.yaml does not parse. The
 * expected scorecards are tallied below from the list of what each commit does, not from segqc's code.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import Ajv2020 from 'ajv/dist/2020.js';
import { encodeNifti } from '../shared/formats/nifti-write.js';
import { axisGeometry } from '../shared/model.js';
import { walkHistory } from '../node/history-walk.js';
import { memoryCache, openDiskCache } from '../node/cache.js';
import { buildHistory } from '../shared/history/scorecard.js';
import { renderHistoryMarkdown } from '../shared/history/render-markdown.js';
import { sparkline } from '../shared/history/sparkline.js';
import type { HistoryReport } from '../shared/history/types.js';

const guideline = (version: string, maxComponents: number) => `schema_version: 1
id: hist
version: ${version}
title: History test
modalities: [CT]
labels:
  - name: Liver
    value: 1
    color: "#d2691e"
    max_components: ${maxComponents}
agreement:
  - label: Liver
    dice_min: 0
    tolerance_mm: 2
`;
const CONFIG = `guideline: g.yaml
sources:
  - name: raters
    format: nifti
    path: raters/*/*.nii.gz
    annotator: "{dir}"
  - name: solo
    format: nifti
    path: solo/*.nii.gz
gate:
  fail-on: error
`;

// 12x12x4 voxels of 1 mm: up to three separate 4x4x4 boxes of label 1 (64 voxels each).
const BOXES: Array<[number, number]> = [[0, 0], [8, 8], [0, 8]];
function mask(components: number): Uint8Array {
  const g = axisGeometry([12, 12, 4], [1, 1, 1]);
  const data = new Uint8Array(12 * 12 * 4);
  for (const [i0, j0] of BOXES.slice(0, components)) {
    for (let k = 0; k < 4; k++) for (let j = j0; j < j0 + 4; j++) for (let i = i0; i < i0 + 4; i++) data[(k * 12 + j) * 12 + i] = 1;
  }
  return encodeNifti({ geometry: g, data }, { gzip: true });
}

let scratch: string;
let dir: string;
const sha: Record<string, string> = {};
let branchShas: string[] = [];

function git(args: string[], env: Record<string, string> = {}): string {
  return execFileSync('git', args, { cwd: dir, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] }).toString().trim();
}
const who = (name: string, date: string) => ({
  GIT_AUTHOR_NAME: name,
  GIT_AUTHOR_EMAIL: `${name.toLowerCase()}@example.com`,
  GIT_COMMITTER_NAME: name,
  GIT_COMMITTER_EMAIL: `${name.toLowerCase()}@example.com`,
  GIT_AUTHOR_DATE: `${date}T12:00:00+00:00`,
  GIT_COMMITTER_DATE: `${date}T12:00:00+00:00`,
});
function commit(name: string, date: string, files: Record<string, Uint8Array | string | null>, message: string): string {
  for (const [p, content] of Object.entries(files)) {
    if (content === null) {
      git(['rm', '-q', '--', p]);
      continue;
    }
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), content);
    git(['add', '--', p]);
  }
  git(['commit', '-q', '-m', message], who(name, date));
  return git(['rev-parse', 'HEAD']);
}

/**
 * What each first-parent step does to annotations: who (the dataset's annotator, else the git author of the file),
 * how many components the new mask has, the guideline's max_components then. Written from the commits above.
 */
interface Event {
  step: string;
  annotator: string;
  item: string;
  components: number;
  max: number;
}
const EVENTS: Event[] = [
  { step: 'add', annotator: 'alice', item: 'raters/alice/c1', components: 1, max: 1 },
  { step: 'add', annotator: 'bob', item: 'raters/bob/c1', components: 2, max: 1 },
  { step: 'add', annotator: 'Carol', item: 'solo/s1', components: 2, max: 1 },
  { step: 'fix', annotator: 'bob', item: 'raters/bob/c1', components: 1, max: 1 },
  { step: 'fix', annotator: 'Dave', item: 'solo/s2', components: 1, max: 1 },
  { step: 'more', annotator: 'alice', item: 'raters/alice/c2', components: 2, max: 2 },
  { step: 'more', annotator: 'Erin', item: 'solo/s1', components: 2, max: 2 },
  // The revert of "fix" brings bob's two-component mask back (now allowed) and deletes s2 (nothing to judge).
  { step: 'revert', annotator: 'bob', item: 'raters/bob/c1', components: 2, max: 2 },
  // The merge brings Gina's branch: alice's c3 (the {dir} annotator) and Gina's s3 (Gina is the file's author, not the merger).
  { step: 'merge', annotator: 'alice', item: 'raters/alice/c3', components: 1, max: 2 },
  { step: 'merge', annotator: 'Gina', item: 'solo/s3', components: 3, max: 2 },
];

/** The expected scorecard of each annotator, tallied from EVENTS. */
function expected() {
  const out = new Map<string, { annotations: number; findings: number; first: number; firstPass: number; rework: number }>();
  const lastFailed = new Map<string, boolean>();
  for (const e of EVENTS) {
    const row = out.get(e.annotator) ?? { annotations: 0, findings: 0, first: 0, firstPass: 0, rework: 0 };
    out.set(e.annotator, row);
    const fails = e.components > e.max;
    row.annotations++;
    if (fails) row.findings++;
    if (!lastFailed.has(e.item)) {
      row.first++;
      if (!fails) row.firstPass++;
    } else if (lastFailed.get(e.item)) row.rework++;
    lastFailed.set(e.item, fails);
  }
  return out;
}

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'segqc-history-'));
  dir = join(scratch, 'repo');
  mkdirSync(dir);
  git(['init', '-q', '-b', 'main']);
  git(['config', 'commit.gpgsign', 'false']);
  sha.setup = commit('Carol', '2024-01-10', { 'g.yaml': guideline('1.0.0', 1), 'segqc.yaml': CONFIG, 'README.md': 'data\n' }, 'setup');
  sha.add = commit('Carol', '2024-01-15', { 'raters/alice/c1.nii.gz': mask(1), 'raters/bob/c1.nii.gz': mask(2), 'solo/s1.nii.gz': mask(2) }, 'first masks');
  sha.fix = commit('Dave', '2024-02-05', { 'raters/bob/c1.nii.gz': mask(1), 'solo/s2.nii.gz': mask(1) }, 'fix bob, add s2');
  sha.clarify = commit('Carol', '2024-02-20', { 'g.yaml': guideline('2.0.0', 2) }, 'guideline 2.0.0: two components allowed');
  // s1 gets a different two-component mask (same bytes would be no change).
  sha.more = commit('Erin', '2024-03-03', { 'raters/alice/c2.nii.gz': mask(2), 'solo/s1.nii.gz': encodeNifti({ geometry: axisGeometry([12, 12, 4], [1, 1, 1]), data: twoComponentsOther() }, { gzip: true }) }, 'more');
  git(['revert', '--no-edit', sha.fix], who('Frank', '2024-03-10'));
  sha.revert = git(['rev-parse', 'HEAD']);
  git(['checkout', '-q', '-b', 'feature']);
  branchShas.push(commit('Gina', '2024-04-02', { 'raters/alice/c3.nii.gz': mask(1) }, 'c3 for alice'));
  branchShas.push(commit('Gina', '2024-04-03', { 'solo/s3.nii.gz': mask(3) }, 's3'));
  git(['checkout', '-q', 'main']);
  git(['merge', '--no-ff', '-q', '-m', 'Merge feature', 'feature'], who('Carol', '2024-04-05'));
  sha.merge = git(['rev-parse', 'HEAD']);
  sha.broken = commit('Carol', '2024-04-10', { 'segqc.yaml': 'guideline: [unclosed\n', 'solo/s4.nii.gz': mask(1) }, 'broken config');
  sha.repair = commit('Carol', '2024-04-12', { 'segqc.yaml': CONFIG }, 'repair config');
});

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A second two-component mask (the first and third boxes), so s1's bytes change. */
function twoComponentsOther(): Uint8Array {
  const data = new Uint8Array(12 * 12 * 4);
  for (const [i0, j0] of [BOXES[0], BOXES[2]]) for (let k = 0; k < 4; k++) for (let j = j0; j < j0 + 4; j++) for (let i = i0; i < i0 + 4; i++) data[(k * 12 + j) * 12 + i] = 1;
  return data;
}

const run = (cache = memoryCache()) => walkHistory(dir, { configPath: 'segqc.yaml', cache, toolVersion: 'test' });

describe('segqc history on a real repository', () => {
  let report: HistoryReport;
  beforeAll(async () => {
    const walk = await run();
    report = buildHistory(walk.steps, { by: 'month', toolVersion: 'test', shallow: walk.shallow, notes: walk.notes });
  });

  it('walks first parents only: the merge is one step, its branch commits are not steps', () => {
    const order = ['setup', 'add', 'fix', 'clarify', 'more', 'revert', 'merge', 'broken', 'repair'].map((k) => sha[k]);
    expect(report.steps.map((s) => s.commit)).toEqual(order);
    for (const b of branchShas) expect(report.steps.map((s) => s.commit)).not.toContain(b);
    expect(report.steps.find((s) => s.commit === sha.merge)!.merge).toBe(true);
    expect(report.range.shallow).toBe(false);
  });

  it('counts per annotator as tallied from the commits', () => {
    const want = expected();
    expect(report.annotators.map((a) => a.annotator)).toEqual([...want.keys()].sort());
    for (const a of report.annotators) {
      const w = want.get(a.annotator)!;
      expect({ annotator: a.annotator, annotations: a.totals.annotations, findings: a.totals.findings, first: a.totals.first_submissions, firstPass: a.totals.first_pass, rework: a.totals.rework }).toEqual({
        annotator: a.annotator,
        ...w,
      });
    }
    // By hand, for the reader: bob failed once (two components under 1.0.0) and reworked it; Gina's s3 has three.
    expect(want.get('bob')).toEqual({ annotations: 3, findings: 1, first: 1, firstPass: 0, rework: 1 });
    expect(report.annotators.find((a) => a.annotator === 'Gina')!.totals.by_rule).toEqual({ 'components.too_many': 1 });
    expect(report.totals.annotations).toBe(EVENTS.length);
  });

  it('agreement between the raters: Dice 2/3 for one box against two, 1 for identical masks', () => {
    const bob = report.annotators.find((a) => a.annotator === 'bob')!;
    const alice = report.annotators.find((a) => a.annotator === 'alice')!;
    // alice's c1 (one box) vs bob's c1 (two boxes): 2·64 / (64 + 128). Bob's fix (one box) agrees fully; the revert brings 2/3 back.
    expect(alice.totals.dice_vs_others).toBeCloseTo(2 / 3, 10);
    expect(bob.totals.dice_vs_others).toBeCloseTo((2 / 3 + 1 + 2 / 3) / 3, 10);
    expect(bob.totals.dice_vs_reference).toBeNull();
  });

  it('per period and per rule: the guideline clarification shows in the rule trend', () => {
    expect(report.periods).toEqual(['2024-01', '2024-02', '2024-03', '2024-04']);
    const rule = report.rules.find((r) => r.rule === 'components.too_many')!;
    // 2024-01: bob's and Carol's two-component masks under max 1; 2024-04: Gina's three components under max 2.
    expect(rule.periods.map((p) => p.count)).toEqual([2, 0, 0, 1]);
    expect(report.guidelines.map((g) => [g.version, g.commit])).toEqual([
      ['1.0.0', sha.setup],
      ['2.0.0', sha.clarify],
    ]);
    const bob = report.annotators.find((a) => a.annotator === 'bob')!;
    expect(bob.periods.map((p) => [p.period, p.annotations, p.findings])).toEqual([
      ['2024-01', 1, 1],
      ['2024-02', 1, 0],
      ['2024-03', 1, 0],
    ]);
  });

  it('a commit whose segqc.yaml does not parse is a gap with the error, and the run goes on', () => {
    expect(report.gaps).toHaveLength(1);
    expect(report.gaps[0].commit).toBe(sha.broken);
    expect(report.gaps[0].error).toMatch(/segqc\.yaml/);
    expect(report.steps.find((s) => s.commit === sha.repair)!.gap).toBeNull();
    expect(report.steps.find((s) => s.commit === sha.broken)!.items).toBe(0);
  });

  it('the JSON validates against guidelines/history.schema.json', () => {
    const schema = JSON.parse(readFileSync(join(import.meta.dirname, '../guidelines/history.schema.json'), 'utf8'));
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    const validate = ajv.compile(schema);
    const ok = validate(JSON.parse(JSON.stringify(report)));
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
    expect(report.schema_version).toBe(1);
  });

  it('Markdown names every annotator and the trend', () => {
    const md = renderHistoryMarkdown(report);
    for (const a of expected().keys()) expect(md).toContain(`| ${a} |`);
    expect(md).toContain('| <code>components.too_many</code> | 3 |');
    expect(sparkline([3, 2, 1, 0, null])).toBe('█▆▃▁ ');
  });
});

describe('the cache', () => {
  it('a second run reads no mask and judges nothing; a run after one more commit judges only what it changed', async () => {
    const cacheDir = join(scratch, 'cache');
    const first = await run(openDiskCache(cacheDir));
    expect(first.stats.itemsJudged).toBeGreaterThan(0);
    expect(first.stats.reads.filter((p) => p.endsWith('.nii.gz')).length).toBeGreaterThan(0);
    expect(readFileSync(join(cacheDir, '.gitignore'), 'utf8')).toBe('*\n');
    const second = await run(openDiskCache(cacheDir));
    expect(second.stats.reads).toEqual([]);
    expect(second.stats.itemsJudged).toBe(0);
    expect(second.stats.stepsFromCache).toBe(second.stats.steps);
    const h = (w: Awaited<ReturnType<typeof run>>) => JSON.stringify(buildHistory(w.steps, { by: 'commit', toolVersion: 't', shallow: false }));
    expect(h(second)).toBe(h(first));
    // Steps forgotten, items kept: the items come from the cache by their blob ids, so no mask is read either.
    rmSync(join(cacheDir, 'step'), { recursive: true });
    const third = await run(openDiskCache(cacheDir));
    expect(third.stats.itemsJudged).toBe(0);
    expect(third.stats.reads.filter((p) => p.endsWith('.nii.gz'))).toEqual([]);
    expect(h(third)).toBe(h(first));
    commit('Hal', '2024-05-01', { 'solo/s5.nii.gz': mask(1) }, 's5');
    try {
      const fourth = await run(openDiskCache(cacheDir));
      expect(fourth.stats.steps - fourth.stats.stepsFromCache).toBe(1);
      expect(fourth.stats.itemsJudged).toBe(1);
      expect(fourth.stats.reads).toEqual(['solo/s5.nii.gz']);
    } finally {
      git(['reset', '-q', '--hard', 'HEAD~1']);
    }
  });
});

describe('segqc history (the command)', () => {
  it('writes JSON, Markdown and HTML; a shallow clone says how much it sees and how to get the rest', () => {
    const cli = join(import.meta.dirname, '../bin/segqc.js');
    const out = join(scratch, 'out');
    mkdirSync(out, { recursive: true });
    const r = spawnSync(process.execPath, [cli, 'history', dir, '--no-cache', '--json', join(out, 'h.json'), '--markdown', join(out, 'h.md'), '--html', join(out, 'h.html')], { encoding: 'utf8' });
    expect(r.stderr).toContain('segqc history: 9 commits');
    expect(r.status).toBe(0);
    const j = JSON.parse(readFileSync(join(out, 'h.json'), 'utf8')) as HistoryReport;
    expect(j.annotators.map((a) => a.annotator)).toEqual([...expected().keys()].sort());
    expect(readFileSync(join(out, 'h.html'), 'utf8')).toContain('<svg');
    expect(existsSync(join(dir, '.segqc'))).toBe(false);

    const shallow = join(scratch, 'shallow');
    execFileSync('git', ['clone', '-q', '--depth', '3', `file://${dir}`, shallow]);
    const s = spawnSync(process.execPath, [cli, 'history', shallow, '--no-cache', '--json', join(out, 's.json')], { encoding: 'utf8' });
    expect(s.status).toBe(0);
    const sj = JSON.parse(readFileSync(join(out, 's.json'), 'utf8')) as HistoryReport;
    expect(sj.range.shallow).toBe(true);
    expect(sj.range.commits).toBe(3);
    expect(sj.notes.join(' ')).toMatch(/shallow clone: the history seen is 3 commits.*fetch-depth: 0/);
    expect(sj.gaps[0].error).toMatch(/shallow/);
  });

  it('bad usage is a clear error', () => {
    const cli = join(import.meta.dirname, '../bin/segqc.js');
    const r = spawnSync(process.execPath, [cli, 'history', dir, '--by', 'year'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--by is one of week, month, commit, got "year"');
  });
});
