/** Mask arrays reused from one item to the next: a dataset check's masks die with their item, their memory need not. */
import type { MaskLayer } from '../model.js';
import { maskArrayType, type MaskAllocator } from './labelstudio.js';

/** Arrays kept for reuse at most (bytes): a few items' masks of the largest Label Studio image. */
const KEPT_BYTES = 64 * 1024 * 1024;
/** And at most this many (each `allocate` looks through them). */
const KEPT_ARRAYS = 16;

/**
 * Hands out zeroed mask arrays (`allocate`), reusing those taken back by `recycle`: its caller calls `recycle` only
 * once nothing refers to the arrays handed out since the last call.
 */
export class MaskRecycler {
  private free: Array<MaskLayer['data']> = [];
  private lent: Array<MaskLayer['data']> = [];
  constructor(
    private readonly keptBytes = KEPT_BYTES,
    private readonly keptArrays = KEPT_ARRAYS,
  ) {}

  readonly allocate: MaskAllocator = (length, maxValue) => {
    const type = maskArrayType(maxValue);
    const i = this.free.findIndex((a) => a.length === length && a.constructor === type);
    let a: MaskLayer['data'];
    if (i >= 0) {
      a = this.free[i];
      this.free.splice(i, 1);
      a.fill(0);
    } else a = new type(length);
    this.lent.push(a);
    return a;
  };

  /** Takes back every array handed out since the last call (within the budgets, the latest first). */
  recycle(): void {
    const all = [...this.lent.reverse(), ...this.free];
    this.lent = [];
    this.free = [];
    let bytes = 0;
    for (const a of all) {
      if (bytes + a.byteLength > this.keptBytes || this.free.length === this.keptArrays) continue;
      bytes += a.byteLength;
      this.free.push(a);
    }
  }
}
