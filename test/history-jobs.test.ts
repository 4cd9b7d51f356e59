/**
 * `segqc history --jobs N`: items judged on worker threads give the history of judging them in one thread, byte for
 * byte. The repository imports more items than one batch holds (so an import is cut across the workers), then edits
 * some: Label Studio tasks (one image in two exports, one mask that does not decode), NIfTI cases of two raters with
 * images (one without its image), a sidecar, and a symbolic link (read by the workers from git themselves).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { encodeNifti } from '../shared/formats/nifti-write.js';
import { encodeBrushRle } from '../shared/formats/brush-rle.js';
import { axisGeometry } from '../shared/model.js';
import { walkHistory } from '../node/history-walk.js';
import { memoryCache } from '../node/cache.js';
import { buildHistory } from '../shared/history/scorecard.js';
import type { HistoryReport } from '../shared/history/types.js';

const root = join(import.meta.dirname, '..');
let tmp: string;
let dir: string;

const GUIDELINE = `schema_version: 1
id: history-jobs
version: 1.0.0
title: History on worker threads
modalities: [CT]
labels:
  - name: Liver
    value: 1
    color: "#d2691e"
    max_components: 1
agreement:
  - label: Liver
    dice_min: 0.9
    tolerance_mm: 1
`;
const CONFIG =
  'guideline: guideline.yaml\nsources:\n  - format: labelstudio\n    path: exports/*.json\n    spacing: pixel_spacing\n' +
  '  - format: nifti\n    path: labels/*/*.nii.gz\n    images: images/{id}.nii.gz\n    annotator: "{dir}"\ngate:\n  fail-on: error\n';

const W = 24, H = 20;
/** A Label Studio task of image `image` whose liver is one square (two when `split`), or garbage RLE. */
function task(id: number, image: string, size: number | 'garbage', split = false) {
  const a = new Uint8Array(W * H);
  if (size !== 'garbage') {
    for (let y = 2; y < 2 + size; y++) for (let x = 2; x < 2 + size; x++) a[y * W + x] = 255;
    if (split) a[(H - 2) * W + W - 2] = 255;
  }
  const rle = size === 'garbage' ? [7, 7, 7] : encodeBrushRle(a, W, H);
  return {
    id,
    data: { image: `/data/upload/1/${image}.png`, pixel_spacing: [0.5, 0.5] },
    annotations: [{ id: id * 10, completed_by: { email: `ann${id % 3}@lab.org` }, result: [{ id: `l${id}`, type: 'brushlabels', from_name: 'label', to_name: 'image', original_width: W, original_height: H, image_rotation: 0, value: { format: 'rle', rle, brushlabels: ['Liver'] } }] }],
  };
}

const g = axisGeometry([10, 8, 4], [1, 1, 2]);
/** A NIfTI label map: a box of liver shifted by `shift`, with a stray voxel when `split`. */
function volume(shift: number, split = false): Uint8Array {
  const d = new Uint8Array(10 * 8 * 4);
  for (let z = 1; z < 3; z++) for (let y = 2; y < 6; y++) for (let x = 1 + shift; x < 6 + shift; x++) d[(z * 8 + y) * 10 + x] = 1;
  if (split) d[d.length - 1] = 1;
  return encodeNifti({ geometry: g, data: d }, { gzip: true });
}

function git(args: string[], env: Record<string, string> = {}): string {
  return execFileSync('git', args, { cwd: dir, env: { ...process.env, ...env } }).toString().trim();
}

/** Writes files (null: deletes) and commits them as `author` on `date`; the items it changes are counted by the caller. */
function commit(author: string, date: string, files: Record<string, Uint8Array | string | null>, message: string): void {
  for (const [p, content] of Object.entries(files)) {
    const abs = join(dir, p);
    if (content === null) rmSync(abs);
    else {
      mkdirSync(dirname(abs), { recursive: true });
      writeFileSync(abs, content);
    }
  }
  git(['add', '-A']);
  const who = { GIT_AUTHOR_NAME: author, GIT_AUTHOR_EMAIL: `${author}@lab.org`, GIT_COMMITTER_NAME: author, GIT_COMMITTER_EMAIL: `${author}@lab.org`, GIT_AUTHOR_DATE: `${date}T10:00:00Z`, GIT_COMMITTER_DATE: `${date}T10:00:00Z` };
  git(['commit', '-q', '-m', message], who);
}

/** Item versions each commit brings, counted from what the commits below change (not from segqc). */
const ITEM_VERSIONS = [
  // The import: 40 tasks in two exports (tile_05 in both: one item), 30 cases.
  39 + 30,
  // Three tasks edited (tile_01, tile_05 in export 0, tile_30) and two cases (case_02's rater2, case_07's image).
  3 + 2,
  // A sidecar for case_03, a new case_31 of rater1 only (a symbolic link to case_01's mask), tile_02 garbled.
  1 + 1 + 1,
];

