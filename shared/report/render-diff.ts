/** The pull-request comment and job summary: the metric diff of a dataset change, as Markdown. */
import type { Finding } from '../rules/types.js';
import type { FailOn } from '../rules/gate.js';
import type { DatasetDiff, ItemDiff } from './diff.js';
import type { GuidelineChange } from './types.js';
import { sortWorstFirst } from './diff.js';
import { escapeMarkdown, markdownCode } from './escape.js';
import { sortFindings } from './render-check.js';
import { DEFAULT_GUIDELINE_CHANGE_GATE, guidelineChangeFails } from '../rules/gate.js';
import { reviewDiffMarkdown, type ReviewView } from './render-review.js';

/** The marker that identifies segqc's one comment on a pull request. */
export const COMMENT_MARKER = '<!-- segqc:report -->';

/** The config of a dataset at the repository's top; its comment carries no dataset line (as before there was one). */
export const DEFAULT_CONFIG_PATH = 'segqc.yaml';

const DATASET_LINE = /^<!-- segqc:dataset ([^\s]+) -->$/m;

/** The dataset a config path stands for in comments: the path, or null for the default one. */
export const datasetOfConfig = (configPath: string | null | undefined): string | null =>
  !configPath || configPath === DEFAULT_CONFIG_PATH ? null : configPath;

/** The line after the marker that tells apart the comments of several datasets in one repository; null for the default. */
export function datasetLine(configPath: string | null | undefined): string | null {
  const dataset = datasetOfConfig(configPath);
  return dataset === null ? null : `<!-- segqc:dataset ${encodeURIComponent(dataset)} -->`;
}

/** The dataset a comment body is about (its config path), or null for the default dataset. */
export function datasetOf(body: string): string | null {
  const m = DATASET_LINE.exec(body.split('\n', 4).join('\n'));
  if (!m) return null;
  try {
    return decodeURIComponent(m[1]);
  } catch {
    return m[1];
  }
}

/** Everything the comment shows. */
export interface DiffView {
  diff: DatasetDiff;
  verdict: 'pass' | 'fail';
  failOn: FailOn;
  guideline: { id: string; version: string; path: string };
  auditSample: string[];
  runUrl: string | null;
  guidelineChange: GuidelineChange | null;
  /** Items skipped because the run is a shard or partial; shown as a note. */
  note?: string;
  /** The dataset's config path inside the repository, when the report says. */
  dataset?: string | null;
  /** Review progress of the items checked (`reviewViewOf(report)`), when the guideline has review stages. */
  review?: ReviewView;
}

const n = (x: number | null, d = 2) => (x === null || !Number.isFinite(x) ? '—' : String(+x.toFixed(d)));
const pct = (x: number | null) => (x === null || x === 0 ? '' : ` (${x > 0 ? '+' : ''}${x.toFixed(1)}%)`);
const arrow = (a: number | null, b: number | null, d = 2) => (a === b ? n(b, d) : `${n(a, d)} → ${n(b, d)}`);
/** A volume or area: whole units with thousands separators when large, three significant digits when tiny (pathology mm²). */
const vol = (x: number | null): string => {
  if (x === null || !Number.isFinite(x)) return '—';
  const a = Math.abs(x);
  if (a === 0) return '0';
  if (a >= 100) return Math.round(x).toLocaleString('en-US');
  if (a >= 1) return String(+x.toFixed(1));
  return String(+x.toPrecision(3));
};
const volArrow = (a: number | null, b: number | null) => (a === b ? vol(b) : `${vol(a)} → ${vol(b)}`);
/** The annotation a row belongs to, when an item has several: the file's last folder and name, or the annotation id. */
const shortAnnotation = (key: string) => key.split('/').slice(-2).join('/');

function findingsTable(fs: Finding[]): string[] {
  const rows = ['| item | severity | rule | label | message |', '|---|---|---|---|---|'];
  for (const f of sortFindings(fs)) {
    rows.push(`| ${escapeMarkdown(f.item)} | ${f.severity} | ${markdownCode(f.rule)} | ${escapeMarkdown(f.label ?? '')} | ${escapeMarkdown(f.message)} |`);
  }
  return rows;
}

