/** Words for a DatasetReport: a terminal report and a Markdown report. */
import type { Finding } from '../rules/types.js';
import type { DatasetReport, ItemReport } from './types.js';
import { escapeMarkdown, markdownCode, neutralize } from './escape.js';
import { size } from './finding-text.js';
import type { SizeUnits } from '../metrics/size.js';
import { reviewMarkdown, reviewTerminalLines, reviewViewOf } from './render-review.js';

const SEVERITY_ORDER = { error: 0, warning: 1, info: 2 } as const;

/** Findings sorted: errors first, then by item, rule and message. */
export const sortFindings = (fs: Finding[]): Finding[] =>
  [...fs].sort(
    (a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] || cmp(a.item, b.item) || cmp(a.rule, b.rule) || cmp(a.message, b.message),
  );
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

const fmtVolume = (v: number, units: SizeUnits) => size(v, units);

/** `1 item`, `2 items`: a count and its noun. */
export const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;

/** The report for a terminal: plain text, one finding per line. Text from the dataset is neutralized. */
export function renderCheckTerminal(r: DatasetReport, opts: { color?: boolean } = {}): string {
  const c = (code: string, s: string) => (opts.color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const clean = (s: string) => neutralize(s);
  const sev = (s: Finding['severity']) => (s === 'error' ? c('31', 'error  ') : s === 'warning' ? c('33', 'warning') : c('36', 'info   '));
  const lines: string[] = [];
  lines.push(`segqc ${r.tool.version} — guideline ${clean(r.guideline.id)} ${clean(r.guideline.version)} (${clean(r.guideline.path)})`);
  lines.push(`${plural(r.totals.items, 'item')}, ${plural(r.totals.annotations, 'annotation')}`);
  lines.push('');
  for (const it of r.items) {
    if (it.findings.length === 0) continue;
    lines.push(c('1', clean(it.id)));
    for (const f of sortFindings(it.findings)) {
      const who = f.annotator ? ` [${clean(f.annotator)}]` : '';
      lines.push(`  ${sev(f.severity)} ${f.rule.padEnd(27)} ${clean(f.message)}${who}`);
    }
  }
  const clean_items = r.items.filter((i) => i.findings.length === 0).length;
  if (clean_items > 0) lines.push(`${plural(clean_items, 'item')} without findings`);
  lines.push('');
  const rules = Object.entries(r.totals.by_rule).sort(([a], [b]) => cmp(a, b));
  if (rules.length) lines.push(`by rule: ${rules.map(([k, v]) => `${k} ${v}`).join(', ')}`);
  if (r.audit_sample.length) lines.push(`audit sample for senior review: ${r.audit_sample.map(clean).join(', ')}`);
  lines.push(...reviewTerminalLines(reviewViewOf(r)));
  const verdict = r.verdict === 'pass' ? c('32', 'PASS') : c('31', 'FAIL');
  lines.push(`${plural(r.totals.errors, 'error')}, ${plural(r.totals.warnings, 'warning')} — gate (fail on ${r.config.fail_on}): ${verdict}`);
  return lines.join('\n') + '\n';
}

function itemLabels(it: ItemReport): string {
  const parts: string[] = [];
  for (const a of it.annotations) {
    const who = a.annotator ? `${escapeMarkdown(a.annotator)}: ` : '';
    parts.push(who + (a.labels.map((l) => `${escapeMarkdown(l.label)} ${fmtVolume(l.volume, l.units)} (${plural(l.components, 'component')})`).join(', ') || 'no labels'));
  }
  return parts.join('<br>');
}

/** The report as GitHub-flavoured Markdown; everything from the dataset is escaped. */
export function renderCheckMarkdown(r: DatasetReport): string {
  const out: string[] = [];
  out.push(`## segqc: ${r.verdict === 'pass' ? '✅ pass' : '❌ fail'}`);
  out.push('');
  out.push(`Guideline ${markdownCode(r.guideline.id)} ${escapeMarkdown(r.guideline.version)} · ${plural(r.totals.items, 'item')} · ${plural(r.totals.annotations, 'annotation')} · **${plural(r.totals.errors, 'error')}**, ${plural(r.totals.warnings, 'warning')} (gate fails on ${r.config.fail_on})`);
  out.push('');
  const rules = Object.entries(r.totals.by_rule).sort(([a], [b]) => cmp(a, b));
  if (rules.length) {
    out.push('| rule | findings |', '|---|---:|');
    for (const [k, v] of rules) out.push(`| ${markdownCode(k)} | ${v} |`);
    out.push('');
  }
  const withFindings = r.items.filter((i) => i.findings.length > 0);
  if (withFindings.length) {
    // The annotator and the file tell apart two raters' identical findings on one item.
    out.push('### Findings', '', '| item | annotator | file | severity | rule | message |', '|---|---|---|---|---|---|');
    for (const it of withFindings) {
      for (const f of sortFindings(it.findings)) {
        const file = f.location?.file ?? it.files[0] ?? '';
        out.push(`| ${escapeMarkdown(it.id)} | ${escapeMarkdown(f.annotator ?? '')} | ${escapeMarkdown(file)} | ${f.severity} | ${markdownCode(f.rule)} | ${escapeMarkdown(f.message)} |`);
      }
    }
    out.push('');
  }
  out.push('<details><summary>Items</summary>', '', '| item | labels |', '|---|---|');
  for (const it of r.items) out.push(`| ${escapeMarkdown(it.id)} | ${itemLabels(it)} |`);
  out.push('', '</details>', '');
  if (r.annotators.length) {
    out.push('<details><summary>Annotators</summary>', '', '| annotator | items | findings | Dice vs others | Dice vs reference |', '|---|---:|---:|---:|---:|');
    const d = (x: number | null) => (x === null ? '—' : x.toFixed(3));
    for (const a of r.annotators) {
      const n = Object.values(a.findings).reduce((s, x) => s + (x ?? 0), 0);
      out.push(`| ${escapeMarkdown(a.annotator)} | ${a.items} | ${n} | ${d(a.mean_dice_vs_others)} | ${d(a.mean_dice_vs_reference)} |`);
    }
    out.push('', '</details>', '');
  }
  if (r.audit_sample.length) out.push(`**Audit sample for senior review:** ${r.audit_sample.map(escapeMarkdown).join(', ')}`, '');
  out.push(...reviewMarkdown(reviewViewOf(r)));
  return out.join('\n');
}
