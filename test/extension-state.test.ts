/** The extension's state record and the small parts around it, in Node: reading the editor, the gate's decision, the panel's view. */
import { describe, expect, test } from 'vitest';
import type { Guideline } from '../shared/guideline/types.js';
import { guidelineSha256 } from '../shared/guideline/hash.js';
import { validateAttestation } from '../shared/rules/attestation.js';
import type { Finding } from '../shared/rules/types.js';
import { decide, saveDecision } from '../extension/src/decide.js';
import { LiveChecker, type LiveState } from '../extension/src/live.js';
import { gateSummary, panelView } from '../extension/src/panel-view.js';
import { editorChanged, readEditor } from '../extension/src/read-editor.js';
import { notesOf, reportOf, type Setup } from '../extension/src/report.js';
import { initialState, type SegQCState } from '../extension/src/state.js';
import { GUIDELINE, H, W, preAnnotation } from './extension-scenario.js';

const SETUP: Setup = { guideline: GUIDELINE, sha256: guidelineSha256(GUIDELINE), schemaChecked: true };
const ALL_CONTROLS = ['label', 'label_polygon', 'segqc_attestation', 'segqc_checklist_veins_excluded', 'segqc_checklist_margins_reviewed', 'segqc_checklist_no_tumour_confirmed'];

/** An editor annotation as the adapter sees one: config controls by name, an image, an undo history, a whole-result serializer. */
function fakeAnnotation(result: Array<Record<string, unknown>>, controls: string[], pk = 11) {
  return {
    pk,
    names: new Map<string, unknown>(controls.map((n) => [n, { name: n }])),
    objects: [{ name: 'image', isReady: true, naturalWidth: W, naturalHeight: H }],
    history: { history: [{ step: 0 }] as unknown[], undoIdx: 0 },
    serializeAnnotation: () => result,
  };
}
const fakeStore = (selected: unknown) => ({ annotationStore: { selected }, task: { id: 7, dataObj: { pixel_spacing: [0.8, 0.8] } } });

/** Reads the store into a fresh state and checks it with the real checker, as `attach` does. */
function checked(store: ReturnType<typeof fakeStore>, s: SegQCState = initialState()): SegQCState {
  const input = readEditor(s, store, GUIDELINE, false);
  s.live = input ? new LiveChecker(GUIDELINE).check(input.result, { task: input.task, item: input.item, annotation: input.annotation, author: 'ann', answers: input.answers }) : null;
  s.verdict = decide(SETUP, s);
  return s;
}

describe('what the editor shows, read into the state', () => {
  test('the selected annotation, its undo step and sizes, the config\'s fields, and what to check', () => {
    const ann = fakeAnnotation(preAnnotation(), ALL_CONTROLS);
    const s = initialState();
    const input = readEditor(s, fakeStore(ann), GUIDELINE, false);
    expect(input).toMatchObject({ item: 'task 7', annotation: '11', task: { pixel_spacing: [0.8, 0.8] }, answers: undefined });
    expect(input!.result.map((r) => r.id)).toEqual(['liver_brush', 'tumour_poly']);
    expect(s.annotation).toBe(ann);
    expect(s.token).toBe(ann.history.history[0]);
    expect(s.sizes).toBe(`image:${W}x${H}`);
    expect(s.fields).toEqual({ attestation: true, checklist: true });
    expect(s.pendingRegions).toBe(false);
  });

  test('the poll sees a new undo step, new sizes and another annotation; another annotation starts afresh', () => {
    const ann = fakeAnnotation(preAnnotation(), ALL_CONTROLS);
    const store = fakeStore(ann);
    const s = initialState();
    readEditor(s, store, GUIDELINE, false);
    expect(editorChanged(s, store)).toBe(false);
    ann.history.history.push({ step: 1 });
    ann.history.undoIdx = 1;
    expect(editorChanged(s, store)).toBe(true);
    readEditor(s, store, GUIDELINE, false);
    ann.objects[0].naturalWidth = 2 * W;
    expect(editorChanged(s, store)).toBe(true);
    readEditor(s, store, GUIDELINE, false);
    expect(editorChanged(s, store)).toBe(false);

    s.overrides = [{ rule: 'volume.below_min', label: 'Liver', reason: 'one slice', by: null }];
    s.localAnswers = { veins_excluded: true };
    s.cache.set('x', { token: 1, sizes: '', results: [] });
    const other = fakeAnnotation(preAnnotation(), ['label'], 12);
    store.annotationStore.selected = other;
    expect(editorChanged(s, store)).toBe(true);
    const input = readEditor(s, store, GUIDELINE, false);
    expect([s.overrides, s.localAnswers, s.cache.size]).toEqual([[], {}, 0]);
    // A config without the checklist Choices: the answers are the ones kept in the panel.
    expect(s.fields).toEqual({ attestation: false, checklist: false });
    expect(input!.answers).toBe(s.localAnswers);

    store.annotationStore.selected = null as never;
    expect(editorChanged(s, store)).toBe(false);
    expect(readEditor(s, store, GUIDELINE, false)).toBeNull();
    expect(s.annotation).toBeNull();
  });
});

