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

/** The trends of `annotators` over the report's last `periods` periods; annotators the history does not know are left out. */
export function annotatorTrends(report: HistoryReport, annotators: string[], periods: number): AnnotatorTrend[] {
  const last = report.periods.slice(-periods);
  const out: AnnotatorTrend[] = [];
  for (const name of annotators) {
    const card = report.annotators.find((a) => a.annotator === name);
    if (!card) continue;
    const by = new Map(card.periods.map((p) => [p.period, p.annotations > 0 ? p.findings_per_annotation : null]));
    const values = last.map((p) => by.get(p) ?? null);
    if (values.every((v) => v === null)) continue;
    out.push({ annotator: name, periods: last, findings_per_annotation: values });
  }
  return out;
}
