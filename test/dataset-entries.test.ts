import { describe, it, expect, beforeAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fsTree, errnoCause } from '../node/fs-tree.js';
import { openGitRepository } from '../node/git.js';
import { readEntry, memoryTree, type DatasetTree } from '../shared/dataset/tree.js';
import { pointerCause } from '../shared/dataset/pointer.js';
import { globReachesInto } from '../shared/dataset/glob.js';
import { checkDataset, checkPendingItem, isInternalFinding } from '../shared/dataset/check.js';
import { parseConfig } from '../shared/guideline/config.js';
import { parseGuideline } from '../shared/guideline/load.js';
import { isSegqcError } from '../shared/errors.js';
import { expectNoInternalError } from './no-internal.js';

const root = join(__dirname, '..');
const examples = join(root, 'examples');
// CI runs as root, where chmod 000 blocks nothing: permission denied is then asserted through errnoCause alone.
const isRoot = process.getuid?.() === 0;

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'segqc-entries-'));
});

function segqc(args: string[], cwd = root) {
  const r = spawnSync(process.execPath, [join(root, 'bin/segqc.js'), ...args], { cwd, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function runCheck(ds: string, extra: string[] = []) {
  const json = join(tmp, `report-${Math.random().toString(36).slice(2)}.json`);
  const r = segqc(['check', ds, '--json', json, ...extra]);
  const report = r.code === 0 || r.code === 1 ? JSON.parse(readFileSync(json, 'utf8')) : null;
  return { ...r, report };
}

const mkfifo = (path: string) => expect(spawnSync('mkfifo', [path]).status).toBe(0);

/** What reading an entry of a tree throws: its code and detail. */
function readError(tree: DatasetTree, path: string): string {
  try {
    readEntry(tree, path);
  } catch (e) {
    if (!isSegqcError(e)) throw e;
    return `${e.code}: ${e.detail}`;
  }
  return 'read';
}

const LFS_POINTER = 'version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n';
const ANNEX_TARGET = '../.git/annex/objects/Xx/Yy/SHA256E-s9--ab.nii.gz/SHA256E-s9--ab.nii.gz';

describe('the working tree lists every entry and refuses, with the cause, what is not a readable file', () => {
  it('broken links, git-annex links, FIFOs, loops, directories, pointers; links to directories are followed', () => {
    const d = join(tmp, 'fs');
    mkdirSync(join(d, 'sub/deeper'), { recursive: true });
    mkdirSync(join(d, 'masks/ct_001.nii.gz'), { recursive: true });
    writeFileSync(join(d, 'plain.txt'), 'hello');
    writeFileSync(join(d, 'sub/deeper/b.txt'), 'b');
    symlinkSync('nowhere', join(d, 'broken'));
    symlinkSync(ANNEX_TARGET, join(d, 'sub/annexed.nii.gz'));
    symlinkSync('loop2', join(d, 'loop1'));
    symlinkSync('loop1', join(d, 'loop2'));
    symlinkSync('sub', join(d, 'linked'));
    symlinkSync('..', join(d, 'sub/up'));
    symlinkSync('plain.txt', join(d, 'good-link'));
    mkfifo(join(d, 'pipe'));
    writeFileSync(join(d, 'lfs.nii.gz'), LFS_POINTER);
    writeFileSync(join(d, 'unlocked.nii.gz'), '/annex/objects/SHA256E-s9--ab.nii.gz\n');
    mkdirSync(join(d, '.git'));
    writeFileSync(join(d, '.git/config'), '');

    const tree = fsTree(d);
    expect(tree.list()).toEqual([
      'broken', 'good-link', 'lfs.nii.gz', 'linked/annexed.nii.gz', 'linked/deeper/b.txt', 'loop1', 'loop2', 'pipe', 'plain.txt',
      'sub/annexed.nii.gz', 'sub/deeper/b.txt', 'unlocked.nii.gz',
    ]);
    expect(tree.directories!()).toEqual([
      { path: 'linked', unlisted: null },
      { path: 'linked/deeper', unlisted: null },
      { path: 'linked/up', unlisted: 'links back to a directory above it (a loop), not followed' },
      { path: 'masks', unlisted: null },
      { path: 'masks/ct_001.nii.gz', unlisted: null },
      { path: 'sub', unlisted: null },
      { path: 'sub/deeper', unlisted: null },
      { path: 'sub/up', unlisted: 'links back to a directory above it (a loop), not followed' },
    ]);
    expect(new TextDecoder().decode(readEntry(tree, 'good-link'))).toBe('hello');
    expect(new TextDecoder().decode(readEntry(tree, 'linked/deeper/b.txt'))).toBe('b');
    expect(readError(tree, 'broken')).toBe('format.unreadable: is a broken symbolic link (→ nowhere)');
    expect(readError(tree, 'sub/annexed.nii.gz')).toBe(
      `format.unreadable: is a git-annex link whose content is not present (→ ${ANNEX_TARGET}): fetch it with \`git annex get\` (or \`datalad get\`)`,
    );
    expect(readError(tree, 'loop1')).toBe('format.unreadable: is a symbolic link loop (→ loop2)');
    expect(readError(tree, 'pipe')).toBe('format.unreadable: is a FIFO (named pipe), not a regular file');
    expect(readError(tree, 'masks/ct_001.nii.gz')).toBe('format.unreadable: is a directory, not a file');
    expect(readError(tree, 'lfs.nii.gz')).toBe('format.unreadable: is a Git LFS pointer, not the file itself: fetch the LFS objects (actions/checkout with lfs: true, or git lfs pull)');
    expect(readError(tree, 'unlocked.nii.gz')).toMatch(/^format\.unreadable: is a git-annex pointer, not the file: fetch it with `git annex get`/);
    // Read as raw entries (the tree itself), pointers are bytes: only the checker's readEntry tells them apart.
    expect(new TextDecoder().decode(tree.read('lfs.nii.gz'))).toBe(LFS_POINTER);
  });

  it('permission denied: a file cannot be read and a directory cannot be listed', () => {
    const d = join(tmp, 'perm');
    mkdirSync(join(d, 'locked'), { recursive: true });
    writeFileSync(join(d, 'secret.nii.gz'), 'x');
    writeFileSync(join(d, 'locked/inside.nii.gz'), 'y');
    chmodSync(join(d, 'secret.nii.gz'), 0);
    chmodSync(join(d, 'locked'), 0);
    try {
      const tree = fsTree(d);
      if (isRoot) {
        // root reads through chmod 000: the entries are plain readable files and directories.
        expect(tree.list()).toEqual(['locked/inside.nii.gz', 'secret.nii.gz']);
        expect(readError(tree, 'secret.nii.gz')).toBe('read');
      } else {
        expect(tree.list()).toEqual(['secret.nii.gz']);
        expect(tree.directories!()).toEqual([{ path: 'locked', unlisted: 'its contents cannot be listed: permission denied' }]);
        expect(readError(tree, 'secret.nii.gz')).toBe('format.unreadable: permission denied');
      }
    } finally {
      chmodSync(join(d, 'locked'), 0o755);
    }
    const eacces = Object.assign(new Error('EACCES: permission denied, open x'), { code: 'EACCES' });
    expect(errnoCause(eacces)).toBe('permission denied');
    expect(errnoCause(Object.assign(new Error('x'), { code: 'EPERM' }))).toBe('permission denied');
    expect(errnoCause(Object.assign(new Error('x'), { code: 'ENAMETOOLONG' }))).toBe('cannot be read (ENAMETOOLONG)');
  });
});

describe('pointers and patterns', () => {
  it('pointerCause knows Git LFS and git-annex pointers and nothing else', () => {
    const enc = (s: string) => new TextEncoder().encode(s);
    expect(pointerCause(enc(LFS_POINTER))).toEqual({ detail: expect.stringMatching(/^is a Git LFS pointer/), reason: 'lfs_pointer' });
    expect(pointerCause(enc('/annex/objects/MD5E-s3--acbd18db4cc2f85cedef654fccc4a4d8.png\n'))?.detail).toMatch(/git-annex pointer/);
    expect(pointerCause(enc('../../.git/annex/objects/pX/Zq/K/K'))?.detail).toMatch(/git-annex pointer/);
    expect(pointerCause(enc('{"annotations": []}'))).toBeNull();
    expect(pointerCause(enc('/annex/objects/ a sentence, not a key\nsecond line'))).toBeNull();
    expect(pointerCause(new Uint8Array(0))).toBeNull();
    expect(pointerCause(readFileSync(join(examples, 'liver-ct/labels/rater1/ct_001.nii.gz')))).toBeNull();
  });

  it('globReachesInto: whether a pattern can match inside a directory whose contents are unknown', () => {
    expect(globReachesInto('labels/*/*.nii.gz')('labels/rater3')).toBe(true);
    expect(globReachesInto('labels/*/*.nii.gz')('labels/rater3/ct_001.nii.gz')).toBe(false);
    expect(globReachesInto('labels/*/*.nii.gz')('images')).toBe(false);
    expect(globReachesInto('labels/**/*.png')('labels/a/b/c')).toBe(true);
    expect(globReachesInto('./labels/{a,b}/*.png')('labels/b')).toBe(true);
    expect(globReachesInto('labels/{a,b}/*.png')('labels/c')).toBe(false);
    expect(globReachesInto('exports/*.json')('exports')).toBe(true);
    expect(globReachesInto('exports/*.json')('exports/old')).toBe(false);
  });
});

const GUIDELINE =
  'schema_version: 1\nid: t\nversion: 1.0.0\ntitle: T\nmodalities: [CT]\nlabels:\n  - name: Liver\n    value: 1\n    color: "#aa0000"\n  - name: Tumour\n    value: 2\n    color: "#00aa00"\n';

describe('segqc check judges every entry and checks the rest', () => {
  it('each unreadable class is a format.unreadable finding naming the cause; the other items are checked as without it', () => {
    const clean = runCheck(join(examples, 'liver-ct'));
    expect(clean.code, clean.stderr).toBe(1);
    const ds = join(tmp, 'liver-broken');
    cpSync(join(examples, 'liver-ct'), ds, { recursive: true });
    rmSync(join(ds, 'labels/rater1/ct_003.nii.gz'));
    mkfifo(join(ds, 'labels/rater1/ct_003.nii.gz'));
    symlinkSync('nowhere.nii.gz', join(ds, 'labels/rater1/ct_006.nii.gz'));
    symlinkSync(`../${ANNEX_TARGET}`, join(ds, 'labels/rater2/ct_007.nii.gz'));
    mkdirSync(join(ds, 'labels/rater2/ct_008.nii.gz'));
    writeFileSync(join(ds, 'labels/rater1/ct_009.nii.gz'), LFS_POINTER);
    symlinkSync('ct_010.nii.gz', join(ds, 'labels/rater1/ct_010.nii.gz'));
    // An image behind a broken link, and a broken attestation sidecar of a readable mask.
    rmSync(join(ds, 'images/ct_002.nii.gz'));
    symlinkSync('gone.nii.gz', join(ds, 'images/ct_002.nii.gz'));
    rmSync(join(ds, 'labels/rater2/ct_005.segqc.json'));
    symlinkSync('gone.json', join(ds, 'labels/rater2/ct_005.segqc.json'));

    const r = runCheck(ds);
    expect(r.code, r.stderr).toBe(1);
    expectNoInternalError(r.report, r.stderr);
    const unreadable = r.report.items.flatMap((i: any) => i.findings.filter((f: any) => f.rule === 'format.unreadable').map((f: any) => `${i.id} ${f.severity} ${f.message}`));
    expect(unreadable).toEqual([
      'ct_002 error image images/ct_002.nii.gz cannot be read: is a broken symbolic link (→ gone.nii.gz)',
      'ct_003 error labels/rater1/ct_003.nii.gz cannot be read: is a FIFO (named pipe), not a regular file (format.unreadable)',
      'ct_005 error labels/rater2/ct_005.segqc.json cannot be read: is a broken symbolic link (→ gone.json) (format.unreadable)',
      'ct_006 error labels/rater1/ct_006.nii.gz cannot be read: is a broken symbolic link (→ nowhere.nii.gz) (format.unreadable)',
      `ct_007 error labels/rater2/ct_007.nii.gz cannot be read: is a git-annex link whose content is not present (→ ../${ANNEX_TARGET}): fetch it with \`git annex get\` (or \`datalad get\`) (format.unreadable)`,
      'ct_008 error labels/rater2/ct_008.nii.gz cannot be read: is a directory, not a file (format.unreadable)',
      'ct_009 error labels/rater1/ct_009.nii.gz cannot be read: is a Git LFS pointer, not the file itself: fetch the LFS objects (actions/checkout with lfs: true, or git lfs pull) (format.unreadable)',
      'ct_010 error labels/rater1/ct_010.nii.gz cannot be read: is a symbolic link loop (→ ct_010.nii.gz) (format.unreadable)',
    ]);
    // Items no broken entry touches are judged exactly as in the intact dataset.
    const keys = (report: any, id: string) => report.items.find((i: any) => i.id === id).findings.map((f: any) => `${f.rule} ${f.label} ${f.annotator}`);
    for (const id of ['ct_001', 'ct_004']) expect(keys(r.report, id)).toEqual(keys(clean.report, id));
    // ct_002's mask is still checked without its image (the geometry check is what is lost).
    expect(keys(r.report, 'ct_002').filter((k: string) => !k.startsWith('format.'))).toEqual(keys(clean.report, 'ct_002'));
    expect(r.report.totals.items).toBe(10);
  });

  it('a directory whose contents cannot be listed is a finding when a pattern could match inside it', () => {
    const files = {
      'segqc.yaml': 'guideline: g.yaml\nsources:\n  - format: nifti\n    path: labels/*/*.nii.gz\n',
      'g.yaml': GUIDELINE,
      'labels/r1/ct_001.nii.gz': readFileSync(join(examples, 'liver-ct/labels/rater1/ct_001.nii.gz')),
    };
    const mem = memoryTree(files);
    const tree: DatasetTree = {
      ...mem,
      directories: () => [...mem.directories!(), { path: 'labels/r2', unlisted: 'its contents cannot be listed: permission denied' }, { path: 'other', unlisted: 'its contents cannot be listed: permission denied' }],
    };
    const report = checkDataset(tree, parseConfig(files['segqc.yaml'], 'segqc.yaml'), parseGuideline(GUIDELINE, 'g.yaml'), { guidelinePath: 'g.yaml', configPath: 'segqc.yaml', toolVersion: 't' });
    expectNoInternalError(report);
    expect(report.items.map((i) => `${i.id}: ${i.findings.map((f) => f.message).join('; ')}`)).toEqual([
      'ct_001: ',
      'labels/r2: labels/r2 cannot be read: its contents cannot be listed: permission denied (format.unreadable)',
    ]);
    expect(report.verdict).toBe('fail');
  });

  it('a missing segqc.yaml is a usage error saying where segqc looked and how to start one; broken links around it crash nothing', () => {
    const d = join(tmp, 'no-config');
    mkdirSync(d);
    symlinkSync('nowhere', join(d, 'dangling'));
    const r = segqc(['check'], d);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`error [usage] no segqc.yaml at ${join(d, 'segqc.yaml')}`);
    expect(r.stderr).toMatch(/To start one, write segqc\.yaml there:\n {2}guideline: guideline\.yaml/);
    expectNoInternalError(null, r.stderr);
    const named = segqc(['check', d, '--config', 'qc/segqc.yaml']);
    expect(named.code).toBe(2);
    expect(named.stderr).toContain(`no config at ${join(d, 'qc/segqc.yaml')}`);
  });

  it('a segqc.yaml that is itself a broken git-annex link exits 2 naming it', () => {
    const d = join(tmp, 'annexed-config');
    mkdirSync(d);
    symlinkSync('.git/annex/objects/a/b/K/K', join(d, 'segqc.yaml'));
    const r = segqc(['check', d]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/error \[format\.unreadable\] segqc\.yaml: is a git-annex link whose content is not present/);
  });

  it('a pattern that matches no file exits 2 naming the source and the pattern, never "0 items … PASS"', () => {
    const d = join(tmp, 'typo');
    cpSync(join(examples, 'liver-ct'), d, { recursive: true });
    writeFileSync(join(d, 'segqc.yaml'), 'guideline: guideline.yaml\nsources:\n  - name: raters\n    format: nifti\n    path: lables/*/*.nii.gz\n');
    const r = segqc(['check', d, '--fail-on', 'never']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`error [config.invalid] segqc.yaml: source 1 ('raters'): path "lables/*/*.nii.gz" matches no file in the working tree`);
    writeFileSync(join(d, 'segqc.yaml'), 'guideline: guideline.yaml\nsources:\n  - format: nifti\n    path: labels/*/*.nii.gz\n    images: imgs/{id}.nii.gz\nreference:\n  format: nifti\n  path: gold/*.nii.gz\n');
    const both = segqc(['check', d]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('source 1: images "imgs/{id}.nii.gz" matches no file in the working tree');
    expect(both.stderr).toContain('the reference source: path "gold/*.nii.gz" matches no file in the working tree');
  });

  it('a Label Studio export with no task yields no item: exit 2, not a pass', () => {
    const d = join(tmp, 'empty-export');
    cpSync(join(examples, 'pathology'), d, { recursive: true });
    writeFileSync(join(d, 'exports/project-3.json'), '[]');
    const r = segqc(['check', d, '--fail-on', 'never']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`source 1 ('label-studio'): path "exports/*.json" matches 1 file, but it holds no Label Studio task`);
  });

  it('--max-voxels takes a positive integer; a FIFO named as a guideline is refused, not waited on', () => {
    const bad = segqc(['check', join(examples, 'liver-ct'), '--max-voxels', 'lots']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--max-voxels takes a positive integer, got "lots"');
    const fifo = join(tmp, 'guideline.fifo');
    mkfifo(fifo);
    const g = segqc(['guideline', 'validate', fifo]);
    expect(g.code).toBe(2);
    expect(g.stderr).toContain(`${fifo}: is not a file`);
  });
});

describe('Label Studio tasks nobody annotated', () => {
  it('a task with no annotation or only skipped ones is dataset.missing_annotation; a lone ground truth is checked as the annotation', () => {
    const d = join(tmp, 'unannotated');
    cpSync(join(examples, 'pathology'), d, { recursive: true });
    const p = join(d, 'exports/project-3.json');
    const tasks = JSON.parse(readFileSync(p, 'utf8'));
    const first = tasks[0];
    const data = (n: number) => ({ ...first.data, image: `/data/upload/3/tile_00${n}.png` });
    tasks.push(
      { id: 4, data: data(4), annotations: [] },
      { id: 5, data: data(5), annotations: [{ ...first.annotations[0], id: 501, was_cancelled: true }] },
      { id: 6, data: data(6), annotations: [{ ...first.annotations[0], id: 601, ground_truth: true }] },
    );
    writeFileSync(p, JSON.stringify(tasks));
    const r = runCheck(d);
    expect(r.code, r.stderr).toBe(1);
    expectNoInternalError(r.report, r.stderr);
    const of = (id: string) => r.report.items.find((i: any) => i.id === id);
    for (const id of ['tile_004', 'tile_005']) {
      expect(of(id).findings.map((f: any) => [f.rule, f.severity, f.value])).toEqual([['dataset.missing_annotation', 'error', 0]]);
      expect(of(id).findings[0].message).toMatch(new RegExp(`^Item ${id} has no annotation`));
    }
    // The ground truth is tile_001's annotation: checked, and one short of the guideline's two annotations.
    expect(of('tile_006').annotations).toHaveLength(1);
    expect(of('tile_006').findings.map((f: any) => [f.rule, f.value])).toEqual(of('tile_001').findings.map((f: any) => [f.rule, f.value]).concat([['dataset.missing_annotation', 1]]));
    expect(r.report.totals.items_without_annotations).toBe(2);
  });
});

describe('the internal-error net', () => {
  it('an untyped throw while checking an item is an `internal` finding, and the assert every dataset test makes catches it', () => {
    const guideline = parseGuideline(GUIDELINE, 'g.yaml');
    const boom = () => {
      throw new TypeError("Cannot read properties of undefined (reading 'x')");
    };
    const report = checkPendingItem(guideline, memoryTree({}), { id: 'it', files: ['a.nii.gz'], annotations: [{ file: 'a.nii.gz', load: boom }], reference: null, image: null, tasks: 0, unreadable: [] }, false);
    expect(report.findings.map((f) => f.message)).toEqual([`a.nii.gz cannot be read: unexpected error: Cannot read properties of undefined (reading 'x') (internal)`]);
    expect(report.findings.every(isInternalFinding)).toBe(true);
    expect(() => expectNoInternalError({ items: [report] })).toThrow(/internal-error net/);
    // A typed reader error is not internal.
    const typed = checkPendingItem(guideline, memoryTree({}), { id: 'it', files: ['a.nii.gz'], annotations: [{ file: 'a.nii.gz', load: () => readEntry(memoryTree({}), 'a.nii.gz') as never }], reference: null, image: null, tasks: 0, unreadable: [] }, false);
    expect(typed.findings.map((f) => f.message)).toEqual(['a.nii.gz cannot be read: is not in the memory (format.unreadable)']);
    expect(typed.findings.some(isInternalFinding)).toBe(false);
  });
});

describe('a git commit as a tree: links are blobs of mode 120000', () => {
  it('follows links inside the commit; broken, git-annex and outside links, directories and submodules are refused with the cause', () => {
    const d = join(tmp, 'repo');
    mkdirSync(join(d, 'ds/labels'), { recursive: true });
    const git = (...args: string[]) => {
      const r = spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.org', '-c', 'init.defaultBranch=main', ...args], { cwd: d, encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      return r.stdout.trim();
    };
    git('init', '-q');
    writeFileSync(join(d, 'ds/labels/real.txt'), 'content');
    writeFileSync(join(d, 'shared.txt'), 'outside the dataset, inside the repository');
    symlinkSync('real.txt', join(d, 'ds/labels/good'));
    symlinkSync('../../shared.txt', join(d, 'ds/labels/up'));
    symlinkSync('nowhere', join(d, 'ds/labels/broken'));
    symlinkSync(`../${ANNEX_TARGET}`, join(d, 'ds/labels/annexed'));
    symlinkSync('/etc/hostname', join(d, 'ds/labels/absolute'));
    symlinkSync('../labels', join(d, 'ds/labels/dirlink'));
    symlinkSync('loop-b', join(d, 'ds/labels/loop-a'));
    symlinkSync('loop-a', join(d, 'ds/labels/loop-b'));
    git('add', '-A');
    git('commit', '-q', '-m', 'one');
    git('update-index', '--add', '--cacheinfo', `160000,${git('rev-parse', 'HEAD')},ds/sub`);
    git('commit', '-q', '-m', 'submodule');
    const tree = openGitRepository(d).commitTree(git('rev-parse', 'HEAD'), 'ds/');
    expect(tree.list()).toEqual(['labels/absolute', 'labels/annexed', 'labels/broken', 'labels/dirlink', 'labels/good', 'labels/loop-a', 'labels/loop-b', 'labels/real.txt', 'labels/up']);
    expect(tree.directories!()).toEqual([
      { path: 'labels', unlisted: null },
      { path: 'sub', unlisted: 'is a git submodule (e.g. a DataLad subdataset): its files are not in this commit' },
    ]);
    const text = (p: string) => new TextDecoder().decode(readEntry(tree, p));
    expect(text('labels/good')).toBe('content');
    expect(text('labels/up')).toBe('outside the dataset, inside the repository');
    expect(readError(tree, 'labels/broken')).toBe('format.unreadable: is a broken symbolic link (→ nowhere)');
    expect(readError(tree, 'labels/annexed')).toBe(
      `format.unreadable: is a git-annex link (→ ../${ANNEX_TARGET}); annexed content is not stored in git commits: check the working tree after \`git annex get\``,
    );
    expect(readError(tree, 'labels/absolute')).toBe('format.unreadable: is a symbolic link out of the repository (→ /etc/hostname)');
    expect(readError(tree, 'labels/dirlink')).toBe('format.unreadable: is a directory, not a file');
    expect(readError(tree, 'labels/loop-a')).toBe('format.unreadable: is a symbolic link loop (→ loop-b)');
    expect(readError(tree, 'sub')).toBe('format.unreadable: is a git submodule (another repository), not a file');
  });
});
