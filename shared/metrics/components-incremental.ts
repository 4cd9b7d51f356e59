/**
 * Connected components (8-connectivity) of one value of a 2D mask, kept up to date as the mask changes inside a
 * box. When the box only gained pixels, the new ones are labelled and joined (union-find) to the components they
 * touch, which keep their labels: a stroke on a large region costs the stroke. When a pixel left, the changed box and
 * the components that reach within a pixel of it are labelled again. A component no changed pixel touches or borders
 * keeps its pixels in the new mask and stays one component (a path from it to a changed pixel would cross that
 * border), so the result is that of labelling the whole mask again.
 */
import { boundingBox, type MaskRef } from './bbox.js';
import { componentsOfRuns } from './components.js';

/** [i0, j0, i1, j1], inclusive pixels. */
export type PixelBox = [number, number, number, number];

/** One component: its pixels, its box and its first pixel in raster order (the order a full labelling finds them in). */
export interface Component2D {
  voxels: number;
  box: PixelBox;
  first: number;
}

/** The components of one value of a `width`×`height` mask; give it each new mask with the box where it changed. */
export class IncrementalComponents {
  /** The mask the components are of (null before the first update). */
  data: MaskRef['data'] | null = null;
  private labels: Int32Array | null = null;
  private readonly comps = new Map<number, Component2D>();
  /** Ids of components merged into another (by pixels added between them), to the id they joined. */
  private readonly joined = new Map<number, number>();
  private nextId = 1;
  private voxelCount = 0;

  constructor(
    readonly width: number,
    readonly height: number,
    readonly value: number,
  ) {}

  /**
   * Makes the components those of `data`, which equals the mask of the last update outside `changed`; null (or no
   * earlier update) labels the whole mask.
   */
  update(data: MaskRef['data'], changed: PixelBox | null): void {
    const w = this.width, h = this.height;
    if (data.length !== w * h) throw new Error(`mask of ${data.length} pixels for a ${w}x${h} image`);
    if (changed === null || this.data === null) {
      this.labels?.fill(0);
      this.comps.clear();
      this.joined.clear();
      this.voxelCount = 0;
      this.data = data;
      const b = boundingBox({ data, value: this.value }, [w, h, 1]);
      if (b) this.relabel(data, [b[0], b[1], b[3], b[4]]);
      return;
    }
    this.data = data;
    const d: PixelBox = [Math.max(0, changed[0]), Math.max(0, changed[1]), Math.min(w - 1, changed[2]), Math.min(h - 1, changed[3])];
    if (d[0] > d[2] || d[1] > d[3]) return;
    if (!this.addOnly(data, d)) this.relabel(data, d);
  }

  /** The component a pixel's label belongs to now (labels of joined components lead to the one they joined). */
  private find(id: number): number {
    let r = id;
    for (let up = this.joined.get(r); up !== undefined; up = this.joined.get(r)) r = up;
    while (id !== r) {
      const up = this.joined.get(id) as number;
      this.joined.set(id, r);
      id = up;
    }
    return r;
  }

  /** Joins two components: the smaller one's labels lead to the larger one, whose pixels are not touched. */
  private join(a: number, b: number): number {
    a = this.find(a);
    b = this.find(b);
    if (a === b) return a;
    const ca = this.comps.get(a) as Component2D, cb = this.comps.get(b) as Component2D;
    const [keep, gone] = ca.voxels >= cb.voxels ? [a, b] : [b, a];
    const k = ca.voxels >= cb.voxels ? ca : cb;
    const g = ca.voxels >= cb.voxels ? cb : ca;
    this.comps.set(keep, {
      voxels: k.voxels + g.voxels,
      box: [Math.min(k.box[0], g.box[0]), Math.min(k.box[1], g.box[1]), Math.max(k.box[2], g.box[2]), Math.max(k.box[3], g.box[3])],
      first: Math.min(k.first, g.first),
    });
    this.comps.delete(gone);
    this.joined.set(gone, keep);
    return keep;
  }

  /**
   * When box `d` only gained pixels: labels the new ones and joins them to the components they touch, without
   * labelling those again (painting on a large region costs the stroke, not the region). False when a pixel left.
   */
  private addOnly(data: MaskRef['data'], d: PixelBox): boolean {
    const w = this.width, h = this.height, v = this.value;
    const labels = this.labels;
    if (!labels) return false;
    for (let j = d[1]; j <= d[3]; j++) for (let x = j * w + d[0], end = j * w + d[2]; x <= end; x++) if (labels[x] !== 0 && data[x] !== v) return false;
    // Runs of new pixels, by row of the box.
    const rows = d[3] - d[1] + 1;
    const rowStart = new Int32Array(rows + 1);
    const rs: number[] = [], re: number[] = [];
    for (let j = d[1]; j <= d[3]; j++) {
      rowStart[j - d[1]] = rs.length;
      const row = j * w;
      let i = d[0];
      while (i <= d[2]) {
        if (data[row + i] !== v || labels[row + i] !== 0) {
          i++;
          continue;
        }
        const a = i;
        while (i <= d[2] && data[row + i] === v && labels[row + i] === 0) i++;
        rs.push(a);
        re.push(i - 1);
      }
    }
    rowStart[rows] = rs.length;
    if (rs.length === 0) return true;
    const { ids, compOf } = this.addComponents(labels, rowStart, Int32Array.from(rs), Int32Array.from(re), rows, d[1]);
    // Join each new run to the labelled pixels around it (8-connectivity).
    for (let r = 0; r < rows; r++) {
      const j = r + d[1];
      for (let t = rowStart[r]; t < rowStart[r + 1]; t++) {
        const id = ids[compOf[t]];
        const a = Math.max(0, rs[t] - 1), b = Math.min(w - 1, re[t] + 1);
        for (const jj of [j - 1, j, j + 1]) {
          if (jj < 0 || jj >= h) continue;
          let last = 0;
          for (let x = jj * w + a, end = jj * w + b; x <= end; x++) {
            const l = labels[x];
            if (l !== 0 && l !== last) {
              last = l;
              this.join(id, l);
            }
          }
        }
      }
    }
    return true;
  }

