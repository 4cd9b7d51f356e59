/**
 * Items a pull request leaves byte for byte alone: when every file an item's check reads has the same git object id
 * on both sides (and the files it looks for are absent on both), its check on the base is its check on the head.
 */
import type { DatasetTree } from './tree.js';
import { reviewSidecarOf, sidecarOf, type PendingItem } from './items.js';

/** One side of an item: its tree and the tree's listing, its pending item, and what only the whole side knows about it. */
export interface ItemSide {
  tree: DatasetTree;
  listed: ReadonlySet<string>;
  pending: PendingItem;
  orphan: boolean;
  audit: boolean;
}

/** The files an item's check reads or looks for: its masks and exports, their attestation and review sidecars, its image. */
export const itemInputs = (p: PendingItem): string[] => [...p.files, ...p.files.map(sidecarOf), ...p.files.map(reviewSidecarOf), ...(p.image ?? [])];

/** What discovery made of an item, without its readers. */
const shapeOf = (p: PendingItem) => JSON.stringify([p.id, p.files, p.image, p.tasks, p.unreadable, p.annotations.map((a) => a.file), p.reference?.file ?? null]);

/**
 * True when the item reads the same bytes on both sides with the same guideline: both trees know their files' object
 * ids, discovery made the same item of them, the same files are there with the same ids, and its orphan and audit
 * status agree.
 */
export function sameItemInputs(base: ItemSide, head: ItemSide): boolean {
  if (!base.tree.objectId || !head.tree.objectId) return false;
  if (base.orphan !== head.orphan || base.audit !== head.audit) return false;
  if (shapeOf(base.pending) !== shapeOf(head.pending)) return false;
  const inBase = base.listed, inHead = head.listed;
  for (const f of itemInputs(base.pending)) {
    const here = inBase.has(f);
    if (here !== inHead.has(f)) return false;
    if (!here) continue;
    const a = base.tree.objectId(f), b = head.tree.objectId(f);
    if (a === null || a !== b) return false;
  }
  return true;
}

/**
 * True when a report made on `tree` names the tree itself (an error message saying which commit a file could not be
 * read from): such a report is not the other side's.
 */
export const namesTree = (report: unknown, tree: DatasetTree): boolean => JSON.stringify(report).includes(tree.name);
