/**
 * The runs of every label of a byte label map, gathered row by row in one pass as a decoder produces the rows, so
 * the map itself is never held: `maskRuns` of each label, without the image.
 */
import type { Vec3 } from '../model.js';
import { RunList, type MaskRuns } from './surface.js';

/** Collects runs per label value (1–255) from rows of bytes given in order. */
export class LabelRunsBuilder {
  private readonly lists: (RunList | null)[] = new Array<RunList | null>(256).fill(null);
  private readonly count = new Float64Array(256);
  private readonly rowOf = new Int32Array(256).fill(-1);
  private readonly rowFrom = new Int32Array(256);
  /** Per value: i0, j0, k0, i1, j1, k1 (as maskRuns). */
  private readonly box = new Int32Array(256 * 6);
  private readonly touched = new Int32Array(256);
  private words: Uint32Array | null = null;
  private wordsOf: ArrayBufferLike | null = null;
  private rows = 0;

  constructor(readonly shape: Vec3) {
    for (let v = 0; v < 256; v++) this.box.set([shape[0], shape[1], shape[2], -1, -1, -1], v * 6);
  }

  /** Adds the next row (r = k·ny + j) from `bytes[at .. at + nx)`. */
  row(bytes: Uint8Array, at: number): void {
    const r = this.rows++;
    if (this.wordsOf !== bytes.buffer || this.words === null) {
      this.words = new Uint32Array(bytes.buffer, 0, bytes.buffer.byteLength >>> 2);
      this.wordsOf = bytes.buffer;
    }
    const w = this.words;
    const sh = bytes.byteOffset;
    const end = at + this.shape[0];
    // Whole words of the row: w[q0 .. q1).
    const q1 = Math.floor((end + sh) / 4);
    let nt = 0;
    let x = at;
    while (x < end) {
      const v = bytes[x];
      if (v === 0) {
        x++;
        if (((x + sh) & 3) !== 0) continue;
        // Zero words are passed whole, four at a time.
        let q = (x + sh) / 4;
        while (q + 4 <= q1 && (w[q] | w[q + 1] | w[q + 2] | w[q + 3]) === 0) q += 4;
        while (q < q1 && w[q] === 0) q++;
        x = q * 4 - sh;
        continue;
      }
      const s = x++;
      const vv = (v * 0x01010101) >>> 0;
      for (;;) {
        if (((x + sh) & 3) === 0 && x + 4 <= end && w[(x + sh) / 4] === vv) x += 4;
        else if (x < end && bytes[x] === v) x++;
        else break;
      }
      nt = this.add(v, r, s - at, x - 1 - at, nt);
    }
    if (nt > 0) this.endRow(r, nt);
  }

  /** Records run [s, e] of value v in row r; returns the number of values touched in the row. */
  private add(v: number, r: number, s: number, e: number, nt: number): number {
    let list = this.lists[v];
    if (list === null) list = this.lists[v] = new RunList(0);
    if (this.rowOf[v] !== r) {
      this.rowOf[v] = r;
      this.rowFrom[v] = list.n;
      this.touched[nt++] = v;
    }
    list.push(s, e);
    this.count[v] += e - s + 1;
    return nt;
  }

  /** Row and box bookkeeping of the `nt` values that have runs in row r. */
  private endRow(r: number, nt: number): void {
    const ny = this.shape[1];
    const j = r % ny, k = (r - j) / ny;
    const box = this.box;
    for (let t = 0; t < nt; t++) {
      const v = this.touched[t];
      const list = this.lists[v]!;
      const from = this.rowFrom[v];
      list.rowsFrom(from, r);
      const b = v * 6;
      if (list.start[from] < box[b]) box[b] = list.start[from];
      if (j < box[b + 1]) box[b + 1] = j;
      if (k < box[b + 2]) box[b + 2] = k;
      if (list.end[list.n - 1] > box[b + 3]) box[b + 3] = list.end[list.n - 1];
      if (j > box[b + 4]) box[b + 4] = j;
      box[b + 5] = k;
    }
  }

  /** Rows added so far. */
  get rowCount(): number {
    return this.rows;
  }

  /** The values present, ascending, and the runs of each. */
  result(): Map<number, MaskRuns> {
    const out = new Map<number, MaskRuns>();
    for (let v = 1; v < 256; v++) {
      const list = this.lists[v];
      if (list === null || list.n === 0) continue;
      const b = v * 6;
      const box = this.box;
      out.set(v, { box: [box[b], box[b + 1], box[b + 2], box[b + 3], box[b + 4], box[b + 5]], count: this.count[v], n: list.n, row: list.row, start: list.start, end: list.end });
    }
    return out;
  }
}
