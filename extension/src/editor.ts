/**
 * The Label Studio editor as segqc uses it, reached by feature detection only (internal APIs differ between editor
 * builds): the app store, the selected annotation, its areas and results, and the controls segqc writes.
 */

import { strokesOf, type Stroke } from './strokes.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;

/** A serialized result entry, as in a Label Studio export. */
export type ResultEntry = Record<string, unknown> & { id?: string; from_name?: string; type?: string; value?: Record<string, unknown> };

/** The app store of an editor instance: `ls.store`, the store itself, or `window.Htx`. */
export function findStore(ls: unknown): Any | null {
  const o = ls as Any;
  if (o?.store?.annotationStore) return o.store;
  if (o?.annotationStore) return o;
  const htx = (globalThis as Any).Htx;
  return htx?.annotationStore ? htx : null;
}

/** The event bus of an editor instance (`ls.events`, with `on`/`off`), when it has one. */
export function findEvents(ls: unknown): Any | null {
  const e = (ls as Any)?.events;
  return e && typeof e.on === 'function' && typeof e.off === 'function' ? e : null;
}

/** Editor instances on the page (`LabelStudio.instances` in builds that keep them). */
export function editorInstances(win: Any = globalThis): Any[] {
  const set = win.LabelStudio?.instances;
  return set && typeof set[Symbol.iterator] === 'function' ? [...set] : [];
}

export const selectedAnnotation = (store: Any): Any | null => store?.annotationStore?.selected ?? null;

/** The task data (`task.dataObj`, or the JSON string in `task.data`). */
export function taskData(store: Any): Record<string, unknown> {
  const t = store?.task;
  if (!t) return {};
  if (t.dataObj && typeof t.dataObj === 'object') return t.dataObj;
  if (typeof t.data === 'string') {
    try {
      return JSON.parse(t.data);
    } catch {
      return {};
    }
  }
  return typeof t.data === 'object' && t.data ? t.data : {};
}

export const taskId = (store: Any): string | null => (store?.task?.id === undefined || store?.task?.id === null ? null : String(store.task.id));

/**
 * The options an editor instance was created with (`new LabelStudio(el, options)` keeps them as `ls.options`): from
 * the instance, or for a bare store from the instance in `LabelStudio.instances` that owns it.
 */
export function editorOptions(ls: unknown, store: Any, win: Any = globalThis): Any | null {
  const o = ls as Any;
  if (o?.store?.annotationStore && o.options && typeof o.options === 'object') return o.options;
  if (!store) return null;
  const inst = editorInstances(win).find((i) => i?.store === store && i.options && typeof i.options === 'object');
  return inst ? inst.options : null;
}

const nonEmpty = (v: unknown): string | null => (typeof v === 'string' && v.trim() !== '' ? v : null);

/**
 * Who is annotating: e-mail, username, full name or id, whichever the store has. Some builds keep only the id and
 * name in the store's user model and drop the rest of what the page gave: `given` (the user of the editor's options)
 * fills in what the store lacks.
 */
export function currentUser(store: Any, given?: Any): string | null {
  const users = [store?.user, given].filter((u): u is Any => !!u && typeof u === 'object');
  const first = (...keys: string[]): string | null => {
    for (const k of keys) for (const u of users) if (nonEmpty(u[k])) return u[k];
    return null;
  };
  const name = users
    .map((u) => [u.firstName ?? u.first_name, u.lastName ?? u.last_name].filter((x: unknown) => nonEmpty(x)).join(' '))
    .find((n) => n !== '');
  const v = first('email') ?? first('username') ?? name ?? users.map((u) => u.id ?? u.pk).find((x) => x !== undefined && x !== null && x !== '');
  return v === undefined || v === null || v === '' ? null : String(v);
}

/**
 * Who made an annotation: its user (resolved from `completed_by` against the editor's `users`), else its
 * `createdBy` when that names someone (Label Studio's "email, id"); null when the editor does not say.
 */
export function annotationAuthor(annotation: Any): string | null {
  const u = annotation?.user;
  if (u && typeof u === 'object') return currentUser({ user: u });
  const c = annotation?.createdBy;
  if (typeof c === 'string' && (/,\s*\d+$/.test(c) || c.includes('@'))) return c.replace(/,\s*\d+$/, '').trim() || null;
  return null;
}

