/**
 * The live-check Web Worker (built into a string the page bundles embed, started from a Blob URL): the rule engine
 * and the rasterized regions live here, in a heap of their own, so a check never holds up the editor's frames.
 */
import { LiveChecker } from './live.js';
import { regionsOfFinding } from './locate.js';
import { EntryStore, type FromWorker, type ToWorker } from './live-protocol.js';
import { warmUp } from './warm-up.js';

interface WorkerScope {
  postMessage(m: FromWorker): void;
  onmessage: ((e: MessageEvent<ToWorker>) => void) | null;
}

const scope = self as unknown as WorkerScope;
let checker: LiveChecker | null = null;
const store = new EntryStore();
let held: Array<Extract<ToWorker, { type: 'check' }>> | null = null;
let last: ReturnType<LiveChecker['check']> | null = null;

function run(m: Extract<ToWorker, { type: 'check' }>): void {
  if (!checker) throw new Error('segqc live worker: a check came before init');
  const result = store.decode(m.entries);
  last = checker.check(result, { task: m.task, item: m.item, annotation: m.annotation, author: m.author, answers: m.answers });
  scope.postMessage({ type: 'answer', version: m.version, live: { ...last, segmentation: null } });
}

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
      const f = m.finding;
      scope.postMessage({ type: 'located', id: m.id, regions: last ? regionsOfFinding(f, last.regions, last.segmentation) : [] });
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
