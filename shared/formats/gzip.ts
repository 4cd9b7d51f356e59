/**
 * Bounded gunzip: a compressed file never expands past a limit, so a gzip bomb is refused, not allocated.
 *
 * The inflater (RFC 1951) is written here rather than taken from fflate's streaming `Gunzip` so that it decodes
 * straight into one output buffer (sized by the caller, who usually knows the size from a header), stops as soon as
 * the output would pass the limit, and copies long matches with `fill` / `copyWithin` instead of byte by byte:
 * label maps are mostly long runs, which is where a byte loop spends its time. Like fflate's `Gunzip` it accepts
 * concatenated members and does not check the CRC.
 */
import { SegqcError } from '../errors.js';

export const isGzip = (b: Uint8Array): boolean => b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;

/**
 * The most that `compressed` bytes of deflate data can expand to: a 258-byte match coded in two bits (1 bit length,
 * 1 bit distance) is the best deflate does, 1032 bytes per input byte.
 */
export const maxInflatedSize = (compressed: number): number => compressed * 1032 + 1032;

const LEN_BASE = new Uint16Array([3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258]);
const LEN_EXTRA = new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]);
const DIST_BASE = new Uint16Array([1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577]);
const DIST_EXTRA = new Uint8Array([0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13]);
const CL_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

/** Why decoding stopped early; mapped to typed errors by `gunzipBounded`. */
class Stop extends Error {
  constructor(readonly kind: 'truncated' | 'corrupt' | 'limit' | 'enough', message: string) {
    super(message);
  }
}

/** A decoding error; one met after reading past the input's end is reported as truncation. */
const cut = (pastEnd: boolean, message: string): Stop => (pastEnd ? new Stop('truncated', 'unexpected EOF') : new Stop('corrupt', message));

/** A Huffman decoding table: entry = (symbol << 4) | code length for every `bits`-bit lookahead; 0 = invalid code. */
interface Huffman {
  table: Int32Array;
  bits: number;
}

/** Canonical Huffman table of code lengths `lens[0 .. n)` (RFC 1951 3.2.2); refuses over-subscribed sets. */
function huffman(lens: Uint8Array, n: number): Huffman {
  const count = new Int32Array(16);
  let max = 0;
  for (let s = 0; s < n; s++) {
    const l = lens[s];
    count[l]++;
    if (l > max) max = l;
  }
  count[0] = 0;
  let left = 1;
  for (let l = 1; l <= 15; l++) {
    left = (left << 1) - count[l];
    if (left < 0) throw new Stop('corrupt', 'invalid Huffman code lengths (over-subscribed)');
  }
  const bits = max === 0 ? 1 : max;
  const table = new Int32Array(1 << bits);
  const next = new Int32Array(16);
  let code = 0;
  for (let l = 1; l <= 15; l++) {
    code = (code + count[l - 1]) << 1;
    next[l] = code;
  }
  for (let s = 0; s < n; s++) {
    const l = lens[s];
    if (l === 0) continue;
    const c = next[l]++;
    // Codes are stored most significant bit first; the stream is read least significant bit first.
    let r = 0;
    for (let b = 0; b < l; b++) r |= ((c >>> b) & 1) << (l - 1 - b);
    const entry = (s << 4) | l;
    for (let x = r; x < table.length; x += 1 << l) table[x] = entry;
  }
  return { table, bits };
}

let fixedLit: Huffman | null = null;
let fixedDist: Huffman | null = null;

function fixedTables(): [Huffman, Huffman] {
  if (fixedLit === null || fixedDist === null) {
    const l = new Uint8Array(288);
    l.fill(8, 0, 144);
    l.fill(9, 144, 256);
    l.fill(7, 256, 280);
    l.fill(8, 280, 288);
    fixedLit = huffman(l, 288);
    fixedDist = huffman(new Uint8Array(30).fill(5), 30);
  }
  return [fixedLit, fixedDist];
}

