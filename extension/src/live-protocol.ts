/**
 * The messages between the page and the live-check Web Worker. Result entries the worker already holds (the same
 * object as in the last message: the editor's serialize cache hands back unchanged regions as they were) go as a
 * number, so a stroke sends its own region, not 20 RLE arrays.
 */
import type { Guideline } from '../../shared/guideline/types.js';
import type { ChecklistAnswers, Finding } from '../../shared/rules/types.js';
import type { ResultEntry } from './editor.js';
import type { LiveState } from './live.js';

/** An entry the worker holds (its number), or a new one with the number it is kept under. */
export type EntryRef = number | [number, ResultEntry];

/** A live check as the worker gives it back: without the region arrays, which stay in the worker. */
export type LiveAnswer = Omit<LiveState, 'segmentation'> & { segmentation: null };

/** Page to worker. */
export type ToWorker =
  | { type: 'init'; guideline: Guideline; sha256: string; spacingField?: string | null }
  | {
      type: 'check';
      version: number;
      entries: EntryRef[];
      task: Record<string, unknown>;
      item: string;
      annotation: string;
      author: string | null;
      answers?: ChecklistAnswers;
    }
  | { type: 'locate'; id: number; finding: Finding }
  /** Test hook: while held, checks wait in the worker; released, they run in order. */
  | { type: 'hold'; on: boolean };

/** Worker to page. */
export type FromWorker =
  | { type: 'ready'; warmUpMs: number }
  | { type: 'answer'; version: number; live: LiveAnswer }
  | { type: 'located'; id: number; regions: string[] }
  | { type: 'failed'; message: string };

/** The page's side of the entry numbering: what the worker holds after the last message posted. */
export class EntrySender {
  private held = new Map<object, number>();
  private next = 1;

  /** The entries of `result` as refs, and the numbering to `commit` once the message is posted. */
  encode(result: ResultEntry[]): { entries: EntryRef[]; commit: () => void } {
    const now = new Map<object, number>();
    const entries: EntryRef[] = [];
    for (const e of result) {
      const known = this.held.get(e) ?? now.get(e);
      if (known !== undefined) {
        entries.push(known);
        now.set(e, known);
        continue;
      }
      const n = this.next++;
      now.set(e, n);
      entries.push([n, e]);
    }
    return { entries, commit: () => void (this.held = now) };
  }
}

/** The worker's side: the entries of the last message, by number. */
export class EntryStore {
  private held = new Map<number, ResultEntry>();

  /** The result a message's refs stand for; throws when it names an entry not held (the two sides went out of step). */
  decode(entries: EntryRef[]): ResultEntry[] {
    const now = new Map<number, ResultEntry>();
    const out: ResultEntry[] = [];
    for (const r of entries) {
      const [n, e] = typeof r === 'number' ? [r, this.held.get(r) ?? now.get(r)] : r;
      if (e === undefined) throw new Error(`segqc live worker: result entry ${n} was never sent`);
      now.set(n, e);
      out.push(e);
    }
    this.held = now;
    return out;
  }
}