const exportOf = (tasks: ReturnType<typeof task>[]) => JSON.stringify(tasks);

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'segqc-history-jobs-'));
  dir = join(tmp, 'repo');
  mkdirSync(dir);
  git(['init', '-q', '-b', 'main']);
  const files: Record<string, Uint8Array | string> = { 'guideline.yaml': GUIDELINE, 'segqc.yaml': CONFIG };
  const tiles = (from: number, to: number, edit: Record<number, ReturnType<typeof task>> = {}) => {
    const out = [];
    for (let i = from; i <= to; i++) out.push(edit[i] ?? task(i, `tile_${String(i).padStart(2, '0')}`, 4 + (i % 5), i % 7 === 0));
    return out;
  };
  const export0 = (edit: Record<number, ReturnType<typeof task>> = {}) => exportOf(tiles(1, 20, edit));
  const export1 = (edit: Record<number, ReturnType<typeof task>> = {}) => exportOf([...tiles(21, 39, edit), edit[40] ?? task(40, 'tile_05', 6)]);
  files['exports/export_0.json'] = export0();
  files['exports/export_1.json'] = export1();
  for (let c = 1; c <= 30; c++) {
    const id = `case_${String(c).padStart(2, '0')}`;
    if (c !== 9) files[`images/${id}.nii.gz`] = encodeNifti({ geometry: g, data: new Int16Array(10 * 8 * 4).map((_, i) => (i % 31) - 10) }, { gzip: true });
    files[`labels/rater1/${id}.nii.gz`] = volume(0, c % 4 === 0);
    files[`labels/rater2/${id}.nii.gz`] = volume(c % 3);
  }
  commit('ana', '2024-01-02', files, 'import');
  commit(
    'ben',
    '2024-01-20',
    {
      'exports/export_0.json': export0({ 1: task(1, 'tile_01', 9), 5: task(5, 'tile_05', 3, true) }),
      'exports/export_1.json': export1({ 30: task(30, 'tile_30', 2) }),
      'labels/rater2/case_02.nii.gz': volume(2, true),
      'images/case_07.nii.gz': encodeNifti({ geometry: g, data: new Int16Array(10 * 8 * 4).fill(3) }, { gzip: true }),
    },
    'edits',
  );
  symlinkSync('case_01.nii.gz', join(dir, 'labels/rater1/case_31.nii.gz'));
  commit(
    'chen',
    '2024-02-03',
    {
      'labels/rater1/case_03.segqc.json': '{"annotator": "rater1", "answers": {}}',
      'exports/export_0.json': export0({ 1: task(1, 'tile_01', 9), 2: task(2, 'tile_02', 'garbage'), 5: task(5, 'tile_05', 3, true) }),
    },
    'sidecar, a linked case, a garbled task',
  );
});

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** `segqc history` with `--jobs N`: the JSON as written, and the stderr summary. */
function history(jobs: number): { json: string; stderr: string } {
  const out = join(tmp, `h${jobs}.json`);
  const r = spawnSync(process.execPath, [join(root, 'bin/segqc.js'), 'history', dir, '--no-cache', '--quiet', '--jobs', String(jobs), '--json', out], { encoding: 'utf8', timeout: 120_000 });
  expect(r.status, r.stderr).toBe(0);
  return { json: readFileSync(out, 'utf8'), stderr: r.stderr };
}

describe('segqc history --jobs', () => {
  it('judges on 2 and 3 worker threads what it judges in one thread, byte for byte', async () => {
    const one = history(1);
    const total = ITEM_VERSIONS.reduce((a, b) => a + b, 0);
    expect(one.stderr).toContain(`segqc history: 3 commits (0 from the cache), ${total} item versions (0 from the cache)`);
    const report = JSON.parse(one.json) as HistoryReport;
    expect(report.steps.map((s) => s.items)).toEqual(ITEM_VERSIONS);
    // The stray voxels make second components: in the import, every 7th task (5 of them) and every 4th rater1 case (7).
    expect(report.rules.find((r) => r.rule === 'components.too_many')?.periods.map((p) => p.count)).toEqual([5 + 7 + 2, 0]);
    for (const jobs of [2, 3]) {
      const many = history(jobs);
      expect(many.stderr).toBe(one.stderr);
      expect(many.json, `--jobs ${jobs}`).toBe(one.json);
    }
    // And as the walk gives it in this thread.
    const walk = await walkHistory(dir, { configPath: 'segqc.yaml', cache: memoryCache(), toolVersion: report.tool.version });
    const inThread = buildHistory(walk.steps, { by: 'month', toolVersion: report.tool.version, shallow: walk.shallow, notes: walk.notes });
    expect(JSON.stringify(inThread, null, 2) + '\n').toBe(one.json);
  });

  it('a worker thread that throws or exits ends the run with a message naming its items and commit, never a hang', () => {
    for (const how of ['throw', 'exit']) {
      const r = spawnSync(process.execPath, [join(root, 'bin/segqc.js'), 'history', dir, '--no-cache', '--quiet', '--jobs', '2'], {
        encoding: 'utf8',
        timeout: 120_000,
        env: { ...process.env, SEGQC_TEST_WORKER_FAULT: `${how}:case_20` },
      });
      expect(r.signal, how).toBeNull();
      expect(r.status, how).toBe(2);
      expect(r.stderr, how).toMatch(/a worker thread (failed|stopped \(exit code 70\)) while checking case_\d+ … case_\d+ \(\d+ items\) at commit [0-9a-f]{7}/);
    }
  });

  it('--jobs N judges on N worker threads, --jobs 1 on none', () => {
    for (const jobs of [1, 2, 3]) {
      const log = join(mkdtempSync(join(tmp, 'log-')), 'workers');
      const r = spawnSync(process.execPath, [join(root, 'bin/segqc.js'), 'history', dir, '--no-cache', '--quiet', '--jobs', String(jobs)], {
        encoding: 'utf8',
        timeout: 120_000,
        env: { ...process.env, SEGQC_TEST_WORKER_LOG: log },
      });
      expect(r.status, r.stderr).toBe(0);
      const lines = existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : [];
      expect(new Set(lines).size, 'one line per thread').toBe(lines.length);
      expect(lines.map((l) => l.split(' ')[0]), `--jobs ${jobs}`).toEqual(new Array(jobs === 1 ? 0 : jobs).fill('history'));
    }
  });

  it('a bad --jobs is a clear usage error', () => {
    const r = spawnSync(process.execPath, [join(root, 'bin/segqc.js'), 'history', dir, '--no-cache', '--jobs', '0'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--jobs takes a positive integer');
  });
});