/** Decoder state: input, bit buffer and the growing output. */
class Inflater {
  pos: number;
  bitbuf = 0;
  bitcnt = 0;
  out: Uint8Array;
  op = 0;
  /** With a sink: bytes of output already handed over and dropped from `out`, and the end of what the sink used. */
  base = 0;
  fed = 0;
  constructor(
    readonly src: Uint8Array,
    start: number,
    initial: number,
    readonly max: number,
    readonly prefixOnly: boolean,
    readonly sink: ByteSink | null = null,
  ) {
    this.pos = start;
    this.out = new Uint8Array(prefixOnly ? max + 258 : Math.max(0, Math.min(initial, max)));
  }

  /**
   * Hands `out[fed .. op)` to the sink, then keeps only what it left and the last 32 KiB (matches reach that far).
   * `out` never reaches past `max` bytes of output, so passing the limit still goes through `room`.
   */
  drain(): void {
    const buf = new Uint8Array(this.out.buffer, this.out.byteOffset, this.out.buffer.byteLength - this.out.byteOffset);
    this.fed += this.sink!(buf, this.fed, this.op);
    const drop = Math.min(this.fed, Math.max(0, this.op - 32768));
    if (drop > 0) {
      buf.copyWithin(0, drop, this.op);
      this.op -= drop;
      this.fed -= drop;
      this.base += drop;
    }
    this.out = buf.subarray(0, Math.min(buf.length, this.max - this.base));
  }

  /**
   * Makes room for `n` more output bytes: grows the buffer up to `max`, else stops. With `prefixOnly` the buffer is
   * `max` plus one longest match, so stopping here means at least `max` bytes are out. With a sink, what it used is
   * dropped first.
   */
  room(n: number): void {
    if (this.op + n <= this.out.length) return;
    if (this.sink) {
      this.drain();
      if (this.base + this.op + n > this.max) throw new Stop('limit', '');
      if (this.op + n <= this.out.length) return;
    }
    const need = this.op + n;
    if (this.prefixOnly) throw new Stop('enough', '');
    if (this.base + need > this.max) throw new Stop('limit', '');
    const grown = new Uint8Array(Math.min(this.max - this.base, Math.max(need, this.out.length * 2, 1 << 16)));
    grown.set(this.out.subarray(0, this.op));
    this.out = grown;
  }

  /** Ensures at least `n` (≤ 24) bits in the buffer; past the input's end, zero bits are supplied and counted. */
  need(n: number): void {
    while (this.bitcnt < n) {
      const p = this.pos++;
      this.bitbuf |= (p < this.src.length ? this.src[p] : 0) << this.bitcnt;
      this.bitcnt += 8;
    }
  }

  /** Consumes `n` bits (after `need`) and returns them. */
  take(n: number): number {
    const v = this.bitbuf & ((1 << n) - 1);
    this.bitbuf >>>= n;
    this.bitcnt -= n;
    return v;
  }

  /** Fails when more bits were consumed than the input holds. */
  checkEnd(): void {
    if (this.pos > this.src.length && (this.pos - this.src.length) * 8 > this.bitcnt) throw new Stop('truncated', 'unexpected EOF');
  }

  decodeSym(h: Huffman): number {
    this.need(h.bits);
    const e = h.table[this.bitbuf & ((1 << h.bits) - 1)];
    if (e === 0) throw cut(this.pos > this.src.length, 'invalid Huffman code');
    const l = e & 15;
    this.bitbuf >>>= l;
    this.bitcnt -= l;
    return e >> 4;
  }

