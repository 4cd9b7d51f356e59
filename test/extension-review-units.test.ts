/** The extension's review loop in Node: who reviews, the feedback an annotator answers, the record a reviewer saves. */
import { describe, expect, test } from 'vitest';
import { guidelineSha256 } from '../shared/guideline/hash.js';
import { loadGuideline } from '../shared/guideline/load.js';
import type { ReviewRecord } from '../shared/review/record.js';
import { validateAttestation } from '../shared/rules/attestation.js';
import { decide, saveDecision } from '../extension/src/decide.js';
import { LiveChecker } from '../extension/src/live.js';
import { readEditor, readReview } from '../extension/src/read-editor.js';
import type { Setup } from '../extension/src/report.js';
import {
  addressedFeedback,
  attestedFeedback,
  confirmedBefore,
  emptyDraft,
  feedbackMissing,
  openFeedback,
  reviewSave,
  reviewsInOthers,
  roleOf,
  type ReviewSaveContext,
} from '../extension/src/review.js';
import { initialState } from '../extension/src/state.js';
import { otherAnnotations } from '../extension/src/editor.js';
import { H, W, preAnnotation } from './extension-scenario.js';
import { REVIEW_GUIDELINE as G, REVIEW_GUIDELINE_TEXT } from './extension-review-scenario.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);

const record = (r: Partial<ReviewRecord>): ReviewRecord => ({
  item: 'task 1',
  annotation: '11',
  stage: 'peer',
  reviewer: 'rev@example.org',
  reviewer_id: null,
  verdict: 'reject',
  reasons: ['boundary_loose'],
  comment: null,
  time: '2026-12-01T10:00:00.000Z',
  mask_sha256: A,
  fixed_sha256: null,
  source: { form: 'labelstudio', file: 'task 1', index: 0 },
  ...r,
});

/** The guideline with a second stage that only dr.chen may review. */
const SENIOR = loadGuideline(
  REVIEW_GUIDELINE_TEXT.replace('  reasons:\n    - id: boundary_loose', '    - id: senior\n      reviewers: [dr.chen@hospital.example]\n      reasons: [missed_lesion]\n  reasons:\n    - id: boundary_loose'),
  'guideline.yaml',
);

describe('who the person in the editor is', () => {
  test('someone other than the author reviews at the stages that let them', () => {
    expect(roleOf(G, { user: 'rev@example.org', author: 'ann@example.org', own: false })).toMatchObject({ kind: 'reviewer', stages: [{ id: 'peer' }] });
    const chen = roleOf(SENIOR, { user: 'dr.chen@hospital.example', author: 'ann@example.org', own: false });
    expect(chen.kind === 'reviewer' && chen.stages.map((s) => s.id)).toEqual(['peer', 'senior']);
    expect(roleOf(SENIOR, { user: 'rev@example.org', author: 'ann@example.org', own: false })).toMatchObject({ kind: 'reviewer', stages: [{ id: 'peer' }] });
  });

  test('the author, their own or a new annotation, an unknown author or a guideline without stages: the annotator', () => {
    expect(roleOf(G, { user: 'rev@example.org', author: 'ann@example.org', own: true })).toEqual({ kind: 'annotator' });
    // The same person by the local part of an e-mail address: never their own reviewer.
    expect(roleOf(G, { user: 'ann', author: 'ann@example.org', own: false })).toEqual({ kind: 'annotator' });
    expect(roleOf(G, { user: 'rev@example.org', author: null, own: false })).toEqual({ kind: 'annotator' });
    expect(roleOf(G, { user: null, author: 'ann@example.org', own: false })).toEqual({ kind: 'annotator' });
    const plain = loadGuideline(REVIEW_GUIDELINE_TEXT.replace(/ {2}stages:[\s\S]*?(?= {2}reasons:)/, ''), 'guideline.yaml');
    expect(plain.review?.stages).toBeUndefined();
    expect(roleOf(plain, { user: 'rev@example.org', author: 'ann@example.org', own: false })).toEqual({ kind: 'annotator' });
  });
});

