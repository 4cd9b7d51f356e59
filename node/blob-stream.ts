/**
 * Git objects read by one long-running `git cat-file --batch`: the walk of `segqc history` asks for thousands of
 * blobs, and a process per batch would cost a spawn (and copy-on-write faults of the whole heap) each time. Requests
 * are answered in the order asked; the reader may run ahead of the consumer (`readAhead`) so git inflates while
 * the caller parses.
 */
import { spawn, spawnSync } from 'node:child_process';
import { SegqcError } from '../shared/errors.js';

/** A blob's bytes (in a buffer of its own), or why there is none ("missing", or the object's type). */
export type StreamEntry = { data: Uint8Array } | { problem: string };

/** A running `git cat-file --batch`. */
export interface BlobStream {
  /** The object named `name` (an oid, one line); rejects with a usage error when git fails. */
  read(name: string): Promise<StreamEntry>;
  /** Ends the process (pending reads still complete). */
  close(): void;
}

interface Waiting {
  name: string;
  resolve: (e: StreamEntry) => void;
  reject: (e: unknown) => void;
}

/** Starts `git cat-file --batch` in `top`. */
export function openBlobStream(top: string): BlobStream {
  const proc = spawn('git', ['cat-file', '--batch'], { cwd: top, stdio: ['pipe', 'pipe', 'pipe'] });
  const queue: Waiting[] = [];
  let failure: SegqcError | null = null;
  let stderr = '';
  let closed = false;
  let head: Buffer[] = [];
  let body: { data: Uint8Array; size: number; filled: number; type: string } | null = null;

  const fail = (detail: string) => {
    failure ??= new SegqcError('usage', `git cat-file failed: ${detail}`);
    for (const w of queue.splice(0)) w.reject(failure);
  };
  const answer = (e: StreamEntry) => {
    const w = queue.shift();
    if (!w) return fail('it answered an object nobody asked for');
    w.resolve(e);
  };
  proc.stdout.on('data', (chunk: Buffer) => {
    let off = 0;
    while (off < chunk.length) {
      if (body) {
        // The object's bytes, then one line feed.
        const take = Math.min(chunk.length - off, body.size + 1 - body.filled);
        const into = Math.min(take, body.size - body.filled);
        if (into > 0) body.data.set(chunk.subarray(off, off + into), body.filled);
        body.filled += take;
        off += take;
        if (body.filled === body.size + 1) {
          const done = body;
          body = null;
          answer(done.type === 'blob' ? { data: done.data } : { problem: `a ${done.type}, not a file` });
        }
        continue;
      }
      const eol = chunk.indexOf(0x0a, off);
      if (eol < 0) {
        head.push(chunk.subarray(off));
        break;
      }
      const line = Buffer.concat([...head, chunk.subarray(off, eol)]).toString('utf8');
      head = [];
      off = eol + 1;
      const m = /^[0-9a-f]{40,64} (\S+) (\d+)$/.exec(line);
      if (m) body = { data: new Uint8Array(Number(m[2])), size: Number(m[2]), filled: 0, type: m[1] };
      else answer({ problem: line.endsWith(' missing') ? 'missing' : line });
    }
  });
  proc.stderr.on('data', (d: Buffer) => void (stderr += d.toString()));
  proc.on('error', (e) => fail(e.message));
  proc.on('close', (code) => {
    if (queue.length > 0 || !closed) fail(stderr.trim() || `exit ${code}`);
  });
  proc.stdin.on('error', () => undefined);

  return {
    read: (name) => {
      if (failure) return Promise.reject(failure);
      if (closed || /[\n\r]/.test(name)) return Promise.reject(new SegqcError('internal', `cannot ask git cat-file for "${name}"`, {}, 'internal'));
      return new Promise<StreamEntry>((resolve, reject) => {
        queue.push({ name, resolve, reject });
        proc.stdin.write(`${name}\n`);
      });
    },
    close: () => {
      if (closed) return;
      closed = true;
      proc.stdin.end();
    },
  };
}

/** The sizes of objects by id (`git cat-file --batch-check`): undefined for one git does not have. */
export function objectSizes(top: string, oids: string[]): Map<string, number> {
  const out = new Map<string, number>();
  if (oids.length === 0) return out;
  const r = spawnSync('git', ['cat-file', '--batch-check'], { cwd: top, input: oids.join('\n') + '\n', maxBuffer: 1024 * 1024 * 1024, stdio: ['pipe', 'pipe', 'pipe'] });
  if (r.error || r.status !== 0) throw new SegqcError('usage', `git cat-file failed: ${String(r.stderr ?? '').trim() || r.error?.message || `exit ${r.status}`}`);
  for (const line of r.stdout.toString().split('\n')) {
    const m = /^([0-9a-f]{40,64}) \S+ (\d+)$/.exec(line);
    if (m) out.set(m[1], Number(m[2]));
  }
  return out;
}

/** Blobs asked for ahead of their use, in a planned order, holding at most `budget` bytes not yet taken (one blob at least). */
export interface ReadAhead {
  /** The planned read of `oid` (earlier planned reads not taken are dropped), or null when it is not planned next. */
  take(oid: string): Promise<StreamEntry> | null;
}

/** Reads `plan` from `stream` ahead of `take`, within `budget` bytes (sizes from `sizes`; an unknown size counts 0). */
export function readAhead(stream: BlobStream, plan: string[], sizes: Map<string, number>, budget: number): ReadAhead {
  const window: Array<{ oid: string; size: number; entry: Promise<StreamEntry> }> = [];
  let next = 0;
  let held = 0;
  const fill = () => {
    while (next < plan.length) {
      const size = sizes.get(plan[next]) ?? 0;
      if (window.length > 0 && held + size > budget) break;
      const entry = stream.read(plan[next]);
      entry.catch(() => undefined);
      window.push({ oid: plan[next++], size, entry });
      held += size;
    }
  };
  fill();
  return {
    take: (oid) => {
      const k = window.findIndex((w) => w.oid === oid);
      if (k < 0) return null;
      const dropped = window.splice(0, k + 1);
      for (const w of dropped) held -= w.size;
      fill();
      return dropped[k].entry;
    },
  };
}
