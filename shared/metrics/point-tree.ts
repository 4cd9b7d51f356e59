/**
 * Nearest of a set of 2D pixel positions by a k-d tree: the squared distance in mm² under a pixel spacing, computed
 * as `squaredDistancesToPoints` computes it ((Δi·sx)² + (Δj·sy)²), so both give the same number. A query far from
 * the points visits a few dozen nodes where a search row by row visits every row up to the nearest point.
 */

/** A k-d tree over pixel positions (i, j). */
export class PointTree2D {
  private readonly xs: Int32Array;
  private readonly ys: Int32Array;

  /** `is` and `js` are the points' columns and rows (the arrays are not kept). */
  constructor(
    is: ArrayLike<number>,
    js: ArrayLike<number>,
    private readonly sx: number,
    private readonly sy: number,
  ) {
    const n = is.length;
    const order = new Int32Array(n);
    for (let t = 0; t < n; t++) order[t] = t;
    this.xs = new Int32Array(n);
    this.ys = new Int32Array(n);
    const stack: Array<[number, number, number]> = [[0, n, 0]];
    while (stack.length > 0) {
      const [lo, hi, axis] = stack.pop() as [number, number, number];
      if (hi - lo <= 1) continue;
      const mid = (lo + hi) >> 1;
      select(order, lo, hi - 1, mid, axis === 0 ? is : js);
      stack.push([lo, mid, 1 - axis], [mid + 1, hi, 1 - axis]);
    }
    for (let t = 0; t < n; t++) {
      this.xs[t] = is[order[t]];
      this.ys[t] = js[order[t]];
    }
  }

  /** Squared distance (mm²) from pixel (i, j) to the nearest point; Infinity when there is none. */
  nearestSquared(i: number, j: number): number {
    const { xs, ys, sx, sy } = this;
    let best = Infinity;
    const visit = (lo: number, hi: number, axis: number): void => {
      if (lo >= hi) return;
      const mid = (lo + hi) >> 1;
      const ti = Math.abs(xs[mid] - i) * sx;
      const tj = Math.abs(ys[mid] - j) * sy;
      const v = ti * ti + tj * tj;
      if (v < best) best = v;
      const d = axis === 0 ? i - xs[mid] : j - ys[mid];
      if (d < 0) visit(lo, mid, 1 - axis);
      else visit(mid + 1, hi, 1 - axis);
      const plane = Math.abs(d) * (axis === 0 ? sx : sy);
      if (plane * plane >= best) return;
      if (d < 0) visit(mid + 1, hi, 1 - axis);
      else visit(lo, mid, 1 - axis);
    };
    visit(0, xs.length, 0);
    return best;
  }
}

/** Rearranges order[lo..hi] so that order[k] has the k-th smallest key, smaller or equal keys before it, larger or equal after. */
function select(order: Int32Array, lo: number, hi: number, k: number, key: ArrayLike<number>): void {
  while (hi > lo) {
    const pivot = key[order[(lo + hi) >> 1]];
    let a = lo, b = hi;
    while (a <= b) {
      while (key[order[a]] < pivot) a++;
      while (key[order[b]] > pivot) b--;
      if (a <= b) {
        const t = order[a];
        order[a] = order[b];
        order[b] = t;
        a++;
        b--;
      }
    }
    if (k <= b) hi = b;
    else if (k >= a) lo = a;
    else return;
  }
}