describe('what the gate decides', () => {
  test('no annotation: blocked, and saving says so', () => {
    const s = checked(fakeStore(null));
    expect(s.verdict).toBeNull();
    expect(saveDecision(SETUP, s, new Date())).toEqual({ save: false, missing: ['the editor has no annotation selected'] });
    const r = reportOf(SETUP, s);
    expect([r.blocked, r.missing, r.findings, r.notes]).toEqual([true, ['the editor has no annotation selected'], [], ['Waiting for the editor to load an annotation.']]);
  });

  test('the scenario: findings and unticked items block saving; the report lists them', () => {
    const s = checked(fakeStore(fakeAnnotation(preAnnotation(), ALL_CONTROLS)));
    const d = saveDecision(SETUP, s, new Date());
    expect(d.save).toBe(false);
    const missing = d.save ? [] : d.missing;
    expect(missing.filter((m) => m.includes('[containment.outside]') || m.includes('[volume.below_min]'))).toHaveLength(2);
    expect(missing.filter((m) => m.startsWith('checklist:'))).toHaveLength(2);
    const r = reportOf(SETUP, s);
    expect(r.blocked).toBe(true);
    expect(r.missing).toEqual(missing);
    expect(r.guideline).toEqual({ id: 'liver-ct', version: '1.2.0', sha256: SETUP.sha256 });
    expect(r.checklist.filter((c) => c.visible).map((c) => c.id)).toEqual(['veins_excluded', 'margins_reviewed']);
    expect(r.notes).toEqual([]);
  });

  test('a liver alone, its size overridden and the item ticked in the panel: saving goes ahead with an attestation that says so', () => {
    const store = fakeStore(fakeAnnotation(preAnnotation().slice(0, 1), ['label']));
    const s = checked(store);
    expect(s.verdict!.overridable.map((f) => f.rule)).toEqual(['volume.below_min']);
    s.overrides = [{ rule: 'volume.below_min', label: 'Liver', reason: 'one slice', by: 'ann' }];
    s.localAnswers = { veins_excluded: true, no_tumour_confirmed: true };
    checked(store, s);
    const d = saveDecision(SETUP, s, new Date('2026-05-01T12:00:00Z'));
    if (!d.save) throw new Error(`blocked: ${d.missing.join('; ')}`);
    expect(validateAttestation(d.attestation).problems).toEqual([]);
    expect(d.attestation.answers).toEqual({ veins_excluded: true, margins_reviewed: false, no_tumour_confirmed: true });
    expect(d.attestation.overrides).toEqual([{ rule: 'volume.below_min', label: 'Liver', reason: 'one slice', by: 'ann' }]);
    expect(d.attestation.tool.name).toBe('segqc-labelstudio');
    expect(d.attestation.submitted_at).toBe('2026-05-01T12:00:00.000Z');
    expect(reportOf(SETUP, s).blocked).toBe(false);
    // This config has neither the attestation TextArea nor the checklist Choices.
    expect(notesOf(SETUP, s).map((n) => n.slice(0, 30))).toEqual(['This labeling config has no "s', 'This labeling config lacks the']);
  });

  test('the notes: pixels only, a guideline read under a CSP, a gate at the page\'s buttons', () => {
    const s = checked(fakeStore(fakeAnnotation(preAnnotation(), ALL_CONTROLS)));
    s.live!.pixelsOnly = true;
    s.hook = 'dom';
    const notes = notesOf({ ...SETUP, schemaChecked: false }, s);
    expect(notes.map((n) => n.split(' ').slice(0, 4).join(' '))).toEqual(['The task has no', 'This page\'s Content-Security-Policy forbids', 'The editor\'s save actions']);
  });
});

