/**
 * Git behind node/git.ts's GitRepository: the real one against a temporary repository (blobs read in batches by one
 * `git cat-file --batch`, binary contents, paths with spaces, unicode and line breaks), the in-memory one of the tests
 * against the real one, and `segqc diff` run on an in-memory repository.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { openGitRepository, type GitRepository } from '../node/git.js';
import { openBlobStream } from '../node/blob-stream.js';
import { isSegqcError } from '../shared/errors.js';
import { runDiff } from '../cli/commands/diff.js';
import { MemoryGitRepository } from './memory-git.js';
import { TestRepo } from './action-runner.js';
import { boxMask } from './box-mask.js';

/** Deterministic bytes of every value. */
function noise(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

const allBytes = new Uint8Array(769).map((_, i) => i % 256);
const MASK = 'data/日本語 é/mask one.nii.gz';
const base: Record<string, Uint8Array | string> = {
  'README.md': 'top\n',
  'data/all bytes.bin': allBytes,
  [MASK]: noise(5000, 7),
  'data/empty.txt': '',
  // Reads like a `git cat-file --batch` answer, to trip a parser that looks for headers in the contents.
  'data/fake header.txt': `${'0'.repeat(40)} blob 5\nhello\n`,
  'data/line\nbreak.txt': 'odd\n',
  'data/no-newline.txt': 'end',
};
const headChanges: Record<string, Uint8Array | string | null> = {
  'data/empty.txt': 'now something',
  'data/fake header.txt': null,
  'data/new file.json': '{"a": 1}\n',
};
const bytesOf = (v: Uint8Array | string) => (typeof v === 'string' ? new TextEncoder().encode(v) : v);
const underData = (files: Record<string, unknown>) =>
  Object.keys(files)
    .filter((p) => p.startsWith('data/'))
    .map((p) => p.slice(5));

let scratch: string;
let repo: TestRepo;
const sha: Record<string, string> = {};
let log: string;
let savedPath: string | undefined;

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'segqc-git-'));
  repo = new TestRepo(join(scratch, 'repo'));
  sha.base = repo.commit(base, 'base');
  repo.git('mv', '--', MASK, 'data/日本語 é/mask two.nii.gz');
  sha.head = repo.commit(headChanges, 'head');
  // A git on PATH that logs its arguments, then runs the real one: the number of git processes is observable.
  const realGit = execFileSync('sh', ['-c', 'command -v git']).toString().trim();
  const bin = join(scratch, 'bin');
  execFileSync('mkdir', [bin]);
  log = join(scratch, 'git.log');
  writeFileSync(join(bin, 'git'), `#!/bin/sh\nprintf '%s\\n' "$1 $2" >> "${log}"\nexec "${realGit}" "$@"\n`);
  chmodSync(join(bin, 'git'), 0o755);
  savedPath = process.env.PATH;
  process.env.PATH = `${bin}${delimiter}${savedPath}`;
});

afterAll(() => {
  process.env.PATH = savedPath;
  rmSync(scratch, { recursive: true, force: true });
});

afterEach(() => writeFileSync(log, ''));

/** The git commands run since the last call ("cat-file --batch", "ls-tree -r", …). */
function gitCalls(): string[] {
  const calls = readFileSync(log, 'utf8').split('\n').filter(Boolean);
  writeFileSync(log, '');
  return calls;
}

function usageError(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(isSegqcError(e) && e.code).toBe('usage');
    return (e as Error).message;
  }
  throw new Error('expected a usage error');
}

