/** The PR comment's trend line per annotator: their findings per annotation over the last periods of the history. */
import { labelChanged, type DatasetDiff } from '../report/diff.js';
import type { HistoryReport } from './types.js';

/** One annotator's findings per annotation over the last periods (null: no annotation of theirs then). */
export interface AnnotatorTrend {
  annotator: string;
  periods: string[];
  findings_per_annotation: Array<number | null>;
}

/** The annotators who changed items in a pull request: the dataset's annotator of each label that changed, else its file's committers. */
export function changedBy(diff: DatasetDiff): string[] {
  const names = new Set<string>();
  for (const item of diff.items) {
    if (item.unchanged) continue;
    for (const l of item.labels.filter(labelChanged)) {
      if (l.annotator) names.add(l.annotator);
      else for (const c of l.committed_by ?? []) names.add(c.name);
    }
  }
  return [...names].sort();
}

/** The calendar months (`YYYY-MM`) from `first` to `last`, at most the last `count` of them (a month without commits included). */
export function monthsBetween(first: string, last: string, count: number): string[] {
  const index = (m: string) => Number(m.slice(0, 4)) * 12 + Number(m.slice(5, 7)) - 1;
  const out: string[] = [];
  for (let i = Math.max(index(first), index(last) - count + 1); i <= index(last); i++) out.push(`${Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, '0')}`);
  return out;
}

/** The trends of `annotators` over `periods` of a report by month; annotators without an annotation in them are left out. */
export function annotatorTrends(report: HistoryReport, annotators: string[], periods: string[]): AnnotatorTrend[] {
  const out: AnnotatorTrend[] = [];
  for (const name of annotators) {
    const card = report.annotators.find((a) => a.annotator === name);
    if (!card) continue;
    const by = new Map(card.periods.map((p) => [p.period, p.annotations > 0 ? p.findings_per_annotation : null]));
    const values = periods.map((p) => by.get(p) ?? null);
    if (values.every((v) => v === null)) continue;
    out.push({ annotator: name, periods, findings_per_annotation: values });
  }
  return out;
}

/**
 * The trends of a matrix of shards as one: each shard has those of the annotators of its own items, over the same
 * history, so their union (by name, in order) is what one run gives. Shards that disagree give none.
 */
export function mergeAnnotatorTrends(parts: Array<AnnotatorTrend[] | undefined>): AnnotatorTrend[] | undefined {
  const byName = new Map<string, AnnotatorTrend>();
  for (const t of parts.flatMap((p) => p ?? [])) {
    const seen = byName.get(t.annotator);
    if (seen && JSON.stringify(seen) !== JSON.stringify(t)) return undefined;
    byName.set(t.annotator, t);
  }
  const out = [...byName.values()].sort((a, b) => (a.annotator < b.annotator ? -1 : a.annotator > b.annotator ? 1 : 0));
  if (out.some((t) => JSON.stringify(t.periods) !== JSON.stringify(out[0].periods))) return undefined;
  return out.length ? out : undefined;
}
