/**
 * Which tasks, and which annotations of them, an edit of a Label Studio export changed. An export is cut into its
 * tasks' JSON texts without parsing it whole; a task whose text is as in the previous version is not parsed again.
 */
import { sha256Text } from '../guideline/hash.js';
import { taskItemId } from '../dataset/items.js';
import { REVIEW_FROM_NAME, scalarText } from '../formats/labelstudio.js';

/** A task of the new export that differs from the old one: its item, a hash of its JSON, and the annotations (ids) added or changed. */
export interface TaskChange {
  item: string;
  hash: string;
  annotations: string[];
}

/** The changed tasks of an export, or null when the new side is not a readable export (judge the file as a whole). */
export type ExportDiff = TaskChange[] | null;

/**
 * An export cut into tasks: its bytes, each task's byte range (the text between the separators around it) and item,
 * and each item's task indices in order.
 */
export interface ParsedExport {
  bytes: Uint8Array;
  starts: number[];
  ends: number[];
  itemOf: string[];
  /** Whether a task's item is the same at any index (it has an image or an id). */
  fixed: boolean[];
  items: Map<string, number[]>;
  /** Whether the export is an array of tasks (not a single task object). */
  array: boolean;
  /** This version's identity, and that of the version it was parsed against (null: none). */
  token: object;
  basis: object | null;
  /** Per task, the index of a task of the basis with the same text (known without comparing them again), else -1. */
  sameAs: Int32Array;
}

const isSpace = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
const decoder = new TextDecoder();

/** The JSON text of task `i`. */
const textOf = (e: ParsedExport, i: number) => decoder.decode(e.bytes.subarray(e.starts[i], e.ends[i]));

/** Whether two byte ranges hold the same bytes. */
function sameBytes(a: Uint8Array, a0: number, a1: number, b: Uint8Array, b0: number, b1: number): boolean {
  if (a1 - a0 !== b1 - b0) return false;
  for (let i = 0; i < a1 - a0; i++) if (a[a0 + i] !== b[b0 + i]) return false;
  return true;
}

/** The 32-bit words of an array's whole buffer: byte `p` of the array is in word `(byteOffset + p) >> 2`. */
const wordsOf = (a: Uint8Array) => new Int32Array(a.buffer, 0, a.buffer.byteLength >> 2);

/** How many leading bytes two arrays share, compared four at a time where both are aligned alike. */
function commonPrefix(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  if ((a.byteOffset - b.byteOffset) % 4 === 0) {
    while (i < n && (a.byteOffset + i) % 4 !== 0 && a[i] === b[i]) i++;
    if ((a.byteOffset + i) % 4 === 0) {
      const wa = wordsOf(a), wb = wordsOf(b);
      const shift = b.byteOffset - a.byteOffset;
      const end = a.byteOffset + n;
      let p = a.byteOffset + i;
      while (p + 4 <= end && wa[p >> 2] === wb[(p + shift) >> 2]) p += 4;
      i = p - a.byteOffset;
    }
  }
  while (i < n && a[i] === b[i]) i++;
  return i;
}

/** How many trailing bytes two arrays share, at most `max`, compared four at a time where both are aligned alike. */
function commonSuffix(a: Uint8Array, b: Uint8Array, max: number): number {
  let k = 0;
  const ea = a.byteOffset + a.length, eb = b.byteOffset + b.length;
  if ((ea - eb) % 4 === 0) {
    while (k < max && (ea - k) % 4 !== 0 && a[a.length - 1 - k] === b[b.length - 1 - k]) k++;
    if ((ea - k) % 4 === 0) {
      const wa = wordsOf(a), wb = wordsOf(b);
      while (k + 4 <= max && wa[((ea - k) >> 2) - 1] === wb[((eb - k) >> 2) - 1]) k += 4;
    }
  }
  while (k < max && a[a.length - 1 - k] === b[b.length - 1 - k]) k++;
  return k;
}

/**
 * The byte ranges of the tasks of an export: the elements of its top-level array (found by brackets and strings),
 * or the one object a single-task export is; null when the outline is not that. The texts are not checked here.
 * With the previous version, the tasks in the bytes both share at the start and at the end are taken from it and
 * only the bytes between are scanned.
 */
