/** Where the save gate goes into the editor: the first of its store middleware, its store actions, its event bus, the page's buttons. */
import { addActionMiddleware } from './editor.js';
import type { SaveHook } from './state.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;

const GATED_EVENTS = new Set(['submitAnnotation', 'updateAnnotation']);

/** Replaces store actions (configurable, non-writable properties in MobX-State-Tree) with gated ones. */
function wrapActions(target: Any, names: string[], gate: () => boolean, cleanups: Array<() => void>): boolean {
  const originals = names.map((n) => [n, target[n], Object.getOwnPropertyDescriptor(target, n)] as const);
  if (originals.some(([, fn, d]) => typeof fn !== 'function' || (d && !d.configurable && !d.writable))) return false;
  for (const [name, fn, desc] of originals) {
    const gated = function (this: unknown, ...args: unknown[]) {
      if (!gate()) return undefined;
      return fn.apply(this, args);
    };
    Object.defineProperty(target, name, { value: gated, configurable: true, writable: true, enumerable: desc?.enumerable ?? false });
    cleanups.push(() => {
      if (target[name] !== gated) return;
      if (desc) Object.defineProperty(target, name, desc);
      else delete target[name];
    });
  }
  return true;
}

/**
 * Puts `gate` (false: do not save) where the editor decides to save: its `submitAnnotation` / `updateAnnotation`
 * actions, before they mark the annotation as sent. Preferably as a mobx-state-tree middleware on the store, which
 * sees every call of them, also through a reference a toolbar took before segqc attached (some builds render
 * `onClick={store.submitAnnotation}`); else by replacing the actions (their properties are configurable in the
 * builds we know), which misses such references. Without them: the event bus's `invoke`; without that: the
 * Submit/Update buttons and Ctrl+Enter. Returns where it went, or null while the store is not there yet.
 */
export function hookSave(store: Any, events: Any, doc: Document | null, gate: () => boolean, cleanups: Array<() => void>): SaveHook | null {
  const remove =
    store &&
    addActionMiddleware(store, (call, next, abort) => {
      const saving = call.context === store && GATED_EVENTS.has(call.name) && (call.type === undefined || call.type === 'action' || call.type === 'flow_spawn');
      if (saving && !gate()) abort(undefined);
      else next(call);
    });
  if (remove) {
    cleanups.push(remove);
    return 'middleware';
  }
  if (store && wrapActions(store, ['submitAnnotation', 'updateAnnotation'], gate, cleanups)) return 'store';
  // The store appears asynchronously after `new LabelStudio(...)`: the caller tries again.
  if (!store) return null;
  if (events && typeof events.invoke === 'function') {
    const original = events.invoke;
    const wrapped = function (this: unknown, name: string, ...args: unknown[]) {
      if (GATED_EVENTS.has(name) && !gate()) return undefined;
      return original.call(this, name, ...args);
    };
    events.invoke = wrapped;
    cleanups.push(() => {
      if (events.invoke === wrapped) events.invoke = original;
    });
    return 'events';
  }
  if (!doc) return null;
  const onClick = (e: Event) => {
    const t = e.target as HTMLElement | null;
    const button = t?.closest?.('button');
    if (!button || !/^(submit|update)$/i.test((button.textContent ?? '').trim())) return;
    if (!gate()) {
      e.preventDefault();
      e.stopImmediatePropagation();
    }
  };
  const onKey = (e: KeyboardEvent) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey || e.altKey) && !gate()) {
      e.preventDefault();
      e.stopImmediatePropagation();
    }
  };
  doc.defaultView?.addEventListener('click', onClick, true);
  doc.defaultView?.addEventListener('keydown', onKey, true);
  cleanups.push(() => {
    doc.defaultView?.removeEventListener('click', onClick, true);
    doc.defaultView?.removeEventListener('keydown', onKey, true);
  });
  return 'dom';
}
