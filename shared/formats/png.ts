/**
 * PNG label masks (2D): grey or palette-indexed pixels are label values. Pixel spacing comes from the caller (a task
 * field or segqc.yaml); without it sizes are in pixels.
 */
import { decode } from 'fast-png';
import type { Geometry, LabelInfo, ReadLimits, Segmentation, Vec3 } from '../model.js';
import { DEFAULT_LIMITS, axisGeometry } from '../model.js';
import { SegqcError } from '../errors.js';

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export const isPng = (b: Uint8Array): boolean => b.length >= 8 && SIGNATURE.every((x, i) => b[i] === x);

/** Pixel spacing as a task field gives it: [row, column] mm, or one number for both. */
export type PixelSpacing = [number, number] | number | null;

/** Parses a spacing value from task data or config: a number, a numeric string, or [row, column]; null if absent. */
export function parsePixelSpacing(v: unknown, where: string): [number, number] | null {
  if (v === undefined || v === null || v === '') return null;
  let x: unknown = v;
  if (typeof x === 'string') {
    const s = x.trim();
    try {
      x = s.startsWith('[') ? JSON.parse(s) : s.includes(',') || s.includes('\\') ? s.split(/[,\\]/).map(Number) : Number(s);
    } catch {
      x = NaN;
    }
  }
  const pair = typeof x === 'number' ? [x, x] : Array.isArray(x) && x.length === 2 ? x.map(Number) : Array.isArray(x) && x.length === 1 ? [Number(x[0]), Number(x[0])] : null;
  if (!pair || pair.some((p) => !(typeof p === 'number' && Number.isFinite(p) && p > 0))) {
    throw new SegqcError('format.unreadable', `pixel spacing ${JSON.stringify(v)} in ${where} is not a positive number or [row, column] mm`);
  }
  return [pair[0], pair[1]];
}

/** The grid of a 2D image of `width`×`height` pixels with optional [row, column] spacing. */
export function planarGeometry(width: number, height: number, spacing: [number, number] | null): Geometry {
  const s: Vec3 = spacing ? [spacing[1], spacing[0], 1] : [1, 1, 1];
  return { ...axisGeometry([width, height, 1], s), spacingKnown: spacing !== null };
}

/** Width and height from the IHDR chunk, read before any pixel is decoded. */
export function pngSize(b: Uint8Array, file: string): { width: number; height: number } {
  if (!isPng(b)) throw new SegqcError('format.unreadable', 'not a PNG file', { file });
  if (b.length < 33) throw new SegqcError('format.truncated', 'PNG ends inside its header', { file });
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return { width: v.getUint32(16), height: v.getUint32(20) };
}

const normSpacing = (s: PixelSpacing): [number, number] | null => (s === null ? null : typeof s === 'number' ? [s, s] : s);

/** Reads a PNG label mask. */
export function readPng(bytes: Uint8Array, file: string, opts: { spacing?: PixelSpacing; limits?: ReadLimits } = {}): Segmentation {
  const limits = opts.limits ?? DEFAULT_LIMITS;
  const { width, height } = pngSize(bytes, file);
  if (width * height > limits.maxVoxels) {
    throw new SegqcError('format.too_large', `header claims ${width}x${height} pixels, over the limit of ${limits.maxVoxels}`, { file });
  }
  let png: ReturnType<typeof decode>;
  try {
    png = decode(bytes);
  } catch (e) {
    const msg = (e as Error).message ?? String(e);
    throw new SegqcError(/end|eof|unexpected|truncat/i.test(msg) ? 'format.truncated' : 'format.unreadable', `PNG cannot be decoded: ${msg}`, { file });
  }
  const n = width * height;
  const ch = png.channels;
  const palette = png.palette;
  const grey = palette ? 1 : ch <= 2 ? 1 : 3;
  if (grey === 3) {
    for (let i = 0; i < n; i++) {
      const o = i * ch;
      if (png.data[o] !== png.data[o + 1] || png.data[o] !== png.data[o + 2]) {
        throw new SegqcError('format.unsupported', `is a colour image (pixel ${i % width},${Math.floor(i / width)} is not grey): store label values as grey levels or palette indices`, { file });
      }
    }
  }
  const depth = png.depth;
  const rowBits = width * ch * depth;
  const stride = Math.ceil(rowBits / 8);
  const src = png.data;
  const data = depth === 16 ? new Uint16Array(n) : new Uint8Array(n);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let v: number;
      if (depth >= 8) v = src[(y * width + x) * ch];
      else {
        const bit = x * ch * depth;
        const byte = src[y * stride + (bit >> 3)];
        v = (byte >> (8 - depth - (bit & 7))) & ((1 << depth) - 1);
      }
      data[y * width + x] = v;
    }
  }
  const present = new Set<number>();
  for (let i = 0; i < n; i++) if (data[i] !== 0) present.add(data[i]);
  const values = [...present].sort((a, b) => a - b);
  const labels: LabelInfo[] = values.map((value) => ({ value, name: null }));
  const spacing = normSpacing(opts.spacing ?? null);
  const warnings = spacing ? [] : [`${file}: no pixel spacing given; sizes are in pixels`];
  return { path: file, format: 'png', geometry: planarGeometry(width, height, spacing), layers: [{ data, values }], labels, warnings };
}
