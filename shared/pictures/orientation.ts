/**
 * How a slice of a grid is laid out on screen, in radiological convention from the direction cosines: axial and
 * coronal slices show the patient's left on the image's right; axial ones anterior up, coronal and sagittal ones
 * superior up; sagittal ones anterior on the left. Output pixels are square in millimetres.
 */
import type { Geometry, Vec3 } from '../model.js';
import { is2D } from '../model.js';
import { sliceAxis } from '../rules/location.js';
import type { SliceAxis } from '../rules/types.js';

/** One screen axis: the in-plane voxel axis it shows (0: i, 1: j), its length, spacing and whether it runs backwards. */
export interface ScreenAxis {
  axis: 0 | 1;
  n: number;
  spacing: number;
  flip: boolean;
}

/** The layout of one slice of a grid as a picture. */
export interface SliceView {
  width: number;
  height: number;
  /** Millimetres per output pixel (pixels of the grid when its spacing is unknown). */
  pixelSize: number;
  spacingKnown: boolean;
  /** The plane of the slices; null for a 2D image, which has no patient orientation. */
  plane: SliceAxis | null;
  horizontal: ScreenAxis;
  vertical: ScreenAxis;
  /** Patient directions at the picture's edges ("R" left, "L" right, ...); null for a 2D image. */
  edges: { left: string; right: string; top: string; bottom: string } | null;
  /** Offset in the slice (i + j·shape[0]) of each output pixel, row by row. */
  index: Int32Array;
}

const dot = (a: Vec3, b: Vec3) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];

/** Screen right and down as LPS directions, and the letters of the four edges, per plane. */
const SCREEN: Record<SliceAxis, { right: Vec3; down: Vec3; edges: { left: string; right: string; top: string; bottom: string } }> = {
  axial: { right: [1, 0, 0], down: [0, 1, 0], edges: { left: 'R', right: 'L', top: 'A', bottom: 'P' } },
  coronal: { right: [1, 0, 0], down: [0, 0, -1], edges: { left: 'R', right: 'L', top: 'S', bottom: 'I' } },
  sagittal: { right: [0, 1, 0], down: [0, 0, -1], edges: { left: 'A', right: 'P', top: 'S', bottom: 'I' } },
};

/** Longest side of a picture, and the side a small grid is enlarged to. */
export const MAX_PICTURE_SIDE = 512;
const MIN_PICTURE_SIDE = 384;

/** The screen layout of the k-slices of `g`, at most `maxSide` pixels on the longer side. */
export function sliceView(g: Geometry, maxSide = MAX_PICTURE_SIDE): SliceView {
  const flat = is2D(g);
  const plane = flat ? null : sliceAxis(g);
  // A 2D image is shown as stored: i to the right, j down (the axial layout with an identity direction).
  const screen = SCREEN[plane ?? 'axial'];
  const [d0, d1] = g.direction;
  const r0 = flat ? 1 : dot(d0, screen.right), w0 = flat ? 0 : dot(d0, screen.down);
  const r1 = flat ? 0 : dot(d1, screen.right), w1 = flat ? 1 : dot(d1, screen.down);
  const straight = Math.abs(r0) + Math.abs(w1) >= Math.abs(w0) + Math.abs(r1);
  const sp = g.spacingKnown ? g.spacing : ([1, 1, 1] as Vec3);
  const axisOf = (a: 0 | 1, sign: number): ScreenAxis => ({ axis: a, n: g.shape[a], spacing: sp[a], flip: sign < 0 });
  const horizontal = straight ? axisOf(0, r0) : axisOf(1, r1);
  const vertical = straight ? axisOf(1, w1) : axisOf(0, w0);
  const ex = horizontal.n * horizontal.spacing, ey = vertical.n * vertical.spacing;
  const finest = Math.min(horizontal.spacing, vertical.spacing);
  const natural = Math.max(ex, ey) / finest;
  const side = Math.max(1, Math.min(maxSide, Math.max(Math.min(MIN_PICTURE_SIDE, maxSide), Math.round(natural))));
  const pixelSize = Math.max(ex, ey) / side;
  const width = Math.max(1, Math.round(ex / pixelSize));
  const height = Math.max(1, Math.round(ey / pixelSize));
  const along = (a: ScreenAxis, count: number) => {
    const out = new Int32Array(count);
    for (let x = 0; x < count; x++) {
      const u = Math.min(a.n - 1, Math.floor(((x + 0.5) * pixelSize) / a.spacing));
      out[x] = a.flip ? a.n - 1 - u : u;
    }
    return out;
  };
  const cols = along(horizontal, width), rows = along(vertical, height);
  const stride = (a: ScreenAxis) => (a.axis === 0 ? 1 : g.shape[0]);
  const sx = stride(horizontal), sy = stride(vertical);
  const index = new Int32Array(width * height);
  for (let y = 0, p = 0; y < height; y++) {
    const row = rows[y] * sy;
    for (let x = 0; x < width; x++, p++) index[p] = row + cols[x] * sx;
  }
  return { width, height, pixelSize, spacingKnown: g.spacingKnown, plane, horizontal, vertical, edges: flat ? null : screen.edges, index };
}

/** The pixel range [from, to) a run of voxels [a0, a1] of a screen axis covers. */
function span(a: ScreenAxis, a0: number, a1: number, pixelSize: number): [number, number] {
  const lo = a.flip ? a.n - 1 - a1 : a0;
  const hi = a.flip ? a.n - 1 - a0 : a1;
  return [(lo * a.spacing) / pixelSize, ((hi + 1) * a.spacing) / pixelSize];
}

/** A box of voxels in the slice, [i0, j0, i1, j1] inclusive, as a rectangle of output pixels. */
export function viewRect(v: SliceView, box: [number, number, number, number]): { x: number; y: number; w: number; h: number } {
  const range = (a: ScreenAxis) => (a.axis === 0 ? [box[0], box[2]] : [box[1], box[3]]);
  const [x0, x1] = span(v.horizontal, range(v.horizontal)[0], range(v.horizontal)[1], v.pixelSize);
  const [y0, y1] = span(v.vertical, range(v.vertical)[0], range(v.vertical)[1], v.pixelSize);
  return { x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
}
