/** The README's "Command line" table and the CLI's own help name the same commands and the same flags. */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const start = readme.indexOf('\n## Command line\n');
const table = readme.slice(start, readme.indexOf('\n## ', start + 1));

const help = (...args: string[]) => {
  const r = spawnSync(process.execPath, [join(root, 'bin/segqc.js'), ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  expect(r.status, `segqc ${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout;
};

const flags = (text: string) => new Set([...text.matchAll(/--[a-z][a-z-]*/g)].map((m) => m[0]).filter((f) => f !== '--help'));

/** The README rows by command word (`check`, `guideline`, …): the flags of all its rows. */
function readmeRows(): Map<string, Set<string>> {
  const rows = new Map<string, Set<string>>();
  for (const line of table.split('\n')) {
    const m = /^\| `segqc ([a-z]+)[^`]*` \|/.exec(line);
    if (!m) continue;
    rows.set(m[1], new Set([...(rows.get(m[1]) ?? []), ...flags(line)]));
  }
  return rows;
}

describe('README "Command line"', () => {
  it('has a row for every command segqc --help lists, and none it does not', () => {
    expect(start, 'README has no "## Command line" section').toBeGreaterThan(0);
    const listed = [...help('--help').matchAll(/^ {2}segqc ([a-z]+)/gm)].map((m) => m[1]);
    expect(listed.length).toBeGreaterThan(4);
    expect([...readmeRows().keys()].sort(), 'add a README "Command line" row for each command').toEqual([...new Set(listed)].sort());
  });

  it("names exactly the flags of each command's --help", () => {
    for (const [command, documented] of readmeRows()) {
      expect([...documented].sort(), `segqc ${command}: README row vs --help`).toEqual([...flags(help(command, '--help'))].sort());
    }
  });
});
