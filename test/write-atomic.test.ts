/** Report files are written whole, and a path that is not a regular file is written in place, never replaced. */
import { describe, expect, it } from 'vitest';
import { execFileSync, spawn } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../node/write-atomic.js';
import { isSegqcError } from '../shared/errors.js';

const root = join(__dirname, '..');
const scratch = () => mkdtempSync(join(tmpdir(), 'segqc-write-'));

/** A FIFO in `dir` and what a `cat` reading it receives; the reader is killed after 20 s so a regression cannot hang. */
function fifoWithReader(dir: string): { path: string; received: Promise<string> } {
  const path = join(dir, 'fifo');
  execFileSync('mkfifo', [path]);
  const cat = spawn('cat', [path], { stdio: ['ignore', 'pipe', 'ignore'] });
  const timer = setTimeout(() => cat.kill(), 20_000);
  let text = '';
  cat.stdout.on('data', (d: Buffer) => (text += d.toString('utf8')));
  const received = new Promise<string>((resolve) => cat.on('close', () => (clearTimeout(timer), resolve(text))));
  return { path, received };
}

describe('writeFileAtomic', () => {
  it('writes a new file and replaces an existing one, leaving no temporary file', () => {
    const dir = scratch();
    const f = join(dir, 'r.json');
    writeFileAtomic(f, 'one');
    writeFileAtomic(f, 'two');
    expect(readFileSync(f, 'utf8')).toBe('two');
    expect(readdirSync(dir)).toEqual(['r.json']);
  });

  it('keeps a symbolic link and replaces the file it points to', () => {
    const dir = scratch();
    mkdirSync(join(dir, 'reports'));
    writeFileSync(join(dir, 'reports/latest.md'), 'old');
    symlinkSync('reports/latest.md', join(dir, 'report.md'));
    writeFileAtomic(join(dir, 'report.md'), 'new');
    expect(lstatSync(join(dir, 'report.md')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(dir, 'report.md'))).toBe('reports/latest.md');
    expect(readFileSync(join(dir, 'reports/latest.md'), 'utf8')).toBe('new');
    expect(readdirSync(join(dir, 'reports'))).toEqual(['latest.md']);
  });

  it('writes into a FIFO (as into /dev/stdout) instead of renaming a file over it', async () => {
    const dir = scratch();
    const fifo = fifoWithReader(dir);
    writeFileAtomic(fifo.path, 'through the pipe');
    expect(await fifo.received).toBe('through the pipe');
    expect(lstatSync(fifo.path).isFIFO()).toBe(true);
    expect(readdirSync(dir)).toEqual(['fifo']);
  });

  it('a directory is a usage error naming the path', () => {
    const dir = scratch();
    let caught: unknown;
    try {
      writeFileAtomic(dir, 'x');
    } catch (e) {
      caught = e;
    }
    expect(isSegqcError(caught)).toBe(true);
    expect((caught as Error).message).toContain(dir);
    expect((caught as Error).message).toContain('EISDIR');
  });

  it('segqc check --markdown into a FIFO: the report arrives there and the FIFO stays', async () => {
    const dir = scratch();
    const fifo = fifoWithReader(dir);
    const cli = spawn(process.execPath, [join(root, 'bin/segqc.js'), 'check', 'examples/liver-ct', '--quiet', '--markdown', fifo.path], { cwd: root });
    let stderr = '';
    cli.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const code = await new Promise<number | null>((resolve) => cli.on('close', resolve));
    expect(stderr).toBe('');
    expect(code).toBe(1);
    expect(await fifo.received).toMatch(/^## segqc: ❌ fail\n/);
    expect(lstatSync(fifo.path).isFIFO()).toBe(true);
  }, 60_000);
});
