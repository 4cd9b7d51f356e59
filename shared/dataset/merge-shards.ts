/** The merge of the partial reports of a matrix of `shard: i/n` runs into one pull-request report. */
import { SegqcError } from '../errors.js';
import type { DatasetReport, GuidelineChange } from '../report/types.js';
import type { PullRequestReport } from './pull-request.js';
import { buildReport } from './check.js';
import { guidelineChangeFails } from '../rules/gate.js';
import { policyOfProgress } from '../review/status.js';
import { mergeAnnotatorTrends } from '../history/trends.js';

type Totals = DatasetReport['totals'];

/** Totals of disjoint sets of items: every field is a count, so they add. */
export function sumTotals(parts: Totals[]): Totals {
  const out: Totals = { items: 0, annotations: 0, errors: 0, warnings: 0, infos: 0, by_rule: {}, items_without_annotations: 0, annotations_without_images: 0 };
  for (const t of parts) {
    out.items += t.items;
    out.annotations += t.annotations;
    out.errors += t.errors;
    out.warnings += t.warnings;
    out.infos += t.infos;
    out.items_without_annotations += t.items_without_annotations;
    out.annotations_without_images += t.annotations_without_images;
    for (const [rule, n] of Object.entries(t.by_rule) as Array<[keyof Totals['by_rule'], number]>) out.by_rule[rule] = (out.by_rule[rule] ?? 0) + n;
  }
  return out;
}

const invalid = (detail: string) => new SegqcError('report.invalid', detail);

function sameEverywhere<T>(parts: PullRequestReport[], what: string, get: (p: PullRequestReport) => T): T {
  const first = JSON.stringify(get(parts[0]));
  const other = parts.find((p) => JSON.stringify(get(p)) !== first);
  if (other) throw invalid(`the shard reports disagree on ${what}: shard ${other.shard?.index}/${other.shard?.count} has ${JSON.stringify(get(other))}, shard ${parts[0].shard?.index}/${parts[0].shard?.count} has ${first}`);
  return get(parts[0]);
}

/**
 * One report from the partial reports of a matrix: every shard 1..n exactly once, all of the same commits,
 * guideline and gate. Item reports are concatenated and summed again (sums and counts, never averages of averages);
 * the guideline-change counts, each over a shard's share of the items, add up, and may fail the merged gate.
 * The annotator trends of the shards (each of its own items' annotators) join into those of one run.
 */
export function mergeShardReports(parts: PullRequestReport[]): PullRequestReport {
  if (parts.length === 0) throw invalid('no shard reports to merge');
  const unsharded = parts.find((p) => p.shard === null);
  if (unsharded) throw invalid('a report without a shard was given to merge; merge takes the reports of `shard: i/n` runs');
  const count = sameEverywhere(parts, 'the number of shards', (p) => p.shard!.count);
  const seen = new Map<number, number>();
  for (const p of parts) seen.set(p.shard!.index, (seen.get(p.shard!.index) ?? 0) + 1);
  const missing = Array.from({ length: count }, (_, i) => i + 1).filter((i) => !seen.has(i));
  if (missing.length) throw invalid(`shard${missing.length > 1 ? 's' : ''} ${missing.map((i) => `${i}/${count}`).join(', ')} missing: ${parts.length} of ${count} reports were given`);
  const twice = [...seen].filter(([, n]) => n > 1).map(([i]) => `${i}/${count}`);
  if (twice.length) throw invalid(`shard ${twice.join(', ')} given more than once`);
  sameEverywhere(parts, 'the base commit', (p) => p.base_sha);
  sameEverywhere(parts, 'the head commit', (p) => p.head_sha);
  sameEverywhere(parts, 'the repository', (p) => p.repository);
  sameEverywhere(parts, 'the pull request', (p) => p.pull_request);
  sameEverywhere(parts, 'the dataset', (p) => p.config_path ?? null);
  sameEverywhere(parts, 'the dataset size', (p) => p.diff.dataset_items ?? null);
  sameEverywhere(parts, 'the guideline', (p) => p.report.guideline);
  sameEverywhere(parts, 'the gate', (p) => p.report.config);
  sameEverywhere(parts, 'the audit rate', (p) => p.audit_rate);
  sameEverywhere(parts, 'the tolerance', (p) => p.diff.tolerance_mm);
  sameEverywhere(parts, 'the guideline change', (p) => (p.guideline_change ? { ...p.guideline_change, items_failing_base: 0, items_failing_head: 0, items_checked: 0 } : null));

  const ordered = [...parts].sort((a, b) => a.shard!.index - b.shard!.index);
  const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  const items = ordered.flatMap((p) => p.report.items).sort(byId);
  const dup = items.find((it, i) => i > 0 && items[i - 1].id === it.id);
  if (dup) throw invalid(`item ${JSON.stringify(dup.id)} appears in two shards`);
  const first = ordered[0];
  const review = first.report.review ? policyOfProgress(first.report.review) : undefined;
  const report = buildReport(items, { tool: first.report.tool, guideline: first.report.guideline, config: first.report.config }, first.audit_rate, review);
  const bases = ordered.map((p) => p.diff.totals.base);
  let change: GuidelineChange | null = null;
  if (first.guideline_change) {
    const gs = ordered.map((p) => p.guideline_change!);
    const add = (k: 'items_failing_base' | 'items_failing_head' | 'items_checked') => gs.reduce((s, g) => s + g[k], 0);
    change = { ...first.guideline_change, items_failing_base: add('items_failing_base'), items_failing_head: add('items_failing_head'), items_checked: add('items_checked') };
    // Each shard judged its own share of the dataset under both guidelines: the sums are the whole dataset's.
    if (guidelineChangeFails(change)) report.verdict = 'fail';
  }
  const { annotator_trends: _, ...rest } = first;
  const trends = mergeAnnotatorTrends(ordered.map((p) => p.annotator_trends));
  return {
    ...rest,
    shard: null,
    report,
    diff: {
      ...first.diff,
      items: ordered.flatMap((p) => p.diff.items).sort(byId),
      totals: { base: bases.every((b) => b === null) ? null : sumTotals(bases.filter((b): b is Totals => b !== null)), head: report.totals },
    },
    guideline_change: change,
    ...(trends ? { annotator_trends: trends } : {}),
  };
}