  /** Inflates one deflate stream from the current position; leaves `pos` at the byte after it. */
  inflate(): void {
    for (;;) {
      this.need(3);
      const final = this.take(1);
      const type = this.take(2);
      if (type === 0) this.stored();
      else if (type === 1) {
        const [l, d] = fixedTables();
        this.codes(l, d);
      } else if (type === 2) {
        const [l, d] = this.dynamic();
        this.codes(l, d);
      } else throw new Stop('corrupt', 'invalid block type');
      this.checkEnd();
      if (final) break;
    }
    // Give back whole unread bytes of the bit buffer.
    const back = this.bitcnt >> 3;
    this.pos -= back;
    this.bitbuf = 0;
    this.bitcnt = 0;
    if (this.pos > this.src.length) throw new Stop('truncated', 'unexpected EOF');
  }

  stored(): void {
    // Skip to a byte boundary, return the buffered whole bytes.
    this.take(this.bitcnt & 7);
    this.pos -= this.bitcnt >> 3;
    this.bitbuf = 0;
    this.bitcnt = 0;
    const s = this.src;
    const p = this.pos;
    if (p + 4 > s.length) throw new Stop('truncated', 'unexpected EOF in a stored block');
    const len = s[p] | (s[p + 1] << 8);
    const nlen = s[p + 2] | (s[p + 3] << 8);
    if ((len ^ 0xffff) !== nlen) throw new Stop('corrupt', 'invalid stored block length');
    const from = p + 4;
    const avail = Math.min(len, s.length - from);
    if (this.prefixOnly) {
      const fit = Math.min(avail, this.out.length - this.op);
      this.out.set(s.subarray(from, from + fit), this.op);
      this.op += fit;
      if (this.op >= this.max) throw new Stop('enough', '');
      if (avail < len) throw new Stop('truncated', 'unexpected EOF in a stored block');
    } else {
      if (avail < len) throw new Stop('truncated', 'unexpected EOF in a stored block');
      this.room(len);
      this.out.set(s.subarray(from, from + len), this.op);
      this.op += len;
    }
    this.pos = from + len;
  }

  dynamic(): [Huffman, Huffman] {
    this.need(14);
    const hlit = this.take(5) + 257;
    const hdist = this.take(5) + 1;
    const hclen = this.take(4) + 4;
    if (hlit > 286 || hdist > 30) throw new Stop('corrupt', 'invalid dynamic block header');
    const cl = new Uint8Array(19);
    for (let i = 0; i < hclen; i++) {
      this.need(3);
      cl[CL_ORDER[i]] = this.take(3);
    }
    const clh = huffman(cl, 19);
    const lens = new Uint8Array(hlit + hdist);
    for (let i = 0; i < hlit + hdist; ) {
      const sym = this.decodeSym(clh);
      if (sym < 16) {
        lens[i++] = sym;
        continue;
      }
      let rep: number, val = 0;
      if (sym === 16) {
        if (i === 0) throw cut(this.pos > this.src.length, 'repeat of no code length');
        this.need(2);
        rep = 3 + this.take(2);
        val = lens[i - 1];
      } else if (sym === 17) {
        this.need(3);
        rep = 3 + this.take(3);
      } else {
        this.need(7);
        rep = 11 + this.take(7);
      }
      if (i + rep > hlit + hdist) throw cut(this.pos > this.src.length, 'too many code lengths');
      lens.fill(val, i, i + rep);
      i += rep;
    }
    this.checkEnd();
    if (lens[256] === 0) throw new Stop('corrupt', 'no end-of-block code');
    return [huffman(lens.subarray(0, hlit), hlit), huffman(lens.subarray(hlit), hdist)];
  }

