/**
 * Masks changed a box at a time (the editor's merged label layers): a caller records that a new mask array equals an
 * earlier one outside a box, and the rules update what they know of the earlier one instead of starting over.
 */
import type { PixelBox } from '../metrics/components-incremental.js';
import { IncrementalComponents } from '../metrics/components-incremental.js';

/** Earlier masks a mask equals outside a box, nearest first. */
type Ancestors = Array<{ from: object; box: PixelBox }>;

/** Ancestors kept per mask: a rule that fell further behind starts over. */
const KEPT = 8;

/** Recorded edits, the buffers of masks that will be edited, and the incremental components kept per buffer and value. */
export interface MaskEdits {
  ancestors: WeakMap<object, Ancestors>;
  tracked: WeakSet<object>;
  components: WeakMap<object, Map<number, IncrementalComponents>>;
}

/** An empty record of edits. */
export const maskEdits = (): MaskEdits => ({ ancestors: new WeakMap(), tracked: new WeakSet(), components: new WeakMap() });

/** Marks the buffer of `data` as one whose masks will be edited a box at a time (what rules keep state for). */
export function trackMask(m: MaskEdits, data: { buffer: object }): void {
  m.tracked.add(data.buffer);
}

/** Whether `data` is a view of a tracked buffer. */
export const isTracked = (m: MaskEdits, data: { buffer: object }): boolean => m.tracked.has(data.buffer);

const union = (a: PixelBox, b: PixelBox): PixelBox => [Math.min(a[0], b[0]), Math.min(a[1], b[1]), Math.max(a[2], b[2]), Math.max(a[3], b[3])];

/** Records that mask array `to` equals `from` outside `box` (2D pixels, inclusive). */
export function recordEdit(m: MaskEdits, from: object, to: object, box: PixelBox): void {
  const earlier = m.ancestors.get(from) ?? [];
  // The chain is kept on the newest mask only, so older masks hold no chain of their own.
  m.ancestors.delete(from);
  m.ancestors.set(to, [{ from, box }, ...earlier.slice(0, KEPT - 1).map((a) => ({ from: a.from, box: union(a.box, box) }))]);
}

/** The box outside which `to` equals `from`: null when no recorded chain of edits links them. */
export function changedSince(m: MaskEdits, from: object, to: object): PixelBox | null {
  for (const a of m.ancestors.get(to) ?? []) if (a.from === from) return a.box;
  return null;
}

/** The components of `value` in a 2D mask, updated from the last mask of the same buffer when an edit links them. */
export function componentsOf(m: MaskEdits, data: IncrementalComponents['data'] & object, value: number, width: number, height: number): IncrementalComponents {
  let byValue = m.components.get(data.buffer);
  if (!byValue) m.components.set(data.buffer, (byValue = new Map()));
  let c = byValue.get(value);
  if (!c || c.width !== width || c.height !== height) byValue.set(value, (c = new IncrementalComponents(width, height, value)));
  if (c.data !== data) c.update(data, c.data ? changedSince(m, c.data, data) : null);
  return c;
}
