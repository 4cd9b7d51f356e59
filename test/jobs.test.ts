/** `--jobs N`: worker threads give the same reports, byte for byte and in the same order, as checking in one thread. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeNifti } from '../shared/formats/nifti-write.js';
import { encodeBrushRle } from '../shared/formats/brush-rle.js';
import { axisGeometry } from '../shared/model.js';
import { expectNoInternalError } from './no-internal.js';
import { pullRequestEvent, runAction } from './action-runner.js';
import { FakeGitHub } from './action-fake-github.js';

const root = join(__dirname, '..');
let tmp: string;

function segqc(args: string[], env: Record<string, string> = {}, cwd = root) {
  const r = spawnSync(process.execPath, [join(root, 'bin/segqc.js'), ...args], { cwd, encoding: 'utf8', timeout: 120_000, env: { ...process.env, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, signal: r.signal };
}

/** The roles of the worker threads a run started, one per thread, as each logged itself (`SEGQC_TEST_WORKER_LOG`). */
function workersIn(log: string): string[] {
  if (!existsSync(log)) return [];
  const lines = readFileSync(log, 'utf8').trim().split('\n');
  expect(new Set(lines).size, 'one line per thread').toBe(lines.length);
  return lines.map((l) => l.split(' ')[0]);
}

/** The JSON report of `segqc check` with `--jobs N`, as written, and the review page. */
function check(dir: string, jobs: number, env: Record<string, string> = {}) {
  const out = mkdtempSync(join(tmp, 'out-'));
  const r = segqc(['check', dir, '--jobs', String(jobs), '--json', join(out, 'r.json'), '--html', join(out, 'r.html'), '--quiet'], env);
  expect([0, 1], r.stderr).toContain(r.code);
  return { ...r, json: readFileSync(join(out, 'r.json'), 'utf8'), html: readFileSync(join(out, 'r.html'), 'utf8') };
}

const GUIDELINE = `schema_version: 1
id: jobs-test
version: 1.0.0
title: Worker threads test
modalities: [CT]
labels:
  - name: Liver
    value: 1
    color: "#d2691e"
    required: true
    max_components: 1
  - name: Tumour
    value: 2
    color: "#ff0000"
    inside: { label: Liver, tolerance_mm: 1 }
agreement:
  - label: Liver
    dice_min: 0.95
review:
  audit_rate: 0.3
`;

/** A square of `value` from (x0, y0), `size` across, in a w x h alpha mask. */
function square(w: number, h: number, x0: number, y0: number, size: number): Uint8Array {
  const a = new Uint8Array(w * h);
  for (let y = y0; y < Math.min(h, y0 + size); y++) for (let x = x0; x < Math.min(w, x0 + size); x++) a[y * w + x] = 255;
  return a;
}

function task(id: number, image: string, liver: number[] | 'garbage', tumour = false) {
  const W = 48, H = 40;
  const region = (rid: string, rle: number[], label: string) => ({
    id: rid, type: 'brushlabels', from_name: 'label', to_name: 'image', original_width: W, original_height: H, image_rotation: 0,
    value: { format: 'rle', rle, brushlabels: [label] },
  });
  const result = [region(`l${id}`, liver === 'garbage' ? [7, 7, 7] : liver, 'Liver')];
  if (tumour) result.push(region(`t${id}`, encodeBrushRle(square(W, H, 2, 2, 3), W, H), 'Tumour'));
  return { id, data: { image: `/data/upload/1/${image}.png`, pixel_spacing: [0.5, 0.5] }, annotations: [{ id: id * 10, completed_by: 1 + (id % 3), result }] };
}

/**
 * A dataset of every kind of item: Label Studio tasks in several exports (one image in two exports, one export not
 * JSON, one mask that does not decode) and NIfTI cases of two raters with images (one mask not NIfTI, one case
 * without its image, an attestation sidecar).
 */
