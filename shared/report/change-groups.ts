/**
 * What a pull request changed, by who changed it: the label rows that differ between base and head, grouped by the
 * annotator and the git authors of the change; unchanged labels and annotations are only counted.
 */
import type { Committer, ItemDiff, LabelDiff } from './diff.js';
import { labelChanged, sortWorstFirst } from './diff.js';

/** One item in a group: its changed labels (none when only its findings or files changed). */
export interface ChangeRow {
  item: ItemDiff;
  labels: LabelDiff[];
}

/** The changes of one annotator, made in commits by `committers`. */
export interface ChangeGroup {
  annotator: string | null;
  /** Git authors of the change who are not the annotator (by name or email); empty when they are the same. */
  committers: Committer[];
  rows: ChangeRow[];
}

export interface ChangeGroups {
  /** Groups in the order of their worst item; rows worst first. */
  groups: ChangeGroup[];
  /** Labels the pull request touched without changing them, and annotations none of whose labels changed. */
  unchanged: { labels: number; annotations: number };
}

const same = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();

/** The git authors of a change who are someone other than its annotator. */
export const otherCommitters = (annotator: string | null, committers: Committer[]): Committer[] =>
  committers.filter((c) => !annotator || !(same(c.name, annotator) || (c.email !== '' && same(c.email, annotator))));

const hasChanges = (d: ItemDiff) =>
  d.status !== 'modified' || d.findings_added.length > 0 || d.findings_resolved.length > 0 || d.agreement.length > 0 || (d.reviews?.length ?? 0) > 0;

/** Groups the changed labels of `items` by who changed them; items with no changed label but new or resolved findings form rows of their own. */
export function changeGroups(items: ItemDiff[]): ChangeGroups {
  const groups = new Map<string, ChangeGroup>();
  const unchanged = { labels: 0, annotations: 0 };
  const groupOf = (annotator: string | null, committers: Committer[]) => {
    const key = JSON.stringify([annotator, committers.map((c) => [c.name, c.email])]);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { annotator, committers, rows: [] }));
    return g;
  };
  for (const d of sortWorstFirst(items)) {
    const byAnnotation = new Map<string, LabelDiff[]>();
    for (const l of d.labels) byAnnotation.set(l.annotation, [...(byAnnotation.get(l.annotation) ?? []), l]);
    const rows = new Map<ChangeGroup, LabelDiff[]>();
    for (const labels of byAnnotation.values()) {
      const changed = labels.filter(labelChanged);
      unchanged.labels += labels.length - changed.length;
      if (changed.length === 0) {
        unchanged.annotations++;
        continue;
      }
      const annotator = changed[0].annotator ?? null;
      const g = groupOf(annotator, otherCommitters(annotator, changed[0].committed_by ?? []));
      rows.set(g, [...(rows.get(g) ?? []), ...changed]);
    }
    if (rows.size === 0 && hasChanges(d)) rows.set(groupOf(null, []), []);
    for (const [g, labels] of rows) g.rows.push({ item: d, labels });
  }
  return { groups: [...groups.values()], unchanged };
}
