/**
 * Label Studio brush masks: `@thi.ng/rle-pack` binary RLE over the RGBA bytes of the mask canvas. The mask is the
 * alpha channel; the editor anti-aliases stroke edges (alpha 1–254), so a pixel is foreground at alpha ≥ 128.
 * Decoding is done here, straight into one byte per pixel: rle-pack's own decoder would allocate the 4-byte RGBA
 * image first and trusts the word count in the header.
 */
import { SegqcError } from '../errors.js';

/** Alpha at or above which a brush pixel is foreground; reported in every dataset report. */
export const BRUSH_ALPHA_THRESHOLD = 128;

/** The RLE as stored in an export: an array of byte values (or the bytes themselves). */
export type BrushRle = ArrayLike<number>;

class BitReader {
  private pos = 0;
  private readonly bits: number;
  constructor(private readonly src: BrushRle, private readonly file: string) {
    this.bits = src.length * 8;
  }
  read(n: number): number {
    if (this.pos + n > this.bits) {
      throw new SegqcError('format.rle_length', `brush RLE ends early (needs bit ${this.pos + n} of ${this.bits})`, { file: this.file });
    }
    let v = 0;
    let pos = this.pos;
    let left = n;
    while (left > 0) {
      const byte = this.src[pos >>> 3] & 0xff;
      const off = pos & 7;
      const take = Math.min(8 - off, left);
      const bits = (byte >>> (8 - off - take)) & ((1 << take) - 1);
      v = v * (1 << take) + bits;
      pos += take;
      left -= take;
    }
    this.pos = pos;
    return v;
  }
}

interface RleHeader {
  words: number;
  wordSize: number;
  rleSizes: number[];
}

function readHeader(r: BitReader): RleHeader {
  const words = r.read(32);
  const wordSize = r.read(5) + 1;
  const rleSizes = [r.read(4) + 1, r.read(4) + 1, r.read(4) + 1, r.read(4) + 1];
  return { words, wordSize, rleSizes };
}

type Mask = Uint8Array | Uint16Array | Uint32Array;

/**
 * Decodes a brush RLE of a `width`×`height` image. Each pixel gets `map(alpha)`: the alpha itself by default, or a
 * label value for foreground pixels when binarizing (one pass, no RGBA buffer). The header and the values are checked
 * before `alloc` is called.
 */
function decodeInto(rle: BrushRle, width: number, height: number, file: string, threshold: number | null, fg: number, alloc: (n: number) => Mask) {
  if (!(rle instanceof Uint8Array)) {
    for (let i = 0; i < rle.length; i++) {
      const v = rle[i];
      if (!(Number.isInteger(v) && v >= 0 && v <= 255)) throw new SegqcError('format.unreadable', `brush RLE value ${i} is ${String(v)}; RLE values are integers 0 to 255`, { file });
    }
  }
  const r = new BitReader(rle, file);
  const h = readHeader(r);
  const want = width * height * 4;
  if (h.words !== want) {
    throw new SegqcError('format.rle_length', `brush RLE holds ${h.words} values, but a ${width}x${height} RGBA image needs ${want}`, { file });
  }
  if (h.wordSize !== 8) throw new SegqcError('format.unreadable', `brush RLE uses ${h.wordSize}-bit words; Label Studio writes 8-bit RGBA`, { file });
  const sizes = h.rleSizes;
  // The cheapest run (1 flag, 2 tier, s length and 8 value bits for 2^s words) bounds the words the data can hold.
  const bitsPerWord = Math.min(...sizes.map((s) => (11 + s) / 2 ** s));
  const bits = rle.length * 8 - 53;
  if (bits < want * bitsPerWord - 1e-9) {
    throw new SegqcError('format.rle_length', `brush RLE of ${rle.length} bytes is too short for the ${want} values of a ${width}x${height} RGBA image`, { file });
  }
  const mask = alloc(width * height);
  let any = false;
  for (let i = 0; i < want; ) {
    const repeat = r.read(1);
    const j = i + 1 + r.read(sizes[r.read(2)]);
    if (j > want) throw new SegqcError('format.rle_length', `brush RLE runs past the end of the ${width}x${height} image`, { file });
    if (repeat) {
      const v = r.read(8);
      const m = threshold === null ? v : v >= threshold ? fg : 0;
      if (m !== 0 && (j >> 2) > (i >> 2)) {
        mask.fill(m, i >> 2, j >> 2);
        any = true;
      }
      i = j;
    } else {
      for (; i < j; i++) {
        const v = r.read(8);
        if ((i & 3) === 3) {
          const m = threshold === null ? v : v >= threshold ? fg : 0;
          mask[i >> 2] = m;
          if (m !== 0) any = true;
        }
      }
    }
  }
  return { mask, any };
}