  codes(lit: Huffman, dist: Huffman): void {
    const lt = lit.table, lb = lit.bits, lm = (1 << lb) - 1;
    const dt = dist.table, db = dist.bits, dm = (1 << db) - 1;
    const src = this.src, sl = src.length;
    let out = this.out;
    let op = this.op;
    let bitbuf = this.bitbuf, bitcnt = this.bitcnt, pos = this.pos;
    for (;;) {
      // Past the input's end only zero bits are supplied: consuming one of them means the data is cut.
      if (pos > sl && (pos - sl) * 8 > bitcnt) throw new Stop('truncated', 'unexpected EOF');
      while (bitcnt < lb) {
        bitbuf |= (pos < sl ? src[pos] : 0) << bitcnt;
        pos++;
        bitcnt += 8;
      }
      const e = lt[bitbuf & lm];
      if (e === 0) throw cut(pos > sl, 'invalid literal/length code');
      const l = e & 15;
      bitbuf >>>= l;
      bitcnt -= l;
      const sym = e >> 4;
      if (sym < 256) {
        if (op >= out.length) {
          if (pos > sl && (pos - sl) * 8 > bitcnt) throw new Stop('truncated', 'unexpected EOF');
          this.op = op;
          this.room(1);
          out = this.out;
          op = this.op;
        }
        out[op++] = sym;
        continue;
      }
      if (sym === 256) break;
      const li = sym - 257;
      if (li >= 29) throw cut(pos > sl, 'invalid length code');
      let len = LEN_BASE[li];
      const le = LEN_EXTRA[li];
      if (le > 0) {
        while (bitcnt < le) {
          bitbuf |= (pos < sl ? src[pos] : 0) << bitcnt;
          pos++;
          bitcnt += 8;
        }
        len += bitbuf & ((1 << le) - 1);
        bitbuf >>>= le;
        bitcnt -= le;
      }
      while (bitcnt < db) {
        bitbuf |= (pos < sl ? src[pos] : 0) << bitcnt;
        pos++;
        bitcnt += 8;
      }
      const de = dt[bitbuf & dm];
      if (de === 0) throw cut(pos > sl, 'invalid distance code');
      const dl = de & 15;
      bitbuf >>>= dl;
      bitcnt -= dl;
      const ds = de >> 4;
      if (ds >= 30) throw cut(pos > sl, 'invalid distance code');
      let d = DIST_BASE[ds];
      const dx = DIST_EXTRA[ds];
      if (dx > 0) {
        while (bitcnt < dx) {
          bitbuf |= (pos < sl ? src[pos] : 0) << bitcnt;
          pos++;
          bitcnt += 8;
        }
        d += bitbuf & ((1 << dx) - 1);
        bitbuf >>>= dx;
        bitcnt -= dx;
      }
      if (d > op) throw cut(pos > sl, 'distance too far back');
      if (op + len > out.length) {
        if (pos > sl && (pos - sl) * 8 > bitcnt) throw new Stop('truncated', 'unexpected EOF');
        this.op = op;
        this.room(len);
        out = this.out;
        op = this.op;
      }
      if (len < 24) {
        for (let e2 = op + len; op < e2; op++) out[op] = out[op - d];
      } else if (d === 1) {
        out.fill(out[op - 1], op, op + len);
        op += len;
      } else if (d >= len) {
        out.copyWithin(op, op - d, op - d + len);
        op += len;
      } else {
        // Overlapping copy of a period-d pattern: copy in growing blocks.
        let done = 0;
        while (done < len) {
          const n = Math.min(len - done, d + done);
          out.copyWithin(op + done, op - d, op - d + n);
          done += n;
        }
        op += len;
      }
    }
    this.op = op;
    this.bitbuf = bitbuf;
    this.bitcnt = bitcnt;
    this.pos = pos;
  }
}

/** Offset of the deflate data after a gzip member header at `p` (RFC 1952). */
function memberStart(b: Uint8Array, p: number): number {
  if (p + 10 > b.length) throw new Stop('truncated', 'gzip header ends early (unexpected EOF)');
  if (b[p] !== 0x1f || b[p + 1] !== 0x8b || b[p + 2] !== 8) throw new Stop('corrupt', 'invalid gzip data');
  const flg = b[p + 3];
  let s = p + 10;
  if (flg & 4) {
    if (s + 2 > b.length) throw new Stop('truncated', 'gzip header ends early (unexpected EOF)');
    s += 2 + (b[s] | (b[s + 1] << 8));
  }
  for (let z = ((flg >> 3) & 1) + ((flg >> 4) & 1); z > 0; z--) {
    while (s < b.length && b[s] !== 0) s++;
    s++;
  }
  if (flg & 2) s += 2;
  if (s > b.length) throw new Stop('truncated', 'gzip header ends early (unexpected EOF)');
  return s;
}

