/** Which tasks, and which annotations of them, an edit of a Label Studio export changed. */
import { canonicalJson, sha256Text } from '../guideline/hash.js';
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

/** Annotations of a task by the id the dataset reader gives them (`id`, else the task's index), as canonical JSON. */
function annotationsOf(task: unknown, index: number): Map<string, string> {
  const out = new Map<string, string>();
  const anns = task && typeof task === 'object' ? (task as { annotations?: unknown }).annotations : undefined;
  if (!Array.isArray(anns)) return out;
  for (const a of anns) {
    if (!a || typeof a !== 'object' || Array.isArray(a)) continue;
    const rec = a as Record<string, unknown>;
    if (rec.was_cancelled === true) continue;
    out.set(scalarText(rec.id, String(index)), canonicalJson(rec));
  }
  return out;
}

/** The tasks of `after` whose JSON differs from `before`'s (null `before`: the file is new). */
export function diffExport(before: Uint8Array | null, after: Uint8Array): ExportDiff {
  const a = tasksOf(after);
  if (a === null) return null;
  const b = tasksOf(before) ?? [];
  const old = new Map<string, { json: string; anns: Map<string, string> }>();
  b.forEach((t, i) => {
    const id = taskItemId(t, i);
    const prev = old.get(id);
    old.set(id, { json: (prev?.json ?? '') + canonicalJson(t), anns: new Map([...(prev?.anns ?? []), ...annotationsOf(t, i)]) });
  });
  const now = new Map<string, { json: string; anns: Map<string, string> }>();
  a.forEach((t, i) => {
    const id = taskItemId(t, i);
    const prev = now.get(id);
    now.set(id, { json: (prev?.json ?? '') + canonicalJson(t), anns: new Map([...(prev?.anns ?? []), ...annotationsOf(t, i)]) });
  });
  const out: TaskChange[] = [];
  for (const [item, n] of now) {
    const o = old.get(item);
    if (o && o.json === n.json) continue;
    out.push({ item, hash: sha256Text(n.json), annotations: [...n.anns].filter(([id, json]) => o?.anns.get(id) !== json).map(([id]) => id) });
  }
  return out;
}