describe('the feedback an annotator answers', () => {
  test('the latest eligible verdict of a stage, when it rejects, with the reasons as the taxonomy words them', () => {
    const fb = openFeedback(G, [record({ reasons: ['boundary_loose', 'missed_lesion'], comment: 'IVC inside' })], 'ann@example.org');
    expect(fb).toEqual([
      {
        stage: 'peer',
        stageTitle: 'Peer review',
        reviewer: 'rev@example.org',
        time: '2026-12-01T10:00:00.000Z',
        comment: 'IVC inside',
        reasons: [
          { id: 'boundary_loose', title: 'Boundary includes adjacent structures', help: 'Trim the liver at the capsule; the IVC and the right kidney are not liver.' },
          { id: 'missed_lesion', title: 'A lesion is not segmented', help: 'Scroll through the whole liver and add every lesion of 3 mm or more.' },
        ],
      },
    ]);
  });

  test('an accept after the reject closes it; the author\'s own reject and a stage the guideline lacks do not count', () => {
    const later = record({ verdict: 'accept', reasons: [], time: '2026-12-02T10:00:00.000Z' });
    expect(openFeedback(G, [later, record({})], 'ann@example.org')).toEqual([]);
    expect(openFeedback(G, [record({ reviewer: 'ann@example.org' })], 'ann@example.org')).toEqual([]);
    expect(openFeedback(G, [record({ stage: 'final' })], 'ann@example.org')).toEqual([]);
    // A reject after an accept is open again.
    expect(openFeedback(G, [later, record({ time: '2026-12-03T10:00:00.000Z', reasons: ['wrong_label'] })], 'ann@example.org').map((f) => f.reasons.map((r) => r.title))).toEqual([['Wrong label']]);
  });

  test('each reason is a line to confirm; the attestation records the rejection with the reasons confirmed', () => {
    const fb = openFeedback(G, [record({ reasons: ['boundary_loose', 'missed_lesion'] })], 'ann@example.org');
    expect(feedbackMissing(fb, {})).toEqual([
      'review feedback: "Boundary includes adjacent structures" (Peer review, rev@example.org) is not confirmed as addressed',
      'review feedback: "A lesion is not segmented" (Peer review, rev@example.org) is not confirmed as addressed',
    ]);
    const half = { 'peer|missed_lesion': true };
    expect(feedbackMissing(fb, half)).toHaveLength(1);
    expect(addressedFeedback(fb, half)).toEqual([{ stage: 'peer', reviewer: 'rev@example.org', time: '2026-12-01T10:00:00.000Z', reasons: ['missed_lesion'] }]);
    expect(addressedFeedback(fb, {})).toEqual([]);
  });

  test('lines an earlier submission confirmed (its attestation\'s feedback) start confirmed; other rejections do not', () => {
    const fb = openFeedback(G, [record({ reasons: ['boundary_loose', 'missed_lesion'] })], 'ann@example.org');
    const att = (feedback: unknown) => [{ from_name: 'segqc_attestation', type: 'textarea', value: { text: [JSON.stringify({ schema: 'segqc-attestation/1', feedback })] } }];
    const same = [{ stage: 'peer', reviewer: 'rev@example.org', time: '2026-12-01T10:00:00.000Z', reasons: ['boundary_loose'] }];
    expect(confirmedBefore(fb, attestedFeedback(att(same)))).toEqual({ 'peer|boundary_loose': true });
    expect(confirmedBefore(fb, attestedFeedback(att([{ ...same[0], time: '2026-11-30T10:00:00.000Z' }])))).toEqual({});
    expect(attestedFeedback([{ from_name: 'segqc_attestation', value: { text: ['{not json'] } }])).toEqual([]);
    expect(attestedFeedback(att([{ stage: 'peer', reviewer: 7, time: 'x', reasons: [] }]))).toEqual([]);
    expect(attestedFeedback([])).toEqual([]);
  });
});

