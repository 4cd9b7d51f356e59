/** The history report as Markdown: the scorecard table, findings per annotation by period, rules over time, guideline versions and gaps. */
import { escapeMarkdown, markdownCode } from '../report/escape.js';
import type { HistoryReport, ReviewOutcomes, ScoreStats } from './types.js';
import { sparkline } from './sparkline.js';

const num = (v: number | null, digits = 2) => (v === null ? '–' : v.toFixed(digits));
const pct = (v: number | null) => (v === null ? '–' : `${Math.round(v * 100)}%`);

/** The three most frequent reasons of rejections, by title (the id when the guideline gives none), with counts. */
export const topReasons = (v: ReviewOutcomes): string[] => v.reject_reasons.slice(0, 3).map((x) => `${x.title ?? x.id} (${x.count})`);

/** The last `n` periods of a report (tables stay readable over long histories). */
const lastPeriods = (r: HistoryReport, n: number) => r.periods.slice(-n);

function scoreRow(name: string, s: ScoreStats): string {
  return `| ${name} | ${s.annotations} | ${s.findings} | ${num(s.findings_per_annotation)} | ${pct(s.first_pass_rate)} (${s.first_pass}/${s.first_submissions}) | ${s.rework} | ${num(s.dice_vs_others, 3)} | ${num(s.nsd_vs_others, 3)} | ${num(s.dice_vs_reference, 3)} | ${num(s.nsd_vs_reference, 3)} |`;
}

/** Renders `segqc history --markdown`. */
export function renderHistoryMarkdown(r: HistoryReport, opts: { periods?: number } = {}): string {
  const periods = lastPeriods(r, opts.periods ?? 12);
  const lines: string[] = [];
  lines.push(`## segqc history`, '');
  lines.push(`${r.range.commits} commits along the first-parent history${r.range.first ? ` (${r.range.first.slice(0, 7)}..${r.range.last!.slice(0, 7)})` : ''}, by ${r.by}; ${r.totals.items_judged} item versions judged, ${r.totals.annotations} annotations added or changed.`, '');
  for (const n of r.notes) lines.push(`> ${escapeMarkdown(n)}`, '');
  lines.push('### Annotators', '');
  lines.push('| Annotator | Annotations | Findings | Findings / annotation | Passed on first submission | Rework | Dice vs others | NSD vs others | Dice vs reference | NSD vs reference |');
  lines.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const a of r.annotators) lines.push(scoreRow(escapeMarkdown(a.annotator), a.totals));
  lines.push(scoreRow('**all**', r.totals), '');
  if (r.totals.reviews) {
    lines.push('### Reviews', '');
    lines.push('| Annotator | Verdicts | Accepted | Accepted with fixes | Rejected | Top reject reasons |');
    lines.push('|---|---:|---:|---:|---:|---|');
    const row = (name: string, s: ScoreStats) => {
      const v = s.reviews!;
      return `| ${name} | ${v.verdicts} | ${v.accepted} | ${v.accepted_with_fixes} | ${v.rejected} | ${topReasons(v).map(escapeMarkdown).join('; ') || '–'} |`;
    };
    for (const a of r.annotators) lines.push(row(escapeMarkdown(a.annotator), a.totals));
    lines.push(row('**all**', r.totals), '');
  }
  if (periods.length > 0) {
    lines.push('### Findings per annotation, by period', '');
    lines.push(`| Annotator | ${periods.map((p) => markdownCode(p)).join(' | ')} | trend |`);
    lines.push(`|---|${periods.map(() => '---:').join('|')}|---|`);
    for (const a of r.annotators) {
      const by = new Map(a.periods.map((p) => [p.period, p.findings_per_annotation]));
      const vals = periods.map((p) => by.get(p) ?? null);
      lines.push(`| ${escapeMarkdown(a.annotator)} | ${vals.map((v) => num(v)).join(' | ')} | ${sparkline(vals)} |`);
    }
    lines.push('');
  }
  if (r.rules.length > 0) {
    lines.push('### Rules over time (findings)', '');
    lines.push(`| Rule | Total | ${periods.map((p) => markdownCode(p)).join(' | ')} | trend |`);
    lines.push(`|---|---:|${periods.map(() => '---:').join('|')}|---|`);
    for (const rule of r.rules) {
      const by = new Map(rule.periods.map((p) => [p.period, p.count]));
      const vals = periods.map((p) => by.get(p) ?? 0);
      lines.push(`| ${markdownCode(rule.rule)} | ${rule.total} | ${vals.join(' | ')} | ${sparkline(vals)} |`);
    }
    lines.push('');
  }
  if (r.guidelines.length > 0) {
    lines.push('### Guideline versions', '');
    for (const g of r.guidelines) lines.push(`- ${markdownCode(`${g.id} ${g.version}`)} from ${markdownCode(g.commit.slice(0, 7))} (${escapeMarkdown(g.date.slice(0, 10))})`);
    lines.push('');
  }
  if (r.gaps.length > 0) {
    lines.push('### Gaps (commits that could not be judged)', '');
    for (const g of r.gaps) lines.push(`- ${markdownCode(g.commit.slice(0, 7))} (${escapeMarkdown(g.date.slice(0, 10))}): ${escapeMarkdown(g.error)}`);
    lines.push('');
  }
  return lines.join('\n');
}
