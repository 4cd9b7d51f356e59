/**
 * `segqc diff` with the annotator trend lines, end to end: a real git repository with several authors committing over
 * several months, the built `dist/segqc.js` as a child process (on a pipe, in a pseudo-terminal, in a shallow clone),
 * and the expected findings per annotation computed from the commit table (test/trends-repo.ts), not from segqc's output.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { ROOT } from './action-runner.js';
import { ANA, BEN, CONFIG, GUIDELINE, KINDS, LEE, MONTHS, NOOR, SAM, buildTrendsRepo, expectedTrend } from './trends-repo.js';

const CLI = join(ROOT, 'dist/segqc.js');
let scratch: string;
let dir: string;

const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] }).toString().trim();
const segqc = (cwd: string, args: string[]) => spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 120_000 });

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'segqc-trends-'));
  dir = join(scratch, 'repo');
  buildTrendsRepo(dir);
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('segqc diff: one trend line per annotator who changed items in the pull request', () => {
  it('each kind of mask has the findings the commit table counts on', () => {
    const probe = join(scratch, 'probe');
    mkdirSync(join(probe, 'labels'), { recursive: true });
    writeFileSync(join(probe, 'segqc.yaml'), CONFIG);
    writeFileSync(join(probe, 'guideline.yaml'), GUIDELINE);
    for (const [kind, { bytes }] of Object.entries(KINDS)) writeFileSync(join(probe, 'labels', `${kind}.nii.gz`), bytes);
    const r = segqc(probe, ['check', '--json', join(probe, 'report.json'), '--quiet']);
    expect(r.stderr).toBe('');
    const report = JSON.parse(readFileSync(join(probe, 'report.json'), 'utf8')) as { items: Array<{ id: string; findings: Array<{ rule: string }> }> };
    const found = Object.fromEntries(report.items.map((i) => [i.id, i.findings.map((f) => f.rule).sort()]));
    expect(found).toEqual({ organ: [], grown: [], islands: ['components.too_many'], tiny: ['volume.below_min'], tinyIslands: ['components.too_many', 'volume.below_min'] });
  });

  it('the Markdown and the JSON: findings per annotation by month over the 6 months up to the base commit', () => {
    // From the table: Ana 1/2, 2/1, 1/3, none, none, 0/1; Sam none, 1/1, 0/1, none, 2/2, none.
    expect(expectedTrend(ANA)).toEqual([0.5, 2, 1 / 3, null, null, 0]);
    expect(expectedTrend(SAM)).toEqual([null, 1, 0, null, 1, null]);
    const json = join(scratch, 'diff.json');
    const r = segqc(dir, ['diff', '--base', 'main', '--head', 'pr', '--json', json]);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toBe('');
    const lines = r.stdout.split('\n');
    const at = lines.indexOf('**Annotator trends** — findings per annotation by month, <code>2024-02</code> to <code>2024-07</code>, up to the base commit:');
    expect(at).toBeGreaterThan(0);
    // Ana: 0.5 → bar 2 of 0..7 (round 1.75), 2 → 7, 1/3 → 1 (round 1.17), two blank months, 0 → 0. Sam: 0..1 scale.
    expect(lines.slice(at + 1, at + 5)).toEqual([
      '',
      '- Ana Ortiz: <code>▃█▂  ▁</code> (latest 0.00)',
      '- Sam\\_\\*x\\* \\[y\\]\\(z\\) \\|@\u200bteam: <code> █▁ █ </code> (latest 1.00)',
      '',
    ]);
    // Ben and Lee changed nothing in the pull request; Noor did, but has no history before it.
    for (const who of [BEN, LEE, NOOR]) expect(r.stdout).not.toContain(`- ${who}:`);
    const written = JSON.parse(readFileSync(json, 'utf8')) as { annotator_trends: unknown };
    expect(written.annotator_trends).toEqual([
      { annotator: ANA, periods: MONTHS, findings_per_annotation: expectedTrend(ANA) },
      { annotator: SAM, periods: MONTHS, findings_per_annotation: expectedTrend(SAM) },
    ]);
  });

  it('the terminal view (a pseudo-terminal) has the same lines, with the values of each month', () => {
    const cli = `${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} diff --base main --head pr`;
    const tty = spawnSync('script', ['-qec', cli, '/dev/null'], { cwd: dir, encoding: 'utf8', env: { ...process.env, TERM: 'dumb' } });
    expect(tty.status, tty.stderr).toBe(1);
    const lines = tty.stdout.replace(/\x1b\[[0-9;]*m/g, '').replace(/\r\n/g, '\n').split('\n');
    const at = lines.indexOf('Annotator trends: findings per annotation by month, 2024-02 to 2024-07, up to the base commit');
    expect(at).toBeGreaterThan(0);
    expect(lines.slice(at + 1, at + 3)).toEqual([
      '  Ana Ortiz              │▃█▂  ▁│  0.50 2.00 0.33 – – 0.00',
      '  Sam_*x* [y](z) |@team  │ █▁ █ │  – 1.00 0.00 – 1.00 –',
    ]);
    expect(lines.filter((l) => l.includes('│'))).toHaveLength(2);
  });

  it('a shallow clone prints the same report without the trend lines, and says why and how to get them', () => {
    const shallow = join(scratch, 'shallow');
    git(scratch, 'clone', '-q', '--depth', '4', '--no-single-branch', `file://${dir}`, shallow);
    expect(git(shallow, 'rev-parse', '--is-shallow-repository')).toBe('true');
    const full = segqc(dir, ['diff', '--base', 'main', '--head', 'pr']);
    const json = join(scratch, 'shallow.json');
    const r = segqc(shallow, ['diff', '--base', 'main', '--head', 'origin/pr', '--json', json]);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toBe('');
    expect(r.stdout).not.toContain('**Annotator trends**');
    expect(r.stdout).not.toContain('- Ana Ortiz:');
    // main's last four commits: 2024-07-02, 2024-06-15, 2024-06-03, 2024-04-20.
    const note = 'No annotator trends: this clone is shallow (4 commits up to the base); <code>git fetch --unshallow</code> (on GitHub, actions/checkout with <code>fetch-depth: 0</code>) brings the history.';
    expect(r.stdout).toContain(`\n${note}\n`);
    // Everything else is what the full clone prints.
    const block = /\*\*Annotator trends\*\*[^\n]*\n\n(- [^\n]*\n)+\n/;
    expect(full.stdout).toMatch(block);
    expect(r.stdout.replace(`${note}\n\n`, '')).toBe(full.stdout.replace(block, ''));
    expect(JSON.parse(readFileSync(json, 'utf8'))).not.toHaveProperty('annotator_trends');
  });
});
