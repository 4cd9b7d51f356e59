/** `SegQC.attach(labelStudio, { guideline })`: live checks, the QC panel, the submit gate and the attestation. */
import type { Guideline } from '../../shared/guideline/types.js';
import { recordOverride } from '../../shared/rules/override.js';
import type { Finding } from '../../shared/rules/types.js';
import { ATTESTATION_FROM_NAME, CHECKLIST_FROM_NAME_PREFIX, CHECKLIST_YES } from '../../shared/rules/types.js';
import { REVIEW_FROM_NAME } from '../../shared/formats/labelstudio.js';
import { labelStudioMaskSha256 } from '../../shared/review/reader.js';
import { decide, reviewSaveDecision, saveDecision } from './decide.js';
import { control, currentUser, editorOptions, findEvents, findStore, selectRegions, selectedAnnotation, setChoice, setText } from './editor.js';
import { resolveGuidelineDetailed } from './guideline-input.js';
import { LiveChecker, type LiveState } from './live.js';
import { LiveClient, type LiveMode } from './live-client.js';
import { guidelineSha256 } from '../../shared/guideline/hash.js';
import { warmUp } from './warm-up.js';
import { regionsOfFinding } from './locate.js';
import { Panel } from './panel.js';
import { gateSummary, panelView } from './panel-view.js';
import { GateNote, hideDataRegions } from './page-view.js';
import { zoomToBox, zoomableObject } from './zoom.js';
import { editorChanged, readEditor, readReview } from './read-editor.js';
import { notesOf, reportOf, type CheckReport, type Setup } from './report.js';
import { hookSave } from './save-hooks.js';
import { initialState } from './state.js';

export type { CheckReport } from './report.js';

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
  /** A line the panel shows above its notes (the browser extension: where the guideline came from). */
  note?: string | null;
  /**
   * Where the live check runs: `worker` (default) in a Web Worker of its own, falling back to the page's thread when
   * none can be started; `main-thread` on the page's thread, as before workers (for comparison).
   */
  liveCheck?: 'worker' | 'main-thread';
}

/** Timing of the last live check answered: on the page's thread, and until the panel showed it. */
export interface LiveTiming {
  version: number;
  /** Reading the editor and posting to the worker (or the whole check, on the page's thread). */
  readPostMs: number;
  /** Deciding and drawing the panel once the answer came. */
  applyMs: number;
  /** From the read to the panel showing the answer. */
  latencyMs: number;
  /** The check itself, where it ran. */
  checkMs: number;
}

/** Where the live check runs and how it went (the panel's debug line says the same). */
export interface LiveCheckInfo {
  readonly mode: LiveMode;
  /** Why it runs on the page's thread, when a worker was wanted. */
  readonly reason: string | null;
  readonly requests: number;
  readonly answers: number;
  /** Answers dropped because a newer read (or the gate's own check) came after theirs. */
  readonly dropped: number;
  /** A check was posted and its answer has not come. */
  readonly pending: boolean;
  readonly last: LiveTiming | null;
  /**
   * The page thread's checker has checked the annotation once, so the gate's first exact check at Submit is warm: any
   * check on the page's thread, or one in idle time after the worker's first answer.
   */
  readonly pageThreadReady: boolean;
  /** Test hook: holds the worker's checks (their answers stay pending) until released. */
  hold(on: boolean): void;
}

/** What `attach` returns. */
export interface SegQCHandle {
  readonly guideline: Guideline;
  /**
   * Checks the selected annotation now and returns the report. `exact` serializes every region as saving does
   * (the live check reuses what did not change and paints fresh brush strokes itself).
   */
  check(opts?: { exact?: boolean }): CheckReport;
  /** Checks the selected annotation as the live check does (in the worker) and resolves once the panel shows it. */
  checkNow(): Promise<CheckReport>;
  /** Where the live check runs, and its last timing. */
  readonly liveCheck: LiveCheckInfo;
  /** The gate: false (and the panel says why) when saving must not happen; else writes the attestation and returns true. */
  beforeSave(): boolean;
  /** Records an override with a typed reason (the panel's Override button does the same). */
  override(rule: Finding['rule'], label: string | null, reason: string): boolean;
  detach(): void;
}

/** Runs `fn` once, `ms` after the last `schedule()`. */
function debounce(fn: () => void, ms: number) {
  let timer: ReturnType<typeof setTimeout> | null = null;
  const cancel = () => {
    if (timer) clearTimeout(timer);
    timer = null;
  };
  return {
    cancel,
    schedule() {
      cancel();
      timer = setTimeout(fn, ms);
    },
  };
}

