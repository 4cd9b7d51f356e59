/**
 * The page's side of the live-check worker: starts it from a Blob URL (which works for a script tag, the Enterprise
 * plugin editor and the browser extension alike), posts what changed, and hands back answers. The script bundles
 * (scripts/build.mjs) wrap their code in a function, `__segqcBundle(worker)`: the worker runs that function's own
 * source with `worker` true, so the bundle holds the checker once; the ESM build embeds a worker bundle as a string.
 * When no worker can be had (no `Worker`, a Content-Security-Policy without `blob:` workers, a message the browser
 * cannot copy) it says why, and the caller checks on the page's thread.
 */
import type { Guideline } from '../../shared/guideline/types.js';
import type { ChecklistAnswers, Finding } from '../../shared/rules/types.js';
import type { ResultEntry } from './editor.js';
import { EntrySender, type FromWorker, type LiveAnswer, type ToWorker } from './live-protocol.js';
import { startLiveWorker } from './live-worker.js';

declare const __SEGQC_LIVE_WORKER__: string | undefined;
declare const __segqcBundle: ((worker: boolean) => unknown) | undefined;
declare const __segqcWorker: boolean | undefined;

/** The worker's source: this script bundle run as a worker, or the embedded worker bundle; undefined under tests in Node. */
export function workerSource(): string | undefined {
  if (typeof __segqcBundle === 'function') return `(${__segqcBundle.toString()})(true);`;
  return typeof __SEGQC_LIVE_WORKER__ === 'string' ? __SEGQC_LIVE_WORKER__ : undefined;
}

// This bundle, started as the live-check worker.
if (typeof __segqcWorker === 'boolean' && __segqcWorker) startLiveWorker();

/** Where the live check runs: starting the worker, in it, or on the page's thread (with why). */
export type LiveMode = 'starting' | 'worker' | 'main-thread';

/** What the client tells its owner. */
export interface LiveClientEvents {
  /** The answer for a posted version. */
  answer(version: number, live: LiveAnswer): void;
  /** The worker is gone or never came: check on the page's thread from now on (`reason` says why). */
  fallback(reason: string): void;
}

/** What one check asks. */
export interface LiveRequest {
  result: ResultEntry[];
  task: Record<string, unknown>;
  item: string;
  annotation: string;
  author: string | null;
  answers?: ChecklistAnswers;
}

/** A live-check worker, or the reason there is none. */
export class LiveClient {
  mode: LiveMode = 'starting';
  reason: string | null = null;
  warmUpMs: number | null = null;
  private worker: Worker | null = null;
  private url: string | null = null;
  private readonly sender = new EntrySender();
  private readonly located = new Map<number, (ids: string[]) => void>();
  private nextLocate = 1;

  constructor(
    init: { guideline: Guideline; sha256: string; spacingField?: string | null },
    private readonly events: LiveClientEvents,
    opts: { source?: string; disabled?: string | null } = {},
  ) {
    const source = opts.source ?? workerSource();
    const why = opts.disabled ?? (typeof Worker !== 'function' ? 'this page has no Web Worker' : typeof Blob !== 'function' || typeof URL?.createObjectURL !== 'function' ? 'this page cannot make Blob URLs' : !source ? 'this build has no worker bundle' : null);
    if (why) {
      this.fail(why);
      return;
    }
    try {
      this.url = URL.createObjectURL(new Blob([source as string], { type: 'text/javascript' }));
      const w = new Worker(this.url, { name: 'segqc-live-check' });
      this.worker = w;
      w.onmessage = (e: MessageEvent<FromWorker>) => this.receive(e.data);
      w.onerror = (e) => {
        e.preventDefault?.();
        this.fail(`the Web Worker failed${e.message ? `: ${e.message}` : ' to start (the page\'s Content-Security-Policy may forbid blob: workers)'}`);
      };
      w.onmessageerror = () => this.fail('a message from the Web Worker could not be read');
      this.send({ type: 'init', guideline: init.guideline, sha256: init.sha256, spacingField: init.spacingField });
    } catch (e) {
      this.fail(`the Web Worker could not be started: ${(e as Error).message ?? String(e)}`);
    }
  }

  /** Posts a check; false when it cannot go to a worker (the caller checks on its own thread). */
  post(version: number, r: LiveRequest): boolean {
    if (!this.worker) return false;
    const { entries, commit } = this.sender.encode(r.result);
    const ok = this.send({ type: 'check', version, entries, task: r.task, item: r.item, annotation: r.annotation, author: r.author, ...(r.answers ? { answers: r.answers } : {}) });
    if (ok) commit();
    return ok;
  }

  /** The export ids of the regions a finding is about, as the worker's last check has them. */
  locate(finding: Finding): Promise<string[]> {
    if (!this.worker) return Promise.resolve([]);
    const id = this.nextLocate++;
    return new Promise((ok) => {
      this.located.set(id, ok);
      if (!this.send({ type: 'locate', id, finding })) {
        this.located.delete(id);
        ok([]);
      }
    });
  }

  /** Test hook: holds checks in the worker (answers stay pending) until released. */
  hold(on: boolean): void {
    this.send({ type: 'hold', on });
  }

  destroy(): void {
    this.worker?.terminate();
    this.worker = null;
    this.revoke();
    for (const ok of this.located.values()) ok([]);
    this.located.clear();
  }

  private send(m: ToWorker): boolean {
    if (!this.worker) return false;
    try {
      this.worker.postMessage(m);
      return true;
    } catch (e) {
      this.fail(`a check could not be sent to the Web Worker: ${(e as Error).message ?? String(e)}`);
      return false;
    }
  }

  private receive(m: FromWorker): void {
    if (!this.worker) return;
    if (m.type === 'ready') {
      this.mode = 'worker';
      this.warmUpMs = m.warmUpMs;
      this.revoke();
    } else if (m.type === 'answer') this.events.answer(m.version, m.live);
    else if (m.type === 'located') {
      this.located.get(m.id)?.(m.regions);
      this.located.delete(m.id);
    } else if (m.type === 'failed') this.fail(`the Web Worker's check failed: ${m.message}`);
  }

  private revoke(): void {
    if (this.url) URL.revokeObjectURL(this.url);
    this.url = null;
  }

  private fail(reason: string): void {
    if (this.mode === 'main-thread') return;
    this.mode = 'main-thread';
    this.reason = reason;
    this.destroy();
    this.events.fallback(reason);
  }
}
