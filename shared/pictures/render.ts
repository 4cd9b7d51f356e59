/**
 * One slice as an RGBA raster: the image (or a neutral background) and the contours of the masks in their labels'
 * colours, solid for the head (or the first rater), dashed for the base (or the second), dotted for a neighbouring
 * slice. Boxes, letters and the scale bar are drawn by the page over the picture.
 */
import type { Segmentation } from '../model.js';
import { labelLayer } from '../model.js';
import type { SliceView } from './orientation.js';
import type { DisplayWindow } from './window.js';

export type Rgb = [number, number, number];

/** How a mask is drawn: `solid` head or first rater, `dashed` base or second rater, `ghost` a neighbouring slice. */
export type LayerStyle = 'solid' | 'dashed' | 'ghost';

/** One segmentation's labels on one slice. */
export interface RenderLayer {
  seg: Segmentation;
  k: number;
  values: number[];
  style: LayerStyle;
  colour: (value: number) => Rgb;
}

/** The image under the masks, on the masks' grid. */
export interface RenderImage {
  values: Float32Array;
  channels: 1 | 3;
  window: DisplayWindow | null;
  inverted: boolean;
}

/** The background where there is no image. */
export const NEUTRAL: Rgb = [40, 40, 44];
/** Grey levels an image is drawn with: few enough that the picture stays a palette PNG beside the label colours. */
const GREY_LEVELS = 232;
const FILL_ALPHA = 0.4;

/** One label of one layer sampled on a picture's pixels: a bit per pixel, row by row. */
export interface SampledMask {
  /** Index of its layer in the `layers` given to `sampleLayers`, and its label value there. */
  layer: number;
  value: number;
  style: LayerStyle;
  colour: Rgb;
  bits: Uint8Array;
}

/** What lies under the masks, on the picture's pixels: grey levels, or RGB triples. */
export interface Background {
  channels: 1 | 3;
  pixels: Uint8Array;
}

const bit = (bits: Uint8Array, p: number) => (bits[p >> 3] >> (p & 7)) & 1;

/** The layers' labels sampled on the picture's pixels; labels absent from the slice are left out. */
export function sampleLayers(view: SliceView, layers: RenderLayer[]): SampledMask[] {
  const out: SampledMask[] = [];
  const n = view.width * view.height;
  for (const [index, layer] of layers.entries()) {
    const [nx, ny] = layer.seg.geometry.shape;
    const offset = layer.k * nx * ny;
    for (const value of layer.values) {
      const m = labelLayer(layer.seg, value);
      if (!m) continue;
      const bits = new Uint8Array((n + 7) >> 3);
      const { data } = m;
      let any = false;
      for (let p = 0; p < n; p++) {
        if (data[offset + view.index[p]] === m.value) {
          bits[p >> 3] |= 1 << (p & 7);
          any = true;
        }
      }
      if (any) out.push({ layer: index, value, style: layer.style, colour: layer.colour(value), bits });
    }
  }
  return out;
}

/** The image's slice on the picture's pixels: windowed grey levels (few enough for a palette PNG), or RGB. */
export function sampleImage(view: SliceView, image: RenderImage): Background {
  const n = view.width * view.height;
  if (image.channels === 3) {
    const pixels = new Uint8Array(n * 3);
    for (let p = 0; p < n; p++) {
      const s = view.index[p] * 3;
      for (let c = 0; c < 3; c++) pixels[p * 3 + c] = Math.max(0, Math.min(255, Math.round(image.values[s + c])));
    }
    return { channels: 3, pixels };
  }
  const pixels = new Uint8Array(n);
  const win = image.window ?? { low: 0, high: 255 };
  const scale = (GREY_LEVELS - 1) / (win.high - win.low);
  for (let p = 0; p < n; p++) {
    const v = image.values[view.index[p]];
    let q = Number.isFinite(v) ? Math.round((v - win.low) * scale) : 0;
    q = q < 0 ? 0 : q > GREY_LEVELS - 1 ? GREY_LEVELS - 1 : q;
    if (image.inverted) q = GREY_LEVELS - 1 - q;
    pixels[p] = Math.round((q * 255) / (GREY_LEVELS - 1));
  }
  return { channels: 1, pixels };
}

/** Pixels of the mask within `t` pixels of its edge (a band `t` wide just inside the boundary). */
function edges(m: Uint8Array, w: number, h: number, t: number): Uint8Array {
  const out = new Uint8Array(w * h);
  const on = (p: number) => (m[p >> 3] >> (p & 7)) & 1;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const p = y * w + x;
      if (!on(p)) continue;
      for (let d = 1; d <= t; d++) {
        if (x < d || x >= w - d || y < d || y >= h - d || !on(p - d) || !on(p + d) || !on(p - d * w) || !on(p + d * w)) {
          out[p] = 1;
          break;
        }
      }
    }
  }
  return out;
}

const dashOn = (x: number, y: number) => (x + 2 * y) % 10 < 6;
const dotOn = (x: number, y: number) => ((x + y) & 3) === 0;

/** Draws a picture (opaque RGBA, `w` × `h`): the background (neutral without an image), then fills and contours. */
export function drawPicture(w: number, h: number, background: Background | null, masks: SampledMask[]): Uint8Array {
  const n = w * h;
  const rgba = new Uint8Array(n * 4);
  for (let p = 0; p < n; p++) {
    if (!background) {
      rgba[p * 4] = NEUTRAL[0];
      rgba[p * 4 + 1] = NEUTRAL[1];
      rgba[p * 4 + 2] = NEUTRAL[2];
    } else if (background.channels === 1) {
      rgba[p * 4] = rgba[p * 4 + 1] = rgba[p * 4 + 2] = background.pixels[p];
    } else {
      rgba[p * 4] = background.pixels[p * 3];
      rgba[p * 4 + 1] = background.pixels[p * 3 + 1];
      rgba[p * 4 + 2] = background.pixels[p * 3 + 2];
    }
    rgba[p * 4 + 3] = 255;
  }
  const put = (p: number, c: Rgb) => {
    rgba[p * 4] = c[0];
    rgba[p * 4 + 1] = c[1];
    rgba[p * 4 + 2] = c[2];
  };
  const thickness = Math.max(w, h) >= 256 ? 2 : 1;
  // Without an image, the head's (first rater's) labels are filled, blended with the background: one colour each.
  if (!background) {
    for (const { style, colour, bits } of masks) {
      if (style !== 'solid') continue;
      const fill = NEUTRAL.map((b, i) => Math.round(b + (colour[i] - b) * FILL_ALPHA)) as Rgb;
      for (let p = 0; p < n; p++) if (bit(bits, p)) put(p, fill);
    }
  }
  for (const style of ['ghost', 'dashed', 'solid'] as LayerStyle[]) {
    for (const m of masks) {
      if (m.style !== style) continue;
      const e = edges(m.bits, w, h, style === 'ghost' ? 1 : thickness);
      for (let y = 0, p = 0; y < h; y++) {
        for (let x = 0; x < w; x++, p++) {
          if (!e[p]) continue;
          if (style === 'dashed' && !dashOn(x, y)) continue;
          if (style === 'ghost' && !dotOn(x, y)) continue;
          put(p, m.colour);
        }
      }
    }
  }
  return rgba;
}

/** Renders one slice to RGBA (opaque), `view.width` × `view.height`. */
export function renderSlice(view: SliceView, image: RenderImage | null, layers: RenderLayer[]): Uint8Array {
  return drawPicture(view.width, view.height, image ? sampleImage(view, image) : null, sampleLayers(view, layers));
}