/** Whether the annotation is the current user's: made in this editor session, or its user is the store's user. */
export function ownAnnotation(annotation: Any, store: Any): boolean {
  if (annotation?.userGenerate === true) return true;
  const a = annotation?.user?.id;
  const me = store?.user?.id;
  return a !== undefined && a !== null && me !== undefined && me !== null && String(a) === String(me);
}

/**
 * The task's other annotations as last saved (`versions.result`, the result the editor was given or last saved; both
 * editor builds keep it), without serializing their regions. An annotation without a saved result is left out.
 */
export function otherAnnotations(store: Any, selected: Any): Array<{ annotation: string; result: unknown[] }> {
  const all = store?.annotationStore?.annotations;
  if (!Array.isArray(all) && typeof all?.[Symbol.iterator] !== 'function') return [];
  const out: Array<{ annotation: string; result: unknown[] }> = [];
  for (const a of all as Iterable<Any>) {
    const result = a?.versions?.result;
    if (a === selected || !Array.isArray(result)) continue;
    out.push({ annotation: String(a.pk ?? a.id), result });
  }
  return out;
}

/** A control tag of the annotation's labeling config, by name. */
export function control(annotation: Any, name: string): Any | null {
  const names = annotation?.names;
  if (names && typeof names.get === 'function') return names.get(name) ?? null;
  return null;
}

/** Control names of the config (the keys of `annotation.names`). */
export function controlNames(annotation: Any): string[] {
  const names = annotation?.names;
  if (names && typeof names.keys === 'function') return [...names.keys()].map(String);
  return [];
}

/** The id a region has in exports (`cleanId`, or `id` without the editor's `#annotation` suffix). */
export const exportId = (area: Any): string => String(area?.cleanId ?? String(area?.id ?? '').split('#')[0]);

/** Every area (regions and classifications) of the annotation. */
export function areas(annotation: Any): Any[] {
  const a = annotation?.areas;
  if (a && typeof a.values === 'function') return [...a.values()];
  const regs = annotation?.regionStore?.regions;
  return Array.isArray(regs) ? regs : [];
}

/** A token that changes whenever the annotation's areas change: the current undo snapshot, when the editor has one. */
export function changeToken(annotation: Any): unknown {
  const h = annotation?.history;
  if (h && Array.isArray(h.history) && typeof h.undoIdx === 'number') return h.history[h.undoIdx];
  return undefined;
}

/** Per-area serialization memo: an area whose undo snapshot is the same object as last time is not re-serialized. */
export type SerializeCache = Map<string, { token: unknown; sizes: string; results: ResultEntry[] }>;

/** A brush region whose mask is its stored RLE (no strokes drawn since): serializing it needs no canvas. */
const settledBrush = (area: Any): boolean => Array.isArray(area?.rle) && area.rle.length > 0 && (area.touches?.length ?? 0) === 0;

/** A brush region with strokes not yet turned into RLE (and no mask image): the live check paints them itself. */
const strokedBrush = (area: Any): boolean =>
  area?.type === 'brushregion' && (area.touches?.length ?? 0) > 0 && !area.maskDataURL && (area.rle === undefined || area.rle === null || Array.isArray(area.rle));

/** A result entry of a stroked brush region: its stored RLE in `value.rle`, its strokes beside. */
export type StrokedEntry = ResultEntry & { segqcStrokes: Stroke[] };

export const isStroked = (r: ResultEntry): r is StrokedEntry => Array.isArray((r as Partial<StrokedEntry>).segqcStrokes);

/**
 * An object tag whose image has not loaded yet: it says it is not ready and its natural size is still the 1×1
 * placeholder (results serialized now would carry `original_width` 1; builds that know the size early are fine).
 */
export function objectNotLoaded(obj: Any): boolean {
  if (!obj || obj.isReady === true) return false;
  const w = obj.naturalWidth;
  const h = obj.naturalHeight;
  return typeof w === 'number' && typeof h === 'number' && w <= 1 && h <= 1;
}