describe('openGitRepository: git itself', () => {
  it('opens at a directory below the top, with its prefix; a directory outside any repository is a usage error', () => {
    const r = openGitRepository(join(repo.dir, 'data'));
    expect(r.top).toBe(realpathSync(repo.dir));
    expect(r.prefix).toBe('data/');
    expect(openGitRepository(repo.dir).prefix).toBe('');
    expect(usageError(() => openGitRepository(scratch))).toMatch(/^git rev-parse failed: .*not a git repository/);
    expect(usageError(() => openGitRepository(join(repo.dir, 'no such dir')))).toBe(`${join(repo.dir, 'no such dir')}: is not a directory`);
  });

  it("lists a commit's files under a prefix, whatever their names", () => {
    const tree = openGitRepository(repo.dir).commitTree(sha.base, 'data/');
    expect(tree.list()).toEqual(underData(base).sort());
    expect(openGitRepository(repo.dir).commitTree(sha.head, 'data/').list()).toEqual(['all bytes.bin', 'empty.txt', 'line\nbreak.txt', 'new file.json', 'no-newline.txt', '日本語 é/mask two.nii.gz'].sort());
  });

  it('reads the announced files with one git cat-file --batch, byte for byte', () => {
    const tree = openGitRepository(repo.dir).commitTree(sha.base, 'data/');
    const names = tree.list();
    tree.prefetch(names);
    for (const p of names) expect(tree.read(p), p).toEqual(bytesOf(base[`data/${p}`]));
    expect(gitCalls()).toEqual(['rev-parse --show-toplevel', 'ls-tree -r', 'cat-file --batch']);
    // Read again, a file comes on its own.
    expect(tree.read('all bytes.bin')).toEqual(allBytes);
    expect(gitCalls()).toEqual(['cat-file --batch']);
  });

  it('without an announcement, one process per file; the announced ones come a bounded batch at a time', () => {
    const plain = openGitRepository(repo.dir).commitTree(sha.base, 'data/');
    for (const p of plain.list()) expect(plain.read(p)).toEqual(bytesOf(base[`data/${p}`]));
    expect(gitCalls().filter((c) => c === 'cat-file --batch')).toHaveLength(6);

    // 1000 bytes at a time: the five small files (828 bytes) in one batch, the 5000-byte mask alone.
    const bounded = openGitRepository(repo.dir, { prefetchBytes: 1000 }).commitTree(sha.base, 'data/');
    bounded.prefetch(bounded.list());
    for (const p of bounded.list()) expect(bounded.read(p)).toEqual(bytesOf(base[`data/${p}`]));
    expect(gitCalls().filter((c) => c.startsWith('cat-file'))).toEqual(['cat-file --batch', 'cat-file --batch']);
  });

  it('load: a batch\'s files through one long-running git cat-file, read without another process; what git lacks is left to read', async () => {
    const r = openGitRepository(repo.dir, { prefetchBytes: 1000 });
    const tree = r.commitTree(sha.head, 'data/');
    const names = tree.list();
    gitCalls();
    const stream = openBlobStream(r.top);
    // 1000 bytes: the small files load, the 5000-byte mask loads only on its own.
    await tree.load(names, stream);
    for (const p of names.filter((n) => !n.startsWith('日本語'))) expect(tree.read(p), p).toEqual(bytesOf(headChanges[`data/${p}`] ?? base[`data/${p}`]));
    await tree.load(['日本語 é/mask two.nii.gz'], stream);
    expect(tree.read('日本語 é/mask two.nii.gz')).toEqual(bytesOf(base[MASK]));
    await tree.load(['all bytes.bin', 'new file.json'], stream);
    expect(tree.read('new file.json')).toEqual(bytesOf('{"a": 1}\n'));
    expect(gitCalls()).toEqual(['cat-file --batch']);
    // A file loaded and never read is dropped by the next load: read then, it comes from a process of its own.
    await tree.load(['empty.txt'], stream);
    expect(tree.read('all bytes.bin')).toEqual(allBytes);
    expect(gitCalls()).toEqual(['cat-file --batch']);
    // Not a file of the commit: nothing is loaded, and read says why.
    await tree.load(['fake header.txt'], stream);
    expect(usageError(() => tree.read('fake header.txt'))).toContain('data/fake header.txt');
    stream.close();
  });

  it('a file the commit does not have is a usage error naming it, raised when it is read', () => {
    const head = openGitRepository(repo.dir).commitTree(sha.head, 'data/');
    head.prefetch(['fake header.txt', 'new file.json']);
    expect(usageError(() => head.read('fake header.txt'))).toContain('data/fake header.txt');
    expect(head.read('new file.json')).toEqual(bytesOf('{"a": 1}\n'));
  });

  it('readBlobs: many paths of a commit in one batch (a path with a line break on its own), in order, repeats kept', () => {
    const r = openGitRepository(repo.dir);
    const paths = ['data/all bytes.bin', 'data/line\nbreak.txt', MASK, 'README.md', 'data/empty.txt', 'data/all bytes.bin'];
    expect(r.readBlobs(sha.base, paths)).toEqual(paths.map((p) => bytesOf(base[p])));
    expect(gitCalls()).toEqual(['rev-parse --show-toplevel', 'cat-file --batch', 'cat-file blob']);
    expect(usageError(() => r.readBlobs(sha.base, ['README.md', 'data/nope.txt']))).toContain('data/nope.txt');
    expect(usageError(() => r.readBlobs(sha.base, ['data']))).toContain('a tree, not a file');
  });

  it('changed files: renames followed across unicode and spaces, modifications, deletions, additions', () => {
    const byPath = (a: { path: string }, b: { path: string }) => (a.path < b.path ? -1 : 1);
    expect(openGitRepository(repo.dir).changedFiles(sha.base, sha.head, 'data/').sort(byPath)).toEqual(
      [
        { status: 'M', path: 'empty.txt' },
        { status: 'D', path: 'fake header.txt' },
        { status: 'A', path: 'new file.json' },
        { status: 'R', path: '日本語 é/mask two.nii.gz', oldPath: '日本語 é/mask one.nii.gz' },
      ].sort(byPath),
    );
  });

  it('resolves refs and merge bases, and names a missing commit', () => {
    const r = openGitRepository(repo.dir);
    expect(r.resolveCommit('HEAD')).toBe(sha.head);
    expect(r.resolveCommit(sha.base.slice(0, 10))).toBe(sha.base);
    expect(r.mergeBase(sha.base, sha.head)).toBe(sha.base);
    expect(usageError(() => r.resolveCommit('no-such-branch'))).toBe('commit no-such-branch is not in this clone; check the ref name, or fetch it first');
  });
});