const bytes = (n: number): Mask => new Uint8Array(n);

/** Decodes a brush RLE of a `width`×`height` image into its alpha channel (one byte per pixel). */
export function decodeBrushAlpha(rle: BrushRle, width: number, height: number, file: string): Uint8Array {
  return decodeInto(rle, width, height, file, null, 0, bytes).mask as Uint8Array;
}

/** Decodes a brush RLE into a 0/1 mask, foreground where alpha ≥ `threshold`. */
export function decodeBrushRle(rle: BrushRle, width: number, height: number, file: string, threshold = BRUSH_ALPHA_THRESHOLD): Uint8Array {
  return decodeInto(rle, width, height, file, threshold, 1, bytes).mask as Uint8Array;
}

/** Decodes a brush RLE straight into a label layer: `value` where alpha ≥ `threshold`, else 0 (into a zeroed array from `allocate`, if given). */
export function decodeBrushLayer(
  rle: BrushRle,
  width: number,
  height: number,
  file: string,
  value: number,
  threshold = BRUSH_ALPHA_THRESHOLD,
  allocate?: (length: number, maxValue: number) => Mask,
): { data: Uint8Array | Uint16Array | Uint32Array; any: boolean } {
  const alloc = allocate ? (n: number) => allocate(n, value) : (n: number): Mask => (value <= 0xff ? new Uint8Array(n) : value <= 0xffff ? new Uint16Array(n) : new Uint32Array(n));
  const { mask, any } = decodeInto(rle, width, height, file, threshold, value, alloc);
  return { data: mask, any };
}

class BitWriter {
  private buf: Uint8Array;
  private pos = 0;
  constructor(bytes: number) {
    this.buf = new Uint8Array(Math.max(16, bytes));
  }
  write(v: number, n: number): void {
    if (this.pos + n > this.buf.length * 8) {
      const next = new Uint8Array(this.buf.length * 2 + Math.ceil(n / 8));
      next.set(this.buf);
      this.buf = next;
    }
    for (let b = n - 1; b >= 0; b--) {
      if (Math.floor(v / 2 ** b) & 1) this.buf[this.pos >>> 3] |= 0x80 >>> (this.pos & 7);
      this.pos++;
    }
  }
  bytes(): Uint8Array {
    return this.buf.slice(0, Math.ceil(this.pos / 8));
  }
}

const RLE_SIZES = [3, 4, 8, 16];

/**
 * Encodes an alpha mask as Label Studio stores a brush region (RGBA, white with the given alpha), bit for bit what
 * `@thi.ng/rle-pack`'s `encodeBinary(rgba, rgba.length)` produces.
 */
export function encodeBrushRle(alpha: Uint8Array, width: number, height: number): number[] {
  const num = width * height * 4;
  if (alpha.length !== width * height) throw new SegqcError('usage', `alpha has ${alpha.length} pixels, expected ${width}x${height}`);
  const word = (i: number) => ((i & 3) === 3 ? alpha[i >> 2] : alpha[i >> 2] === 0 ? 0 : 255);
  const out = new BitWriter(Math.ceil(num / 64) + 16);
  out.write(num, 32);
  out.write(7, 5);
  for (const s of RLE_SIZES) out.write(s - 1, 4);
  const lim = RLE_SIZES.map((x) => 1 << x);
  const tier = (m: number) => (m < lim[0] ? 0 : m < lim[1] ? 1 : m < lim[2] ? 2 : 3);
  const chunk: number[] = [];
  let val = -1;
  let tail = true;
  let n = 0;
  const writeRle = () => {
    const t = tier(n);
    out.write(1, 1);
    out.write(t, 2);
    out.write(n, RLE_SIZES[t]);
    out.write(val, 8);
    n = 0;
  };
  const writeChunk = () => {
    const m = chunk.length - 1;
    const t = tier(m);
    out.write(0, 1);
    out.write(t, 2);
    out.write(m, RLE_SIZES[t]);
    for (const x of chunk) out.write(x, 8);
    chunk.length = 0;
  };
  for (let i = 0; i < num; i++) {
    const x = word(i);
    if (val === -1) val = x;
    else if (x !== val) {
      if (n > 0) writeRle();
      else {
        chunk.push(val);
        if (chunk.length === lim[3]) writeChunk();
      }
      val = x;
    } else {
      if (chunk.length) writeChunk();
      if (++n === lim[3]) {
        n--;
        writeRle();
        tail = i < num - 1;
      }
    }
  }
  if (chunk.length) {
    chunk.push(val);
    writeChunk();
  } else if (tail) writeRle();
  return Array.from(out.bytes());
}