function itemRows(d: ItemDiff): string[] {
  const added = d.findings_added.length ? `+${d.findings_added.length}` : '';
  const resolved = d.findings_resolved.length ? `−${d.findings_resolved.length}` : '';
  const fcell = [added, resolved].filter(Boolean).join(' ') || '·';
  const itemCell = `${escapeMarkdown(d.id)}${d.status === 'modified' ? '' : ` (${d.status})`}`;
  if (d.labels.length === 0) return [`| ${itemCell} | — | — | — | — | — | — | ${fcell} |`];
  const several = new Set(d.labels.map((l) => l.annotation)).size > 1;
  return d.labels.map((l, i) => {
    const label = `${escapeMarkdown(l.label)}${several ? ` · ${escapeMarkdown(shortAnnotation(l.annotation))}` : ''}`;
    const volume = `${volArrow(l.volume_base, l.volume_head)}${l.volume_base === l.volume_head ? '' : pct(l.volume_change_pct)}`;
    return `| ${i === 0 ? itemCell : ''} | ${label} | ${volume} | ${arrow(l.components_base, l.components_head, 0)} | ${n(l.dice, 3)} | ${n(l.nsd, 3)} | ${n(l.hd95)} | ${i === 0 ? fcell : ''} |`;
  });
}

const items = (k: number) => `${k} item${k === 1 ? '' : 's'}`;

/** A guideline's side of "1.0.0 → 1.1.0", naming the id when the change renames it. */
function guidelineVersions(g: GuidelineChange): string {
  if (g.base.id === g.head.id) return `guideline ${escapeMarkdown(g.base.version)} → ${escapeMarkdown(g.head.version)}`;
  return `guideline ${markdownCode(g.base.id)} ${escapeMarkdown(g.base.version)} → ${markdownCode(g.head.id)} ${escapeMarkdown(g.head.version)}`;
}

/** The headline's lead for a PR that changes the guideline: what the merged dataset would look like. */
function guidelineLead(g: GuidelineChange, path: string): string {
  if (g.error !== undefined) return `the new guideline ${markdownCode(path)} is unusable`;
  return `${guidelineVersions(g)}: ${g.items_failing_head} of ${items(g.items_checked)} would fail after merge`;
}

/** The call-out under the headline: why a guideline change fails the gate, or that it warns without failing. */
function guidelineCallout(g: GuidelineChange, path: string, config: string): string | null {
  const gate = g.gate ?? DEFAULT_GUIDELINE_CHANGE_GATE;
  if (g.error !== undefined) {
    return `> ❌ **The gate fails: the new guideline ${markdownCode(path)} is unusable** (${escapeMarkdown(g.error)}). After merge the dataset would have no guideline to check against.`;
  }
  if (g.items_failing_head === 0) return null;
  const now = `${g.items_failing_base} under the current one`;
  if (guidelineChangeFails(g)) {
    return `> ❌ **The gate fails: after merge ${g.items_failing_head} of ${items(g.items_checked)} would fail the new guideline** (${now}; guideline change gate: ${gate}).`;
  }
  return `> ⚠️ **After merge ${g.items_failing_head} of ${items(g.items_checked)} would fail the new guideline** (${now}). The gate does not fail on it (guideline change gate: ${gate}); ${markdownCode('gate.guideline-change: fail')} in the base ${markdownCode(config)} makes it fail.`;
}

/** Changed items in the open table; the rest, still worst first, fold into `<details>`. */
export const ITEMS_SHOWN = 20;