/**
 * The natural sizes of the annotation's object tags. Loading an image changes them without an undo step (builds
 * without `isReady`, such as @heartexlabs/label-studio 1.4.0, serialize 1×1 until then), so results serialized
 * under other sizes are stale.
 */
export function objectSizes(annotation: Any): string {
  const objs = annotation?.objects;
  if (!Array.isArray(objs)) return '';
  return objs.map((o: Any) => `${o?.name ?? ''}:${o?.naturalWidth ?? ''}x${o?.naturalHeight ?? ''}`).join(';');
}

/** Whether any object tag of the annotation (`annotation.objects`) has not loaded its image yet. */
export function objectsLoading(annotation: Any): boolean {
  const objs = annotation?.objects;
  return Array.isArray(objs) && objs.some(objectNotLoaded);
}

/**
 * A serialized region that came out empty because its canvas was not drawn yet (brush regions export their canvas),
 * or that belongs to an image not loaded yet (its sizes are placeholders).
 */
const unrendered = (annotation: Any, r: ResultEntry | null): boolean =>
  !r ||
  (!isStroked(r) && Array.isArray(r.value?.rle) && (r.value.rle as unknown[]).length === 0) ||
  (typeof r.to_name === 'string' && objectNotLoaded(control(annotation, r.to_name)));

/** The entries of an area's results, as `serialize(options)` gives them (null where a result cannot). */
const serializeArea = (area: Any, options: { fast: true } | undefined): Array<ResultEntry | null> =>
  (area.results as Any[]).map((r) => (typeof r.serialize === 'function' ? (r.serialize(options) as ResultEntry | null) : null));

/**
 * The annotation's result as the editor would save it. With a cache, only areas whose undo snapshot changed are
 * serialized again, and settled brush regions give their stored RLE instead of exporting their canvas; `exact`
 * serializes every area the way saving does, but for settled brush regions, whose stored RLE is what the editor's
 * canvas export gives back (a browser test holds both builds to that), so the gate does not pay for 20 canvas
 * exports of a 2048² image. `incomplete` is set when a region could not be serialized yet.
 */
export function serializeResult(annotation: Any, cache?: SerializeCache, exact = false): { result: ResultEntry[]; incomplete: boolean } {
  const snap = changeToken(annotation) as Record<string, unknown> | undefined;
  const list = areas(annotation);
  const perArea = list.length > 0 && list.every((a) => Array.isArray(a?.results));
  if (exact && perArea) {
    const out: ResultEntry[] = [];
    for (const area of list) {
      const entries = serializeArea(area, settledBrush(area) ? { fast: true } : undefined);
      out.push(...entries.filter((e): e is ResultEntry => e !== null));
    }
    return { result: out, incomplete: objectsLoading(annotation) };
  }
  const canIncrement = !exact && cache && snap && typeof snap === 'object' && perArea;
  if (!canIncrement) {
    // Before an image has loaded the editor serializes placeholder sizes: the caller checks again once it has.
    const incomplete = objectsLoading(annotation);
    if (typeof annotation?.serializeAnnotation === 'function') return { result: annotation.serializeAnnotation() as ResultEntry[], incomplete };
    return { result: [], incomplete };
  }
  const out: ResultEntry[] = [];
  const live = new Set<string>();
  const sizes = objectSizes(annotation);
  let incomplete = false;
  for (const area of list) {
    const id = String(area.id);
    live.add(id);
    const token = snap[id];
    const hit = cache.get(id);
    if (hit && token !== undefined && hit.token === token && hit.sizes === sizes) {
      out.push(...hit.results);
      continue;
    }
    const stroked = strokedBrush(area);
    const raw = serializeArea(area, settledBrush(area) || stroked ? { fast: true } : undefined).map((e) => {
      if (!e || !stroked) return e;
      const { touches: _touches, ...value } = (e.value ?? {}) as Record<string, unknown>;
      return { ...e, value: { ...value, rle: Array.isArray(area.rle) ? area.rle : [] }, segqcStrokes: strokesOf(area.touches) } as StrokedEntry;
    });
    const results = raw.filter((r): r is ResultEntry => !unrendered(annotation, r));
    if (results.length < raw.length) incomplete = true;
    else cache.set(id, { token, sizes, results });
    out.push(...results);
  }
  for (const k of [...cache.keys()]) if (!live.has(k)) cache.delete(k);
  return { result: out, incomplete };
}

