/** A pull request's items in batches checked apart from the rest of their dataset (a worker thread's share of a diff). */
import { SegqcError } from '../errors.js';
import type { DatasetTree } from './tree.js';
import { itemBatches, scopedTree } from './scope.js';
import { itemInputs } from './unchanged.js';
import type { DiscoverOptions } from './items.js';
import type { MaskRecycler } from '../formats/mask-recycler.js';
import { diffItem, discover, type BaseContext, type DiffSide, type DiffedItem, type PullRequestPlan } from './pull-request.js';

/** What only a whole side knows of an item: whether its image is missing, whether it is in the audit sample. */
export interface SideFacts {
  orphan: boolean;
  audit: boolean;
}

/** An item of a batch: its place in the plan, its id, whether the PR touches it, and its facts on each side it is on. */
export interface DiffBatchItem {
  index: number;
  id: string;
  changed: boolean;
  base: SideFacts | null;
  head: SideFacts | null;
}

/** Items of a batch and the paths of each side they are read from. */
export interface DiffBatch {
  items: DiffBatchItem[];
  baseScope: string[];
  headScope: string[];
}

/** A plan's items in batches (items sharing an export together, at most `sharedMax`; others at most `soloMax`). */
export function pullRequestBatches(plan: PullRequestPlan, sharedMax: number, soloMax: number): DiffBatch[] {
  const sides = plan.selected.map((id) => ({ id, base: plan.base.items.get(id) ?? null, head: plan.head.items.get(id) ?? null }));
  const files = sides.map((s) => [...(s.base?.files ?? []).map((f) => `base:${f}`), ...(s.head?.files ?? []).map((f) => `head:${f}`)]);
  return itemBatches(files, sharedMax, soloMax).map((idx) => ({
    items: idx.map((i) => {
      const { id, base, head } = sides[i];
      return {
        index: i,
        id,
        changed: plan.changedIds.has(id),
        base: base ? { orphan: plan.base.orphans.has(id), audit: plan.baseAudit.has(id) } : null,
        head: head ? { orphan: plan.head.orphans.has(id), audit: plan.headAudit.has(id) } : null,
      };
    }),
    baseScope: [...new Set(idx.flatMap((i) => (sides[i].base ? itemInputs(sides[i].base!) : [])))],
    headScope: [...new Set(idx.flatMap((i) => (sides[i].head ? itemInputs(sides[i].head!) : [])))],
  }));
}

/**
 * Diffs a batch on trees that list only its files: the entries and reports of the whole pull request's analysis.
 * `each` gets every item as diffed, masks included, in batch order; `exportItems` gives the items of exports this
 * thread has read already, on each side. Given `masks`, an item's brush masks are taken back for the next once `each`
 * returns: `each` must then keep none.
 */
export function diffBatch(
  ctx: BaseContext,
  trees: { base: DatasetTree; head: DatasetTree },
  batch: DiffBatch,
  toleranceMm: number,
  each: (item: DiffBatchItem, diffed: DiffedItem) => void,
  exportItems?: Record<'base' | 'head', DiscoverOptions['exportItems']>,
  masks?: MaskRecycler,
): void {
  const base = scopedTree(trees.base, batch.baseScope);
  const head = scopedTree(trees.head, batch.headScope);
  const found = { base: discover(base, ctx, ctx.guideline, exportItems?.base), head: discover(head, ctx, ctx.guideline, exportItems?.head) };
  const listed = { base: new Set(base.list()), head: new Set(head.list()) };
  for (const b of batch.items) {
    const side = (which: 'base' | 'head', tree: DatasetTree): DiffSide | null => {
      const facts = b[which];
      if (!facts) return null;
      const pending = found[which].items.get(b.id);
      if (!pending) throw new SegqcError('internal', `item ${b.id} is not among the ${which} items of its files`, {}, 'internal');
      return { tree, listed: listed[which], pending, ...facts };
    };
    each(b, diffItem(ctx.guideline, toleranceMm, b.id, side('base', base), side('head', head), b.changed, masks?.allocate));
    masks?.recycle();
  }
}
