/**
 * A dataset repository for the annotator trend lines: several authors committing masks over several months, with a
 * pull request branch, and the findings per annotation each author should get, computed from the commit table.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { boxMask } from './box-mask.js';


// Each kind of mask with the findings the guideline below gives it (Organ: at least 100 mm³, one piece).
export const KINDS = {
  // 6×6×4 voxels = 288 mm³: nothing.
  organ: { bytes: boxMask([[2, 8, 2, 8, 1, 5]]), findings: 0 },
  // One column of voxels more, 7×6×4 = 336 mm³: nothing.
  grown: { bytes: boxMask([[2, 9, 2, 8, 1, 5]]), findings: 0 },
  // The organ and a 2×2×1 island: components.too_many.
  islands: { bytes: boxMask([[2, 8, 2, 8, 1, 5], [10, 12, 10, 12, 0, 1]]), findings: 1 },
  // 2×2×2 voxels = 16 mm³: volume.below_min.
  tiny: { bytes: boxMask([[2, 4, 2, 4, 1, 3]]), findings: 1 },
  // 16 + 8 mm³ in two pieces: volume.below_min and components.too_many.
  tinyIslands: { bytes: boxMask([[2, 4, 2, 4, 1, 3], [10, 12, 10, 12, 0, 1]]), findings: 2 },
};
export type Kind = keyof typeof KINDS;

export const GUIDELINE = 'schema_version: 1\nid: organ\nversion: 1.0.0\ntitle: Organ\nlabels:\n  - name: Organ\n    value: 1\n    min_volume_mm3: 100\n    max_components: 1\n';
export const CONFIG = 'guideline: guideline.yaml\nsources:\n  - name: masks\n    format: nifti\n    path: labels/*.nii.gz\n';

export const ANA = 'Ana Ortiz', BEN = 'Ben Okafor', LEE = 'Lee Lead', NOOR = 'Noor New';
// Markdown and a mention in a git author name (git itself drops < and >).
export const SAM = 'Sam_*x* [y](z) |@team';

export interface Commit {
  who: string;
  date: string;
  masks: Partial<Record<string, Kind>>;
}

// The history of main. The base is its last commit (2024-07), so the trends cover 2024-02 to 2024-07; nobody commits in 2024-05.
export const MAIN: Commit[] = [
  { who: LEE, date: '2023-12-05', masks: { case01: 'organ', case02: 'organ', case03: 'organ', case04: 'organ', case05: 'organ', case06: 'organ' } },
  { who: ANA, date: '2024-01-15', masks: { case01: 'islands' } },
  { who: ANA, date: '2024-02-10', masks: { case01: 'organ', case02: 'islands' } },
  { who: BEN, date: '2024-02-20', masks: { case03: 'tinyIslands' } },
  { who: SAM, date: '2024-03-05', masks: { case04: 'tiny' } },
  { who: ANA, date: '2024-03-12', masks: { case02: 'tinyIslands' } },
  { who: ANA, date: '2024-04-08', masks: { case02: 'organ', case05: 'grown', case06: 'islands' } },
  { who: SAM, date: '2024-04-20', masks: { case04: 'organ' } },
  { who: BEN, date: '2024-06-03', masks: { case03: 'organ' } },
  { who: SAM, date: '2024-06-15', masks: { case04: 'islands', case03: 'tiny' } },
  { who: ANA, date: '2024-07-02', masks: { case06: 'organ' } },
];
// The pull request: Ana and Sam change items, and Noor, who has no history; Ben and Lee change nothing.
export const PR: Commit[] = [
  { who: ANA, date: '2024-08-01', masks: { case01: 'islands' } },
  { who: SAM, date: '2024-08-02', masks: { case04: 'organ' } },
  { who: NOOR, date: '2024-08-03', masks: { case05: 'tiny' } },
];
export const MONTHS = ['2024-02', '2024-03', '2024-04', '2024-05', '2024-06', '2024-07'];

/** Findings per annotation of `who` in each month, from the commit table: each mask a commit changes is one annotation. */
export function expectedTrend(who: string): Array<number | null> {
  const state = new Map<string, Kind>();
  const findings = new Map<string, number[]>();
  for (const c of MAIN) {
    for (const [id, kind] of Object.entries(c.masks) as Array<[string, Kind]>) {
      const changed = state.get(id) !== kind;
      state.set(id, kind);
      if (!changed || c.who !== who) continue;
      const m = c.date.slice(0, 7);
      findings.set(m, [...(findings.get(m) ?? []), KINDS[kind].findings]);
    }
  }
  return MONTHS.map((m) => {
    const fs = findings.get(m);
    return fs ? fs.reduce((s, x) => s + x, 0) / fs.length : null;
  });
}

function commitAs(repo: string, c: Commit, message: string): void {
  for (const [id, kind] of Object.entries(c.masks)) writeFileSync(join(repo, 'labels', `${id}.nii.gz`), KINDS[kind!].bytes);
  execFileSync('git', ['add', '-A'], { cwd: repo });
  const when = `${c.date}T12:00:00+00:00`;
  const email = `${c.who.split(' ')[0].replace(/\W/g, '').toLowerCase()}@example.com`;
  execFileSync('git', ['commit', '-q', '-m', message], {
    cwd: repo,
    env: { ...process.env, GIT_AUTHOR_NAME: c.who, GIT_AUTHOR_EMAIL: email, GIT_COMMITTER_NAME: c.who, GIT_COMMITTER_EMAIL: email, GIT_AUTHOR_DATE: when, GIT_COMMITTER_DATE: when },
  });
}

const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] }).toString().trim();

/** Builds the repository in `dir`: main with the MAIN commits, the branch pr with the PR commits; main checked out. */
export function buildTrendsRepo(dir: string): { base: string; head: string } {
  mkdirSync(join(dir, 'labels'), { recursive: true });
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'config', 'commit.gpgsign', 'false');
  writeFileSync(join(dir, 'segqc.yaml'), CONFIG);
  writeFileSync(join(dir, 'guideline.yaml'), GUIDELINE);
  MAIN.forEach((c, i) => commitAs(dir, c, `main ${i}`));
  const base = git(dir, 'rev-parse', 'HEAD');
  git(dir, 'switch', '-q', '-c', 'pr');
  PR.forEach((c, i) => commitAs(dir, c, `pr ${i}`));
  const head = git(dir, 'rev-parse', 'HEAD');
  git(dir, 'switch', '-q', 'main');
  return { base, head };
}
