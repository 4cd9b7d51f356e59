/**
 * The live check's worker in Node: the entry numbering between page and worker, the worker's messages (through
 * structuredClone, as postMessage copies them) against an in-thread check, its hold hook, and the client's fallbacks.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { EntrySender, EntryStore, type FromWorker, type ToWorker } from '../extension/src/live-protocol.js';
import { LiveClient } from '../extension/src/live-client.js';
import { startLiveWorker, type WorkerScope } from '../extension/src/live-worker.js';
import { LiveChecker } from '../extension/src/live.js';
import { guidelineSha256 } from '../shared/guideline/hash.js';
import type { ResultEntry } from '../extension/src/editor.js';
import { GUIDELINE, TASK, preAnnotation } from './extension-scenario.js';

const entry = (id: string, x: number): ResultEntry => ({ id, type: 'polygonlabels', value: { points: [[x, 1], [x + 5, 1], [x, 6]] } });

describe('entry numbering', () => {
  test('entries the worker holds go as numbers; it gets back the very objects it was sent', () => {
    const sender = new EntrySender();
    const store = new EntryStore();
    const a = entry('a', 1), b = entry('b', 10), c = entry('c', 20);
    const send = (result: ResultEntry[]) => {
      const { entries, commit } = sender.encode(result);
      commit();
      return { entries, decoded: store.decode(structuredClone(entries)) };
    };
    const first = send([a, b]);
    expect(first.entries.map((e) => typeof e)).toEqual(['object', 'object']);
    expect(first.decoded).toEqual([a, b]);
    const second = send([a, c, b]);
    expect(second.entries.map((e) => typeof e)).toEqual(['number', 'object', 'number']);
    expect(second.decoded).toEqual([a, c, b]);
    // The worker's objects for a and b are the ones it decoded first: its region cache sees them unchanged.
    expect(second.decoded[0]).toBe(first.decoded[0]);
    expect(second.decoded[2]).toBe(first.decoded[1]);
    // A dropped entry is forgotten on both sides: sent again later, it goes in full.
    send([c]);
    const fourth = send([a, c]);
    expect(fourth.entries.map((e) => typeof e)).toEqual(['object', 'number']);
  });

  test('a message never posted is not counted as held; a number the worker never got is an error, not a wrong result', () => {
    const sender = new EntrySender();
    const a = entry('a', 1);
    sender.encode([a]);
    expect(typeof sender.encode([a]).entries[0]).toBe('object');
    expect(() => new EntryStore().decode([7])).toThrow('result entry 7 was never sent');
  });
});

/** The worker's side, started on a fake worker scope that collects what it posts. */
function loadWorker() {
  const posted: FromWorker[] = [];
  const scope: { postMessage(m: FromWorker): void; onmessage: ((e: { data: ToWorker }) => void) | null } = { postMessage: (m) => posted.push(structuredClone(m)), onmessage: null };
  startLiveWorker(scope as unknown as WorkerScope);
  const send = (m: ToWorker) => scope.onmessage?.({ data: structuredClone(m) });
  return { posted, send };
}

describe('the worker', () => {
  const sha256 = guidelineSha256(GUIDELINE);
  const ctx = { task: TASK.data as Record<string, unknown>, item: 'task 1', annotation: 'a1', author: 'ann' };

  test('answers each version with what a check on the page thread finds, held checks wait, and it locates findings', async () => {
    const { posted, send } = loadWorker();
    send({ type: 'init', guideline: GUIDELINE, sha256 });
    expect(posted[0]).toMatchObject({ type: 'ready' });
    const result = preAnnotation() as ResultEntry[];
    const sender = new EntrySender();
    const post = (version: number, r: ResultEntry[]) => {
      const { entries, commit } = sender.encode(r);
      commit();
      send({ type: 'check', version, entries, ...ctx });
    };
    post(1, result);
    const answer = posted[1] as Extract<FromWorker, { type: 'answer' }>;
    expect(answer.version).toBe(1);
    expect(answer.live.segmentation).toBeNull();
    const here = new LiveChecker(GUIDELINE).check(structuredClone(result), ctx);
    expect(answer.live.findings).toEqual(here.findings);
    expect(answer.live.findings.map((f) => f.rule).sort()).toEqual(['containment.outside', 'volume.below_min']);
    expect(answer.live.checklist.map((r) => r.item.id)).toEqual(here.checklist.map((r) => r.item.id));

    // Held: versions 2 and 3 are not answered until released, then both are, in order.
    send({ type: 'hold', on: true });
    const withoutPolygon = result.filter((r) => r.type !== 'polygonlabels');
    post(2, withoutPolygon);
    post(3, result);
    expect(posted).toHaveLength(2);
    send({ type: 'hold', on: false });
    const answers = posted.slice(2) as Array<Extract<FromWorker, { type: 'answer' }>>;
    expect(answers.map((a) => a.version)).toEqual([2, 3]);
    expect(answers[0].live.findings.map((f) => f.rule)).toEqual(['volume.below_min']);
    expect(answers[1].live.findings.map((f) => f.rule).sort()).toEqual(['containment.outside', 'volume.below_min']);

    const outside = answers[1].live.findings.find((f) => f.rule === 'containment.outside');
    send({ type: 'locate', id: 9, finding: outside! });
    expect(posted.at(-1)).toEqual({ type: 'located', id: 9, regions: ['tumour_poly'] });
  });

  test('a check before init, or with entries it never got, says so instead of answering', async () => {
    const { posted, send } = loadWorker();
    send({ type: 'check', version: 1, entries: [], ...ctx });
    expect(posted).toEqual([{ type: 'failed', message: 'segqc live worker: a check came before init' }]);
    send({ type: 'init', guideline: GUIDELINE, sha256 });
    send({ type: 'check', version: 2, entries: [4], ...ctx });
    expect(posted.at(-1)).toEqual({ type: 'failed', message: 'segqc live worker: result entry 4 was never sent' });
  });
});