describe('the record a reviewer saves', () => {
  const reviewer = { kind: 'reviewer' as const, stages: G.review!.stages! };
  const ctx = (c: Partial<ReviewSaveContext> = {}): ReviewSaveContext => ({
    reviewer: 'rev@example.org',
    reviewerId: '2',
    openedSha256: A,
    changed: false,
    savedSha256: A,
    existing: null,
    readProblems: [],
    now: new Date('2026-12-05T08:00:00Z'),
    tool: { name: 'segqc-labelstudio', version: 't' },
    ...c,
  });

  test('a reject with its reasons and comment, about the mask as saved', () => {
    const d = reviewSave(G, reviewer, { stage: null, verdict: 'reject', reasons: ['missed_lesion'], comment: '  segment VII  ' }, ctx());
    expect(d).toEqual({
      save: true,
      document: {
        schema: 'segqc-review/1',
        reviews: [
          {
            stage: 'peer',
            reviewer: 'rev@example.org',
            reviewer_id: '2',
            verdict: 'reject',
            reasons: ['missed_lesion'],
            comment: 'segment VII',
            time: '2026-12-05T08:00:00.000Z',
            mask_sha256: A,
            tool: { name: 'segqc-labelstudio', version: 't' },
          },
        ],
      },
    });
  });

  test('appended to the document so far, never rewriting it', () => {
    const first = reviewSave(G, reviewer, { ...emptyDraft(), verdict: 'reject', reasons: ['wrong_label'] }, ctx());
    if (!first.save) throw new Error(first.missing.join('; '));
    const second = reviewSave(G, reviewer, { ...emptyDraft(), verdict: 'accept' }, ctx({ existing: first.document, savedSha256: B, openedSha256: B }));
    expect(second.save && second.document.reviews.map((r) => `${r.verdict}:${r.mask_sha256[0]}`)).toEqual(['reject:a', 'accept:b']);
    expect(second.save && second.document.reviews[0]).toEqual(first.document.reviews[0]);
  });

  test('a reviewer who changed the regions records accept_with_fixes: the annotator\'s hash and theirs', () => {
    const refused = reviewSave(G, reviewer, { ...emptyDraft(), verdict: 'accept' }, ctx({ changed: true, savedSha256: B }));
    expect(refused).toEqual({ save: false, missing: ['review: you changed the regions since opening the annotation: choose "accept with fixes", or undo your changes'] });
    const d = reviewSave(G, reviewer, { ...emptyDraft(), verdict: 'accept_with_fixes', reasons: ['boundary_loose'] }, ctx({ changed: true, savedSha256: B }));
    expect(d.save && d.document.reviews[0]).toMatchObject({ verdict: 'accept_with_fixes', mask_sha256: A, fixed_sha256: B });
    // Without a change there is no fixed hash: the verdict is about the annotator's mask.
    const same = reviewSave(G, reviewer, { ...emptyDraft(), verdict: 'accept_with_fixes', reasons: ['boundary_loose'] }, ctx());
    expect(same.save && same.document.reviews[0].fixed_sha256).toBeUndefined();
  });

  test('no verdict, a reject without reasons, an unreadable record: refused with the reason', () => {
    expect(reviewSave(G, reviewer, emptyDraft(), ctx())).toEqual({ save: false, missing: ['review: choose a verdict (accept, reject or accept with fixes)'] });
    const noReason = reviewSave(G, reviewer, { ...emptyDraft(), verdict: 'reject' }, ctx());
    expect(!noReason.save && noReason.missing.join()).toContain('a reject needs at least one reason');
    const unread = reviewSave(G, reviewer, { ...emptyDraft(), verdict: 'accept' }, ctx({ readProblems: ['the review text is not JSON'] }));
    expect(!unread.save && unread.missing.join()).toContain('cannot be read, so a new one cannot be added');
  });
});