function generated(dir: string): void {
  const W = 48, H = 40;
  mkdirSync(join(dir, 'exports'), { recursive: true });
  mkdirSync(join(dir, 'images'), { recursive: true });
  for (const r of ['rater1', 'rater2']) mkdirSync(join(dir, 'labels', r), { recursive: true });
  writeFileSync(join(dir, 'guideline.yaml'), GUIDELINE);
  writeFileSync(
    join(dir, 'segqc.yaml'),
    'guideline: guideline.yaml\nsources:\n  - format: labelstudio\n    path: exports/*.json\n    spacing: pixel_spacing\n' +
      '  - format: nifti\n    path: labels/*/*.nii.gz\n    images: images/{id}.nii.gz\n    annotator: "{dir}"\ngate:\n  fail-on: error\n',
  );
  const rle = (i: number) => encodeBrushRle(square(W, H, 4 + i, 5, 10 + (i % 4) * 3), W, H);
  const exp = (n: number, tasks: unknown[]) => writeFileSync(join(dir, 'exports', `export_${n}.json`), JSON.stringify(tasks));
  exp(0, [task(1, 'tile_01', rle(1)), task(2, 'tile_02', rle(2), true), task(3, 'tile_03', 'garbage'), task(4, 'tile_04', rle(4))]);
  exp(1, [task(5, 'tile_05', rle(5)), task(6, 'tile_02', rle(6)), task(7, 'tile_07', rle(7), true)]);
  exp(2, [task(8, 'tile_08', rle(8)), task(9, 'tile_09', rle(9))]);
  writeFileSync(join(dir, 'exports', 'export_3.json'), '[{"id": 10, "data": ');
  const g = axisGeometry([16, 12, 6], [1, 1, 2]);
  const volume = (c: number, shift: number) => {
    const d = new Uint8Array(16 * 12 * 6);
    for (let z = 1; z < 5; z++) for (let y = 2; y < 10; y++) for (let x = 2 + shift; x < 12 + shift; x++) d[(z * 12 + y) * 16 + x] = x === 6 && y === 6 && c % 2 === 0 ? 2 : 1;
    return encodeNifti({ geometry: g, data: d }, { gzip: true });
  };
  for (let c = 1; c <= 5; c++) {
    const id = `ct_00${c}`;
    if (c !== 4) writeFileSync(join(dir, 'images', `${id}.nii.gz`), encodeNifti({ geometry: g, data: new Int16Array(16 * 12 * 6).map((_, i) => (i % 97) - 40) }, { gzip: true }));
    writeFileSync(join(dir, 'labels', 'rater1', `${id}.nii.gz`), c === 3 ? new TextEncoder().encode('not a NIfTI file') : volume(c, 0));
    if (c !== 5) writeFileSync(join(dir, 'labels', 'rater2', `${id}.nii.gz`), volume(c, c % 3));
  }
  writeFileSync(join(dir, 'labels', 'rater1', 'ct_001.segqc.json'), '{"annotator": "rater1", "answers": {}}');
}

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'segqc-jobs-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('segqc check --jobs', () => {
  it.each(['liver-ct', 'liver-ct-review', 'pathology'])('examples/%s: --jobs 2 writes the report and the page of --jobs 1, byte for byte', (name) => {
    const one = check(join(root, 'examples', name), 1);
    const two = check(join(root, 'examples', name), 2);
    expect(JSON.parse(one.json).items.length).toBeGreaterThan(2);
    expect(two.json).toBe(one.json);
    expect(two.html).toBe(one.html);
    expect([two.code, two.stdout]).toEqual([one.code, one.stdout]);
    expectNoInternalError(JSON.parse(two.json), two.stderr);
  });

  it('a generated dataset of every kind of item, bad input included: the same report on 1, 2 and 3 threads', () => {
    const dir = join(tmp, 'generated');
    generated(dir);
    const one = check(dir, 1);
    const report = JSON.parse(one.json);
    const ids = report.items.map((i: { id: string }) => i.id);
    expect(ids).toEqual(['ct_001', 'ct_002', 'ct_003', 'ct_004', 'ct_005', 'export_3', 'tile_01', 'tile_02', 'tile_03', 'tile_04', 'tile_05', 'tile_07', 'tile_08', 'tile_09']);
    const unreadable = (id: string) => report.items.find((i: { id: string }) => i.id === id).findings.filter((f: { rule: string }) => f.rule === 'format.unreadable').map((f: { location: { file: string } }) => f.location.file);
    expect(unreadable('tile_03')).toEqual(['exports/export_0.json']);
    expect(unreadable('ct_003')).toEqual(['labels/rater1/ct_003.nii.gz']);
    expect(unreadable('export_3')).toEqual(['exports/export_3.json']);
    expect(report.items.find((i: { id: string }) => i.id === 'tile_02').annotations).toHaveLength(2);
    expect(report.items.flatMap((i: { agreement: unknown[] }) => i.agreement).length).toBeGreaterThan(0);
    expect(one.html.match(/<figure/g)?.length ?? 0).toBeGreaterThan(3);
    for (const jobs of [2, 3]) {
      const many = check(dir, jobs);
      expect(many.json, `--jobs ${jobs}`).toBe(one.json);
      expect(many.html, `--jobs ${jobs}`).toBe(one.html);
    }
  });

  it('without --html (masks reused from item to item): the report of a check with --html (fresh masks), on 1 and 2 threads', () => {
    const dir = join(tmp, 'generated-reuse');
    generated(dir);
    const W = 48, H = 40;
    // Masks of every size after one another in one export, and a mask that does not decode between them.
    const sizes = [30, 4, 22, 1, 12];
    const tasks = sizes.map((n, i) => task(200 + i, `tile_${200 + i}`, i === 2 ? 'garbage' : encodeBrushRle(square(W, H, i, i, n), W, H), i % 2 === 0));
    writeFileSync(join(dir, 'exports', 'export_6.json'), JSON.stringify(tasks));
    const fresh = check(dir, 1).json;
    const voxels = (id: string) => JSON.parse(fresh).items.find((i: { id: string }) => i.id === id).annotations[0]?.labels.find((l: { label: string }) => l.label === 'Liver')?.voxels;
    expect(['tile_200', 'tile_201', 'tile_203', 'tile_204'].map(voxels)).toEqual([30 * 30, 16, 1, 12 * 12]);
    for (const jobs of [1, 2]) {
      const out = mkdtempSync(join(tmp, 'out-'));
      const r = segqc(['check', dir, '--jobs', String(jobs), '--json', join(out, 'r.json'), '--quiet']);
      expect(r.code, r.stderr).toBe(1);
      expect(readFileSync(join(out, 'r.json'), 'utf8'), `--jobs ${jobs}`).toBe(fresh);
    }
  });

  it('a worker that throws, or exits, fails the run with a message naming the item, and exit code 2', () => {
    const dir = join(root, 'examples', 'liver-ct');
    const thrown = segqc(['check', dir, '--jobs', '2', '--quiet'], { SEGQC_TEST_WORKER_FAULT: 'throw:ct_002' });
    expect(thrown.code).toBe(2);
    expect(thrown.stderr).toBe('segqc check: error [internal] a worker thread failed while checking ct_002: test fault while checking ct_002\n');
    const exited = segqc(['check', dir, '--jobs', '2', '--quiet'], { SEGQC_TEST_WORKER_FAULT: 'exit:ct_003' });
    expect(exited.code).toBe(2);
    expect(exited.stderr).toBe('segqc check: error [internal] a worker thread stopped (exit code 70) while checking ct_003\n');
  });

  it('a worker that fails while reading a Label Studio export for the plan fails the run naming the export', () => {
    const dir = join(tmp, 'generated-fault');
    generated(dir);
    const thrown = segqc(['check', dir, '--jobs', '2', '--quiet'], { SEGQC_TEST_WORKER_FAULT: 'throw:exports/export_1.json' });
    expect([thrown.code, thrown.stderr]).toEqual([2, 'segqc check: error [internal] a worker thread failed while checking exports/export_1.json: test fault while checking exports/export_1.json\n']);
    const exited = segqc(['check', dir, '--jobs', '3', '--quiet'], { SEGQC_TEST_WORKER_FAULT: 'exit:exports/export_2.json' });
    expect([exited.code, exited.stderr]).toEqual([2, 'segqc check: error [internal] a worker thread stopped (exit code 70) while checking exports/export_2.json\n']);
  });

  it('exports read once: an item whose tasks are in two exports, and an export of many tasks, give the report of --jobs 1', () => {
    const dir = join(tmp, 'many');
    generated(dir);
    const W = 48, H = 40;
    const tasks = Array.from({ length: 60 }, (_, i) => task(100 + i, `tile_${String(100 + (i % 45)).padStart(3, '0')}`, encodeBrushRle(square(W, H, 3 + (i % 7), 4, 8 + (i % 11)), W, H), i % 4 === 0));
    writeFileSync(join(dir, 'exports', 'export_4.json'), JSON.stringify(tasks.slice(0, 35)));
    writeFileSync(join(dir, 'exports', 'export_5.json'), JSON.stringify(tasks.slice(35)));
    const one = check(dir, 1);
    const report = JSON.parse(one.json);
    // tile_100 … tile_114 have a task in each of the two new exports.
    expect(report.items.find((i: { id: string }) => i.id === 'tile_100').annotations).toHaveLength(2);
    expect(report.items.find((i: { id: string }) => i.id === 'tile_100').files).toEqual(['exports/export_4.json', 'exports/export_5.json']);
    expect(report.items).toHaveLength(14 + 45);
    for (const jobs of [2, 4]) expect(check(dir, jobs).json, `--jobs ${jobs}`).toBe(one.json);
  });

  it('worker threads started before the config is read: a config error still ends the run at once, and a worker that dies as it starts fails it', () => {
    const dir = join(tmp, 'bad-config');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'segqc.yaml'), 'guideline: guideline.yaml\nsources: []\n');
    const bad = segqc(['check', dir, '--jobs', '3', '--quiet']);
    expect([bad.code, bad.signal, bad.stderr]).toEqual([2, null, 'segqc check: error [config.invalid] segqc.yaml: 1 problem:\n  segqc.yaml:2:10: sources must list at least 1 entry\n']);
    const gen = join(tmp, 'generated-start');
    generated(gen);
    const died = segqc(['check', gen, '--jobs', '2', '--quiet'], { SEGQC_TEST_WORKER_FAULT: 'exit:(start)' });
    expect([died.code, died.signal]).toEqual([2, null]);
    expect(died.stderr).toMatch(/^segqc check: error \[internal\] a worker thread stopped \(exit code 70\) (before its first task|while checking exports\/export_\d\.json)\n$/);
  });

  it('--jobs N starts N worker threads, --jobs 1 none', () => {
    for (const jobs of [1, 2, 3]) {
      const log = join(mkdtempSync(join(tmp, 'log-')), 'workers');
      check(join(root, 'examples', 'liver-ct'), jobs, { SEGQC_TEST_WORKER_LOG: log });
      expect(workersIn(log), `--jobs ${jobs}`).toEqual(new Array(jobs === 1 ? 0 : jobs).fill('check'));
    }
  });

  it('--jobs takes a positive integer', () => {
    for (const bad of ['0', '-1', 'two', '1.5']) {
      const r = segqc(['check', join(root, 'examples', 'liver-ct'), '--jobs', bad]);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(`segqc check: error [usage] --jobs takes a positive integer (1: no worker threads), got "${bad}"\n`);
    }
  });
});

