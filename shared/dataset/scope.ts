/**
 * Items checked apart from their dataset (a worker thread's share): the files an item is read from, a tree that lists
 * only those, and batches of items that share files, so that an export is parsed by one batch rather than by all.
 */
import type { DatasetTree } from './tree.js';

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
