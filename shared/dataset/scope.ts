/**
 * Items checked apart from their dataset (a worker thread's share): the files an item is read from, a tree that lists
 * only those, and batches of items that share files, so that an export is parsed by one batch rather than by all.
 */
import type { DatasetTree } from './tree.js';
import { SegqcError } from '../errors.js';
import type { PendingItem } from './items.js';

/**
 * The tree listing only the entries of `tree` among `paths` (directories unchanged): discovering items on it yields
 * the items those paths make, as discovering the whole tree does, without reading the other exports.
 */
export function scopedTree(tree: DatasetTree, paths: Iterable<string>): DatasetTree {
  const wanted = new Set(paths);
  let listed: string[] | null = null;
  return {
    name: tree.name,
    list: () => (listed ??= tree.list().filter((p) => wanted.has(p))),
    read: (p) => tree.read(p),
    ...(tree.objectId ? { objectId: (p: string) => tree.objectId!(p) } : {}),
    ...(tree.directories ? { directories: () => tree.directories!() } : {}),
  };
}

/**
 * Indices of items in batches, given each item's files: items that share a file (the tasks of one Label Studio export)
 * go together, in batches of at most `sharedMax`; items of their own files in batches of at most `soloMax`. Largest
 * batches first.
 */
export function itemBatches(files: string[][], sharedMax: number, soloMax: number): number[][] {
  const users = new Map<string, number>();
  for (const fs of files) for (const f of new Set(fs)) users.set(f, (users.get(f) ?? 0) + 1);
  const groups = new Map<string, number[]>();
  files.forEach((fs, i) => {
    const key = [...new Set(fs)].filter((f) => users.get(f)! > 1).sort().join('\0');
    const g = groups.get(key);
    if (g) g.push(i);
    else groups.set(key, [i]);
  });
  const out: number[][] = [];
  for (const [key, members] of groups) {
    const max = Math.max(1, key === '' ? soloMax : sharedMax);
    for (let s = 0; s < members.length; s += max) out.push(members.slice(s, s + max));
  }
  return out.sort((a, b) => b.length - a.length || a[0] - b[0]);
}

/** What discovery made of an item, without its readers: the plain data a worker thread sends the planning thread. */
export interface ItemSummary {
  id: string;
  files: string[];
  annotations: string[];
  reference: string | null;
  image: string[] | null;
  tasks: number;
  unreadable: PendingItem['unreadable'];
}

/** Items as plain data (see `ItemSummary`). */
export const summarizeItems = (items: PendingItem[]): ItemSummary[] =>
  items.map((p) => ({ id: p.id, files: p.files, annotations: p.annotations.map((a) => a.file), reference: p.reference?.file ?? null, image: p.image, tasks: p.tasks, unreadable: p.unreadable }));

/**
 * Items to plan with from their summaries: everything but their readers, which fail as a defect (the thread that
 * planned never reads an item; the one that checks it discovers it again).
 */
export function summaryItems(summaries: ItemSummary[]): PendingItem[] {
  return summaries.map((s) => {
    const stub = (file: string) => ({
      file,
      load: (): never => {
        throw new SegqcError('internal', `item ${s.id} was read on the thread that planned the run, from a summary`, { file }, 'internal');
      },
    });
    return { id: s.id, files: [...s.files], annotations: s.annotations.map(stub), reference: s.reference === null ? null : stub(s.reference), image: s.image && [...s.image], tasks: s.tasks, unreadable: [...s.unreadable] };
  });
}