/** The comment body (marker first). The job summary uses the same text with every section open. */
export function renderDiffMarkdown(v: DiffView, opts: { summary?: boolean } = {}): string {
  const { diff } = v;
  const added = diff.items.flatMap((i) => i.findings_added);
  const resolved = diff.items.flatMap((i) => i.findings_resolved);
  const newErrors = added.filter((f) => f.severity === 'error').length;
  const g = v.guidelineChange;
  // A guideline change that would fail items but does not fail the gate (`warn`) is never shown as a plain pass.
  const icon = v.verdict === 'fail' ? '❌' : g && g.items_failing_head > 0 ? '⚠️' : '✅';
  const changed = diff.items.filter((i) => !i.unchanged);
  const out: string[] = [COMMENT_MARKER];
  const dsLine = datasetLine(v.dataset);
  if (dsLine) out.push(dsLine);
  const lead = g ? `${guidelineLead(g, v.guideline.path)} · ` : '';
  out.push(`## ${icon} segqc: ${v.verdict} — ${lead}${items(changed.length)} changed, ${added.length} new finding${added.length === 1 ? '' : 's'} (${newErrors} error${newErrors === 1 ? '' : 's'}), ${resolved.length} resolved`);
  out.push('');
  const callout = g ? guidelineCallout(g, v.guideline.path, v.dataset ?? DEFAULT_CONFIG_PATH) : null;
  if (callout) out.push(callout, '');
  const where = dsLine ? `Dataset ${markdownCode(v.dataset!)} · g` : 'G';
  out.push(`${where}uideline ${markdownCode(v.guideline.id)} ${escapeMarkdown(v.guideline.version)} from the base commit ${markdownCode(diff.base_sha.slice(0, 7))} · head ${markdownCode(diff.head_sha.slice(0, 7))} · gate fails on ${escapeMarkdown(v.failOn)}`);
  if (v.note) out.push('', `> ${escapeMarkdown(v.note)}`);
  out.push('');
  const b = diff.totals.base;
  const h = diff.totals.head;
  const all = diff.dataset_items;
  out.push('| totals | base | head |', '|---|---:|---:|');
  if (all) out.push(`| items in the dataset | ${all.base} | ${all.head} |`);
  out.push(`| items checked | ${b ? b.items : '—'} | ${h.items} |`);
  out.push(`| errors in them | ${b ? b.errors : '—'} | ${h.errors} |`);
  out.push(`| warnings in them | ${b ? b.warnings : '—'} | ${h.warnings} |`);
  out.push(`| annotations in them | ${b ? b.annotations : '—'} | ${h.annotations} |`);
  out.push('');
  if (changed.length) {
    out.push(`### Changed items, worst first`, '');
    out.push(`Dice, NSD@${diff.tolerance_mm} mm and HD95 compare the base and head masks of the same item: how far the edit moved the boundary.`, '');
    const header = ['| item | label | volume base → head (mm³, mm² in 2D) | components | Dice | NSD | HD95 mm | findings |', '|---|---|---|---|---:|---:|---:|---|'];
    const sorted = sortWorstFirst(changed);
    out.push(...header);
    for (const d of sorted.slice(0, ITEMS_SHOWN)) out.push(...itemRows(d));
    out.push('');
    if (sorted.length > ITEMS_SHOWN) {
      out.push(`<details${opts.summary ? ' open' : ''}><summary>${sorted.length - ITEMS_SHOWN} more changed items</summary>`, '', ...header);
      for (const d of sorted.slice(ITEMS_SHOWN)) out.push(...itemRows(d));
      out.push('', '</details>', '');
    }
  }
  const open = opts.summary ? ' open' : '';
  if (added.length) out.push(`<details${open}><summary>New findings (${added.length})</summary>`, '', ...findingsTable(added), '', '</details>', '');
  if (resolved.length) out.push(`<details${open}><summary>Resolved findings (${resolved.length})</summary>`, '', ...findingsTable(resolved), '', '</details>', '');
  const agreement = diff.items.flatMap((d) => d.agreement.map((a) => ({ ...a, item: d.id })));
  if (agreement.length) {
    out.push(`<details${open}><summary>Agreement changes (${agreement.length})</summary>`, '', '| item | label | between | Dice base → head |', '|---|---|---|---|');
    for (const a of agreement) out.push(`| ${escapeMarkdown(a.item)} | ${escapeMarkdown(a.label)} | ${escapeMarkdown(a.a)} · ${escapeMarkdown(a.b)} | ${arrow(a.dice_base, a.dice_head, 3)} |`);
    out.push('', '</details>', '');
  }
  if (g) {
    out.push('### This PR changes the guideline', '');
    const to = g.error !== undefined ? 'an unusable guideline' : `${markdownCode(g.head.id)} ${escapeMarkdown(g.head.version)}`;
    out.push(`${markdownCode(g.base.id)} ${escapeMarkdown(g.base.version)} → ${to}. This run still enforces the base guideline on the changed items; the new one applies after merge, so every item of the dataset is judged under both, changed or not.`, '');
    if (g.error === undefined) out.push(`Under the new guideline ${g.items_failing_head} of ${items(g.items_checked)} would fail (${g.items_failing_base} under the current one); guideline change gate: ${g.gate ?? DEFAULT_GUIDELINE_CHANGE_GATE}.`, '');
    if (g.changes.length) out.push(`<details${open}><summary>What changed (${g.changes.length})</summary>`, '', ...g.changes.map((c) => `- ${escapeMarkdown(c)}`), '', '</details>', '');
  }
  if (v.auditSample.length) out.push(`**Audit sample for senior review:** ${v.auditSample.map(escapeMarkdown).join(', ')}`, '');
  out.push(...reviewDiffMarkdown(diff, v.review, { open: opts.summary }));
  const links = [v.runUrl ? `[Workflow run](${v.runUrl})` : null, 'the full report is in the job summary'].filter(Boolean);
  out.push(`<sub>${links.join(' · ')} · segqc</sub>`);
  return out.join('\n') + '\n';
}