/** Attaches segqc to an editor instance (`new LabelStudio(...)`), its store, or the page's `window.Htx`. */
export function attach(labelStudio: unknown, options: AttachOptions): SegQCHandle {
  const { guideline, schemaChecked } = resolveGuidelineDetailed(options.guideline);
  const sha256 = guidelineSha256(guideline);
  let threadChecker: LiveChecker | null = null;
  /** The page thread's checker: the gate's exact checks, `check()`, and the live check without a worker. */
  const inThread = () => (threadChecker ??= new LiveChecker(guideline, { spacingField: options.spacingField, sha256 }));
  const setup: Setup = { guideline, sha256, schemaChecked };
  const doc: Document | null = typeof document === 'undefined' ? null : document;
  const events = findEvents(labelStudio);
  const s = initialState();
  const cleanups: Array<() => void> = [];
  const store = () => findStore(labelStudio);
  const userName = () => {
    if (options.user !== undefined) return options.user;
    const st = store();
    return currentUser(st, editorOptions(labelStudio, st)?.user);
  };
  const userId = (): string | null => {
    const st = store();
    const id = st?.user?.id ?? st?.user?.pk ?? editorOptions(labelStudio, st)?.user?.id;
    return id === undefined || id === null || id === '' ? null : String(id);
  };

  let panel: Panel | null = null;
  let note: GateNote | null = null;
  const render = () => {
    const view = panelView(setup, s, options.note ? [options.note, ...notesOf(setup, s)] : notesOf(setup, s), debugLine());
    if (panel && view) panel.render(view);
  };
  const showGate = (lines: string[] | null) => {
    s.gateShown = !!lines && lines.length > 0;
    panel?.showGate(lines);
    note?.show(s.gateShown ? (gateSummary(setup, s) ?? 'Not saved: see the segqc panel.') : null);
  };

  const later = debounce(() => request(), options.debounceMs ?? 150);
  /** The version of the last read of the editor, and of the check the state holds: an answer for an older read is dropped. */
  let version = 0;
  let applied = 0;
  const waiters: Array<{ v: number; ok: (r: CheckReport) => void }> = [];
  /** The check posted last and not yet answered. */
  let inFlight: { v: number; t0: number; readPostMs: number } | null = null;
  const stats = { requests: 0, answers: 0, dropped: 0, last: null as LiveTiming | null };

  const apply = (v: number, live: LiveState | null): CheckReport => {
    applied = v;
    s.live = live;
    s.verdict = decide(setup, s);
    render();
    // A gate message on screen follows the annotation: it shrinks as things get fixed and goes when nothing is left.
    if (s.gateShown && s.verdict) showGate(s.verdict.blocked ? s.verdict.missing : null);
    const r = reportOf(setup, s);
    options.onCheck?.(r);
    for (const w of waiters.splice(0)) {
      if (w.v <= v) w.ok(r);
      else waiters.push(w);
    }
    return r;
  };

  /** Reads the selected annotation (null: none); `exact` serializes every region as saving does. */
  const read = (exact: boolean) => {
    const input = readEditor(s, store(), guideline, exact);
    const user = userName();
    if (input) readReview(s, guideline, input, { user, userId: userId() });
    return input ? { ...input, user } : null;
  };
  const ctxOf = (input: NonNullable<ReturnType<typeof read>>) => ({ task: input.task, item: input.item, annotation: input.annotation, author: input.user, answers: input.answers });

  /** The check on the page's thread, answered at once: the gate's, `check()`'s, and the live check's without a worker. */
  const check = (exact = false): CheckReport => {
    later.cancel();
    pageThreadReady = true;
    const v = ++version;
    const t0 = performance.now();
    const input = read(exact);
    const live = input ? inThread().check(input.result, ctxOf(input)) : null;
    const t1 = performance.now();
    const r = apply(v, live);
    stats.last = { version: v, readPostMs: t1 - t0, applyMs: performance.now() - t1, latencyMs: performance.now() - t0, checkMs: live?.ms ?? 0 };
    return r;
  };

  /** The live check: the editor read here, checked in the worker; the panel follows when the answer comes. */
  const request = (): number => {
    later.cancel();
    if (client.mode === 'main-thread') {
      check();
      return version;
    }
    const v = ++version;
    const t0 = performance.now();
    stats.requests++;
    const input = read(false);
    if (!input) {
      apply(v, null);
      return v;
    }
    const { task, item, annotation, author, answers } = ctxOf(input);
    if (!client.post(v, { result: input.result, task, item, annotation, author, answers })) return version;
    inFlight = { v, t0, readPostMs: performance.now() - t0 };
    return v;
  };

  let pageThreadReady = false;
  let readying = false;
  /**
   * Once the worker has answered, the page thread's checker checks the annotation once in idle time (before the worker
   * this cold check ran at attach): otherwise the first Submit would wait for it, hundreds of ms on a large task.
   */
  const readyPageThread = () => {
    if (pageThreadReady || readying) return;
    readying = true;
    const run = () => {
      if (s.detached || pageThreadReady) return;
      const input = read(false);
      if (input) inThread().check(input.result, ctxOf(input));
      pageThreadReady = true;
    };
    const idle = (globalThis as { requestIdleCallback?: (fn: () => void, opts: { timeout: number }) => number }).requestIdleCallback;
    if (idle) idle(run, { timeout: 2000 });
    else setTimeout(run, 0);
  };

  const client = new LiveClient(
    { guideline, sha256, spacingField: options.spacingField },
    {
      answer(v, live) {
        stats.answers++;
        const at = inFlight?.v === v ? inFlight : null;
        if (at) inFlight = null;
        if (s.detached || v !== version || !at) {
          stats.dropped++;
          return;
        }
        const t1 = performance.now();
        apply(v, live);
        const t2 = performance.now();
        stats.last = { version: v, readPostMs: at.readPostMs, applyMs: t2 - t1, latencyMs: t2 - at.t0, checkMs: live.ms };
        readyPageThread();
      },
      fallback() {
        // From now on every check runs here: the read the worker did not answer is checked again.
        inFlight = null;
        queueMicrotask(() => {
          if (s.detached) return;
          warmUp(guideline, sha256);
          if (version > applied || waiters.length > 0) check();
          else render();
        });
      },
    },
    { disabled: options.liveCheck === 'main-thread' ? 'asked for (liveCheck: main-thread)' : null },
  );
  const debugLine = () =>
    client.mode === 'worker'
      ? 'Live check: in a Web Worker.'
      : client.mode === 'starting'
        ? 'Live check: starting its Web Worker.'
        : `Live check: on the page's thread (${client.reason ?? 'no Web Worker'}).`;
  const schedule = () => {
    if (!s.detached) later.schedule();
  };

  const answer = (itemId: string, yes: boolean) => {
    const ctrl = s.annotation && s.fields.checklist ? control(s.annotation, `${CHECKLIST_FROM_NAME_PREFIX}${itemId}`) : null;
    if (ctrl) setChoice(ctrl, CHECKLIST_YES, yes);
    else s.localAnswers = { ...s.localAnswers, [itemId]: yes };
    request();
  };

  const addOverride = (rule: Finding['rule'], label: string | null, reason: string): boolean => {
    if (!s.live) return false;
    const next = recordOverride(guideline, s.overrides, { rule, label, reason, by: userName() });
    if (!next) return false;
    s.overrides = next;
    request();
    return true;
  };

  if (doc && options.panel !== false) {
    const host = typeof options.panel === 'string' ? doc.querySelector<HTMLElement>(options.panel) : (options.panel ?? null);
    panel = new Panel(host, {
      selectFinding: (i) => {
        const live = s.live;
        const f = live?.findings[i];
        if (!s.annotation || !live || !f) return;
        const select = (ids: string[]) => {
          if (s.detached || !s.annotation) return;
          selectRegions(s.annotation, ids);
          const b = f.location?.bbox;
          const obj = b ? zoomableObject(s.annotation) : null;
          if (b && obj) zoomToBox(obj, [b[0], b[1], b[3], b[4]]);
        };
        // The region arrays of a worker's check stay in the worker: it says which regions have pixels in the box.
        if (live.segmentation || client.mode !== 'worker') select(regionsOfFinding(f, live.regions, live.segmentation));
        else void client.locate(f).then((ids) => select(ids.length > 0 ? ids : regionsOfFinding(f, live.regions, null)));
      },
      answer,
      openOverride: (key) => {
        s.openOverride = key;
        render();
      },
      override: (i, reason) => {
        s.openOverride = null;
        const f = s.live?.findings[i];
        if (f) addOverride(f.rule, f.label, reason);
      },
      withdraw: (i) => {
        s.overrides = s.overrides.filter((_, k) => k !== i);
        request();
      },
      confirmFeedback: (key, yes) => {
        s.review.confirmed = { ...s.review.confirmed, [key]: yes };
        request();
      },
      reviewStage: (id) => {
        s.review.draft = { ...s.review.draft, stage: id, reasons: [] };
        request();
      },
      reviewVerdict: (verdict) => {
        s.review.draft = { ...s.review.draft, verdict, reasons: verdict === 'accept' ? [] : s.review.draft.reasons };
        request();
      },
      reviewReason: (id, on) => {
        const reasons = s.review.draft.reasons.filter((r) => r !== id);
        s.review.draft = { ...s.review.draft, reasons: on ? [...reasons, id] : reasons };
        request();
      },
      // Typing does not redraw the panel (the comment box keeps its caret); the next check carries it.
      reviewComment: (text) => {
        s.review.draft = { ...s.review.draft, comment: text };
      },
    });
    note = new GateNote(doc);
    cleanups.push(() => {
      note?.destroy();
      note = null;
    });
  }
  if (doc) cleanups.push(hideDataRegions(doc));

  /** The gate: an exact check; when it passes, the attestation goes into the annotation before it is saved. */
  const beforeSave = (): boolean => {
    if (s.detached) return true;
    check(true);
    if (s.review.role.kind === 'reviewer') return saveReview();
    const d = saveDecision(setup, s, new Date());
    if (!d.save) {
      showGate(d.missing);
      return false;
    }
    const ctrl = control(s.annotation, ATTESTATION_FROM_NAME);
    if (ctrl) setText(ctrl, JSON.stringify(d.attestation));
    showGate(null);
    return true;
  };

  /** A reviewer's save: the review record goes into the hidden field; the annotator's attestation is left as it is. */
  const saveReview = (): boolean => {
    const ctrl = control(s.annotation, REVIEW_FROM_NAME);
    if (!ctrl) {
      showGate([`this labeling config has no "${REVIEW_FROM_NAME}" TextArea, so the review cannot be saved with the annotation (generate the config with "segqc guideline labelconfig" from a guideline with review stages)`]);
      return false;
    }
    // The hash of the regions as saving serializes them: what the exported task will be checked against.
    const saved = typeof s.annotation?.serializeAnnotation === 'function' ? labelStudioMaskSha256(s.annotation.serializeAnnotation() as unknown[]) : s.review.currentSha256;
    if (!saved) return false;
    const d = reviewSaveDecision(setup, s, { reviewer: userName(), reviewerId: userId() }, saved, new Date());
    if (!d.save) {
      showGate(d.missing);
      return false;
    }
    setText(ctrl, JSON.stringify(d.document));
    showGate(null);
    return true;
  };

  const installGate = () => {
    if (s.hook || options.gate === 'external' || s.detached) return;
    s.hook = hookSave(store(), events, doc, beforeSave, cleanups);
  };

  if (events) {
    for (const name of ['entityCreate', 'entityDelete', 'selectAnnotation', 'labelStudioLoad', 'storageInitialized']) {
      events.on(name, schedule);
      cleanups.push(() => events.off(name, schedule));
    }
  }

  const poll = setInterval(() => {
    installGate();
    if (editorChanged(s, store())) schedule();
  }, options.pollMs ?? 200);
  cleanups.push(() => clearInterval(poll));

  installGate();
  if (selectedAnnotation(store())) request();

  const liveCheck: LiveCheckInfo = {
    get mode() {
      return client.mode;
    },
    get reason() {
      return client.reason;
    },
    get requests() {
      return stats.requests;
    },
    get answers() {
      return stats.answers;
    },
    get dropped() {
      return stats.dropped;
    },
    get pending() {
      return inFlight !== null;
    },
    get last() {
      return stats.last;
    },
    get pageThreadReady() {
      return pageThreadReady;
    },
    hold: (on) => client.hold(on),
  };

  return {
    guideline,
    check: (opts) => check(opts?.exact === true),
    checkNow: () =>
      new Promise<CheckReport>((ok) => {
        if (s.detached) return ok(reportOf(setup, s));
        const v = request();
        if (applied >= v) ok(reportOf(setup, s));
        else waiters.push({ v, ok });
      }),
    liveCheck,
    beforeSave,
    override: addOverride,
    detach() {
      s.detached = true;
      later.cancel();
      client.destroy();
      for (const w of waiters.splice(0)) w.ok(reportOf(setup, s));
      for (const c of cleanups.splice(0)) c();
      panel?.destroy();
      panel = null;
    },
  };
}
