/**
 * Words for the review loop: each stage's progress, the audit sample's standing, the open rejections per annotator
 * and the verdicts a pull request adds. Everything from the dataset is escaped (Markdown) or neutralized (terminal).
 */
import type { DatasetDiff } from './diff.js';
import type { DatasetReport, ItemReport } from './types.js';
import type { ReviewChange, ReviewProgress, StageProgress } from '../review/status.js';
import { escapeMarkdown, markdownCode, neutralize } from './escape.js';
import { coverageText, reviewersText, verdictText } from './finding-text.js';

/** What the review sections render: the stages' progress and the items' standing (for the audit sample). */
export interface ReviewView {
  progress: ReviewProgress;
  items: ReadonlyArray<Pick<ItemReport, 'id' | 'reviews'>>;
  annotators: DatasetReport['annotators'];
}

/** The review view of a report, or undefined when its guideline has no review stages. */
export const reviewViewOf = (r: Pick<DatasetReport, 'review' | 'items' | 'annotators'>): ReviewView | undefined =>
  r.review ? { progress: r.review, items: r.items, annotators: r.annotators } : undefined;

type Words = (s: string) => string;

const reviewedText = (s: StageProgress) => (s.required ? `${s.items_reviewed} of ${s.items_covered} reviewed` : `${s.items_reviewed} reviewed (optional stage)`);

function topReasons(s: StageProgress, w: Words, limit = 3): string {
  const shown = s.reasons.slice(0, limit).map((r) => `${w(r.title ?? r.id)} ×${r.count}`);
  return shown.length ? `${shown.join(', ')}${s.reasons.length > limit ? `, ${s.reasons.length - limit} more` : ''}` : '';
}

/** The standing of the audited items (those an `items: audit` stage covers) at that stage: "ct_003 pending, ct_007 accepted". */
function auditLines(v: ReviewView, w: Words): Array<{ stage: string; items: string }> {
  const out: Array<{ stage: string; items: string }> = [];
  for (const s of v.progress.stages) {
    if (s.items !== 'audit') continue;
    const parts: string[] = [];
    for (const it of v.items) {
      const here = (it.reviews ?? []).filter((r) => r.stage === s.id);
      if (!here.some((r) => r.covered)) continue;
      const status = here.some((r) => r.status === 'rejected') ? 'rejected' : here.some((r) => r.status === 'stale') ? 'stale' : here.some((r) => r.status === 'pending') ? 'pending' : 'accepted';
      parts.push(`${w(it.id)} ${status}`);
    }
    if (parts.length) out.push({ stage: s.id, items: parts.join(', ') });
  }
  return out;
}

/** Terminal lines of the review loop (none without review stages). */
export function reviewTerminalLines(v: ReviewView | undefined): string[] {
  if (!v) return [];
  const w: Words = (s) => neutralize(s);
  const lines = ['review:'];
  for (const s of v.progress.stages) {
    const counts = `${reviewedText(s)}, ${s.items_accepted} accepted, ${s.items_rejected} rejected, ${s.items_stale} stale`;
    const reasons = topReasons(s, w);
    lines.push(`  ${w(s.id)} (${w(reviewersText(s.reviewers))}; ${coverageText(s.items)}): ${counts}${reasons ? `; top reasons: ${reasons}` : ''}`);
  }
  for (const a of auditLines(v, w)) lines.push(`  audit sample at stage ${w(a.stage)}: ${a.items}`);
  const titles = new Map(v.progress.reasons.map((r) => [r.id, r.title]));
  const open = v.annotators.filter((a) => (a.open_rejections ?? []).length > 0);
  if (open.length) lines.push('open rejections:');
  for (const a of open) {
    for (const r of a.open_rejections ?? []) {
      const reasons = r.reasons.map((id) => titles.get(id) ?? id).join('; ') || 'no reason given';
      lines.push(`  ${w(a.annotator)}: ${w(r.item)} at ${w(r.stage)}${r.reviewer ? ` by ${w(r.reviewer)}` : ''}: ${w(reasons)}${r.comment ? ` — "${w(r.comment)}"` : ''}`);
    }
  }
  return lines;
}

