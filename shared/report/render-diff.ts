/** The pull-request comment and job summary: the metric diff of a dataset change, as Markdown. */
import type { Finding } from '../rules/types.js';
import type { FailOn } from '../rules/gate.js';
import type { DatasetDiff, ItemDiff, LabelDiff } from './diff.js';
import type { GuidelineChange } from './types.js';
import { escapeMarkdown, markdownCode } from './escape.js';
import { sortFindings } from './render-check.js';
import type { ChangeGroup, ChangeRow } from './change-groups.js';
import { BLOCKING_SHOWN, decisionOf, decisionSentence, reproduceCommand } from './decision.js';
import { DEFAULT_GUIDELINE_CHANGE_GATE, guidelineChangeFails } from '../rules/gate.js';
import { reviewDiffMarkdown, type ReviewView } from './render-review.js';
import type { AnnotatorTrend } from '../history/trends.js';
import { sparkline } from '../history/sparkline.js';
import { grouped } from './finding-text.js';

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
  /** Findings of the head side of the checked items, which the gate counts; the blocking ones lead the comment. */
  findings?: Finding[];
  /** Where the repository's files are shown: file links go to `<server>/<repository>/blob/<sha>/<path>`. */
  links?: { server: string; repository: string } | null;
  /** The review page with the pictures of the changed items. */
  reviewPage?: ReviewPageLink | null;
  /** Findings per annotation of the PR's annotators over the last months of the history, when the clone has it. */
  trends?: AnnotatorTrend[] | null;
  /** Set when the trends are missing because the clone is shallow: the commits it holds up to the base. */
  trendsShallow?: { commits: number } | null;
}

/** Why a shallow clone has no trend lines, and how to get them. */
export function trendsShallowNote(commits: number, code: (s: string) => string): string {
  return `No annotator trends: this clone is shallow (${commits} commit${commits === 1 ? '' : 's'} up to the base); ${code('git fetch --unshallow')} (on GitHub, actions/checkout with ${code('fetch-depth: 0')}) brings the history.`;
}

/** One line per annotator: their findings per annotation by month as a sparkline, with the latest value. */
export function trendLines(trends: AnnotatorTrend[]): string[] {
  if (trends.length === 0) return [];
  const ps = trends[0].periods;
  const out = [`**Annotator trends** — findings per annotation by month, ${markdownCode(ps[0])} to ${markdownCode(ps[ps.length - 1])}, up to the base commit:`, ''];
  for (const t of trends) {
    const last = [...t.findings_per_annotation].reverse().find((v) => v !== null);
    out.push(`- ${escapeMarkdown(t.annotator)}: ${markdownCode(sparkline(t.findings_per_annotation))} (latest ${last === undefined || last === null ? '–' : last.toFixed(2)})`);
  }
  out.push('');
  return out;
}

/** Where the review page is: the page itself (`direct`: an item's section is `#item-…`), or the run's artifact list. */
export interface ReviewPageLink {
  url: string;
  direct: boolean;
  /** The artifact's name (the page's file name). */
  name: string;
}

/**
 * The id of an item's section on the review page: `item-` and the id, characters outside `A–Z a–z 0–9 _ . -`
 * written `~hex~` (the page names its sections the same way).
 */
export function itemAnchor(id: string): string {
  let out = 'item-';
  for (const ch of id) out += /[A-Za-z0-9_.-]/.test(ch) ? ch : `~${ch.codePointAt(0)!.toString(16)}~`;
  return out;
}

