/** `SegQC.attach(labelStudio, { guideline })`: live checks, the QC panel, the submit gate and the attestation. */
import type { Guideline } from '../../shared/guideline/types.js';
import type { ChecklistAnswers, Finding } from '../../shared/rules/types.js';
import { ATTESTATION_FROM_NAME, CHECKLIST_FROM_NAME_PREFIX, CHECKLIST_YES } from '../../shared/rules/types.js';
import { validateAttestation } from '../../shared/rules/attestation.js';
import {
  addActionMiddleware,
  changeToken,
  control,
  currentUser,
  editorOptions,
  findEvents,
  findStore,
  selectRegions,
  selectedAnnotation,
  serializeResult,
  objectSizes,
  setChoice,
  setText,
  taskData,
  taskId,
  type SerializeCache,
} from './editor.js';
import { isCspRefusal, resolveGuidelineDetailed } from './guideline-input.js';
import { LiveChecker, buildAttestation, gateVerdict, type GateVerdict, type LiveState, type Override } from './live.js';
import { regionsOfFinding } from './locate.js';
import { Panel } from './panel.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;

/** Options of `attach`. */
export interface AttachOptions {
  /** The guideline: its parsed object, or its YAML or JSON text. */
  guideline: unknown;
  /** Where the panel goes: an element, a CSS selector, or nothing for a floating panel; `false` for no panel. */
  panel?: HTMLElement | string | null | false;
  /** Task data field holding the pixel spacing in mm (default `pixel_spacing` when the task has it). */
  spacingField?: string | null;
  /** Debounce of the live check after a change, in ms (default 150). */
  debounceMs?: number;
  /** How often the store is looked at for changes no event reports (a moved polygon point), in ms (default 200). */
  pollMs?: number;
  /**
   * How saving is gated: `events` wraps the editor's submit/update events (default); `external` leaves it to the
   * caller, who calls `beforeSave()` (the Enterprise plugin's `beforeSaveAnnotation`).
   */
  gate?: 'events' | 'external';
  /** Who is annotating, for overrides (default: the editor's user). */
  user?: string | null;
  /** Called after every check. */
  onCheck?: (report: CheckReport) => void;
}

/** The outcome of a check, as data. */
export interface CheckReport {
  guideline: { id: string; version: string; sha256: string };
  findings: Finding[];
  checklist: Array<{ id: string; prompt: string; visible: boolean; answered: boolean; required: boolean }>;
  blocked: boolean;
  missing: string[];
  overrides: Override[];
  /** Whether the labeling config has the attestation TextArea and the checklist Choices. */
  fields: { attestation: boolean; checklist: boolean };
  notes: string[];
  ms: number;
}

/** What `attach` returns. */
export interface SegQCHandle {
  readonly guideline: Guideline;
  /**
   * Checks the selected annotation now and returns the report. `exact` serializes every region as saving does
   * (the live check reuses what did not change and paints fresh brush strokes itself).
   */
  check(opts?: { exact?: boolean }): CheckReport;
  /** The gate: false (and the panel says why) when saving must not happen; else writes the attestation and returns true. */
  beforeSave(): boolean;
  /** Records an override with a typed reason (the panel's Override button does the same). */
  override(rule: Finding['rule'], label: string | null, reason: string): boolean;
  detach(): void;
}

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