/** An action call as mobx-state-tree middleware sees it. */
export interface ActionCall {
  name: string;
  type?: string;
  context: unknown;
}

/** A mobx-state-tree middleware: calls `next(call)` to run the action, or `abort(value)` to return without it. */
export type ActionMiddleware = (call: ActionCall, next: (call: ActionCall) => unknown, abort: (value: unknown) => unknown) => void;

/**
 * Runs `middleware` around every action of the store's tree, through mobx-state-tree's middleware on the store's
 * node (`store.$treenode.addMiddleWare`, what MST's `addMiddleware` calls): unlike replacing an action, this also
 * catches calls through references taken before (a toolbar that rendered `onClick={store.submitAnnotation}`).
 * Returns the remover, or null when the build does not expose it.
 */
export function addActionMiddleware(store: Any, middleware: ActionMiddleware): (() => void) | null {
  const node = store?.$treenode;
  if (!node || typeof node.addMiddleWare !== 'function') return null;
  const remove = node.addMiddleWare(middleware, false);
  // A build whose remover is not a function keeps the middleware: the caller's middleware must pass calls through once detached.
  return typeof remove === 'function' ? () => void remove() : () => {};
}

/** Selects regions by their export ids; returns how many were found. */
export function selectRegions(annotation: Any, ids: string[]): number {
  const want = new Set(ids);
  const found = areas(annotation).filter((a) => want.has(exportId(a)) && !a.classification);
  if (found.length === 0) return 0;
  if (typeof annotation.selectAreas === 'function') annotation.selectAreas(found);
  else if (typeof annotation.selectArea === 'function') annotation.selectArea(found[0]);
  else if (typeof annotation.regionStore?.selectRegionsByIds === 'function') annotation.regionStore.selectRegionsByIds(found.map((a) => a.id));
  else return 0;
  return found.length;
}

/** Whether a Choices control has the choice whose value or alias is `value` selected. */
export function choiceSelected(ctrl: Any, value: string): boolean {
  const c = findChoice(ctrl, value);
  return !!c && (c.sel === true || c._sel === true);
}

function findChoice(ctrl: Any, value: string): Any | null {
  const kids: Any[] = ctrl?.tiedChildren ?? ctrl?.children ?? [];
  return kids.find((c) => c?.alias === value || c?.value === value || c?.resultValue === value) ?? null;
}

/** Selects or clears one choice of a Choices control and updates the annotation's result. */
export function setChoice(ctrl: Any, value: string, on: boolean): boolean {
  const c = findChoice(ctrl, value);
  if (!c) return false;
  const sel = c.sel === true || c._sel === true;
  if (sel === on) return true;
  if (typeof c.toggleSelected === 'function') {
    c.toggleSelected();
    return true;
  }
  if (typeof c.setSelected === 'function' && typeof ctrl.updateResult === 'function') {
    c.setSelected(on);
    ctrl.updateResult();
    return true;
  }
  return false;
}

/** Replaces the text of a TextArea control with one value, keeping its result (and region id) when it has one. */
export function setText(ctrl: Any, text: string): boolean {
  if (!ctrl) return false;
  if (ctrl.result && typeof ctrl.updateFromResult === 'function' && typeof ctrl.onChange === 'function') {
    ctrl.updateFromResult([text]);
    ctrl.onChange();
    return true;
  }
  if (typeof ctrl.addText === 'function') {
    if (Array.isArray(ctrl.regions) && typeof ctrl.remove === 'function') for (const r of [...ctrl.regions]) ctrl.remove(r);
    ctrl.addText(text);
    return true;
  }
  return false;
}

/** The values of a TextArea control's result. */
export function textValues(ctrl: Any): string[] {
  const v = ctrl?.result?.mainValue ?? ctrl?.result?.value?.text;
  if (Array.isArray(v)) return v.map(String);
  if (v && typeof v.toJSON === 'function') return (v.toJSON() as unknown[]).map(String);
  return [];
}
