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

/** An export cut into tasks: each task's JSON text as written and its item, and each item's task indices in order. */
export interface ParsedExport {
  slices: string[];
  itemOf: string[];
  /** Whether a task's item is the same at any index (it has an image or an id). */
  fixed: boolean[];
  items: Map<string, number[]>;
}

const isSpace = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/**
 * The JSON texts of the elements of a top-level array (or the one object a single-task export is), found by
 * brackets and strings; null when the outline is not that of an array or an object. The texts are not checked here.
 */
function cutTasks(text: string): string[] | null {
  let i = 0;
  const n = text.length;
  while (i < n && isSpace(text.charCodeAt(i))) i++;
  if (text.charCodeAt(i) === 0x7b) return [text.slice(i)];
  if (text.charCodeAt(i) !== 0x5b) return null;
  i++;
  const out: string[] = [];
  while (i < n && isSpace(text.charCodeAt(i))) i++;
  if (text.charCodeAt(i) === 0x5d) {
    for (i++; i < n; i++) if (!isSpace(text.charCodeAt(i))) return null;
    return out;
  }
  for (;;) {
    const start = i;
    let depth = 0;
    for (; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        for (i++; i < n; i++) {
          const d = text.charCodeAt(i);
          if (d === 0x5c) i++;
          else if (d === 0x22) break;
        }
      } else if (c === 0x7b || c === 0x5b) depth++;
      else if (c === 0x7d || c === 0x5d) {
        if (depth === 0) break;
        depth--;
      } else if (c === 0x2c && depth === 0) break;
    }
    if (i >= n || (text.charCodeAt(i) !== 0x2c && text.charCodeAt(i) !== 0x5d)) return null;
    out.push(text.slice(start, i));
    if (text.charCodeAt(i) === 0x5d) {
      for (i++; i < n; i++) if (!isSpace(text.charCodeAt(i))) return null;
      return out;
    }
    i++;
  }
}

/**
 * The tasks of an export, or null when it is not JSON holding an array or an object. `previous`, the version it
 * replaces, spares parsing the tasks whose text did not change.
 */
export function parseExport(bytes: Uint8Array, previous: ParsedExport | null = null): ParsedExport | null {
  const slices = cutTasks(new TextDecoder().decode(bytes));
  if (slices === null) return null;
  let known: Map<string, string> | null = null;
  const itemOf: string[] = [];
  const fixed: boolean[] = [];
  const items = new Map<string, number[]>();
  for (let i = 0; i < slices.length; i++) {
    const s = slices[i];
    let id: string | undefined;
    let isFixed = true;
    if (previous && previous.slices[i] === s) {
      id = previous.itemOf[i];
      isFixed = previous.fixed[i];
    } else if (previous) {
      if (!known) {
        known = new Map();
        previous.slices.forEach((p, k) => void (previous.fixed[k] && known!.set(p, previous.itemOf[k])));
      }
      id = known.get(s);
    }
    if (id === undefined) {
      let task: unknown;
      try {
        task = JSON.parse(s);
      } catch {
        return null;
      }
      id = taskItemId(task, i);
      isFixed = taskItemId(task, i + 1) === id;
    }
    itemOf.push(id);
    fixed.push(isFixed);
    const list = items.get(id);
    if (list) list.push(i);
    else items.set(id, [i]);
  }
  return { slices, itemOf, fixed, items };
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
  const tasks: Array<[unknown, number]> = (e.items.get(item) ?? []).map((i) => [JSON.parse(e.slices[i]), i]);
  return { json: tasks.map(([t]) => JSON.stringify(t)).join(''), tasks };
}

const sameTexts = (a: ParsedExport, ai: number[], b: ParsedExport, bi: number[]) => ai.length === bi.length && ai.every((i, k) => a.slices[i] === b.slices[bi[k]]);

/**
 * The tasks of `after` whose JSON differs from `before`'s (null `before`: the file is new or not an export); null when
 * a changed task nests too deep to be written back as JSON (judge the file as a whole).
 */
export function diffParsedExports(before: ParsedExport | null, after: ParsedExport): ExportDiff {
  try {
    return changedTasks(before, after);
  } catch (e) {
    if (e instanceof RangeError) return null;
    throw e;
  }
}

function changedTasks(before: ParsedExport | null, after: ParsedExport): TaskChange[] {
  const out: TaskChange[] = [];
  for (const [item, idx] of after.items) {
    const oldIdx = before?.items.get(item);
    if (oldIdx && sameTexts(before!, oldIdx, after, idx)) continue;
    const o = oldIdx ? itemTasks(before!, item) : null;
    const n = itemTasks(after, item);
    if (o && o.json === n.json) continue;
    const was = new Map<string, string>();
    for (const [t, i] of o?.tasks ?? []) annotationsOf(t, i, was);
    const now = new Map<string, string>();
    for (const [t, i] of n.tasks) annotationsOf(t, i, now);
    out.push({ item, hash: sha256Text(n.json), annotations: [...now].filter(([id, json]) => was.get(id) !== json).map(([id]) => id) });
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
  return new TextEncoder().encode(`[${parsed.slices.map((s, i) => (keep.has(i) ? s : PLACEHOLDER)).join(',')}]`);
}
