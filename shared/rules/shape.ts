/** The shape of one label in one pass: voxels, connected components with their sizes and boxes, occupied slices. */
import type { Geometry } from '../model.js';
import { boundingBox } from '../metrics/bbox.js';
import type { Box, MaskRef } from '../metrics/bbox.js';
import { componentRuns } from '../metrics/components.js';
import type { IncrementalComponents } from '../metrics/components-incremental.js';

/** One connected component. */
export interface Component {
  voxels: number;
  bbox: Box;
}

/** What the size, component and slice rules need to know about a label. */
export interface LabelShape {
  voxels: number;
  bbox: Box | null;
  /** Largest first. */
  components: Component[];
  /** k indices holding voxels, ascending. */
  slices: number[];
}

/** Components with full connectivity (26 in 3D, 8 in 2D), computed on the label's bounding box only. */
export function labelShape(mask: MaskRef, geometry: Geometry): LabelShape {
  const bbox = boundingBox(mask, geometry.shape);
  if (bbox === null) return { voxels: 0, bbox: null, components: [], slices: [] };
  const { rowStart, rs, re, sizes, compOf } = componentRuns(mask, geometry.shape, bbox);
  const n = sizes.length;
  const boxes = new Int32Array(6 * (n + 1));
  for (let c = 1; c <= n; c++) boxes.set([2 ** 30, 2 ** 30, 2 ** 30, -1, -1, -1], 6 * c);
  const by = bbox[4] - bbox[1] + 1;
  const bz = bbox[5] - bbox[2] + 1;
  const slices: number[] = [];
  let voxels = 0;
  for (let k = 0; k < bz; k++) {
    let inSlice = false;
    for (let j = 0; j < by; j++) {
      const r = k * by + j;
      for (let t = rowStart[r]; t < rowStart[r + 1]; t++) {
        inSlice = true;
        const o = 6 * compOf[t];
        if (rs[t] < boxes[o]) boxes[o] = rs[t];
        if (j < boxes[o + 1]) boxes[o + 1] = j;
        if (k < boxes[o + 2]) boxes[o + 2] = k;
        if (re[t] > boxes[o + 3]) boxes[o + 3] = re[t];
        if (j > boxes[o + 4]) boxes[o + 4] = j;
        if (k > boxes[o + 5]) boxes[o + 5] = k;
      }
    }
    if (inSlice) slices.push(k + bbox[2]);
  }
  for (const v of sizes) voxels += v;
  const components: Component[] = [];
  for (let c = 1; c <= n; c++) {
    const o = 6 * c;
    components.push({
      voxels: sizes[c - 1],
      bbox: [
        boxes[o] + bbox[0],
        boxes[o + 1] + bbox[1],
        boxes[o + 2] + bbox[2],
        boxes[o + 3] + bbox[0],
        boxes[o + 4] + bbox[1],
        boxes[o + 5] + bbox[2],
      ],
    });
  }
  components.sort((a, b) => b.voxels - a.voxels || a.bbox[2] - b.bbox[2]);
  return { voxels, bbox, components, slices };
}

/** `labelShape` of the 2D mask an `IncrementalComponents` was last given. */
export function incrementalShape(c: IncrementalComponents): LabelShape {
  const comps = c.components();
  if (comps.length === 0) return { voxels: 0, bbox: null, components: [], slices: [] };
  const bbox: Box = [Infinity, Infinity, 0, -1, -1, 0];
  const components = comps.map(({ voxels, box }): Component => {
    if (box[0] < bbox[0]) bbox[0] = box[0];
    if (box[1] < bbox[1]) bbox[1] = box[1];
    if (box[2] > bbox[3]) bbox[3] = box[2];
    if (box[3] > bbox[4]) bbox[4] = box[3];
    return { voxels, bbox: [box[0], box[1], 0, box[2], box[3], 0] };
  });
  return { voxels: c.voxels, bbox, components, slices: [0] };
}
