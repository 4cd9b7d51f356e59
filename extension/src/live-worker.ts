/**
 * The live-check Web Worker's side: the rule engine and the rasterized regions live in the worker, in a heap of its
 * own, so a check never holds up the editor's frames. The worker runs the page bundle itself (see live-client.ts).
 */
import { LiveChecker } from './live.js';
import { regionsOfFinding } from './locate.js';
import { EntryStore, type FromWorker, type ToWorker } from './live-protocol.js';
import { warmUp } from './warm-up.js';

/** The part of a worker's global scope the live check uses. */
export interface WorkerScope {
  postMessage(m: FromWorker): void;
  onmessage: ((e: MessageEvent<ToWorker>) => void) | null;
}

/** Answers the page's messages in this worker (`scope`: the worker's global scope). */
export function startLiveWorker(scope: WorkerScope = self as unknown as WorkerScope): void {
  let checker: LiveChecker | null = null;
  const store = new EntryStore();
  let held: Array<Extract<ToWorker, { type: 'check' }>> | null = null;
  let last: ReturnType<LiveChecker['check']> | null = null;

  const run = (m: Extract<ToWorker, { type: 'check' }>): void => {
    if (!checker) throw new Error('segqc live worker: a check came before init');
    const result = store.decode(m.entries);
    last = checker.check(result, { task: m.task, item: m.item, annotation: m.annotation, author: m.author, answers: m.answers });
    scope.postMessage({ type: 'answer', version: m.version, live: { ...last, segmentation: null } });
  };

  scope.onmessage = (e) => {
    const m = e.data;
    try {
      if (m.type === 'init') {
        checker = new LiveChecker(m.guideline, { spacingField: m.spacingField, sha256: m.sha256 });
        const w = warmUp(m.guideline, m.sha256);
        scope.postMessage({ type: 'ready', warmUpMs: w.ms });
      } else if (m.type === 'check') {
        if (held) held.push(m);
        else run(m);
      } else if (m.type === 'locate') {
        scope.postMessage({ type: 'located', id: m.id, regions: last ? regionsOfFinding(m.finding, last.regions, last.segmentation) : [] });
      } else if (m.type === 'hold') {
        if (m.on) held ??= [];
        else {
          const queue = held ?? [];
          held = null;
          for (const q of queue) run(q);
        }
      }
    } catch (err) {
      scope.postMessage({ type: 'failed', message: (err as Error).message ?? String(err) });
    }
  };
}