describe('segqc diff --jobs', () => {
  let repo: string;
  const git = (...args: string[]) => execFileSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=T', ...args], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] }).toString();

  beforeAll(() => {
    repo = join(tmp, 'repo');
    generated(repo);
    git('init', '-q', '-b', 'main');
    git('add', '-A');
    git('commit', '-qm', 'base');
    git('switch', '-q', '-c', 'pr');
    // The PR edits a task of one export, grows a mask, breaks another, deletes one and adds a case.
    const exp = JSON.parse(readFileSync(join(repo, 'exports/export_1.json'), 'utf8'));
    exp[0].annotations[0].result[0].value.rle = encodeBrushRle(square(48, 40, 1, 1, 30), 48, 40);
    writeFileSync(join(repo, 'exports/export_1.json'), JSON.stringify(exp));
    cpSync(join(repo, 'labels/rater2/ct_002.nii.gz'), join(repo, 'labels/rater1/ct_001.nii.gz'));
    writeFileSync(join(repo, 'labels/rater2/ct_002.nii.gz'), 'broken');
    rmSync(join(repo, 'labels/rater2/ct_004.nii.gz'));
    cpSync(join(repo, 'labels/rater1/ct_002.nii.gz'), join(repo, 'labels/rater1/ct_006.nii.gz'));
    cpSync(join(repo, 'images/ct_002.nii.gz'), join(repo, 'images/ct_006.nii.gz'));
    git('add', '-A');
    git('commit', '-qm', 'pr');
  });

  /** `segqc diff` with `--jobs N`: its stdout, the --json file and the review page. */
  function diff(args: string[], jobs: number, env: Record<string, string> = {}) {
    const out = mkdtempSync(join(tmp, 'diff-'));
    const r = segqc(['diff', ...args, '--jobs', String(jobs), '--json', join(out, 'd.json'), '--html', join(out, 'd.html'), repo], env, repo);
    expect([0, 1], r.stderr).toContain(r.code);
    return { code: r.code, stdout: r.stdout, json: readFileSync(join(out, 'd.json'), 'utf8'), html: readFileSync(join(out, 'd.html'), 'utf8') };
  }

  it.each([
    ['the changed items', ['--base', 'main', '--head', 'pr']],
    ['every item (--full)', ['--base', 'main', '--head', 'pr', '--full']],
    ['the working tree as head', ['--base', 'main']],
  ])('%s: --jobs 2 writes the comment, the JSON and the page of --jobs 1, byte for byte', (_, args) => {
    const one = diff(args, 1);
    const { diff: d } = JSON.parse(one.json);
    expect(d.items.filter((i: { unchanged?: boolean }) => !i.unchanged).map((i: { id: string }) => i.id)).toEqual(['ct_001', 'ct_002', 'ct_004', 'ct_006', 'tile_05']);
    const two = diff(args, 2);
    expect(two.json).toBe(one.json);
    expect(two.stdout).toBe(one.stdout);
    expect(two.html).toBe(one.html);
    expect(two.code).toBe(one.code);
  });

  it('the Action with jobs 2 writes the report, the page, the job summary and the comment of jobs 1', async () => {
    const sha = (ref: string) => git('rev-parse', ref).trim();
    const run = async (jobs: string) => {
      const fake = new FakeGitHub();
      fake.pulls.set(7, { headSha: sha('pr'), baseSha: sha('main') });
      await fake.start();
      try {
        const r = await runAction({ workspace: repo, event: pullRequestEvent(7, sha('main'), sha('pr')), apiUrl: fake.url, inputs: { jobs }, scratch: tmp });
        expect(r.code, r.stdout + r.stderr).toBe(1);
        return { report: readFileSync(r.outputs.report, 'utf8'), page: readFileSync(r.outputs.html, 'utf8'), summary: r.summary, comments: fake.list(7).map((c) => c.body) };
      } finally {
        await fake.stop();
      }
    };
    const one = await run('1');
    expect(JSON.parse(one.report).diff.items.map((i: { id: string }) => i.id)).toEqual(['ct_001', 'ct_002', 'ct_004', 'ct_006', 'tile_05']);
    expect(one.comments).toHaveLength(1);
    expect(await run('2')).toEqual(one);
  });

  it('a PR that also edits the guideline (planned on the main thread): --jobs 2 writes what --jobs 1 writes', () => {
    git('switch', '-q', '-c', 'pr-guideline', 'pr');
    writeFileSync(join(repo, 'guideline.yaml'), GUIDELINE.replace('dice_min: 0.95', 'dice_min: 0.99'));
    const exp = JSON.parse(readFileSync(join(repo, 'exports/export_2.json'), 'utf8'));
    exp[1].annotations[0].result[0].value.rle = encodeBrushRle(square(48, 40, 2, 2, 20), 48, 40);
    writeFileSync(join(repo, 'exports/export_2.json'), JSON.stringify(exp));
    git('commit', '-qam', 'guideline and a task');
    git('switch', '-q', 'pr');
    const one = diff(['--base', 'main', '--head', 'pr-guideline'], 1);
    const parsed = JSON.parse(one.json);
    expect(parsed.guideline_change.changes).toEqual(['agreement: [{"label":"Liver","dice_min":0.95}] → [{"label":"Liver","dice_min":0.99}]']);
    expect(parsed.diff.items.filter((i: { unchanged?: boolean }) => !i.unchanged).map((i: { id: string }) => i.id)).toEqual(['ct_001', 'ct_002', 'ct_004', 'ct_006', 'tile_05', 'tile_09']);
    const two = diff(['--base', 'main', '--head', 'pr-guideline'], 2);
    expect(two).toEqual(one);
  });

  it('a worker that fails reading an export for the plan fails the diff naming the export', () => {
    const r = segqc(['diff', '--base', 'main', '--head', 'pr', '--jobs', '2', '--quiet', repo], { SEGQC_TEST_WORKER_FAULT: 'throw:exports/export_1.json' }, repo);
    expect([r.code, r.stderr]).toEqual([2, 'segqc diff: error [internal] a worker thread failed while checking exports/export_1.json: test fault while checking exports/export_1.json\n']);
  });

  /** A copy of the repository where git cannot give the head's ct_002 mask: its object `corrupt` (git fails) or `missing`. */
  function broken(how: 'corrupt' | 'missing'): string {
    const copy = mkdtempSync(join(tmp, `broken-${how}-`));
    cpSync(repo, copy, { recursive: true });
    const oid = execFileSync('git', ['rev-parse', 'pr:labels/rater2/ct_002.nii.gz'], { cwd: copy }).toString().trim();
    const object = join(copy, '.git/objects', oid.slice(0, 2), oid.slice(2));
    chmodSync(object, 0o644);
    if (how === 'corrupt') writeFileSync(object, 'not a git object');
    else rmSync(object);
    return copy;
  }

  it.each(['corrupt', 'missing'] as const)('a %s git object of an item read by a worker thread gives the item its finding, as --jobs 1 does', (how) => {
    const copy = broken(how);
    const run = (jobs: string) => {
      const out = join(copy, `d${jobs}.json`);
      const r = segqc(['diff', '--base', 'main', '--head', 'pr', '--jobs', jobs, '--quiet', '--json', out, copy], {}, copy);
      expect([r.code, r.signal, r.stderr]).toEqual([1, null, '']);
      return readFileSync(out, 'utf8');
    };
    const one = run('1');
    const item = JSON.parse(one).diff.items.find((i: { id: string }) => i.id === 'ct_002');
    expect(item.findings_added.map((f: { rule: string; message: string }) => `${f.rule}: ${f.message}`)).toContain(
      `format.unreadable: labels/rater2/ct_002.nii.gz cannot be read: git cat-file failed: labels/rater2/ct_002.nii.gz is not a file of commit ${git('rev-parse', '--short=7', 'pr').trim()} (usage)`,
    );
    expect(run('2')).toBe(one);
  });

  it('git cat-file failing while a worker thread reads an item fails the diff with exit 2 naming the item, never a hang', () => {
    // A git that dies when asked for the head's ct_002 mask (every other command is git's own).
    const bad = git('rev-parse', 'pr:labels/rater2/ct_002.nii.gz').trim();
    const bin = mkdtempSync(join(tmp, 'bin-'));
    const real = execFileSync('sh', ['-c', 'command -v git']).toString().trim();
    writeFileSync(
      join(bin, 'git'),
      `#!/bin/sh\nif [ "$1 $2" = "cat-file --batch" ]; then\n  while IFS= read -r line; do\n    if [ "$line" = "${bad}" ]; then echo "fatal: test failure reading ${bad}" >&2; exit 128; fi\n    printf '%s\\n' "$line"\n  done | "${real}" cat-file --batch\n  exit $?\nfi\nexec "${real}" "$@"\n`,
    );
    chmodSync(join(bin, 'git'), 0o755);
    const r = segqc(['diff', '--base', 'main', '--head', 'pr', '--jobs', '2', '--quiet', repo], { PATH: `${bin}:${process.env.PATH}` }, repo);
    expect([r.code, r.signal]).toEqual([2, null]);
    expect(r.stderr).toBe(`segqc diff: error [internal] a worker thread failed while checking ct_002: git cat-file failed: fatal: test failure reading ${bad}\n`);
  });

  it('--jobs N starts N worker threads (segqc diff and the Action), --jobs 1 none; a worker that dies as it starts fails the diff', async () => {
    for (const jobs of [1, 2, 3]) {
      const log = join(mkdtempSync(join(tmp, 'log-')), 'workers');
      const r = segqc(['diff', '--base', 'main', '--head', 'pr', '--jobs', String(jobs), '--quiet', repo], { SEGQC_TEST_WORKER_LOG: log }, repo);
      expect([0, 1], r.stderr).toContain(r.code);
      expect(workersIn(log), `--jobs ${jobs}`).toEqual(new Array(jobs === 1 ? 0 : jobs).fill('diff'));
    }
    const sha = (ref: string) => git('rev-parse', ref).trim();
    for (const jobs of [1, 2]) {
      const log = join(mkdtempSync(join(tmp, 'log-')), 'workers');
      const fake = new FakeGitHub();
      await fake.start();
      try {
        const r = await runAction({ workspace: repo, event: pullRequestEvent(7, sha('main'), sha('pr')), apiUrl: fake.url, inputs: { jobs: String(jobs) }, scratch: tmp, env: { SEGQC_TEST_WORKER_LOG: log } });
        expect(r.code, r.stdout + r.stderr).toBe(1);
      } finally {
        await fake.stop();
      }
      expect(workersIn(log), `jobs: ${jobs}`).toEqual(new Array(jobs === 1 ? 0 : jobs).fill('diff'));
    }
    const died = segqc(['diff', '--base', 'main', '--head', 'pr', '--jobs', '2', '--quiet', repo], { SEGQC_TEST_WORKER_FAULT: 'exit:(start)' }, repo);
    expect([died.code, died.signal]).toEqual([2, null]);
    expect(died.stderr).toMatch(/^segqc diff: error \[internal\] a worker thread stopped \(exit code 70\) (before its first task|while checking exports\/export_\d\.json)\n$/);
  });

  it('a worker that throws fails the diff with exit code 2 and a message naming the item', () => {
    const r = segqc(['diff', '--base', 'main', '--head', 'pr', '--jobs', '2', '--quiet', repo], { SEGQC_TEST_WORKER_FAULT: 'throw:ct_004' }, repo);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('segqc diff: error [internal] a worker thread failed while checking ct_004: test fault while checking ct_004\n');
  });
});