/** Markdown of the stages' progress, the audit sample's standing and the open rejections (none without review stages). */
export function reviewMarkdown(v: ReviewView | undefined, opts: { open?: boolean; rejections?: boolean } = {}): string[] {
  if (!v) return [];
  const w: Words = escapeMarkdown;
  const out = ['### Review', '', '| stage | reviewers | covers | reviewed | accepted | rejected | stale | top reasons |', '|---|---|---|---:|---:|---:|---:|---|'];
  for (const s of v.progress.stages) {
    const reviewed = s.required ? `${s.items_reviewed} / ${s.items_covered}` : `${s.items_reviewed} (optional)`;
    out.push(`| ${markdownCode(s.id)}${s.title ? ` ${w(s.title)}` : ''} | ${w(reviewersText(s.reviewers))} | ${w(coverageText(s.items))} | ${reviewed} | ${s.items_accepted} | ${s.items_rejected} | ${s.items_stale} | ${topReasons(s, w)} |`);
  }
  out.push('');
  for (const a of auditLines(v, w)) out.push(`**Audit sample at stage ${markdownCode(a.stage)}:** ${a.items}`, '');
  const titles = new Map(v.progress.reasons.map((r) => [r.id, r.title]));
  const open = v.annotators.flatMap((a) => (a.open_rejections ?? []).map((r) => ({ annotator: a.annotator, r })));
  if (opts.rejections !== false && open.length) {
    out.push(`<details${opts.open ? ' open' : ''}><summary>Open rejections per annotator (${open.length})</summary>`, '', '| annotator | item | stage | reviewer | reasons | comment |', '|---|---|---|---|---|---|');
    for (const { annotator, r } of open) {
      const reasons = r.reasons.map((id) => w(titles.get(id) ?? id)).join('; ');
      out.push(`| ${w(annotator)} | ${w(r.item)} | ${markdownCode(r.stage)} | ${w(r.reviewer ?? '')} | ${reasons} | ${w(r.comment ?? '')} |`);
    }
    out.push('', '</details>', '');
  }
  return out;
}

/** "2 rejected by senior review: boundary_loose ×2 · 1 accepted by peer review": the verdicts a pull request adds or changes. */
export function reviewChangesText(diff: Pick<DatasetDiff, 'items'>): string | null {
  const changes: ReviewChange[] = diff.items.flatMap((i) => i.reviews ?? []);
  if (changes.length === 0) return null;
  const groups = new Map<string, ReviewChange[]>();
  for (const c of changes) {
    const k = `${c.verdict}\u0000${c.stage}`;
    groups.set(k, [...(groups.get(k) ?? []), c]);
  }
  const order = { reject: 0, accept_with_fixes: 1, accept: 2 } as const;
  return [...groups.values()]
    .sort((a, b) => order[a[0].verdict] - order[b[0].verdict] || (a[0].stage < b[0].stage ? -1 : 1))
    .map((g) => {
      const counts = new Map<string, number>();
      for (const c of g) for (const r of c.reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
      const reasons = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([id, n]) => `${escapeMarkdown(id)} ×${n}`);
      const verb = g[0].verdict === 'reject' ? 'rejected' : g[0].verdict === 'accept' ? 'accepted' : `${verdictText(g[0].verdict).replace('accept', 'accepted')}`;
      return `${g.length} ${verb} by ${escapeMarkdown(g[0].stage)} review${reasons.length ? `: ${reasons.join(', ')}` : ''}`;
    })
    .join(' · ');
}

/** The review section of the pull-request comment: what the pull request changes in the verdicts, then the progress. */
export function reviewDiffMarkdown(diff: Pick<DatasetDiff, 'items'>, v: ReviewView | undefined, opts: { open?: boolean } = {}): string[] {
  const changes = reviewChangesText(diff);
  if (!v && !changes) return [];
  const out: string[] = [];
  if (v) out.push(...reviewMarkdown(v, { open: opts.open, rejections: false }));
  else out.push('### Review', '');
  const lines = [changes ? `This pull request records verdicts: ${changes}.` : null, v ? 'Progress of the items this run checked:' : null].filter((l): l is string => l !== null);
  out.splice(2, 0, lines.join(' '), '');
  return out;
}