describe('the gate of an annotator with open feedback, through the editor reader', () => {
  const SETUP: Setup = { guideline: G, sha256: guidelineSha256(G), schemaChecked: true };
  const reviewText = JSON.stringify({
    schema: 'segqc-review/1',
    reviews: [{ stage: 'peer', reviewer: 'rev@example.org', verdict: 'reject', reasons: ['boundary_loose'], time: '2026-12-01T10:00:00.000Z', mask_sha256: A }],
  });
  const controls = ['label', 'label_polygon', 'segqc_attestation', 'segqc_review', ...['veins_excluded', 'margins_reviewed', 'no_tumour_confirmed'].map((i) => `segqc_checklist_${i}`)];
  const result = [
    preAnnotation()[0],
    ...['veins_excluded', 'no_tumour_confirmed'].map((i) => ({ from_name: `segqc_checklist_${i}`, to_name: 'image', type: 'choices', value: { choices: ['yes'] } })),
    { from_name: 'segqc_review', to_name: 'image', type: 'textarea', value: { text: [reviewText] } },
  ];
  const ann = (user: { id: number; email: string }) => ({
    pk: 11,
    user,
    names: new Map<string, unknown>(controls.map((n) => [n, { name: n }])),
    objects: [{ name: 'image', isReady: true, naturalWidth: W, naturalHeight: H }],
    history: { history: [{ step: 0 }] as unknown[], undoIdx: 0 },
    serializeAnnotation: () => result,
  });
  const store = (me: { id: number; email: string }) => ({
    user: me,
    annotationStore: { selected: ann({ id: 1, email: 'ann@example.org' }) },
    task: { id: 1, dataObj: { pixel_spacing: [0.8, 0.8] } },
  });
  const run = (me: { id: number; email: string }) => {
    const s = initialState();
    const input = readEditor(s, store(me), G, true)!;
    readReview(s, G, input, { user: me.email, userId: String(me.id) });
    s.live = new LiveChecker(G).check(input.result, { task: input.task, item: input.item, annotation: input.annotation, author: me.email, answers: input.answers });
    s.overrides = [{ rule: 'volume.below_min', label: 'Liver', reason: 'one slice only', by: me.email }];
    s.verdict = decide(SETUP, s);
    return s;
  };

  test('blocked by the unconfirmed reason alone; once confirmed the attestation says so and validates', () => {
    const s = run({ id: 1, email: 'ann@example.org' });
    expect(s.review.role).toEqual({ kind: 'annotator' });
    expect(s.verdict?.missing).toEqual(['review feedback: "Boundary includes adjacent structures" (Peer review, rev@example.org) is not confirmed as addressed']);
    expect(saveDecision(SETUP, s, new Date()).save).toBe(false);
    s.review.confirmed = { 'peer|boundary_loose': true };
    s.verdict = decide(SETUP, s);
    expect(s.verdict?.blocked).toBe(false);
    const d = saveDecision(SETUP, s, new Date('2026-12-02T00:00:00Z'));
    if (!d.save) throw new Error(d.missing.join('; '));
    expect(d.attestation.feedback).toEqual([{ stage: 'peer', reviewer: 'rev@example.org', time: '2026-12-01T10:00:00.000Z', reasons: ['boundary_loose'] }]);
    expect(validateAttestation(JSON.stringify(d.attestation)).problems).toEqual([]);
  });

  test('a reviewer gets the form, no feedback, and is gated by the verdict only', () => {
    const s = run({ id: 2, email: 'rev@example.org' });
    expect(s.review.role.kind).toBe('reviewer');
    expect(s.review.feedback).toEqual([]);
    expect(s.review.records.map((r) => r.verdict)).toEqual(['reject']);
    expect(s.verdict).toEqual({ blocked: true, missing: ['review: choose a verdict (accept, reject or accept with fixes)'], overridable: [] });
  });
});