  /** Labels again the pixels of `d` and of every component within a pixel of it. */
  private relabel(data: MaskRef['data'], d: PixelBox): void {
    const w = this.width, h = this.height, v = this.value;
    const labels = (this.labels ??= new Int32Array(w * h));
    const affected = new Set<number>();
    const e0 = Math.max(0, d[0] - 1), e1 = Math.max(0, d[1] - 1), e2 = Math.min(w - 1, d[2] + 1), e3 = Math.min(h - 1, d[3] + 1);
    for (let j = e1; j <= e3; j++) {
      let last = 0;
      for (let x = j * w + e0, end = j * w + e2; x <= end; x++) {
        const l = labels[x];
        if (l !== 0 && l !== last) affected.add(this.find((last = l)));
      }
    }
    // Pixels of the changed box no longer in the mask; the rest of an affected component is all still in it.
    for (let j = d[1]; j <= d[3]; j++) for (let x = j * w + d[0], end = j * w + d[2]; x <= end; x++) if (data[x] !== v) labels[x] = 0;
    let [r0, r1, r2, r3] = d;
    for (const id of affected) {
      const c = this.comps.get(id) as Component2D;
      r0 = Math.min(r0, c.box[0]);
      r1 = Math.min(r1, c.box[1]);
      r2 = Math.max(r2, c.box[2]);
      r3 = Math.max(r3, c.box[3]);
      this.voxelCount -= c.voxels;
      this.comps.delete(id);
    }
    // Runs of the pixels to label: in the mask, and unlabelled or of an affected component.
    const rows = r3 - r1 + 1;
    const rowStart = new Int32Array(rows + 1);
    let cap = 256;
    let rs = new Int32Array(cap), re = new Int32Array(cap);
    let nr = 0;
    for (let j = r1; j <= r3; j++) {
      rowStart[j - r1] = nr;
      const row = j * w;
      let lastId = -1, lastIn = false;
      let i = r0;
      while (i <= r2) {
        const x = row + i;
        let take = data[x] === v;
        if (take) {
          const l = labels[x];
          if (l !== 0) {
            if (l !== lastId) {
              lastId = l;
              lastIn = affected.has(this.find(l));
            }
            take = lastIn;
          }
        }
        if (!take) {
          i++;
          continue;
        }
        const s = i;
        i++;
        while (i <= r2) {
          const y = row + i;
          if (data[y] !== v) break;
          const l = labels[y];
          if (l !== 0) {
            if (l !== lastId) {
              lastId = l;
              lastIn = affected.has(this.find(l));
            }
            if (!lastIn) break;
          }
          i++;
        }
        if (nr === cap) {
          cap *= 2;
          const a = new Int32Array(cap), b = new Int32Array(cap);
          a.set(rs);
          b.set(re);
          rs = a;
          re = b;
        }
        rs[nr] = s;
        re[nr] = i - 1;
        nr++;
      }
    }
    rowStart[rows] = nr;
    if (nr === 0) return;
    this.addComponents(labels, rowStart, rs, re, rows, r1);
  }

  /**
   * Labels runs of new pixels (rows j0.., `rowStart` indexing `rs`/`re`) as new components of their own and registers
   * them; gives each run's component (`compOf`) and each component's id (`ids`, from 1).
   */
  private addComponents(labels: Int32Array, rowStart: Int32Array, rs: Int32Array, re: Int32Array, rows: number, j0: number): { ids: Int32Array; compOf: Int32Array } {
    const w = this.width, h = this.height;
    const { count, sizes, compOf } = componentsOfRuns(rowStart, rs, re, rows, 1, 8);
    const ids = new Int32Array(count + 1);
    const made: Component2D[] = [];
    for (let c = 1; c <= count; c++) {
      ids[c] = this.nextId++;
      made.push({ voxels: sizes[c - 1], box: [w, h, -1, -1], first: -1 });
    }
    for (let r = 0; r < rows; r++) {
      const j = r + j0;
      for (let t = rowStart[r]; t < rowStart[r + 1]; t++) {
        const c = compOf[t];
        const comp = made[c - 1];
        const a = rs[t], b = re[t];
        if (comp.first < 0) {
          comp.first = j * w + a;
          comp.box[1] = j;
        }
        if (a < comp.box[0]) comp.box[0] = a;
        if (b > comp.box[2]) comp.box[2] = b;
        comp.box[3] = j;
        labels.fill(ids[c], j * w + a, j * w + b + 1);
      }
    }
    for (let c = 1; c <= count; c++) {
      this.comps.set(ids[c], made[c - 1]);
      this.voxelCount += made[c - 1].voxels;
    }
    return { ids, compOf };
  }

  /** Pixels in the mask. */
  get voxels(): number {
    return this.voxelCount;
  }

  /** The components, largest first, equal sizes in raster order of their first pixel (as a full labelling orders them). */
  components(): Component2D[] {
    return [...this.comps.values()].sort((a, b) => b.voxels - a.voxels || a.first - b.first);
  }
}
