/** What the check and diff workers share: the exports they keep parsed, the order of their batches, the test fault hook. */
import type { DiscoverOptions, PendingItem } from '../shared/dataset/items.js';

/**
 * A test hook: `SEGQC_TEST_WORKER_FAULT=throw:ID` (or `exit:ID`) makes the worker checking item ID, or reading export ID
 * (its path), fail that way; ID `(start)`: a check or diff worker as it starts, before its data.
 */
export function testFault(id: string): void {
  const fault = process.env.SEGQC_TEST_WORKER_FAULT;
  if (!fault) return;
  if (fault === `throw:${id}`) throw new Error(`test fault while checking ${id}`);
  if (fault === `exit:${id}`) process.exit(70);
}

/** Names a batch's items in an error message. */
export const names = (items: Array<{ id: string }>) => (items.length <= 3 ? items.map((i) => i.id).join(', ') : `${items[0].id} … ${items[items.length - 1].id} (${items.length} items)`);

/**
 * Export text a worker keeps parsed between reading an export for the plan and checking its items (all workers
 * together); an export over the budget is read again when its items are checked.
 */
export const KEPT_EXPORT_BYTES = 512 * 1024 * 1024;

/** The Label Studio exports discovery reads on a tree: (file, source index) pairs, nothing read. */
export function exportsRead(discoverOn: (exportItems: NonNullable<DiscoverOptions['exportItems']>) => void): Array<{ file: string; source: number }> {
  const out: Array<{ file: string; source: number }> = [];
  discoverOn((file, source) => {
    out.push({ file, source });
    return [];
  });
  return out;
}

/** Exports a worker has read, by key, within its share of `KEPT_EXPORT_BYTES`. */
export class KeptExports {
  private kept = new Map<string, PendingItem[]>();
  private bytes = 0;
  constructor(private readonly budget: number) {}
  keep(key: string, items: PendingItem[], bytes: number): boolean {
    if (this.bytes + bytes > this.budget) return false;
    this.bytes += bytes;
    this.kept.set(key, items);
    return true;
  }
  get(key: string): PendingItem[] | undefined {
    return this.kept.get(key);
  }
}

/** The key of an export's items: its source and file. */
export const exportKey = (source: number, file: string) => `${source}\0${file}`;

/**
 * Batches whose files a worker has read first, each marked in `prefer` for that worker (the first holder of its files),
 * then the others, for any worker.
 */
export function heldFirst<B>(batches: B[], filesOf: (b: B) => string[], holders: ReadonlyMap<string, number>, prefer: { set(b: B, worker: number): unknown; has(b: B): boolean }): B[] {
  for (const b of batches) {
    const holder = filesOf(b).map((f) => holders.get(f)).find((w) => w !== undefined);
    if (holder !== undefined) prefer.set(b, holder);
  }
  return [...batches.filter((b) => prefer.has(b)), ...batches.filter((b) => !prefer.has(b))];
}