describe('the in-memory repository answers as git does', () => {
  const mem = new MemoryGitRepository();
  const memSha = { base: mem.commit(base), head: '' };
  memSha.head = mem.commit({ ...headChanges, [MASK]: null, 'data/日本語 é/mask two.nii.gz': base[MASK] });
  const real = () => openGitRepository(repo.dir);
  const both = (): Array<[GitRepository, Record<string, string>]> => [
    [real(), sha],
    [mem, memSha],
  ];

  it('the same files, bytes, changes and merge base', () => {
    const answers = both().map(([r, s]) => {
      const trees = [r.commitTree(s.base, 'data/'), r.commitTree(s.head, '')];
      return {
        lists: trees.map((t) => t.list()),
        bytes: trees.map((t) => t.list().map((p) => Array.from(t.read(p)))),
        changed: r.changedFiles(s.base, s.head, 'data/').sort((a, b) => (a.path < b.path ? -1 : 1)),
        blobs: r.readBlobs(s.base, ['README.md', MASK]).map((b) => Array.from(b)),
        mergeBase: r.mergeBase(s.head, s.base) === s.base,
      };
    });
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[0].changed).toHaveLength(4);
  });
});

describe('who changed each file: the authors of the commits since the base', () => {
  const alice = { name: 'Alice Ng', email: 'alice@example.com' };
  const bob = { name: 'Bob | *Ó*', email: 'bob@example.com' };
  const files = { a: 'data/a.nii.gz', odd: 'data/x y/é (1).nii.gz', b: 'data/b.nii.gz', outside: 'README.md' };
  const want = new Map([
    ['a.nii.gz', [alice, bob]],
    ['b.nii.gz', [bob]],
    ['x y/é (1).nii.gz', [alice]],
  ]);

  it('git log: oldest author first, each once, only under the prefix, odd names whole', () => {
    const r = new TestRepo(join(scratch, 'authors'));
    const base = r.commit({ [files.a]: '0', [files.b]: '0', [files.outside]: '0' }, 'base');
    const as = (who: { name: string; email: string }, change: Record<string, string>) => {
      r.git('config', 'user.name', who.name);
      r.git('config', 'user.email', who.email);
      return r.commit(change, 'edit');
    };
    as(alice, { [files.a]: '1', [files.odd]: '1' });
    as(bob, { [files.b]: '2', [files.a]: '2', [files.outside]: '2' });
    const head = as(alice, { [files.a]: '3' });
    expect(openGitRepository(r.dir).committers(base, head, 'data/')).toEqual(want);
    // The base's own commits are not the pull request's.
    expect(openGitRepository(r.dir).committers(head, head, 'data/')).toEqual(new Map());
  });

  it('the in-memory repository gives the same answer', () => {
    const m = new MemoryGitRepository();
    const base = m.commit({ [files.a]: '0', [files.b]: '0', [files.outside]: '0' });
    m.commit({ [files.a]: '1', [files.odd]: '1' }, { author: alice });
    m.commit({ [files.b]: '2', [files.a]: '2', [files.outside]: '2' }, { author: bob });
    const head = m.commit({ [files.a]: '3' }, { author: alice });
    expect(m.committers(base, head, 'data/')).toEqual(want);
  });
});

