/**
 * PNG label masks (2D): grey or palette-indexed pixels are label values. Pixel spacing comes from the caller (a task
 * field or segqc.yaml); without it sizes are in pixels.
 */
import type { Geometry, LabelInfo, ReadLimits, Segmentation, Vec3 } from '../model.js';
import { DEFAULT_LIMITS, axisGeometry } from '../model.js';
import { SegqcError } from '../errors.js';
import { inflateZlibExact } from './gzip.js';
import { crc32 } from './crc32.js';

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export const isPng = (b: Uint8Array): boolean => b.length >= 8 && SIGNATURE.every((x, i) => b[i] === x);

/** Pixel spacing as a task field gives it: [row, column] mm, or one number for both. */
export type PixelSpacing = [number, number] | number | null;

/** A task-data value for a message: short, and never converted in a way that can recurse (nested arrays). */
function brief(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}…` : v);
  if (Array.isArray(v)) return `[${v.slice(0, 4).map((x) => (typeof x === 'number' || typeof x === 'string' ? brief(x) : Array.isArray(x) ? 'an array' : typeof x)).join(', ')}${v.length > 4 ? ', …' : ''}]`;
  return typeof v === 'number' || typeof v === 'boolean' || v === null ? String(v) : typeof v;
}

/** Parses a spacing value from task data or config: a number, a numeric string, or [row, column]; null if absent. */
export function parsePixelSpacing(v: unknown, where: string): [number, number] | null {
  if (v === undefined || v === null || v === '') return null;
  let x: unknown = v;
  if (typeof x === 'string') {
    const s = x.trim();
    try {
      x = s.startsWith('[') ? JSON.parse(s) : s.includes(',') || s.includes('\\') ? s.split(/[,\\]/) : s;
    } catch {
      x = NaN;
    }
  }
  const num = (p: unknown): number => (typeof p === 'number' ? p : typeof p === 'string' && p.trim() !== '' ? Number(p) : NaN);
  const pair = Array.isArray(x) ? (x.length === 2 ? [num(x[0]), num(x[1])] : x.length === 1 ? [num(x[0]), num(x[0])] : null) : [num(x), num(x)];
  if (!pair || pair.some((p) => !(Number.isFinite(p) && p > 0))) {
    throw new SegqcError('format.unreadable', `pixel spacing ${brief(v)} in ${where} is not a positive number or [row, column] mm`);
  }
  return [pair[0], pair[1]];
}

/** The grid of a 2D image of `width`×`height` pixels with optional [row, column] spacing. */
export function planarGeometry(width: number, height: number, spacing: [number, number] | null): Geometry {
  const s: Vec3 = spacing ? [spacing[1], spacing[0], 1] : [1, 1, 1];
  return { ...axisGeometry([width, height, 1], s), spacingKnown: spacing !== null };
}

/** The IHDR chunk of a PNG. */
interface PngHeader {
  width: number;
  height: number;
  depth: number;
  colorType: number;
  interlaced: boolean;
}

/** Bit depths each colour type allows (PNG spec 11.2.2) and its samples per pixel. */
const COLOR_TYPES: Record<number, { depths: number[]; channels: number }> = {
  0: { depths: [1, 2, 4, 8, 16], channels: 1 },
  2: { depths: [8, 16], channels: 3 },
  3: { depths: [1, 2, 4, 8], channels: 1 },
  4: { depths: [8, 16], channels: 2 },
  6: { depths: [8, 16], channels: 4 },
};

const MAX_DIMENSION = 2 ** 31 - 1;

/** Reads and checks the IHDR chunk: dimensions 1 to 2^31 − 1 (PNG spec 11.2.2), before any pixel is decoded. */
function pngHeader(b: Uint8Array, file: string): PngHeader {
  if (!isPng(b)) throw new SegqcError('format.unreadable', 'not a PNG file', { file });
  if (b.length < 33) throw new SegqcError('format.truncated', 'PNG ends inside its header', { file });
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (v.getUint32(8) !== 13 || String.fromCharCode(b[12], b[13], b[14], b[15]) !== 'IHDR') throw new SegqcError('format.unreadable', 'PNG does not start with its IHDR chunk', { file });
  const width = v.getUint32(16);
  const height = v.getUint32(20);
  if (width < 1 || height < 1 || width > MAX_DIMENSION || height > MAX_DIMENSION) {
    throw new SegqcError('format.unreadable', `PNG header says ${width}x${height} pixels; width and height must be 1 to ${MAX_DIMENSION}`, { file });
  }
  return { width, height, depth: b[24], colorType: b[25], interlaced: b[28] === 1 };
}

/** Width and height from the IHDR chunk, read and checked before any pixel is decoded. */
export function pngSize(b: Uint8Array, file: string): { width: number; height: number } {
  const { width, height } = pngHeader(b, file);
  return { width, height };
}

const normSpacing = (s: PixelSpacing): [number, number] | null => (s === null ? null : typeof s === 'number' ? [s, s] : s);

/** The concatenated IDAT data; every chunk's CRC is checked, so a damaged file is refused, not misread. */
function imageData(b: Uint8Array, file: string): Uint8Array {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const parts: Array<[number, number]> = [];
  let total = 0;
  let p = 8;
  let ended = false;
  while (p < b.length) {
    if (p + 12 > b.length) throw new SegqcError('format.truncated', `PNG ends inside the chunk at byte ${p}`, { file });
    const len = v.getUint32(p);
    const type = String.fromCharCode(b[p + 4], b[p + 5], b[p + 6], b[p + 7]);
    if (len > b.length - p - 12) throw new SegqcError('format.truncated', `PNG ends inside its ${JSON.stringify(type)} chunk (${len} bytes at byte ${p})`, { file });
    if (crc32(b, p + 4, p + 8 + len) !== v.getUint32(p + 8 + len)) {
      throw new SegqcError('format.unreadable', `PNG chunk ${JSON.stringify(type)} at byte ${p} is damaged (its CRC does not match)`, { file });
    }
    if (type === 'IDAT') {
      parts.push([p + 8, len]);
      total += len;
    } else if (type === 'IEND') {
      ended = true;
      break;
    }
    p += 12 + len;
  }
  if (parts.length === 0) throw new SegqcError(ended ? 'format.unreadable' : 'format.truncated', 'PNG has no image data (IDAT chunk)', { file });
  if (parts.length === 1) return b.subarray(parts[0][0], parts[0][0] + parts[0][1]);
  const out = new Uint8Array(total);
  let o = 0;
  for (const [at, len] of parts) {
    out.set(b.subarray(at, at + len), o);
    o += len;
  }
  return out;
}

/** Adam7 passes: first column, first row, column step, row step (PNG spec 8.2). */
const ADAM7: Array<[number, number, number, number]> = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
];

/** The reduced images of an interlaced PNG (or the one image): where each starts and its size. */
function passesOf(h: PngHeader, bitsPerPixel: number): Array<{ x0: number; y0: number; dx: number; dy: number; w: number; rows: number; stride: number }> {
  const list = h.interlaced ? ADAM7 : [[0, 0, 1, 1] as [number, number, number, number]];
  return list
    .map(([x0, y0, dx, dy]) => {
      const w = h.width > x0 ? Math.ceil((h.width - x0) / dx) : 0;
      const rows = h.height > y0 ? Math.ceil((h.height - y0) / dy) : 0;
      return { x0, y0, dx, dy, w, rows, stride: Math.ceil((w * bitsPerPixel) / 8) };
    })
    .filter((q) => q.w > 0 && q.rows > 0);
}

/** Undoes the row filters of one reduced image in place (PNG spec 9); `bpp` is bytes per complete pixel, at least 1. */
function unfilter(raw: Uint8Array, at: number, rows: number, stride: number, bpp: number, file: string): void {
  for (let y = 0; y < rows; y++) {
    const f = at + y * (stride + 1);
    const type = raw[f];
    const row = f + 1;
    const prev = y > 0 ? row - stride - 1 : -1;
    if (type === 0) continue;
    if (type === 1) {
      for (let i = bpp; i < stride; i++) raw[row + i] = (raw[row + i] + raw[row + i - bpp]) & 0xff;
    } else if (type === 2) {
      if (prev >= 0) for (let i = 0; i < stride; i++) raw[row + i] = (raw[row + i] + raw[prev + i]) & 0xff;
    } else if (type === 3) {
      for (let i = 0; i < stride; i++) {
        const a = i >= bpp ? raw[row + i - bpp] : 0;
        const b = prev >= 0 ? raw[prev + i] : 0;
        raw[row + i] = (raw[row + i] + ((a + b) >> 1)) & 0xff;
      }
    } else if (type === 4) {
      for (let i = 0; i < stride; i++) {
        const a = i >= bpp ? raw[row + i - bpp] : 0;
        const b = prev >= 0 ? raw[prev + i] : 0;
        const c = i >= bpp && prev >= 0 ? raw[prev + i - bpp] : 0;
        const pa = Math.abs(b - c), pb = Math.abs(a - c), pc = Math.abs(a + b - 2 * c);
        raw[row + i] = (raw[row + i] + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c)) & 0xff;
      }
    } else throw new SegqcError('format.unreadable', `PNG row ${y} has filter type ${type}; PNG defines 0 to 4`, { file });
  }
}

/**
 * Reads a PNG label mask: grey levels or palette indices are label values (colour pixels must be grey). Decoded here,
 * interlaced or not, at every bit depth: the header is checked and the image data inflated into a buffer of exactly
 * the size the header implies.
 */
export function readPng(bytes: Uint8Array, file: string, opts: { spacing?: PixelSpacing; limits?: ReadLimits } = {}): Segmentation {
  const limits = opts.limits ?? DEFAULT_LIMITS;
  const h = pngHeader(bytes, file);
  const { width, height, depth } = h;
  if (width * height > limits.maxVoxels) {
    throw new SegqcError('format.too_large', `header claims ${width}x${height} pixels, over the limit of ${limits.maxVoxels}`, { file });
  }
  const ct = COLOR_TYPES[h.colorType];
  if (!ct) throw new SegqcError('format.unreadable', `PNG colour type ${h.colorType} does not exist (0, 2, 3, 4 or 6)`, { file });
  if (!ct.depths.includes(depth)) throw new SegqcError('format.unreadable', `PNG colour type ${h.colorType} cannot have bit depth ${depth} (${ct.depths.join(', ')})`, { file });
  if (bytes[26] !== 0 || bytes[27] !== 0 || bytes[28] > 1) {
    throw new SegqcError('format.unreadable', `PNG header has compression ${bytes[26]}, filter ${bytes[27]}, interlace ${bytes[28]}; PNG defines 0, 0 and 0 or 1`, { file });
  }
  const ch = ct.channels;
  const bitsPerPixel = ch * depth;
  const bpp = Math.max(1, bitsPerPixel >> 3);
  const passes = passesOf(h, bitsPerPixel);
  const size = passes.reduce((s, q) => s + q.rows * (q.stride + 1), 0);
  const raw = inflateZlibExact(imageData(bytes, file), file, size, 'PNG image data');
  const n = width * height;
  const data = depth === 16 ? new Uint16Array(n) : new Uint8Array(n);
  const mask = (1 << depth) - 1;
  let at = 0;
  for (const q of passes) {
    unfilter(raw, at, q.rows, q.stride, bpp, file);
    for (let r = 0; r < q.rows; r++) {
      const row = at + r * (q.stride + 1) + 1;
      const y = q.y0 + r * q.dy;
      const base = y * width + q.x0;
      if (depth < 8) {
        for (let c = 0; c < q.w; c++) {
          const bit = c * depth;
          data[base + c * q.dx] = (raw[row + (bit >> 3)] >> (8 - depth - (bit & 7))) & mask;
        }
      } else if (depth === 8) {
        if (ch === 1 && q.dx === 1) data.set(raw.subarray(row, row + q.w), base);
        else for (let c = 0, o = row; c < q.w; c++, o += ch) data[base + c * q.dx] = raw[o];
      } else for (let c = 0, o = row; c < q.w; c++, o += 2 * ch) data[base + c * q.dx] = (raw[o] << 8) | raw[o + 1];
      if (ch >= 3) {
        const step = (depth >> 3) * ch;
        for (let c = 0, o = row; c < q.w; c++, o += step) {
          const same = depth === 8 ? raw[o + 1] === raw[o] && raw[o + 2] === raw[o] : raw[o + 2] === raw[o] && raw[o + 3] === raw[o + 1] && raw[o + 4] === raw[o] && raw[o + 5] === raw[o + 1];
          if (!same) {
            const x = q.x0 + c * q.dx;
            throw new SegqcError('format.unsupported', `is a colour image (pixel ${x},${y} is not grey): store label values as grey levels or palette indices`, { file });
          }
        }
      }
    }
    at += q.rows * (q.stride + 1);
  }
  const seen = new Uint8Array(depth === 16 ? 65536 : 256);
  for (let i = 0; i < n; i++) seen[data[i]] = 1;
  const values: number[] = [];
  for (let v = 1; v < seen.length; v++) if (seen[v]) values.push(v);
  const labels: LabelInfo[] = values.map((value) => ({ value, name: null }));
  const spacing = normSpacing(opts.spacing ?? null);
  const warnings = spacing ? [] : [`${file}: no pixel spacing given; sizes are in pixels`];
  return { path: file, format: 'png', geometry: planarGeometry(width, height, spacing), layers: [{ data, values }], labels, warnings };
}

/** A PNG image for display: grey values (any bit depth) or 8-bit RGB, alpha dropped. */
export interface PngImage {
  width: number;
  height: number;
  /** 1: grey, `samples` as stored (0 to 2^depth − 1); 3: RGB, 0 to 255. */
  channels: 1 | 3;
  samples: Float32Array;
}

/** The PLTE entries of a palette image, as RGB triples. */
function paletteOf(b: Uint8Array, file: string): Uint8Array {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (let p = 8; p + 12 <= b.length; ) {
    const len = v.getUint32(p);
    const type = String.fromCharCode(b[p + 4], b[p + 5], b[p + 6], b[p + 7]);
    if (type === 'PLTE') return b.subarray(p + 8, Math.min(b.length, p + 8 + len));
    if (type === 'IDAT' || type === 'IEND') break;
    p += 12 + len;
  }
  throw new SegqcError('format.unreadable', 'palette PNG without a PLTE chunk', { file });
}

/** Reads a PNG image (grey, grey+alpha, RGB, RGBA or palette; any bit depth; interlaced or not) for display. */
export function readPngImage(bytes: Uint8Array, file: string, limits: ReadLimits = DEFAULT_LIMITS): PngImage {
  const h = pngHeader(bytes, file);
  const { width, height, depth } = h;
  if (width * height > limits.maxVoxels) throw new SegqcError('format.too_large', `header claims ${width}x${height} pixels, over the limit of ${limits.maxVoxels}`, { file });
  const ct = COLOR_TYPES[h.colorType];
  if (!ct || !ct.depths.includes(depth)) throw new SegqcError('format.unreadable', `PNG colour type ${h.colorType} with bit depth ${depth} does not exist`, { file });
  const ch = ct.channels;
  const bitsPerPixel = ch * depth;
  const passes = passesOf(h, bitsPerPixel);
  const raw = inflateZlibExact(imageData(bytes, file), file, passes.reduce((s, q) => s + q.rows * (q.stride + 1), 0), 'PNG image data');
  const palette = h.colorType === 3 ? paletteOf(bytes, file) : null;
  const colour = h.colorType === 2 || h.colorType === 6 || palette !== null;
  const out = new Float32Array(width * height * (colour ? 3 : 1));
  const mask = (1 << depth) - 1;
  let at = 0;
  for (const q of passes) {
    unfilter(raw, at, q.rows, q.stride, Math.max(1, bitsPerPixel >> 3), file);
    for (let r = 0; r < q.rows; r++) {
      const row = at + r * (q.stride + 1) + 1;
      const y = q.y0 + r * q.dy;
      for (let c = 0; c < q.w; c++) {
        const p = y * width + q.x0 + c * q.dx;
        const sample = (s: number) => {
          if (depth < 8) {
            const bit = c * depth;
            return (raw[row + (bit >> 3)] >> (8 - depth - (bit & 7))) & mask;
          }
          const o = row + (c * ch + s) * (depth >> 3);
          return depth === 8 ? raw[o] : (raw[o] << 8) | raw[o + 1];
        };
        if (palette) {
          const e = sample(0) * 3;
          for (let s = 0; s < 3; s++) out[p * 3 + s] = palette[e + s] ?? 0;
        } else if (colour) {
          for (let s = 0; s < 3; s++) out[p * 3 + s] = depth === 16 ? sample(s) / 257 : sample(s);
        } else out[p] = sample(0);
      }
    }
    at += q.rows * (q.stride + 1);
  }
  return { width, height, channels: colour ? 3 : 1, samples: out };
}
