/** Dice, IoU and voxel counts of every label of two label maps, in one pass over memory. */

type LabelData = Uint8Array | Uint16Array | Uint32Array;

/** Voxel counts of one label in a reference and a candidate label map, with Dice and IoU. */
export interface OverlapCounts {
  value: number;
  reference: number;
  candidate: number;
  intersection: number;
  /** 1 when both are empty. */
  dice: number;
  /** 1 when both are empty. */
  iou: number;
}

/** Dice from voxel counts (1 when both masks are empty). */
export const diceOf = (a: number, b: number, ab: number): number => (a + b === 0 ? 1 : (2 * ab) / (a + b));

/** IoU from voxel counts (1 when both masks are empty). */
export const iouOf = (a: number, b: number, ab: number): number => (a + b === 0 ? 1 : ab / (a + b - ab));

const words = (d: LabelData): Uint32Array | null =>
  d instanceof Uint32Array ? d : d.byteOffset % 4 === 0 ? new Uint32Array(d.buffer, d.byteOffset, d.byteLength >>> 2) : null;

/**
 * Counts for each of `values` over two label maps of the same grid (an empty array stands for an all-zero map).
 * Words where both maps are zero are skipped, so the cost is close to one read of both arrays.
 */
export function overlapStats(ref: LabelData, cand: LabelData, values: number[]): OverlapCounts[] {
  const n = Math.max(ref.length, cand.length);
  if (ref.length !== 0 && cand.length !== 0 && ref.length !== cand.length)
    throw new RangeError(`label maps differ in size: ${ref.length} and ${cand.length} voxels`);
  const m = values.length;
  const cr = new Float64Array(m), cc = new Float64Array(m), ci = new Float64Array(m);
  const lut = new Map<number, number>();
  values.forEach((v, t) => lut.set(v, t));
  const small = new Int32Array(65536).fill(-1);
  for (const [v, t] of lut) if (v >= 0 && v < 65536) small[v] = t;
  const wide = !(ref instanceof Uint8Array || ref instanceof Uint16Array) || !(cand instanceof Uint8Array || cand instanceof Uint16Array);
  const idx = (v: number) => (v < 65536 ? small[v] : (lut.get(v) ?? -1));
  const A = ref.length === 0 ? null : ref, B = cand.length === 0 ? null : cand;
  const visit = (x: number) => {
    const a = A === null ? 0 : A[x], b = B === null ? 0 : B[x];
    const ta = wide ? idx(a) : small[a];
    if (ta >= 0) {
      cr[ta]++;
      if (a === b) ci[ta]++;
    }
    const tb = wide ? idx(b) : small[b];
    if (tb >= 0) cc[tb]++;
  };
  const zero = lut.has(0);
  const per = ref instanceof Uint8Array && cand instanceof Uint8Array ? 4 : 0;
  const wa = A === null || per === 0 ? null : words(A), wb = B === null || per === 0 ? null : words(B);
  if (!zero && A !== null && B !== null && wa !== null && wb !== null && A instanceof Uint8Array && B instanceof Uint8Array) {
    // Both maps bytes: skip groups of four words where both are zero, count the rest inline.
    const nw = n >>> 2;
    const n4 = nw - (nw % 4);
    for (let w = 0; w < n4; w += 4) {
      if ((wa[w] | wa[w + 1] | wa[w + 2] | wa[w + 3] | wb[w] | wb[w + 1] | wb[w + 2] | wb[w + 3]) === 0) continue;
      for (let x = w << 2, e = x + 16; x < e; x++) {
        const a = A[x], b = B[x];
        if ((a | b) === 0) continue;
        const ta = small[a];
        if (ta >= 0) {
          cr[ta]++;
          if (a === b) ci[ta]++;
        }
        const tb = small[b];
        if (tb >= 0) cc[tb]++;
      }
    }
    for (let x = n4 << 2; x < n; x++) visit(x);
  } else if (!zero && per === 4 && (A === null || wa !== null) && (B === null || wb !== null)) {
    const nw = n >>> 2;
    for (let w = 0; w < nw; w++) {
      if ((wa === null ? 0 : wa[w]) === 0 && (wb === null ? 0 : wb[w]) === 0) continue;
      const s = w << 2;
      for (let x = s; x < s + 4; x++) visit(x);
    }
    for (let x = nw << 2; x < n; x++) visit(x);
  } else if (!zero) {
    for (let x = 0; x < n; x++) if ((A !== null && A[x] !== 0) || (B !== null && B[x] !== 0)) visit(x);
  } else {
    for (let x = 0; x < n; x++) visit(x);
  }
  return values.map((value, t) => ({
    value,
    reference: cr[t],
    candidate: cc[t],
    intersection: ci[t],
    dice: diceOf(cr[t], cc[t], ci[t]),
    iou: iouOf(cr[t], cc[t], ci[t]),
  }));
}
