/**
 * `segqc diff` on a terminal: the comment's decision-first view as plain text. The verdict and what to do first, the
 * blocking findings, the changed labels by who changed them, then the rest. Text from the dataset is neutralized.
 */
import type { Finding } from '../rules/types.js';
import { neutralize } from './escape.js';
import type { ChangeRow } from './change-groups.js';
import { BLOCKING_SHOWN, decisionOf, decisionSentence } from './decision.js';
import { groupTitle, labelCells, trendsShallowNote, type DiffView } from './render-diff.js';
import { sparkline } from '../history/sparkline.js';

/** Findings listed per section below the blocking ones; the JSON (`--json`) and the Markdown have them all. */
const LISTED = 20;

const plural = (k: number, w: string) => `${k} ${w}${k === 1 ? '' : 's'}`;

/** Rows of cells as columns two spaces apart (the last column unpadded). */
function columns(rows: string[][], indent: string): string[] {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, [...c].length)));
  return rows.map((r) => indent + r.map((c, i) => (i === r.length - 1 ? c : c + ' '.repeat(widths[i] - [...c].length))).join('  ').trimEnd());
}

/** The view as terminal text; `color` adds ANSI colours to the verdict and severities. */
export function renderDiffTerminal(v: DiffView, opts: { color?: boolean } = {}): string {
  const c = (code: string, s: string) => (opts.color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const clean = (s: string) => neutralize(s);
  const { diff } = v;
  const changed = diff.items.filter((i) => !i.unchanged);
  const added = changed.flatMap((i) => i.findings_added);
  const resolved = changed.flatMap((i) => i.findings_resolved);
  const newErrors = added.filter((f) => f.severity === 'error').length;
  const d = decisionOf(diff, v.failOn, v.findings);
  const lines: string[] = [];
  const verdict = v.verdict === 'pass' ? c('32', 'PASS') : c('31', 'FAIL');
  lines.push(`segqc diff: ${verdict} — ${plural(changed.length, 'item')} changed, ${plural(added.length, 'new finding')} (${plural(newErrors, 'error')}), ${resolved.length} resolved`);
  lines.push(c('1', decisionSentence(d, v.verdict, v.failOn, false)));
  const dataset = v.dataset ? `dataset ${clean(v.dataset)} · ` : '';
  lines.push(`${dataset}guideline ${clean(v.guideline.id)} ${clean(v.guideline.version)} from the base commit ${diff.base_sha.slice(0, 7)} · head ${clean(diff.head_sha.slice(0, 12))} · gate fails on ${v.failOn}`);
  const g = v.guidelineChange;
  if (g) {
    lines.push(
      g.error !== undefined
        ? `this pull request changes the guideline, and the new one is unusable: ${clean(g.error)}`
        : `this pull request changes the guideline (${clean(g.base.version)} → ${clean(g.head.version)}): ${g.items_failing_head} of ${plural(g.items_checked, 'item')} would fail after merge (${g.items_failing_base} now)`,
    );
  }
  if (v.note) lines.push(clean(v.note));

  const sev = (s: Finding['severity']) => (s === 'error' ? c('31', 'error') : s === 'warning' ? c('33', 'warning') : c('36', 'info'));
  const findings = (title: string, fs: Finding[], shown: number) => {
    if (fs.length === 0) return;
    lines.push('', c('1', `${title} (${fs.length})`));
    for (const f of fs.slice(0, shown)) {
      const who = [f.annotator ? clean(f.annotator) : null, f.location?.file ? clean(f.location.file) : null].filter(Boolean).join(' · ');
      lines.push(`  ${sev(f.severity)} ${f.rule}  ${clean(f.item)}${who ? ` (${who})` : ''}`);
      lines.push(`      ${clean(f.message)}`);
    }
    if (fs.length > shown) lines.push(`  … and ${fs.length - shown} more (all in --json FILE)`);
  };
  if (v.verdict === 'fail') findings('Blocking findings', d.blocking, BLOCKING_SHOWN);

  const { groups, unchanged } = d.changes;
  if (groups.length) {
    lines.push('', c('1', 'Changed labels, worst first'), `  volume base → head, components, and Dice, NSD@${diff.tolerance_mm} mm and HD95 between the base and head masks`);
    for (const grp of groups) {
      lines.push(`  ${groupTitle(grp, clean)}`);
      const rows: string[][] = [];
      for (const r of grp.rows) rows.push(...rowCells(r, clean));
      lines.push(...columns(rows, '    '));
    }
  }
  if (unchanged.labels > 0) lines.push(`  not listed: ${plural(unchanged.labels, 'label')} of the touched items that did not change`);
  if (v.trends?.length) {
    const ps = v.trends[0].periods;
    lines.push('', c('1', `Annotator trends: findings per annotation by month, ${ps[0]} to ${ps[ps.length - 1]}, up to the base commit`));
    const value = (x: number | null) => (x === null ? '–' : x.toFixed(2));
    // Framed, so that a month without an annotation (a blank) stays visible at either end.
    lines.push(...columns(v.trends.map((t) => [clean(t.annotator), `│${sparkline(t.findings_per_annotation)}│`, t.findings_per_annotation.map(value).join(' ')]), '  '));
  } else if (v.trendsShallow) lines.push('', trendsShallowNote(v.trendsShallow.commits, (s) => s));
  findings(v.verdict === 'fail' && d.blocking.length ? 'Other new findings' : 'New findings', d.otherNew, LISTED);
  findings('Resolved findings', resolved, LISTED);
  return lines.join('\n') + '\n';
}

function rowCells(r: ChangeRow, clean: (s: string) => string): string[][] {
  const d = r.item;
  const status = d.status === 'modified' ? '' : ` (${d.status})`;
  const fs = [d.findings_added.length ? `+${d.findings_added.length}` : '', d.findings_resolved.length ? `−${d.findings_resolved.length}` : ''].filter(Boolean).join(' ');
  const findings = fs ? `findings ${fs}` : '';
  if (r.labels.length === 0) return [[`${clean(d.id)}${status}`, 'no mask changed', '', '', findings]];
  return r.labels.map((l, i) => {
    const cells = labelCells(l);
    return [i === 0 ? `${clean(d.id)}${status}` : '', clean(l.label), cells.volume, cells.components, `Dice ${cells.dice}  NSD ${cells.nsd}  HD95 ${cells.hd95} mm`, i === 0 ? findings : ''];
  });
}
