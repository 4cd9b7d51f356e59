/** An independent PNG writer (tests and fuzz seeds): any colour type and bit depth, Adam7 or not, any row filters. */
import { crc32, deflateSync } from 'node:zlib';

/** A PNG chunk with its CRC. */
export function pngChunk(type: string, data: Uint8Array): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'latin1'), Buffer.from(data)]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td) >>> 0);
  return Buffer.concat([len, td, crc]);
}

/** Samples per pixel of each colour type. */
export const PNG_CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

export const ADAM7 = [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]];

/**
 * The filtered scanlines (what the zlib stream holds): `samples` holds every sample of every pixel, row-major;
 * interlaced images are split into the seven Adam7 passes (PNG spec 8.2) and every row gets the filter `filterOf`
 * chooses (spec 9.2).
 */
export function pngScanlines(w: number, h: number, depth: number, colorType: number, samples: ArrayLike<number>, interlace: boolean, filterOf: (row: number) => number): Uint8Array {
  const ch = PNG_CHANNELS[colorType];
  const passes = interlace ? ADAM7 : [[0, 0, 1, 1]];
  const bytes: number[] = [];
  let rowNo = 0;
  for (const [x0, y0, dx, dy] of passes) {
    const xs: number[] = [];
    for (let x = x0; x < w; x += dx) xs.push(x);
    const ys: number[] = [];
    for (let y = y0; y < h; y += dy) ys.push(y);
    if (xs.length === 0 || ys.length === 0) continue;
    const stride = Math.ceil((xs.length * ch * depth) / 8);
    const bpp = Math.max(1, (ch * depth) / 8);
    let prev = new Array<number>(stride).fill(0);
    for (const y of ys) {
      const line = new Array<number>(stride).fill(0);
      xs.forEach((x, k) => {
        for (let c = 0; c < ch; c++) {
          const s = samples[(y * w + x) * ch + c];
          if (depth === 16) {
            line[(k * ch + c) * 2] = s >> 8;
            line[(k * ch + c) * 2 + 1] = s & 0xff;
          } else if (depth === 8) line[k * ch + c] = s;
          else {
            const bit = k * depth;
            line[bit >> 3] |= s << (8 - depth - (bit & 7));
          }
        }
      });
      const f = filterOf(rowNo++);
      bytes.push(f);
      line.forEach((x, i) => {
        const a = i >= bpp ? line[i - bpp] : 0;
        const b = prev[i];
        const c = i >= bpp ? prev[i - bpp] : 0;
        const p = a + b - c;
        const pr = Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c;
        const pred = [0, a, b, Math.floor((a + b) / 2), pr][f] ?? 0;
        bytes.push((x - pred + 256) & 0xff);
      });
      prev = line;
    }
  }
  return new Uint8Array(bytes);
}

/** IHDR data: width, height, depth, colour type, interlace. */
export function pngIhdr(w: number, h: number, depth: number, colorType: number, interlace: boolean): Uint8Array {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w >>> 0, 0);
  ihdr.writeUInt32BE(h >>> 0, 4);
  ihdr[8] = depth;
  ihdr[9] = colorType;
  ihdr[12] = interlace ? 1 : 0;
  return ihdr;
}

/** A whole PNG; the image data is split over two IDAT chunks, as encoders may. */
export function writePng(w: number, h: number, depth: number, colorType: number, samples: ArrayLike<number>, interlace: boolean, filterOf: (row: number) => number): Uint8Array {
  const parts = [Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), pngChunk('IHDR', pngIhdr(w, h, depth, colorType, interlace))];
  if (colorType === 3) parts.push(pngChunk('PLTE', new Uint8Array(3 * (1 << Math.min(depth, 8)))));
  const z = deflateSync(pngScanlines(w, h, depth, colorType, samples, interlace, filterOf));
  const cut = Math.floor(z.length / 2);
  parts.push(pngChunk('IDAT', z.subarray(0, cut)), pngChunk('IDAT', z.subarray(cut)), pngChunk('IEND', new Uint8Array(0)));
  return new Uint8Array(Buffer.concat(parts));
}
