/**
 * The export reader of `segqc history` cuts an export into its tasks' texts instead of parsing it whole. Its diffs
 * must equal those of parsing both versions whole (the reference below, written without the code under test), on
 * hand-written edge cases and on several hundred mutated exports; the reduced export must hold the judged tasks as they were.
 */
import { describe, expect, it } from 'vitest';
import { diffExport, diffParsedExports, exportWith, parseExport, type TaskChange } from '../shared/history/export-diff.js';
import { taskItemId } from '../shared/dataset/items.js';
import { sha256Text } from '../shared/guideline/hash.js';
import { mutateJson } from './fuzz/mutate.js';
import { prng } from './fuzz/prng.js';

const enc = (s: string) => new TextEncoder().encode(s);

/** Whole-parse reference ('too deep' when a task nests too deep to write back): per item, its tasks' JSON.stringify concatenated; annotations by id (else task index), compared without their segqc_review results. */
function reference(before: string | null, after: string): TaskChange[] | null | 'too deep' {
  try {
    return referenceDiff(before, after);
  } catch (e) {
    if (e instanceof RangeError) return 'too deep';
    throw e;
  }
}
function referenceDiff(before: string | null, after: string): TaskChange[] | null {
  const tasks = (text: string): unknown[] | null => {
    try {
      const v: unknown = JSON.parse(new TextDecoder().decode(enc(text)));
      return Array.isArray(v) ? v : v !== null && typeof v === 'object' ? [v] : null;
    } catch {
      return null;
    }
  };
  const group = (ts: unknown[]) => {
    const m = new Map<string, Array<[unknown, number]>>();
    ts.forEach((t, i) => m.set(taskItemId(t, i), [...(m.get(taskItemId(t, i)) ?? []), [t, i]]));
    return m;
  };
  const anns = (ts: Array<[unknown, number]>) => {
    const m = new Map<string, string>();
    for (const [t, i] of ts) {
      const list = (t as { annotations?: unknown } | null)?.annotations;
      if (!Array.isArray(list)) continue;
      for (const a of list) {
        if (!a || typeof a !== 'object' || Array.isArray(a) || (a as { was_cancelled?: unknown }).was_cancelled === true) continue;
        const id = (a as { id?: unknown }).id;
        const result = (a as { result?: unknown }).result;
        const own = Array.isArray(result) ? { ...a, result: result.filter((e) => (e as { from_name?: unknown } | null)?.from_name !== 'segqc_review') } : a;
        m.set(typeof id === 'string' ? id : typeof id === 'number' || typeof id === 'boolean' ? String(id) : String(i), JSON.stringify(own));
      }
    }
    return m;
  };
  const a = tasks(after);
  if (a === null) return null;
  const old = group((before === null ? null : tasks(before)) ?? []);
  const out: TaskChange[] = [];
  for (const [item, ts] of group(a)) {
    const json = ts.map(([t]) => JSON.stringify(t)).join('');
    const o = old.get(item);
    if (o && o.map(([t]) => JSON.stringify(t)).join('') === json) continue;
    const was = anns(o ?? []);
    out.push({ item, hash: sha256Text(json), annotations: [...anns(ts)].filter(([id, j]) => was.get(id) !== j).map(([id]) => id) });
  }
  return out;
}

const task = (id: number, image: string | null, rle: number[], annId: number | null = id * 10) => ({
  id,
  data: image === null ? {} : { image },
  annotations: [{ ...(annId === null ? {} : { id: annId }), result: [{ type: 'brushlabels', value: { rle, brushlabels: ['Liver'], note: 'a "quoted" ]} \\ [{ text' } }] }],
});

let tooDeep = 0;

/** The bytes of `s` starting `offset` bytes into their buffer (the parser compares four bytes at a time where it can). */
function shifted(s: string, offset: number): Uint8Array {
  const b = enc(s);
  const buf = new Uint8Array(b.length + offset + 3);
  buf.set(b, offset);
  return buf.subarray(offset, offset + b.length);
}

/**
 * Diffs a chain of versions three ways: each parsed against the previous version and diffed against a fresh parse,
 * each diffed against the version it was parsed against (at shifting byte offsets), and whole (a task too deep for
 * the reference is only required not to throw).
 */
function agree(versions: string[]): void {
  let prev: ReturnType<typeof parseExport> = null;
  let chained: ReturnType<typeof parseExport> = null;
  for (let k = 0; k < versions.length; k++) {
    const before = k === 0 ? null : versions[k - 1];
    const parsed = parseExport(enc(versions[k]), prev);
    const expected = reference(before, versions[k]);
    const got = parsed === null ? null : diffParsedExports(before === null ? null : parseExport(enc(before)), parsed);
    const basis = chained;
    const again = parseExport(shifted(versions[k], (k * 3) % 4), basis);
    const gotChained = again === null ? null : diffParsedExports(before === null ? null : basis, again);
    prev = parsed ?? prev;
    chained = again;
    if (expected === 'too deep') {
      tooDeep++;
      continue;
    }
    expect(got, `version ${k}: ${versions[k].slice(0, 200)}`).toEqual(expected);
    // Diffed against its basis only when the previous version was an export (else the basis is not \`before\`).
    if (before === null || basis !== null) expect(gotChained, `chained, version ${k}: ${versions[k].slice(0, 200)}`).toEqual(expected);
    expect(diffExport(before === null ? null : enc(before), enc(versions[k]))).toEqual(expected);
  }
}