/** A repository path as a URL path: each segment percent-encoded, parentheses too (they would end a Markdown link). */
const urlPath = (p: string) =>
  p
    .split('/')
    .map((seg) => encodeURIComponent(seg).replace(/[()'!*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`))
    .join('/');

/** The link to a dataset file at a commit, or the plain escaped path without links. */
function fileLink(v: DiffView, file: string, sha: string, text = file): string {
  if (!v.links || !/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(sha)) return escapeMarkdown(text);
  const config = v.dataset ?? DEFAULT_CONFIG_PATH;
  const dir = config.includes('/') ? config.slice(0, config.lastIndexOf('/') + 1) : '';
  return `[${escapeMarkdown(text)}](${v.links.server}/${urlPath(v.links.repository)}/blob/${sha}/${urlPath(dir + file)})`;
}

const n = (x: number | null, d = 2) => (x === null || !Number.isFinite(x) ? '—' : String(+x.toFixed(d)));
const pct = (x: number | null) => (x === null || x === 0 ? '' : ` (${x > 0 ? '+' : ''}${x.toFixed(1)}%)`);
const arrow = (a: number | null, b: number | null, d = 2) => (a === b ? n(b, d) : `${n(a, d)} → ${n(b, d)}`);
/** A volume or area: whole units with thousands separators when large, three significant digits when tiny (pathology mm²). */
const vol = (x: number | null): string => {
  if (x === null || !Number.isFinite(x)) return '—';
  const a = Math.abs(x);
  if (a === 0) return '0';
  if (a >= 100) return grouped(Math.round(x));
  if (a >= 1) return String(+x.toFixed(1));
  return String(+x.toPrecision(3));
};
const volArrow = (a: number | null, b: number | null) => (a === b ? vol(b) : `${vol(a)} → ${vol(b)}`);
/** The annotation a row belongs to, when an item has several: the file's last folder and name, or the annotation id. */
const shortAnnotation = (key: string) => key.split('/').slice(-2).join('/');

/** Findings with who and where: the annotator and the file (linked at the head commit) tell two raters' findings apart. */
function findingsTable(fs: Finding[], v: DiffView, sha: string): string[] {
  const rows = ['| item | severity | rule | annotator | file | message |', '|---|---|---|---|---|---|'];
  for (const f of sortFindings(fs)) {
    const file = f.location?.file ? fileLink(v, f.location.file, sha) : '';
    rows.push(`| ${escapeMarkdown(f.item)} | ${f.severity} | ${markdownCode(f.rule)} | ${escapeMarkdown(f.annotator ?? '')} | ${file} | ${escapeMarkdown(f.message)} |`);
  }
  return rows;
}

/** The label's file at the commit that has it: the head, or the base for a label the PR removed. */
const labelSha = (l: LabelDiff, d: ItemDiff, diff: DatasetDiff) => (d.status === 'removed' || l.volume_head === null ? diff.base_sha : diff.head_sha);

function itemRows(r: ChangeRow, v: DiffView): string[] {
  const d = r.item;
  const added = d.findings_added.length ? `+${d.findings_added.length}` : '';
  const resolved = d.findings_resolved.length ? `−${d.findings_resolved.length}` : '';
  const fcell = [added, resolved].filter(Boolean).join(' ') || '·';
  const first = r.labels[0];
  const id = first?.file ? fileLink(v, first.file, labelSha(first, d, v.diff), d.id) : escapeMarkdown(d.id);
  const page = v.reviewPage?.direct ? ` · [pictures](${v.reviewPage.url}#${itemAnchor(d.id)})` : '';
  const itemCell = `${id}${d.status === 'modified' ? '' : ` (${d.status})`}${page}`;
  if (r.labels.length === 0) return [`| ${itemCell} | no mask changed | — | — | — | — | — | ${fcell} |`];
  const several = new Set(r.labels.map((l) => l.annotation)).size > 1;
  return r.labels.map((l, i) => {
    const label = `${escapeMarkdown(l.label)}${several ? ` · ${escapeMarkdown(shortAnnotation(l.annotation))}` : ''}`;
    const c = labelCells(l);
    return `| ${i === 0 ? itemCell : ''} | ${label} | ${c.volume} | ${c.components} | ${c.dice} | ${c.nsd} | ${c.hd95} | ${i === 0 ? fcell : ''} |`;
  });
}

/** A label row's numbers as text: volume base → head with the change, components, Dice, NSD and HD95. */
export function labelCells(l: LabelDiff): { volume: string; components: string; dice: string; nsd: string; hd95: string } {
  return {
    volume: `${volArrow(l.volume_base, l.volume_head)}${l.volume_base === l.volume_head ? '' : pct(l.volume_change_pct)}`,
    components: arrow(l.components_base, l.components_head, 0),
    dice: n(l.dice, 3),
    nsd: n(l.nsd, 3),
    hd95: n(l.hd95),
  };
}

/** Who made a group of changes: the annotator, and the git authors when someone else committed them. */
export function groupTitle(g: ChangeGroup, esc: (s: string) => string = escapeMarkdown): string {
  const who = g.committers.map((c) => esc(c.name || c.email)).join(', ');
  if (g.annotator !== null) return `${esc(g.annotator)}${who ? ` · committed by ${who}` : ''}`;
  return who ? `committed by ${who}` : 'annotator not recorded';
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
  const decision = decisionOf(diff, v.failOn, v.findings);
  out.push(`**${decisionSentence(decision, v.verdict, v.failOn, Boolean(v.reviewPage))}**`, '');
  const where = dsLine ? `Dataset ${markdownCode(v.dataset!)} · g` : 'G';
  out.push(`${where}uideline ${markdownCode(v.guideline.id)} ${escapeMarkdown(v.guideline.version)} from the base commit ${markdownCode(diff.base_sha.slice(0, 7))} · head ${markdownCode(diff.head_sha.slice(0, 7))} · gate fails on ${escapeMarkdown(v.failOn)}`);
  if (v.note) out.push('', `> ${escapeMarkdown(v.note)}`);
  out.push('');
  const page = v.reviewPage ? `[the review page](${v.reviewPage.url})` : null;
  if (v.verdict === 'fail' && decision.blocking.length) {
    // Never folded: what blocks the merge is what the reviewer reads first.
    const shown = decision.blocking.slice(0, BLOCKING_SHOWN);
    out.push(`### Blocking findings (${decision.blocking.length})`, '', ...findingsTable(shown, v, diff.head_sha), '');
    const more = decision.blocking.length - shown.length;
    if (more > 0) out.push(`…and ${more} more blocking finding${more === 1 ? '' : 's'}: ${page ? `${page} and ` : ''}the job summary list${page ? '' : 's'} them all.`, '');
  }
  if (v.reviewPage) {
    const where = v.reviewPage.direct ? '' : ` (the ${markdownCode(v.reviewPage.name)} artifact of the workflow run)`;
    out.push(`🖼️ **Pictures:** ${page}${where}: each changed item's slices with the base and head contours and where each finding is.`, '');
  }
  const reproduce = reproduceCommand(diff, { dataset: v.dataset, failOn: v.failOn, guidelineChange: g });
  if (reproduce) out.push(`**Reproduce locally:** ${markdownCode(reproduce)}`, '');
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
  const { groups, unchanged } = decision.changes;
  if (changed.length) {
    out.push(`### Changed items, worst first`, '');
    out.push(`Only the labels that changed, by who changed them. Dice, NSD@${diff.tolerance_mm} mm and HD95 compare the base and head masks of the same item: how far the edit moved the boundary.`, '');
    const header = ['| item | label | volume base → head (mm³, mm² in 2D) | components | Dice | NSD | HD95 mm | findings |', '|---|---|---|---|---:|---:|---:|---|'];
    const shownRows: string[] = [], foldedRows: string[] = [];
    let rowsShown = 0, folded = 0;
    for (const grp of groups) {
      const openRows: string[] = [], foldRows: string[] = [];
      for (const r of grp.rows) {
        if (rowsShown < ITEMS_SHOWN) {
          rowsShown++;
          openRows.push(...itemRows(r, v));
        } else {
          folded++;
          foldRows.push(...itemRows(r, v));
        }
      }
      const title = `**${groupTitle(grp)}**`;
      if (openRows.length) shownRows.push(title, '', ...header, ...openRows, '');
      if (foldRows.length) foldedRows.push(title, '', ...header, ...foldRows, '');
    }
    out.push(...shownRows);
    if (folded > 0) out.push(`<details${opts.summary ? ' open' : ''}><summary>${folded} more changed item${folded === 1 ? '' : 's'}</summary>`, '', ...foldedRows, '</details>', '');
    if (unchanged.labels > 0) {
      const whole = unchanged.annotations > 0 ? `, ${unchanged.annotations} annotation${unchanged.annotations === 1 ? '' : 's'} of them unchanged throughout` : '';
      out.push(`Not listed: ${unchanged.labels} label${unchanged.labels === 1 ? '' : 's'} of the touched items that did not change${whole}.`, '');
    }
  }
  const open = opts.summary ? ' open' : '';
  const otherNew = decision.otherNew;
  const title = v.verdict === 'fail' && decision.blocking.length ? 'Other new findings' : 'New findings';
  if (otherNew.length) out.push(`<details${open}><summary>${title} (${otherNew.length})</summary>`, '', ...findingsTable(otherNew, v, diff.head_sha), '', '</details>', '');
  if (resolved.length) out.push(`<details${open}><summary>Resolved findings (${resolved.length})</summary>`, '', ...findingsTable(resolved, v, diff.base_sha), '', '</details>', '');
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
  if (v.trends) out.push(...trendLines(v.trends));
  else if (v.trendsShallow) out.push(trendsShallowNote(v.trendsShallow.commits, markdownCode), '');
  if (v.auditSample.length) out.push(`**Audit sample for senior review:** ${v.auditSample.map(escapeMarkdown).join(', ')}`, '');
  out.push(...reviewDiffMarkdown(diff, v.review, { open: opts.summary }));
  const links = [v.runUrl ? `[Workflow run](${v.runUrl})` : null, 'the full report is in the job summary'].filter(Boolean);
  out.push(`<sub>${links.join(' · ')} · segqc</sub>`);
  return out.join('\n') + '\n';
}
