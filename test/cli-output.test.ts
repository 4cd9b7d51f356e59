/** The CLI's own output: a reader that goes away, a full disk, and help asked for in every usual way. */
import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(__dirname, '..');
const bin = join(root, 'bin/segqc.js');

/** Runs segqc with its stdout a pipe whose reading end is closed before segqc writes a byte. */
function withClosedStdout(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [bin, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.destroy();
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stderr })));
}

describe('segqc output', () => {
  it('check | head -1: a closed stdout is quiet, the reports are still written and the gate still decides', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'segqc-epipe-'));
    const json = join(dir, 'r.json');
    const r = await withClosedStdout(['check', 'examples/liver-ct', '--json', json]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1);
    const report = JSON.parse(readFileSync(json, 'utf8')) as { items: unknown[] };
    expect(report.items).toHaveLength(5);
  }, 60_000);

  it('a closed stdout on help and compare --json is quiet too', async () => {
    for (const args of [['--help'], ['compare', 'examples/liver-ct/labels/rater1/ct_001.nii.gz', 'examples/liver-ct/labels/rater2/ct_001.nii.gz', '--json']]) {
      const r = await withClosedStdout(args);
      expect(r.stderr, args.join(' ')).toBe('');
      expect(r.code, args.join(' ')).toBe(0);
    }
  }, 60_000);

  it('a stdout that cannot be written (a full disk) is one line on stderr and exit 2, no stack trace', () => {
    expect(existsSync('/dev/full')).toBe(true);
    const fd = openSync('/dev/full', 'w');
    try {
      const r = spawnSync(process.execPath, [bin, 'check', 'examples/liver-ct'], { cwd: root, stdio: ['ignore', fd, 'pipe'], encoding: 'utf8', timeout: 60_000 });
      expect(r.stderr).toBe('segqc: the output could not be written (ENOSPC)\n');
      expect(r.status).toBe(2);
    } finally {
      closeSync(fd);
    }
  }, 60_000);

  it('an empty value (--json "$UNSET") is a usage error, not a report silently not written', () => {
    for (const args of [['check', 'examples/liver-ct', '--json='], ['check', 'examples/liver-ct', '--markdown', ''], ['diff', '--base', '']]) {
      const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/^segqc (check|diff): error \[usage\] --(json|markdown|base) needs a value\n/);
    }
  });

  it('-h and segqc help <command> print the command help, like --help', () => {
    const run = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    for (const cmd of ['check', 'diff', 'compare']) {
      const long = run(cmd, '--help');
      expect(long.status).toBe(0);
      expect(long.stdout).toMatch(new RegExp(`^Usage: segqc ${cmd} `));
      for (const other of [run(cmd, '-h'), run('help', cmd)]) {
        expect(other.status).toBe(0);
        expect(other.stdout).toBe(long.stdout);
      }
    }
    const literal = run('check', '--', '-h');
    expect(literal.status).toBe(2);
    expect(literal.stderr).toContain('-h: is not a directory');
  });
});