function cutTasks(bytes: Uint8Array, previous: ParsedExport | null): { starts: number[]; ends: number[]; array: boolean; reused: { head: number; tail: number; delta: number } } | null {
  const n = bytes.length;
  let i = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  while (i < n && isSpace(bytes[i])) i++;
  const none = { head: 0, tail: 0, delta: 0 };
  if (bytes[i] === 0x7b) return { starts: [i], ends: [n], array: false, reused: none };
  if (bytes[i] !== 0x5b) return null;
  i++;
  const starts: number[] = [];
  const ends: number[] = [];
  let j = i;
  while (j < n && isSpace(bytes[j])) j++;
  if (bytes[j] === 0x5d) {
    for (j++; j < n; j++) if (!isSpace(bytes[j])) return null;
    return { starts, ends, array: true, reused: none };
  }
  // Tasks shared with the previous version: those wholly (separator included) inside the common start, and those after
  // a separator inside the common end.
  let head = 0;
  let tail = -1;
  let delta = 0;
  if (previous && previous.array && previous.starts.length > 0) {
    const pre = commonPrefix(previous.bytes, bytes);
    const suf = commonSuffix(previous.bytes, bytes, Math.min(previous.bytes.length, n) - pre);
    while (head < previous.ends.length - 1 && previous.ends[head] < pre) {
      starts.push(previous.starts[head]);
      ends.push(previous.ends[head]);
      head++;
    }
    if (head > 0) i = previous.ends[head - 1] + 1;
    delta = n - previous.bytes.length;
    const from = previous.bytes.length - suf;
    tail = previous.starts.findIndex((s, k) => k >= head && s - 1 >= from);
  }
  for (;;) {
    const start = i;
    let depth = 0;
    for (; i < n; i++) {
      const c = bytes[i];
      if (c === 0x22) {
        for (i++; i < n; i++) {
          const d = bytes[i];
          if (d === 0x5c) i++;
          else if (d === 0x22) break;
        }
      } else if (c === 0x7b || c === 0x5b) depth++;
      else if (c === 0x7d || c === 0x5d) {
        if (depth === 0) break;
        depth--;
      } else if (c === 0x2c && depth === 0) break;
    }
    if (i >= n || (bytes[i] !== 0x2c && bytes[i] !== 0x5d)) return null;
    starts.push(start);
    ends.push(i);
    if (bytes[i] === 0x5d) {
      for (i++; i < n; i++) if (!isSpace(bytes[i])) return null;
      return { starts, ends, array: true, reused: { head, tail: 0, delta } };
    }
    i++;
    if (tail >= 0 && i === previous!.starts[tail] + delta) {
      const k0 = starts.length;
      for (let k = tail; k < previous!.starts.length; k++) {
        starts.push(previous!.starts[k] + delta);
        ends.push(previous!.ends[k] + delta);
      }
      return { starts, ends, array: true, reused: { head, tail: previous!.starts.length - tail, delta: k0 - tail } };
    }
  }
}

/**
 * The tasks of an export, or null when it is not JSON holding an array or an object. `previous`, the version it
 * replaces, spares scanning and parsing the tasks whose text did not change.
 */
export function parseExport(bytes: Uint8Array, previous: ParsedExport | null = null): ParsedExport | null {
  const cut = cutTasks(bytes, previous);
  if (cut === null) return null;
  const { starts, ends, array, reused } = cut;
  const count = starts.length;
  const sameAs = new Int32Array(count).fill(-1);
  const e: ParsedExport = { bytes, starts, ends, itemOf: [], fixed: [], items: new Map(), array, token: {}, basis: previous?.token ?? null, sameAs };
  let known: Map<string, string> | null = null;
  for (let i = 0; i < count; i++) {
    let id: string | undefined;
    let isFixed = true;
    // A task of the shared start or end: the same text, at the same index (start) or shifted by the same count (end).
    const k = i < reused.head ? i : i >= count - reused.tail ? i - reused.delta : -1;
    const same = k >= 0 && (i < reused.head || reused.delta === 0 || previous!.fixed[k]);
    if (k >= 0) sameAs[i] = k;
    if (same) {
      id = previous!.itemOf[k];
      isFixed = previous!.fixed[k];
    } else if (previous && i < previous.starts.length && sameBytes(previous.bytes, previous.starts[i], previous.ends[i], bytes, starts[i], ends[i])) {
      sameAs[i] = i;
      id = previous.itemOf[i];
      isFixed = previous.fixed[i];
    } else if (previous && count !== previous.starts.length) {
      // Tasks added or removed: a task may have moved.
      if (!known) {
        known = new Map();
        for (let m = 0; m < previous.starts.length; m++) if (previous.fixed[m]) known.set(textOf(previous, m), previous.itemOf[m]);
      }
      id = known.get(textOf(e, i));
    }
    if (id === undefined) {
      let task: unknown;
      try {
        task = JSON.parse(textOf(e, i));
      } catch {
        return null;
      }
      id = taskItemId(task, i);
      isFixed = taskItemId(task, i + 1) === id;
    }
    e.itemOf.push(id);
    e.fixed.push(isFixed);
    const list = e.items.get(id);
    if (list) list.push(i);
    else e.items.set(id, [i]);
  }
  return e;
}

const isReviewResult = (e: unknown) => e !== null && typeof e === 'object' && (e as { from_name?: unknown }).from_name === REVIEW_FROM_NAME;

/**
 * Annotations of a task by the id the dataset reader gives them (`id`, else the task's index), as JSON without their
 * review records (a reviewer's verdict is not a change by the annotator).
 */