/**
 * A host's raw deflate (RFC 1951) decoder, such as Node's zlib: inflates one stream from the start of `deflate` into
 * at most `maxBytes`, sized for `expectedBytes`; returns the output and the input bytes the stream used, and throws on
 * anything it does not decode. The browser has none and uses the inflater above.
 */
export type RawInflate = (deflate: Uint8Array, maxBytes: number, expectedBytes: number) => { out: Uint8Array; consumed: number };

let hostInflate: RawInflate | undefined;

/**
 * Installs the host's raw deflate decoder (Node's zlib: the CLI and the Action do, in every thread) for the gzip streams
 * read whole when the caller names none; results and errors stay those of the inflater above. The browser has none.
 */
export function useHostInflate(inflate: RawInflate | undefined): void {
  hostInflate = inflate;
}

/**
 * A gzip file of one member through `inflate`, or null whenever the inflater above might answer otherwise (several
 * members, data after the trailer, any error): the caller then decodes with the inflater above, so results and
 * errors are the same with or without a host decoder.
 */
function oneMemberWith(inflate: RawInflate, bytes: Uint8Array, maxBytes: number, expectedBytes: number): Uint8Array | null {
  try {
    const s = memberStart(bytes, 0);
    const { out, consumed } = inflate(bytes.subarray(s), maxBytes, expectedBytes);
    // After the 8-byte trailer, fewer than 4 bytes are ignored and more start another member: see gunzipBounded.
    const rest = bytes.length - s - consumed;
    return rest >= 0 && rest < 12 && out.length <= maxBytes ? out : null;
  } catch {
    return null;
  }
}

/**
 * Decompresses at most `maxBytes` of a gzip stream. With `prefixOnly`, stops quietly once `maxBytes` are out
 * (to read a header); otherwise more output than `maxBytes` is a `format.too_large` error. `expectedBytes` (e.g. from
 * a header) sizes the output buffer up front, so the data is written once and returned without a copy. `inflate`, a host's
 * decoder, is used for the whole stream when it gives the same answer.
 */
export function gunzipBounded(bytes: Uint8Array, file: string, maxBytes: number, prefixOnly = false, expectedBytes?: number, inflate: RawInflate | undefined = hostInflate): Uint8Array {
  if (!(Number.isSafeInteger(maxBytes) && maxBytes >= 0)) throw new SegqcError('format.too_large', `cannot be decompressed into ${maxBytes} bytes`, { file });
  // Never allocate more than the data could possibly expand to, whatever a header claims.
  const cap = Math.min(maxBytes, maxInflatedSize(bytes.length));
  const wanted = expectedBytes !== undefined && Number.isSafeInteger(expectedBytes) && expectedBytes >= 0 ? expectedBytes : Math.max(1 << 16, bytes.length * 4);
  const initial = Math.min(cap, wanted);
  if (inflate && !prefixOnly) {
    const out = oneMemberWith(inflate, bytes, maxBytes, initial);
    if (out) return out;
  }
  const z = new Inflater(bytes, 0, initial, maxBytes, prefixOnly);
  try {
    inflateMembers(z, bytes);
  } catch (e) {
    if (!(e instanceof Stop)) throw e;
    if (e.kind === 'enough') return z.out.subarray(0, maxBytes);
    if (prefixOnly && z.op > 0 && e.kind !== 'limit') return z.out.subarray(0, Math.min(z.op, maxBytes));
    throw gzipError(e, file, maxBytes);
  }
  return z.out.subarray(0, prefixOnly ? Math.min(z.op, maxBytes) : z.op);
}

