/**
 * What the reviewer of a dataset pull request must decide, before any table: the findings that block the merge, the
 * new findings that do not, the changes grouped by who made them, and the command that reproduces the run locally.
 * The comment, the job summary and `segqc diff` on a terminal all lead with it.
 */
import type { Finding } from '../rules/types.js';
import { DEFAULT_FAIL_ON, blocksGate, type FailOn } from '../rules/gate.js';
import type { DatasetDiff } from './diff.js';
import type { GuidelineChange } from './types.js';
import { changeGroups, type ChangeGroups } from './change-groups.js';
import { sortFindings } from './render-check.js';

/** Blocking findings shown in full; the rest are counted and left to the review page and the job summary. */
export const BLOCKING_SHOWN = 10;

/** The decision's parts, all data. */
export interface Decision {
  /** Findings of the checked items that fail the gate on their own, errors first. */
  blocking: Finding[];
  /** New findings that do not block the merge. */
  otherNew: Finding[];
  changes: ChangeGroups;
  /** Changed labels, and the items that hold them. */
  changedLabels: number;
  changedItems: number;
}

const findingKey = (f: Finding) => JSON.stringify([f.item, f.rule, f.annotation, f.annotator, f.label, f.message]);

/**
 * The decision for a diff. `findings` are the findings of the head side of the checked items (those the gate
 * counts); without them the new findings stand in.
 */
export function decisionOf(diff: DatasetDiff, failOn: FailOn, findings?: Finding[]): Decision {
  const changed = diff.items.filter((i) => !i.unchanged);
  const added = changed.flatMap((i) => i.findings_added);
  const blocking = sortFindings((findings ?? added).filter((f) => blocksGate(f.severity, failOn)));
  const shown = new Set(blocking.map(findingKey));
  const otherNew = sortFindings(added.filter((f) => !shown.has(findingKey(f))));
  const changes = changeGroups(changed);
  const rows = changes.groups.flatMap((g) => g.rows);
  return {
    blocking,
    otherNew,
    changes,
    changedLabels: rows.reduce((s, r) => s + r.labels.length, 0),
    changedItems: new Set(rows.map((r) => r.item.id)).size,
  };
}

const plural = (k: number, w: string) => `${k} ${w}${k === 1 ? '' : 's'}`;

/** The one sentence under the headline that says what the reviewer must do (plain text: counts and gate names only). */
export function decisionSentence(d: Decision, verdict: 'pass' | 'fail', failOn: FailOn, pictures: boolean): string {
  if (verdict === 'fail') {
    if (d.blocking.length === 0) return 'To merge: the gate fails on the guideline change described below.';
    const which = d.blocking.length === 1 ? 'the blocking finding' : `the ${d.blocking.length} blocking findings`;
    return `To merge: fix ${which} below in this pull request (the gate fails on ${failOn}), then push again.`;
  }
  const review = d.changedLabels > 0 ? `review ${plural(d.changedLabels, 'changed label')} in ${plural(d.changedItems, 'item')}${pictures ? ' and their pictures' : ''}` : 'no mask changed';
  const warn = d.otherNew.length > 0 ? `; ${plural(d.otherNew.length, 'new finding')} to weigh (not blocking)` : '';
  return `Nothing blocks the merge: ${review}${warn}.`;
}

const SAFE_ARG = /^[A-Za-z0-9_./@%+=:,-]+$/;
/** A word for a POSIX shell: as is when plain, else in single quotes. */
export const shellWord = (s: string): string => (SAFE_ARG.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/**
 * The command that reproduces this run from the repository's top: `npx segqc diff --base <sha> --head <sha>`, the
 * dataset's directory and config name when not `segqc.yaml` at the top, and the gates when not the defaults. Null
 * when the head is not a commit (a working tree).
 */
export function reproduceCommand(diff: DatasetDiff, opts: { dataset?: string | null; failOn: FailOn; guidelineChange?: GuidelineChange | null }): string | null {
  const sha = /^[0-9a-f]{40}([0-9a-f]{24})?$/;
  if (!sha.test(diff.base_sha) || !sha.test(diff.head_sha)) return null;
  const config = opts.dataset ?? 'segqc.yaml';
  const cut = config.lastIndexOf('/');
  const dir = cut < 0 ? '' : config.slice(0, cut);
  const name = config.slice(cut + 1);
  const words = ['npx', 'segqc', 'diff', '--base', diff.base_sha, '--head', diff.head_sha];
  if (name !== 'segqc.yaml') words.push('--config', shellWord(name));
  if (opts.failOn !== DEFAULT_FAIL_ON) words.push('--fail-on', opts.failOn);
  if (opts.guidelineChange?.gate === 'fail') words.push('--guideline-change', 'fail');
  if (dir) words.push(shellWord(dir));
  return words.join(' ');
}