describe("reviews kept in a reviewer's review-only annotation of the same task", () => {
  const doc = (reviews: Array<Record<string, unknown>>) => JSON.stringify({ schema: 'segqc-review/1', reviews });
  const entry = (r: Record<string, unknown>) => ({ stage: 'peer', reviewer: 'rev@example.org', verdict: 'reject', reasons: ['boundary_loose'], time: '2026-12-01T10:00:00.000Z', mask_sha256: A, ...r });
  const text = (t: string) => ({ from_name: 'segqc_review', to_name: 'image', type: 'textarea', value: { text: [t] } });
  const own = [preAnnotation()[0]];
  const selected = {
    pk: 11,
    user: { id: 1, email: 'ann@example.org' },
    names: new Map<string, unknown>(['label', 'segqc_review'].map((n) => [n, { name: n }])),
    objects: [{ name: 'image', isReady: true, naturalWidth: W, naturalHeight: H }],
    history: { history: [{ step: 0 }] as unknown[], undoIdx: 0 },
    serializeAnnotation: () => own,
  };
  const others = [
    // The reviewer's answer: a reject of 11 with two reasons, then (later) an accept of annotation 13.
    { pk: 12, user: { id: 2, email: 'rev@example.org' }, versions: { result: [text(doc([entry({ annotation: '11', reasons: ['boundary_loose', 'missed_lesion'], comment: 'IVC inside' }), entry({ annotation: '13', verdict: 'accept', reasons: [] })]))] } },
    // Someone's text that is no review, and an annotation never saved: neither says anything about 11.
    { pk: 14, user: { id: 3, email: 'x@example.org' }, versions: { result: [text('not json')] } },
    { id: 'new', versions: {} },
  ];
  const run = (me: { id: number; email: string }) => {
    const s = initialState();
    const store = { user: me, annotationStore: { selected, annotations: [others[0], selected, others[1], others[2]] }, task: { id: 1, dataObj: { pixel_spacing: [0.8, 0.8] } } };
    const input = readEditor(s, store, G, true)!;
    readReview(s, G, input, { user: me.email, userId: String(me.id) });
    return { s, input };
  };

  test('the editor reads the other annotations as saved, not the selected one', () => {
    const { input } = run({ id: 1, email: 'ann@example.org' });
    expect(input.others.map((o) => o.annotation)).toEqual(['12', '14']);
    expect(otherAnnotations({ annotationStore: { annotations: undefined } }, null)).toEqual([]);
  });

  test("the annotator gets the reject about their annotation as feedback; the other annotation's records and unreadable texts stay out", () => {
    const { s } = run({ id: 1, email: 'ann@example.org' });
    expect(s.review.records.map((r) => `${r.annotation}:${r.verdict}:${r.reasons.join('+')}`)).toEqual(['11:reject:boundary_loose+missed_lesion']);
    expect(s.review.feedback).toEqual([
      {
        stage: 'peer',
        stageTitle: 'Peer review',
        reviewer: 'rev@example.org',
        time: '2026-12-01T10:00:00.000Z',
        comment: 'IVC inside',
        reasons: [
          { id: 'boundary_loose', title: 'Boundary includes adjacent structures', help: 'Trim the liver at the capsule; the IVC and the right kidney are not liver.' },
          { id: 'missed_lesion', title: 'A lesion is not segmented', help: 'Scroll through the whole liver and add every lesion of 3 mm or more.' },
        ],
      },
    ]);
    // What a save would append to is the annotation's own document (it has none), never the reviewer's.
    expect(s.review.document).toBeNull();
    expect(s.review.problems).toEqual([]);
  });

  test("the annotation's own result is never read as another's: only the records other annotations hold about it", () => {
    const rs = reviewsInOthers(
      [
        { annotation: '12', result: [text(doc([entry({ annotation: '11' })]))] },
        { annotation: '11', result: [text(doc([entry({ verdict: 'accept', reasons: [] })]))] },
      ],
      { file: 'task 1', item: 'task 1', annotation: '11' },
    );
    expect(rs.map((r) => [r.annotation, r.verdict, r.source.form])).toEqual([['11', 'reject', 'labelstudio']]);
  });
});