describe('what the panel shows', () => {
  const guideline: Guideline = {
    ...GUIDELINE,
    checklist: [
      { id: 'a', prompt: 'Item A', help: 'Look twice.' },
      { id: 'b', prompt: 'Item B', required: false },
      { id: 'c', prompt: 'Item C' },
    ],
  };
  const setup: Setup = { ...SETUP, guideline };
  const finding = (rule: Finding['rule'], label: string | null, severity: Finding['severity'], message: string): Finding => ({
    item: 't', annotation: 'a', annotator: null, label, rule, severity, message, value: null, limit: null, location: null,
  });
  const live = (findings: Finding[], readError: string | null = null): LiveState => ({
    findings,
    checklist: [
      { item: guideline.checklist![0], visible: true, answered: true, required: true },
      { item: guideline.checklist![1], visible: true, answered: false, required: false },
      { item: guideline.checklist![2], visible: false, answered: false, required: true },
    ],
    answers: {},
    presentLabels: [],
    regions: [],
    segmentation: null,
    readError,
    pixelsOnly: false,
    ms: 1,
  });
  const state = (l: LiveState, patch: Partial<SegQCState> = {}): SegQCState => {
    const s = { ...initialState(), annotation: {}, live: l, ...patch };
    s.verdict = decide(setup, s);
    return s;
  };
  const FINDINGS = [
    finding('containment.outside', 'Liver tumour', 'error', 'Tumour outside the liver'),
    finding('volume.below_min', 'Liver', 'error', 'Liver too small'),
    finding('overlap.forbidden', 'Liver', 'warning', 'Overlap'),
  ];

  test('nothing yet: no view (the panel keeps what it shows)', () => {
    expect(panelView(setup, initialState(), [])).toBeNull();
  });

  test('findings with their icons and overrides offered where the guideline allows; only the checklist items that apply', () => {
    const v = panelView(setup, state(live(FINDINGS)), ['a note'])!;
    expect(v.title).toBe('Liver and liver tumour segmentation, contrast CT — liver-ct 1.2.0');
    expect(v.notes).toEqual(['a note']);
    expect(v.status).toEqual({ text: '2 errors, 1 warning', ok: false });
    expect(v.findings.map((f) => [f.index, f.key, f.severity, f.text, f.override])).toEqual([
      [0, 'containment.outside|Liver tumour', 'error', '✖ Tumour outside the liver ', 'none'],
      [1, 'volume.below_min|Liver', 'error', '✖ Liver too small ', 'button'],
      [2, 'overlap.forbidden|Liver', 'warning', '▲ Overlap ', 'none'],
    ]);
    expect(v.findings[1].reasonLabel).toBe('Reason for overriding volume.below_min on Liver');
    expect(v.checklist).toEqual([
      { id: 'a', text: ' Item A', checked: true, help: 'Look twice.' },
      { id: 'b', text: ' Item B (optional)', checked: false, help: null },
    ]);
    expect(v.overrides).toEqual([]);
    expect(panelView(setup, state(live(FINDINGS), { openOverride: 'volume.below_min|Liver' }), [])!.findings[1].override).toBe('form');
  });

  test('an overridden error shows as info and is counted apart; the override is listed', () => {
    const s = state(live(FINDINGS), { overrides: [{ rule: 'volume.below_min', label: 'Liver', reason: 'one slice', by: null }] });
    const v = panelView(setup, s, [])!;
    expect(v.status.text).toBe('1 error, 1 warning, 1 overridden');
    expect(v.findings[1]).toMatchObject({ severity: 'info', overridden: true, text: '✔ overridden: Liver too small ', override: 'none' });
    expect(v.overrides).toEqual([{ rule: 'volume.below_min', text: 'Overridden volume.below_min (Liver): “one slice” ' }]);
  });

  test('no findings, or an unreadable annotation', () => {
    expect(panelView(setup, state(live([])), [])!.status).toEqual({ text: 'No findings: the drawing follows the guideline.', ok: true });
    expect(panelView(setup, state(live([], 'bad RLE')), [])!.status).toEqual({ text: 'Cannot read the annotation: bad RLE', ok: false });
  });

  test('while the image loads: the panel and the gate say so, not a read error', () => {
    const s = state(live([], 'original_width 1'), { imageLoading: true });
    expect(panelView(setup, s, [])!.status).toEqual({ text: 'The image has not loaded yet.', ok: false });
    expect(s.verdict?.missing).toEqual(['the annotation could not be read: the image has not loaded yet']);
    expect(gateSummary(setup, s)).toBe('Not saved: the image has not loaded yet. Submit again once it shows.');
  });

  test('an error the guideline does not let be overridden says why; an overridable one does not', () => {
    const v = panelView(setup, state(live(FINDINGS)), [])!;
    expect(v.findings.map((f) => f.whyNot)).toEqual([
      'Cannot be overridden: guideline liver-ct allows overriding only volume.below_min, volume.above_max, components.too_many. Fix the drawing.',
      null,
      null,
    ]);
    const none = { ...setup, guideline: { ...guideline, overrides: undefined } };
    expect(panelView(none, state(live(FINDINGS)), [])!.findings[1].whyNot).toBe('Cannot be overridden: guideline liver-ct allows no overrides. Fix the drawing.');
  });

  test('the message beside Submit counts what is left by what to do', () => {
    expect(gateSummary(setup, state(live([])))).toBeNull();
    const withItem = (l: LiveState) => ({ ...l, checklist: l.checklist.map((r, i) => (i === 0 ? { ...r, answered: false } : r)) });
    expect(gateSummary(setup, state(withItem(live(FINDINGS))))).toBe(
      'Not saved. Next: fix 1 finding (click it in the segqc panel to see where); fix or override 1 finding (Override… with a reason); confirm 1 checklist item.',
    );
    const overridden = state(live(FINDINGS), { overrides: [{ rule: 'volume.below_min', label: 'Liver', reason: 'one slice', by: null }] });
    expect(gateSummary(setup, overridden)).toBe('Not saved. Next: fix 1 finding (click it in the segqc panel to see where).');
  });
});