function annotationsOf(task: unknown, index: number, into: Map<string, string>): void {
  const anns = task && typeof task === 'object' ? (task as { annotations?: unknown }).annotations : undefined;
  if (!Array.isArray(anns)) return;
  for (const a of anns) {
    if (!a || typeof a !== 'object' || Array.isArray(a)) continue;
    const rec = a as Record<string, unknown>;
    if (rec.was_cancelled === true) continue;
    const own = Array.isArray(rec.result) && rec.result.some(isReviewResult) ? { ...rec, result: rec.result.filter((e) => !isReviewResult(e)) } : rec;
    into.set(scalarText(rec.id, String(index)), JSON.stringify(own));
  }
}

/** An item's tasks parsed with their indices, and their JSON (an export keeps its key order: a reordering only costs a re-check). */
function itemTasks(e: ParsedExport, item: string): { json: string; tasks: Array<[unknown, number]> } {
  const tasks: Array<[unknown, number]> = (e.items.get(item) ?? []).map((i) => [JSON.parse(textOf(e, i)), i]);
  return { json: tasks.map(([t]) => JSON.stringify(t)).join(''), tasks };
}

const sameTexts = (a: ParsedExport, ai: number[], b: ParsedExport, bi: number[]) =>
  ai.length === bi.length && ai.every((i, k) => sameBytes(a.bytes, a.starts[i], a.ends[i], b.bytes, b.starts[bi[k]], b.ends[bi[k]]));

/**
 * The tasks of `after` whose JSON differs from `before`'s (null `before`: the file is new or not an export); null when
 * a changed task nests too deep to be written back as JSON (judge the file as a whole). `hash` is SHA-256 in hex (a
 * caller may bring a faster one).
 */
export function diffParsedExports(before: ParsedExport | null, after: ParsedExport, hash: (text: string) => string = sha256Text): ExportDiff {
  try {
    return changedTasks(before, after, hash);
  } catch (e) {
    if (e instanceof RangeError) return null;
    throw e;
  }
}

function changedTasks(before: ParsedExport | null, after: ParsedExport, hash: (text: string) => string): TaskChange[] {
  const out: TaskChange[] = [];
  // Parsed against `before`, `after` knows which of its tasks have the same text as one of `before`.
  const known = before !== null && after.basis === before.token ? after.sameAs : null;
  for (const [item, idx] of after.items) {
    const oldIdx = before?.items.get(item);
    if (oldIdx && known && oldIdx.length === idx.length && idx.every((i, k) => known[i] === oldIdx[k])) continue;
    if (oldIdx && sameTexts(before!, oldIdx, after, idx)) continue;
    const o = oldIdx ? itemTasks(before!, item) : null;
    const n = itemTasks(after, item);
    if (o && o.json === n.json) continue;
    const was = new Map<string, string>();
    for (const [t, i] of o?.tasks ?? []) annotationsOf(t, i, was);
    const now = new Map<string, string>();
    for (const [t, i] of n.tasks) annotationsOf(t, i, now);
    out.push({ item, hash: hash(n.json), annotations: [...now].filter(([id, json]) => was.get(id) !== json).map(([id]) => id) });
  }
  return out;
}

/** The tasks of `after` whose JSON differs from `before`'s (null `before`: the file is new). */
export function diffExport(before: Uint8Array | null, after: Uint8Array): ExportDiff {
  const a = parseExport(after);
  return a === null ? null : diffParsedExports(before === null ? null : parseExport(before), a);
}

// Stands in for a task that is not wanted: its item (the stem of a path no file can have) is never asked for.
const PLACEHOLDER = '{"data":{"image":"\\u0000"},"annotations":[]}';

/**
 * The export with only the tasks of `items`, each at its own index (the others are placeholders of another item), so
 * that reading it gives those items exactly what reading the whole export gives them, without the others' masks; null
 * when an item is the placeholders' own (read the whole export then).
 */
export function exportWith(parsed: ParsedExport, items: Set<string>): Uint8Array | null {
  if (items.has('\u0000')) return null;
  const keep = new Set<number>();
  for (const id of items) for (const i of parsed.items.get(id) ?? []) keep.add(i);
  const placeholder = new TextEncoder().encode(PLACEHOLDER);
  const count = parsed.starts.length;
  let size = 2 + Math.max(0, count - 1);
  for (let i = 0; i < count; i++) size += keep.has(i) ? parsed.ends[i] - parsed.starts[i] : placeholder.length;
  const out = new Uint8Array(size);
  let at = 0;
  out[at++] = 0x5b;
  for (let i = 0; i < count; i++) {
    if (i > 0) out[at++] = 0x2c;
    const part = keep.has(i) ? parsed.bytes.subarray(parsed.starts[i], parsed.ends[i]) : placeholder;
    out.set(part, at);
    at += part.length;
  }
  out[at++] = 0x5d;
  return out;
}
