/** Which tasks, and which annotations of them, an edit of a Label Studio export changed. */
import { sha256Text } from '../guideline/hash.js';
import { taskItemId } from '../dataset/items.js';
import { scalarText } from '../formats/labelstudio.js';

/** A task of the new export that differs from the old one: its item, a hash of its JSON, and the annotations (ids) added or changed. */
export interface TaskChange {
  item: string;
  hash: string;
  annotations: string[];
}

/** The changed tasks of an export, or null when the new side is not a readable export (judge the file as a whole). */
export type ExportDiff = TaskChange[] | null;

function tasksOf(bytes: Uint8Array | null): unknown[] | null {
  if (bytes === null) return [];
  try {
    const parsed: unknown = JSON.parse(new TextDecoder().decode(bytes));
    return Array.isArray(parsed) ? parsed : parsed !== null && typeof parsed === 'object' ? [parsed] : null;
  } catch {
    return null;
  }
}

/** Annotations of a task by the id the dataset reader gives them (`id`, else the task's index), as JSON. */
function annotationsOf(task: unknown, index: number, into: Map<string, string>): void {
  const anns = task && typeof task === 'object' ? (task as { annotations?: unknown }).annotations : undefined;
  if (!Array.isArray(anns)) return;
  for (const a of anns) {
    if (!a || typeof a !== 'object' || Array.isArray(a)) continue;
    const rec = a as Record<string, unknown>;
    if (rec.was_cancelled === true) continue;
    into.set(scalarText(rec.id, String(index)), JSON.stringify(rec));
  }
}

/** Each item's tasks (with their indices) and their JSON as written (an export keeps its key order: a reordering only costs a re-check). */
function byItem(tasks: unknown[]): Map<string, { json: string; tasks: Array<[unknown, number]> }> {
  const out = new Map<string, { json: string; tasks: Array<[unknown, number]> }>();
  tasks.forEach((t, i) => {
    const id = taskItemId(t, i);
    const prev = out.get(id) ?? { json: '', tasks: [] };
    prev.json += JSON.stringify(t);
    prev.tasks.push([t, i]);
    out.set(id, prev);
  });
  return out;
}

/** The tasks of `after` whose JSON differs from `before`'s (null `before`: the file is new). */
export function diffExport(before: Uint8Array | null, after: Uint8Array): ExportDiff {
  const a = tasksOf(after);
  if (a === null) return null;
  const old = byItem(tasksOf(before) ?? []);
  const out: TaskChange[] = [];
  for (const [item, n] of byItem(a)) {
    const o = old.get(item);
    if (o && o.json === n.json) continue;
    const was = new Map<string, string>();
    for (const [t, i] of o?.tasks ?? []) annotationsOf(t, i, was);
    const now = new Map<string, string>();
    for (const [t, i] of n.tasks) annotationsOf(t, i, now);
    out.push({ item, hash: sha256Text(n.json), annotations: [...now].filter(([id, json]) => was.get(id) !== json).map(([id]) => id) });
  }
  return out;
}