describe('history: Label Studio export diffs without parsing whole exports', () => {
  it('hand-written exports: same text, whitespace, reorder, duplicates, tasks without image or id, single task, not exports', () => {
    const t = [task(1, '/d/a.png', [1, 2]), task(2, '/d/b.png', [3]), task(3, null, [4], null), task(4, '/d/a.png', [5])];
    const J = (x: unknown) => JSON.stringify(x);
    agree([J(t), J(t), JSON.stringify(t, null, 2), J([t[1], t[0], t[2], t[3]]), J([t[0], t[2], t[1]]), J([t[2], t[0]]), J(t[0]), J([t[0], { ...t[1], annotations: [{ id: 20, was_cancelled: true }] }])]);
    agree([J(t), `[${J(t[0])}}${J(t[1])}]`, `[${J(t[0])},]`, `[${J(t[0])}] x`, '[]', ' [ ] ', '5', 'null', '"[1,2]"', `[1, "a,]", [2,{"b":"}"}], null, true]`, J(t)]);
    const reviewed = (text: string) => ({ ...t[1], annotations: [{ ...t[1].annotations[0], result: [...t[1].annotations[0].result, { from_name: 'segqc_review', type: 'textarea', value: { text: [text] } }] }] });
    agree([J(t), J([t[0], reviewed('reject')]), J([t[0], reviewed('accept')])]);
    const onlyReview = diffExport(enc(J([t[0], reviewed('reject')])), enc(J([t[0], reviewed('accept')])));
    expect(onlyReview).toEqual([{ item: 'b', hash: expect.any(String), annotations: [] }]);
    // Edits at the start, in the middle, at the end, of tasks whose item depends on their index, and of the layout.
    const u = [task(5, null, [1], null), task(6, '/d/c.png', [2]), { data: {}, annotations: [] }, task(7, '/d/d.png', [3]), { annotations: [{ result: [] }] }];
    const L = (xs: unknown[]) => `[${xs.map((x) => JSON.stringify(x)).join(',')}]`;
    agree([L(u), L(u) + '  \n', L([t[0], ...u]), L(u), L([...u, t[1]]), L(u), L([u[0], u[1], t[2], u[2], u[3], u[4]]), L([u[0], u[1], u[3], u[4]]), L([u[1], u[0], u[2], u[3], u[4]]), L([u[0], task(6, '/d/c.png', [9]), u[2], u[3], u[4]]), L([u[0], u[1], u[2], task(7, '/d/d.png', [4]), u[4]]), `${L(u).slice(0, -1)} , 5]`, L(u), `[${JSON.stringify(u[0])}]`, L(u), '[]', L(u)]);
    agree([`\uFEFF${J(t)}`, `[${J(t[0])},${J(t[1])}`, `[${J(t[0])} , ${J(t[1])}]`]);
  });

  it('several hundred mutated exports give the whole-parse diffs', () => {
    const rng = prng(20261207);
    const base = [task(1, '/d/a.png', [1, 2, 3]), task(2, '/d/b.png', [4, 5]), task(3, null, [6], null), task(4, null, [7]), task(5, '/d/a.png', [8])];
    for (let chain = 0; chain < 80; chain++) {
      const versions = [JSON.stringify(base)];
      for (let k = 0; k < 8; k++) {
        // The mutator cannot write back the 20,000-deep arrays it makes, and it grows long strings: the chain goes on from the base then.
        let next: Uint8Array;
        const last = versions[versions.length - 1];
        try {
          next = mutateJson(last.length > 4000 ? versions[0] : last, rng, []).bytes;
        } catch (e) {
          if (!(e instanceof RangeError)) throw e;
          next = mutateJson(versions[0], rng, []).bytes;
        }
        versions.push(new TextDecoder().decode(next));
      }
      agree(versions);
    }
    expect(tooDeep).toBeLessThan(80 * 8 * 0.25);
  });

  it('a reduced export holds the judged items\' tasks at their own indices and nothing of the others', () => {
    const t = [task(1, '/d/a.png', [1]), task(2, '/d/b.png', [2]), task(3, null, [3], null), task(4, '/d/a.png', [4])];
    const parsed = parseExport(enc(JSON.stringify(t)))!;
    const reduced = JSON.parse(new TextDecoder().decode(exportWith(parsed, new Set(['a', 'task-3'])) ?? new Uint8Array())) as unknown[];
    expect(reduced.length).toBe(4);
    expect(reduced[0]).toEqual(t[0]);
    expect(reduced[2]).toEqual(t[2]);
    expect(reduced[3]).toEqual(t[3]);
    expect(taskItemId(reduced[1], 1)).not.toMatch(/^(a|b|task-3)$/);
    expect((reduced[1] as { annotations: unknown[] }).annotations).toEqual([]);
    expect(exportWith(parsed, new Set(['\u0000']))).toBeNull();
  });
});