/** Attaches segqc to an editor instance (`new LabelStudio(...)`), its store, or the page's `window.Htx`. */
export function attach(labelStudio: unknown, options: AttachOptions): SegQCHandle {
  const { guideline, schemaChecked } = resolveGuidelineDetailed(options.guideline);
  const checker = new LiveChecker(guideline, { spacingField: options.spacingField });
  const doc: Document | null = typeof document === 'undefined' ? null : document;
  const events = findEvents(labelStudio);
  const debounceMs = options.debounceMs ?? 150;
  const pollMs = options.pollMs ?? 200;

  let annotation: Any = null;
  let lastToken: unknown = undefined;
  let lastSizes = '';
  let serializeCache: SerializeCache = new Map();
  let localAnswers: ChecklistAnswers = {};
  let overrides: Override[] = [];
  let timer: ReturnType<typeof setTimeout> | null = null;
  let detached = false;
  let lastState: LiveState | null = null;
  /** A region could not be serialized yet (its canvas is not drawn): check again at the next poll. */
  let pendingRegions = false;
  let lastVerdict: GateVerdict | null = null;
  /** Where saving is gated, once the editor's store is there. */
  let gateInstalled: 'middleware' | 'store' | 'events' | 'dom' | null = null;
  const cleanups: Array<() => void> = [];

  const store = (): Any => findStore(labelStudio);

  const fields = (ann: Any) => ({
    attestation: !!control(ann, ATTESTATION_FROM_NAME),
    checklist: (guideline.checklist ?? []).every((i) => !!control(ann, `${CHECKLIST_FROM_NAME_PREFIX}${i.id}`)),
  });

  const notesFor = (f: { attestation: boolean; checklist: boolean }, state: LiveState | null): string[] => {
    const notes: string[] = [];
    if (!annotation) notes.push('Waiting for the editor to load an annotation.');
    if (annotation && !f.attestation) {
      notes.push(
        `This labeling config has no "${ATTESTATION_FROM_NAME}" TextArea, so the attestation cannot be saved with the annotation (generate the config with "segqc guideline labelconfig"). Saving is still gated.`,
      );
    }
    if (annotation && !f.checklist && (guideline.checklist ?? []).length > 0) {
      notes.push(`This labeling config lacks the "${CHECKLIST_FROM_NAME_PREFIX}…" checklist Choices: answers stay in this panel and are not exported with the annotation.`);
    }
    if (state?.pixelsOnly) notes.push('The task has no pixel spacing field: sizes are in pixels and the guideline\'s mm² limits cannot be checked exactly.');
    if (!schemaChecked) {
      notes.push('This page\'s Content-Security-Policy forbids the schema validator, so the guideline was only read, not validated here: validate it with "segqc guideline validate".');
    }
    if (gateInstalled === 'dom') notes.push('The editor\'s save actions were not found: saving is gated at the Submit/Update buttons and Ctrl+Enter only.');
    return notes;
  };

  const userName = () => {
    if (options.user !== undefined) return options.user;
    const st = store();
    return currentUser(st, editorOptions(labelStudio, st)?.user);
  };

  const runCheck = (exact: boolean): LiveState | null => {
    const st = store();
    const ann = selectedAnnotation(st);
    if (ann !== annotation) {
      annotation = ann;
      serializeCache = new Map();
      localAnswers = {};
      overrides = [];
    }
    if (!ann) return null;
    lastToken = changeToken(ann);
    lastSizes = objectSizes(ann);
    const { result, incomplete } = serializeResult(ann, exact ? undefined : serializeCache, exact);
    pendingRegions = incomplete;
    const f = fields(ann);
    const data = taskData(st);
    const id = taskId(st);
    return checker.check(result, {
      task: data,
      item: id === null ? 'task' : `task ${id}`,
      annotation: String(ann.pk ?? ann.id ?? 'new'),
      author: userName(),
      answers: f.checklist ? undefined : localAnswers,
    });
  };

  const report = (state: LiveState | null, verdict: GateVerdict | null): CheckReport => {
    const f = annotation ? fields(annotation) : { attestation: false, checklist: false };
    return {
      guideline: { id: guideline.id, version: guideline.version, sha256: checker.sha256 },
      findings: state?.findings ?? [],
      checklist: (state?.checklist ?? []).map((r) => ({ id: r.item.id, prompt: r.item.prompt, visible: r.visible, answered: r.answered, required: r.required })),
      blocked: verdict?.blocked ?? true,
      missing: verdict?.missing ?? ['the editor has no annotation selected'],
      overrides: [...overrides],
      fields: f,
      notes: notesFor(f, state),
      ms: state?.ms ?? 0,
    };
  };

  let panel: Panel | null = null;
  let gateShown = false;
  const showGate = (lines: string[] | null) => {
    gateShown = !!lines && lines.length > 0;
    panel?.showGate(lines);
  };
  const render = () => {
    if (!panel || !lastState || !lastVerdict) return;
    const f = annotation ? fields(annotation) : { attestation: false, checklist: false };
    panel.render({
      guideline: { id: guideline.id, version: guideline.version, title: guideline.title },
      notes: notesFor(f, lastState),
      state: lastState,
      verdict: lastVerdict,
      overrides,
    });
  };

  const check = (exact = false): CheckReport => {
    if (timer) clearTimeout(timer);
    timer = null;
    const state = runCheck(exact);
    const verdict = state ? gateVerdict(guideline, state, overrides) : null;
    lastState = state;
    lastVerdict = verdict;
    render();
    // A gate message on screen follows the annotation: it shrinks as things get fixed and goes when nothing is left.
    if (gateShown && verdict) showGate(verdict.blocked ? verdict.missing : null);
    const r = report(state, verdict);
    options.onCheck?.(r);
    return r;
  };

  const schedule = () => {
    if (detached) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => check(), debounceMs);
  };

  const answer = (itemId: string, yes: boolean) => {
    const ann = annotation;
    const ctrl = ann ? control(ann, `${CHECKLIST_FROM_NAME_PREFIX}${itemId}`) : null;
    if (ctrl && fields(ann).checklist) setChoice(ctrl, CHECKLIST_YES, yes);
    else localAnswers = { ...localAnswers, [itemId]: yes };
    check();
  };

  const addOverride = (rule: Finding['rule'], label: string | null, reason: string): boolean => {
    const text = reason.trim();
    if (text.length < 3 || !lastState) return false;
    const allowed = guideline.overrides?.allowed && (!guideline.overrides.rules || guideline.overrides.rules.includes(rule));
    if (!allowed) return false;
    overrides = [...overrides.filter((o) => !(o.rule === rule && o.label === label)), { rule, label, reason: text, by: userName() }];
    check();
    return true;
  };

  if (doc && options.panel !== false) {
    const host = typeof options.panel === 'string' ? doc.querySelector<HTMLElement>(options.panel) : (options.panel ?? null);
    panel = new Panel(host, {
      selectFinding: (f) => {
        if (!annotation || !lastState) return;
        selectRegions(annotation, regionsOfFinding(f, lastState.regions, lastState.segmentation));
      },
      answer,
      override: (f, reason) => addOverride(f.rule, f.label, reason),
      withdraw: (i) => {
        overrides = overrides.filter((_, k) => k !== i);
        check();
      },
      rerender: render,
    });
  }

  /** The gate: an exact check; when it passes, the attestation goes into the annotation before it is saved. */
  const beforeSave = (): boolean => {
    if (detached) return true;
    const r = check(true);
    if (!annotation || !lastState) {
      showGate(['the editor has no annotation selected']);
      return false;
    }
    if (r.blocked) {
      showGate(r.missing);
      return false;
    }
    const att = buildAttestation(checker, lastState, overrides);
    let problems: string[] = [];
    try {
      problems = validateAttestation(att).problems;
    } catch (e) {
      // Under a CSP without 'unsafe-eval' the schema cannot be compiled; the attestation is built from typed values.
      if (!isCspRefusal(e)) throw e;
    }
    if (problems.length > 0) {
      showGate([`segqc could not build a valid attestation: ${problems.join('; ')}`]);
      return false;
    }
    const ctrl = control(annotation, ATTESTATION_FROM_NAME);
    if (ctrl) setText(ctrl, JSON.stringify(att));
    showGate(null);
    return true;
  };

  /**
   * The gate goes where the editor decides to save: its `submitAnnotation` / `updateAnnotation` actions, before they
   * mark the annotation as sent. Preferably as a mobx-state-tree middleware on the store, which sees every call of
   * them, also through a reference a toolbar took before segqc attached (some builds render
   * `onClick={store.submitAnnotation}`); else by replacing the actions (their properties are configurable in the
   * builds we know), which misses such references. Without them: the event bus's `invoke`; without that: the
   * Submit/Update buttons and Ctrl+Enter.
   */
  const installGate = () => {
    if (gateInstalled || options.gate === 'external' || detached) return;
    const st = store();
    const remove =
      st &&
      addActionMiddleware(st, (call, next, abort) => {
        const saving = !detached && call.context === st && GATED_EVENTS.has(call.name) && (call.type === undefined || call.type === 'action' || call.type === 'flow_spawn');
        if (saving && !beforeSave()) abort(undefined);
        else next(call);
      });
    if (remove) {
      cleanups.push(remove);
      gateInstalled = 'middleware';
      return;
    }
    if (st && wrapActions(st, ['submitAnnotation', 'updateAnnotation'], beforeSave, cleanups)) {
      gateInstalled = 'store';
      return;
    }
    // The store appears asynchronously after `new LabelStudio(...)`: the poll tries again.
    if (!st) return;
    if (events && typeof events.invoke === 'function') {
      const original = events.invoke;
      const wrapped = function (this: unknown, name: string, ...args: unknown[]) {
        if (GATED_EVENTS.has(name) && !beforeSave()) return undefined;
        return original.call(this, name, ...args);
      };
      events.invoke = wrapped;
      cleanups.push(() => {
        if (events.invoke === wrapped) events.invoke = original;
      });
      gateInstalled = 'events';
    } else if (doc) {
      const onClick = (e: Event) => {
        const t = e.target as HTMLElement | null;
        const button = t?.closest?.('button');
        if (!button || !/^(submit|update)$/i.test((button.textContent ?? '').trim())) return;
        if (!beforeSave()) {
          e.preventDefault();
          e.stopImmediatePropagation();
        }
      };
      const onKey = (e: KeyboardEvent) => {
        if (e.key === 'Enter' && (e.ctrlKey || e.metaKey || e.altKey) && !beforeSave()) {
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
      gateInstalled = 'dom';
    }
  };

  if (events) {
    for (const name of ['entityCreate', 'entityDelete', 'selectAnnotation', 'labelStudioLoad', 'storageInitialized']) {
      events.on(name, schedule);
      cleanups.push(() => events.off(name, schedule));
    }
  }

  const poll = setInterval(() => {
    installGate();
    const ann = selectedAnnotation(store());
    if (!ann) return;
    if (ann !== annotation || changeToken(ann) !== lastToken || objectSizes(ann) !== lastSizes || pendingRegions) schedule();
  }, pollMs);
  cleanups.push(() => clearInterval(poll));

  installGate();
  if (selectedAnnotation(store())) check();

  return {
    guideline,
    check: (opts) => check(opts?.exact === true),
    beforeSave,
    override: addOverride,
    detach() {
      detached = true;
      if (timer) clearTimeout(timer);
      for (const c of cleanups.splice(0)) c();
      panel?.destroy();
      panel = null;
    },
  };
}


