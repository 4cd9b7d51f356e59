/**
 * `segqc diff` on a terminal: the decision-first view as text and a progress bar on stderr for long runs; on a pipe
 * the Markdown and a silent stderr. The bar is a pure function plus a TTY switch; a pseudo-terminal (`script`) runs
 * the real command.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { clock, progressLine, progressReporter } from '../cli/progress.js';
import { runDiff } from '../cli/commands/diff.js';
import { COMMENT_MARKER } from '../shared/report/render-diff.js';
import { MemoryGitRepository } from './memory-git.js';
import { ROOT, TestRepo } from './action-runner.js';
import { boxMask } from './box-mask.js';

describe('the progress bar', () => {
  it('items done of the total, and the time left from the pace so far', () => {
    expect(progressLine(0, 40, 0, 10)).toBe('[..........] 0/40 items');
    // 10 of 40 in 5 s: 30 more at 0.5 s each = 15 s.
    expect(progressLine(10, 40, 5000, 10)).toBe('[###.......] 10/40 items, 0:15 left');
    expect(progressLine(40, 40, 9000, 10)).toBe('[##########] 40/40 items');
    expect(progressLine(0, 0, 0, 4)).toBe('[####] 0/0 items');
    expect([clock(59_400), clock(61_000), clock(3_725_000)]).toEqual(['0:59', '1:01', '1:02:05']);
  });

  it('on a terminal: quiet for a short run, then redrawn at most every 100 ms, and cleared at the end', () => {
    let t = 1000;
    const written: string[] = [];
    const p = progressReporter({ write: (s) => written.push(s), isTTY: true, now: () => t });
    t = 1400;
    p.tick(1, 4);
    expect(written).toEqual([]);
    t = 1600;
    p.tick(2, 4);
    t = 1650;
    p.tick(3, 4);
    t = 1700;
    p.tick(4, 4);
    p.end();
    // 2 done in 600 ms: 2 more take 600 ms. The tick at 50 ms is skipped; the last one is always drawn.
    expect(written).toEqual([`\r${progressLine(2, 4, 600)}\x1b[K`, `\r${progressLine(4, 4, 700)}\x1b[K`, '\r\x1b[K']);
  });

  it('on a pipe: nothing at all', () => {
    const written: string[] = [];
    let t = 0;
    const p = progressReporter({ write: (s) => written.push(s), isTTY: false, now: () => (t += 10_000) });
    for (let i = 1; i <= 5; i++) p.tick(i, 5);
    p.end();
    expect(written).toEqual([]);
  });
});

const organ = boxMask([[2, 8, 2, 8, 1, 5]]);
const grown = boxMask([[2, 9, 2, 8, 1, 5]]);
const split = boxMask([[2, 8, 2, 8, 1, 5], [10, 12, 10, 12, 0, 1]]);
const files = {
  'segqc.yaml': 'guideline: guideline.yaml\nsources:\n  - name: masks\n    format: nifti\n    path: labels/*.nii.gz\n',
  'guideline.yaml': 'schema_version: 1\nid: organ\nversion: 1.0.0\ntitle: Organ\nlabels:\n  - name: Organ\n    value: 1\n    max_components: 1\n',
  'labels/case01.nii.gz': organ,
  'labels/case02.nii.gz': organ,
};

describe('segqc diff: the terminal view and the TTY switch', () => {
  const mem = new MemoryGitRepository();
  mem.commit(files);
  mem.commit({ 'labels/case01.nii.gz': grown, 'labels/case02.nii.gz': split }, { branch: 'pr', parent: 'main', author: { name: 'Dana Curator', email: 'dana@example.com' } });
  const run = async (terminal: { stdoutTTY: boolean; stderrTTY: boolean }) => {
    const out: string[] = [], err: string[] = [];
    let t = 0;
    // A slow run: every look at the clock is one second later.
    const code = await runDiff(['--base', 'main', '--head', 'pr', '/memory-repo'], (s) => out.push(s), (s) => err.push(s), () => mem, { ...terminal, now: () => (t += 1000) });
    return { code, out: out.join(''), err: err.join('') };
  };

  it('a terminal gets the decision first: the verdict, what to do, the blocking finding, the changed labels by who changed them', async () => {
    const r = await run({ stdoutTTY: true, stderrTTY: false });
    expect(r.code).toBe(1);
    const lines = r.out.replace(/\x1b\[[0-9;]*m/g, '').split('\n');
    expect(lines[0]).toBe('segqc diff: FAIL — 2 items changed, 1 new finding (1 error), 0 resolved');
    expect(lines[1]).toBe('To merge: fix the blocking finding below in this pull request (the gate fails on error), then push again.');
    const at = lines.indexOf('Blocking findings (1)');
    expect(at).toBeGreaterThan(1);
    expect(lines[at + 1]).toBe('  error components.too_many  case02 (labels/case02.nii.gz)');
    expect(lines[at + 2]).toMatch(/^ {6}Organ is in 2 separate pieces; .* at slice 0 \(axial, around \(11, 11\) px, L 10\.5 P 10\.5 S 0 mm\)$/);
    const changed = lines.indexOf('Changed labels, worst first');
    expect(changed).toBeGreaterThan(at);
    expect(lines[changed + 2]).toBe('  committed by Dana Curator');
    // case02 is worst (a new error); case01 grew 288 → 336 mm³.
    expect(lines[changed + 3]).toMatch(/^ {4}case02 {2}Organ {2}288 → 296 \(\+2\.8%\) +1 → 2 {2}Dice 0\.986 .* findings \+1$/);
    expect(lines[changed + 4]).toMatch(/^ {4}case01 {2}Organ {2}288 → 336 \(\+16\.7%\) {2}1 +Dice 0\.923 /);
    // The columns line up: Dice starts at the same place in both rows.
    expect(lines[changed + 3].indexOf('Dice')).toBe(lines[changed + 4].indexOf('Dice'));
    expect(r.out).not.toContain(COMMENT_MARKER);
    expect(r.err).toBe('');
  });

  it('a pipe gets the Markdown; a terminal on stderr gets the progress bar, cleared at the end', async () => {
    const piped = await run({ stdoutTTY: false, stderrTTY: false });
    expect(piped.out.startsWith(`${COMMENT_MARKER}\n`)).toBe(true);
    expect(piped.err).toBe('');
    const bar = await run({ stdoutTTY: false, stderrTTY: true });
    expect(bar.out).toBe(piped.out);
    const frames = bar.err.split('\r').filter(Boolean);
    expect(frames.at(-1)).toBe('\x1b[K');
    expect(frames.slice(0, -1).map((f) => f.replace(/\x1b\[K$/, '').replace(/^\[[#.]+\] /, ''))).toEqual(['1/2 items, 0:01 left', '2/2 items']);
  });
});

describe('segqc diff in a pseudo-terminal (script) and on a pipe', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'segqc-tty-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('prints the text view on a terminal and the Markdown on a pipe, with nothing on stderr', () => {
    const repo = new TestRepo(join(scratch, 'repo'));
    repo.commit(files, 'base');
    repo.git('switch', '-q', '-c', 'pr');
    repo.commit({ 'labels/case02.nii.gz': split }, 'split case02');
    const cli = `${JSON.stringify(process.execPath)} ${JSON.stringify(join(ROOT, 'dist/segqc.js'))} diff --base main --head pr`;
    const tty = spawnSync('script', ['-qec', cli, '/dev/null'], { cwd: repo.dir, encoding: 'utf8', env: { ...process.env, TERM: 'dumb' } });
    expect(tty.status, tty.stderr).toBe(1);
    const text = tty.stdout.replace(/\x1b\[[0-9;]*m/g, '').replace(/\r\n/g, '\n');
    expect(text).toContain('segqc diff: FAIL — 1 item changed, 1 new finding (1 error), 0 resolved\n');
    expect(text).toContain('Blocking findings (1)');
    expect(text).not.toContain(COMMENT_MARKER);
    const piped = spawnSync(process.execPath, [join(ROOT, 'dist/segqc.js'), 'diff', '--base', 'main', '--head', 'pr'], { cwd: repo.dir, encoding: 'utf8' });
    expect(piped.status).toBe(1);
    expect(piped.stdout.startsWith(`${COMMENT_MARKER}\n`)).toBe(true);
    expect(piped.stderr).toBe('');
  });
});