/** Inflates the gzip members of `bytes` one after the other. */
function inflateMembers(z: Inflater, bytes: Uint8Array): void {
  let p = 0;
  for (;;) {
    z.pos = memberStart(bytes, p);
    z.inflate();
    // CRC32 and ISIZE; a further member may follow (fewer than 4 trailing bytes are ignored, as fflate does).
    p = z.pos + 8;
    if (p + 4 > bytes.length) break;
  }
}

/** The typed error of a gzip stream that stopped early. */
function gzipError(e: Stop, file: string, maxBytes: number): SegqcError {
  if (e.kind === 'limit') return new SegqcError('format.too_large', `decompresses to more than ${maxBytes} bytes, the limit for this file`, { file });
  if (e.kind === 'truncated') return new SegqcError('format.truncated', `gzip data is truncated: ${e.message}`, { file });
  return new SegqcError('format.unreadable', `gzip data is corrupt: ${e.message}`, { file });
}

/**
 * Takes decompressed bytes as they come: `buf[from .. to)` are new, and it returns how many of them it used; the
 * rest are offered again, with more after them. `buf` is reused, so the sink keeps no view of it.
 */
export type ByteSink = (buf: Uint8Array, from: number, to: number) => number;

/**
 * Decompresses a gzip stream through `sink`, holding only a window of the output (`gunzipBounded`'s limit and
 * errors); returns the number of bytes decompressed. For data that is read once, in order, such as voxels into runs.
 */
export function gunzipTo(bytes: Uint8Array, file: string, maxBytes: number, sink: ByteSink, window = 1 << 18): number {
  if (!(Number.isSafeInteger(maxBytes) && maxBytes >= 0)) throw new SegqcError('format.too_large', `cannot be decompressed into ${maxBytes} bytes`, { file });
  const z = new Inflater(bytes, 0, Math.min(window, maxBytes), maxBytes, false, sink);
  try {
    inflateMembers(z, bytes);
  } catch (e) {
    if (!(e instanceof Stop)) throw e;
    throw gzipError(e, file, maxBytes);
  }
  z.drain();
  return z.base + z.op;
}

/**
 * Inflates a zlib stream (RFC 1950) that must hold exactly `size` bytes, as a PNG's image data does: more is an
 * error, less is truncation. `what` names the data in messages. Nothing is allocated past what `src` can expand to.
 */
export function inflateZlibExact(src: Uint8Array, file: string, size: number, what: string): Uint8Array {
  if (src.length < 2) throw new SegqcError('format.truncated', `${what} is empty`, { file });
  const cmf = src[0], flg = src[1];
  if ((cmf & 15) !== 8 || cmf >> 4 > 7 || ((cmf << 8) | flg) % 31 !== 0 || flg & 0x20) throw new SegqcError('format.unreadable', `${what} is not a zlib stream`, { file });
  if (size > maxInflatedSize(src.length)) throw new SegqcError('format.truncated', `${what} is ${src.length} bytes: too short to hold the ${size} bytes its header needs`, { file });
  const z = new Inflater(src, 2, size, size, false);
  try {
    z.inflate();
  } catch (e) {
    if (!(e instanceof Stop)) throw e;
    if (e.kind === 'limit') throw new SegqcError('format.unreadable', `${what} holds more than the ${size} bytes its header needs`, { file });
    if (e.kind === 'truncated') throw new SegqcError('format.truncated', `${what} is truncated: ${e.message}`, { file });
    throw new SegqcError('format.unreadable', `${what} is corrupt: ${e.message}`, { file });
  }
  if (z.op < size) throw new SegqcError('format.truncated', `${what} ends after ${z.op} of the ${size} bytes its header needs`, { file });
  return z.out.subarray(0, size);
}