describe('the client, when no worker can be had', () => {
  const init = { guideline: GUIDELINE, sha256: 'x' };
  const original = (globalThis as { Worker?: unknown }).Worker;
  afterEach(() => {
    (globalThis as { Worker?: unknown }).Worker = original;
  });

  const events = () => {
    const reasons: string[] = [];
    return { reasons, events: { answer: () => {}, fallback: (r: string) => reasons.push(r) } };
  };

  test('no Worker, or asked not to use one: the page thread, with the reason', () => {
    delete (globalThis as { Worker?: unknown }).Worker;
    const e1 = events();
    const c1 = new LiveClient(init, e1.events, { source: 'void 0' });
    expect([c1.mode, c1.reason, e1.reasons]).toEqual(['main-thread', 'this page has no Web Worker', ['this page has no Web Worker']]);
    expect(c1.post(1, { result: [], task: {}, item: 't', annotation: 'a', author: null })).toBe(false);
    const e2 = events();
    const c2 = new LiveClient(init, e2.events, { source: 'void 0', disabled: 'asked for' });
    expect([c2.mode, c2.reason]).toEqual(['main-thread', 'asked for']);
  });

  test('a Worker the page refuses (thrown, or an error event): the page thread, with the reason; a message that cannot be copied too', () => {
    (globalThis as { Worker?: unknown }).Worker = class {
      constructor() {
        throw new Error('denied by the Content-Security-Policy');
      }
    };
    const e1 = events();
    const c1 = new LiveClient(init, e1.events, { source: 'void 0' });
    expect(c1.mode).toBe('main-thread');
    expect(e1.reasons).toEqual(['the Web Worker could not be started: denied by the Content-Security-Policy']);

    const made: Array<{ onerror: ((e: { message: string; preventDefault(): void }) => void) | null; posted: unknown[]; terminated: boolean }> = [];
    (globalThis as { Worker?: unknown }).Worker = class {
      onerror: ((e: { message: string; preventDefault(): void }) => void) | null = null;
      onmessage = null;
      onmessageerror = null;
      posted: unknown[] = [];
      terminated = false;
      constructor() {
        made.push(this);
      }
      postMessage(m: { type: string; task?: unknown }) {
        if (typeof m.task === 'function') throw new Error('could not be cloned');
        this.posted.push(m);
      }
      terminate() {
        this.terminated = true;
      }
    };
    const e2 = events();
    const c2 = new LiveClient(init, e2.events, { source: 'void 0' });
    expect(c2.mode).toBe('starting');
    expect(made[0].posted).toMatchObject([{ type: 'init' }]);
    expect(c2.post(1, { result: [], task: {}, item: 't', annotation: 'a', author: null })).toBe(true);
    made[0].onerror?.({ message: '', preventDefault: () => {} });
    expect(c2.mode).toBe('main-thread');
    expect(made[0].terminated).toBe(true);
    expect(e2.reasons).toEqual(["the Web Worker failed to start (the page's Content-Security-Policy may forbid blob: workers)"]);

    const e3 = events();
    const c3 = new LiveClient(init, e3.events, { source: 'void 0' });
    expect(c3.post(1, { result: [], task: (() => 0) as unknown as Record<string, unknown>, item: 't', annotation: 'a', author: null })).toBe(false);
    expect([c3.mode, e3.reasons]).toEqual(['main-thread', ['a check could not be sent to the Web Worker: could not be cloned']]);
  });
});
