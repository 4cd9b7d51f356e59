/** PNG encoding of an opaque RGBA raster: 8-bit palette when it has at most 256 colours, else 8-bit RGB. */
import { zlibSync } from 'fflate';
import { crc32 } from '../formats/crc32.js';

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  v.setUint32(8 + data.length, crc32(out, 4, 8 + data.length));
  return out;
}

/** Palette indices of each pixel, or null when the raster has more than 256 colours (alpha ignored). */
function paletteOf(rgba: Uint8Array, n: number): { indices: Uint8Array; palette: Uint8Array } | null {
  const px = new Uint32Array(rgba.buffer, rgba.byteOffset, n);
  // Open addressing on the 24-bit colour: a Map lookup per pixel would cost several times more.
  const SIZE = 1024;
  const keys = new Int32Array(SIZE).fill(-1);
  const vals = new Uint8Array(SIZE);
  const palette = new Uint8Array(256 * 3);
  const indices = new Uint8Array(n);
  let count = 0;
  let last = -1, lastIndex = 0;
  for (let p = 0; p < n; p++) {
    const c = px[p] & 0xffffff;
    if (c === last) {
      indices[p] = lastIndex;
      continue;
    }
    let h = Math.imul(c, 0x9e3779b1) >>> 22;
    while (keys[h] !== -1 && keys[h] !== c) h = (h + 1) & (SIZE - 1);
    if (keys[h] === -1) {
      if (count === 256) return null;
      keys[h] = c;
      vals[h] = count;
      palette[count * 3] = rgba[p * 4];
      palette[count * 3 + 1] = rgba[p * 4 + 1];
      palette[count * 3 + 2] = rgba[p * 4 + 2];
      count++;
    }
    last = c;
    lastIndex = indices[p] = vals[h];
  }
  return { indices, palette: palette.slice(0, count * 3) };
}

/** Scanlines with filter byte 0 (palette images compress best unfiltered). */
function unfiltered(indices: Uint8Array, width: number, height: number): Uint8Array {
  const out = new Uint8Array((width + 1) * height);
  for (let y = 0; y < height; y++) out.set(indices.subarray(y * width, (y + 1) * width), y * (width + 1) + 1);
  return out;
}

/** RGB scanlines, each with the filter (Sub, Up or Paeth) whose output has the smallest sum of absolute values. */
function filteredRgb(rgba: Uint8Array, width: number, height: number): Uint8Array {
  const stride = width * 3;
  const rows = new Uint8Array(stride * height);
  for (let p = 0, q = 0; p < width * height; p++, q += 3) {
    rows[q] = rgba[p * 4];
    rows[q + 1] = rgba[p * 4 + 1];
    rows[q + 2] = rgba[p * 4 + 2];
  }
  const out = new Uint8Array((stride + 1) * height);
  const cand = [new Uint8Array(stride), new Uint8Array(stride), new Uint8Array(stride)];
  for (let y = 0; y < height; y++) {
    const r = y * stride;
    const prev = y > 0 ? r - stride : -1;
    const score = [0, 0, 0];
    for (let i = 0; i < stride; i++) {
      const x = rows[r + i];
      const a = i >= 3 ? rows[r + i - 3] : 0;
      const b = prev >= 0 ? rows[prev + i] : 0;
      const c = i >= 3 && prev >= 0 ? rows[prev + i - 3] : 0;
      const pa = Math.abs(b - c), pb = Math.abs(a - c), pc = Math.abs(a + b - 2 * c);
      const pred = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      const s = (x - a) & 0xff, u = (x - b) & 0xff, t = (x - pred) & 0xff;
      cand[0][i] = s;
      cand[1][i] = u;
      cand[2][i] = t;
      score[0] += s < 128 ? s : 256 - s;
      score[1] += u < 128 ? u : 256 - u;
      score[2] += t < 128 ? t : 256 - t;
    }
    const best = score[0] <= score[1] && score[0] <= score[2] ? 0 : score[1] <= score[2] ? 1 : 2;
    out[y * (stride + 1)] = [1, 2, 4][best];
    out.set(cand[best], y * (stride + 1) + 1);
  }
  return out;
}

/** Encodes an RGBA raster (alpha ignored: the pictures are opaque) as a PNG file. */
export function encodePng(rgba: Uint8Array, width: number, height: number): Uint8Array {
  if (width < 1 || height < 1 || rgba.length !== width * height * 4) throw new Error(`encodePng: ${rgba.length} bytes is not a ${width}x${height} RGBA raster`);
  const aligned = rgba.byteOffset % 4 === 0 ? rgba : rgba.slice();
  const pal = paletteOf(aligned, width * height);
  const ihdr = new Uint8Array(13);
  const v = new DataView(ihdr.buffer);
  v.setUint32(0, width);
  v.setUint32(4, height);
  ihdr[8] = 8;
  ihdr[9] = pal ? 3 : 2;
  const raw = pal ? unfiltered(pal.indices, width, height) : filteredRgb(aligned, width, height);
  const parts = [
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    ...(pal ? [chunk('PLTE', pal.palette)] : []),
    chunk('IDAT', zlibSync(raw, { level: 6 })),
    chunk('IEND', new Uint8Array(0)),
  ];
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