describe('segqc diff on an in-memory repository', () => {
  const organ = boxMask([[2, 8, 2, 8, 1, 5]]); // 6×6×4 voxels = 288 mm³
  const grown = boxMask([[2, 9, 2, 8, 1, 5]]); // 7×6×4 voxels = 336 mm³
  const split = boxMask([[2, 8, 2, 8, 1, 5], [10, 12, 10, 12, 0, 1]]); // a second island
  const files = {
    'ct/segqc.yaml': 'guideline: guideline.yaml\nsources:\n  - name: masks\n    format: nifti\n    path: labels/*.nii.gz\n',
    'ct/guideline.yaml': 'schema_version: 1\nid: organ\nversion: 1.0.0\ntitle: Organ\nlabels:\n  - name: Organ\n    value: 1\n    max_components: 1\n',
    'ct/labels/case01.nii.gz': organ,
    'ct/labels/case02.nii.gz': organ,
    'ct/labels/case03.nii.gz': organ,
    'other/unrelated.txt': 'x',
  };

  async function run(args: string[], mem: MemoryGitRepository) {
    const out: string[] = [];
    const opened: string[] = [];
    const code = await runDiff(args, (s) => out.push(s), () => {}, (dir) => {
      opened.push(dir);
      return mem;
    });
    return { code, out: out.join(''), opened };
  }

  it('checks the changed items of the head with the base guideline, reading both sides through the interface', async () => {
    const mem = new MemoryGitRepository('ct/');
    const b = mem.commit(files);
    const h = mem.commit({ 'ct/labels/case01.nii.gz': grown, 'ct/labels/case02.nii.gz': split, 'other/unrelated.txt': 'y' }, { branch: 'pr', parent: 'main' });
    const json = join(scratch, 'diff.json');
    const r = await run(['--base', 'main', '--head', 'pr', '--json', json, '/memory-repo/ct'], mem);
    expect(r.opened).toEqual(['/memory-repo/ct']);
    expect(r.code).toBe(1);
    const { diff, report } = JSON.parse(readFileSync(json, 'utf8'));
    expect(diff.base_sha).toBe(b);
    expect(diff.head_sha).toBe(h);
    expect(diff.items).toHaveLength(2);
    const byFile = (name: string) => diff.items.find((i: { id: string }) => i.id.includes(name));
    const organ01 = byFile('case01').labels.find((l: { label: string }) => l.label === 'Organ');
    expect([organ01.volume_base, organ01.volume_head]).toEqual([288, 336]);
    expect(byFile('case02').findings_added.map((f: { rule: string }) => f.rule)).toEqual(['components.too_many']);
    expect(report.verdict).toBe('fail');
    expect(r.out).toContain('case02');
    // Only the dataset's files were read: the changed masks on both sides, the config and guideline; never case03.
    expect(mem.reads.every((p) => p.includes(':ct/'))).toBe(true);
    expect(mem.reads).toContain(`${b.slice(0, 7)}:ct/labels/case02.nii.gz`);
    expect(mem.reads).toContain(`${h.slice(0, 7)}:ct/labels/case02.nii.gz`);
    expect(mem.reads.some((p) => p.includes('case03'))).toBe(false);
  });

  it('a head that only fixes things passes; a base without the config is refused', async () => {
    const mem = new MemoryGitRepository('ct/');
    mem.commit(files);
    mem.commit({ 'ct/labels/case01.nii.gz': grown }, { branch: 'pr', parent: 'main' });
    const r = await run(['--base', 'main', '--head', 'pr', '--quiet', '/memory-repo/ct'], mem);
    expect([r.code, r.out]).toEqual([0, 'pass: 1 items changed, 0 errors, 0 warnings\n']);

    const bare = new MemoryGitRepository('ct/');
    bare.commit({ 'ct/labels/case01.nii.gz': organ });
    bare.commit(files, { branch: 'pr', parent: 'main' });
    await expect(run(['--base', 'main', '--head', 'pr', '/memory-repo/ct'], bare)).rejects.toThrow(/has no segqc\.yaml/);
  });
});
