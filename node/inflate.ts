/** Node's zlib as the raw deflate decoder of the readers (shared/ keeps its own for the browser). */
import { inflateRawSync } from 'node:zlib';
import { useHostInflate, type RawInflate } from '../shared/formats/gzip.js';

interface InflateInfo {
  buffer: Buffer;
  engine: { bytesWritten: number };
}

/** zlib's inflateRawSync into one buffer of the expected size (one byte more, so the end is seen without a second). */
export const nodeInflate: RawInflate = (deflate, maxBytes, expectedBytes) => {
  const opts = { info: true, maxOutputLength: Math.max(1, maxBytes), chunkSize: Math.max(64, Math.min(expectedBytes, maxBytes) + 1) };
  const { buffer, engine } = inflateRawSync(deflate, opts) as unknown as InflateInfo;
  return { out: new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.length), consumed: engine.bytesWritten };
};

/** Makes Node's zlib the decoder of every whole gzip stream this thread reads (dataset commands, their worker threads). */
export const useNodeInflate = (): void => useHostInflate(nodeInflate);
