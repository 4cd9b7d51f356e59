/** The review loop's parts: guideline fields, the record reader on both forms, the rules, the words. */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { SegqcError } from '../shared/errors.js';
import { loadGuideline, validateGuideline } from '../shared/guideline/load.js';
import { labelConfig } from '../shared/guideline/labelconfig.js';
import type { Guideline } from '../shared/guideline/types.js';
import { isReviewCarrier, labelStudioMaskSha256, maskFileSha256, readLabelStudioReviews, readReviewSidecar } from '../shared/review/reader.js';
import { appendReview, parseReviewDocument, sameIdentity, type ReviewRecord } from '../shared/review/record.js';
import { reviewChoiceProblems } from '../shared/review/entry.js';
import { reviewChanges, reviewProgress } from '../shared/review/status.js';
import { reviewRules } from '../shared/rules/review.js';
import type { RuleCode } from '../shared/rules/types.js';
import { reviewSidecarOf, itemStem } from '../shared/dataset/items.js';
import { reviewChangesText } from '../shared/report/render-review.js';

const base = `schema_version: 1
id: liver-ct
version: 1.0.0
title: Liver
labels:
  - name: Liver
    value: 1
`;

const withReview = `${base}review:
  audit_rate: 0.2
  stages:
    - id: peer
      reviewers: others
    - id: senior
      title: Senior radiologist review
      reviewers: [dr.chen@hospital.example, Dr Lee]
      items: audit
      required: true
      reasons: [boundary_loose]
    - id: gaps
      reviewers: others
      items: { findings: [slices.gap, components.too_many] }
      required: false
  reasons:
    - id: boundary_loose
      title: Boundary includes adjacent structures
      help: Trim at the capsule.
    - id: missed_lesion
      title: A lesion is not segmented
`;

const errorsOf = (text: string) => validateGuideline(text, 'g.yaml').errors.map((e) => `${e.line}:${e.column} ${e.message}`);

describe('guideline: review.stages and review.reasons', () => {
  test('a guideline with the review loop validates and reads as written; one without still does', () => {
    const { guideline, errors } = validateGuideline(withReview, 'g.yaml');
    expect(errors).toEqual([]);
    expect(guideline!.review!.stages!.map((s) => [s.id, s.reviewers, s.items ?? 'all', s.required ?? true])).toEqual([
      ['peer', 'others', 'all', true],
      ['senior', ['dr.chen@hospital.example', 'Dr Lee'], 'audit', true],
      ['gaps', 'others', { findings: ['slices.gap', 'components.too_many'] }, false],
    ]);
    expect(guideline!.review!.reasons!.map((r) => r.id)).toEqual(['boundary_loose', 'missed_lesion']);
    expect(errorsOf(base)).toEqual([]);
    for (const f of ['liver-ct.yaml', 'liver-ct-slice.yaml', 'pathology-nuclei.yaml']) expect(errorsOf(readFileSync(`guidelines/examples/${f}`, 'utf8'))).toEqual([]);
  });

  test('cross-field problems are located and worded: duplicate ids, an unknown reason, others in a list, an audit stage without an audit rate, review findings as coverage', () => {
    const text = `${base}review:
  stages:
    - id: peer
      reviewers: others
      reasons: [boundary_lose]
    - id: peer
      reviewers: [others, a@b.org]
    - id: senior
      reviewers: [a@b.org]
      items: audit
    - id: loop
      reviewers: others
      items: { findings: [review.rejected] }
  reasons:
    - id: boundary_loose
      title: Loose
    - id: boundary_loose
      title: Again
`;
    expect(errorsOf(text)).toEqual([
      "12:17 review stage 'peer' offers the reason 'boundary_lose', which is not in review.reasons — did you mean boundary_loose?",
      "13:11 review stage id 'peer' is used twice (review.stages[0] and review.stages[1])",
      "14:18 review stage 'peer' lists 'others' among its reviewers; write `reviewers: others` for anyone but the author, or list the reviewers by e-mail or name",
      "17:14 review stage 'senior' reviews the audit sample, but review.audit_rate is not set: the stage would cover no item",
      "20:27 review stage 'loop' cannot cover items by a review finding ('review.rejected'): reviews would decide which items need reviews",
      "24:11 review reason id 'boundary_loose' is used twice (review.reasons[0] and review.reasons[1])",
    ]);
  });

  test('schema problems name the stage or reason and what is expected', () => {
    const text = `${base}review:
  stages:
    - id: peer
      reviewers: anyone
      items: some
      gate: true
  reasons:
    - id: Boundary Loose
`;
    expect(errorsOf(text)).toEqual([
      '11:18 review.stages[0].reviewers must be "others" (found \'anyone\')',
      "12:14 review.stages[0].items must be one of all, audit (found 'some')",
      "13:7 unknown field 'gate' in review stage 'peer' (allowed: id, title, reviewers, items, required, reasons)",
      "15:7 review reason 'Boundary Loose' needs the field 'title' (What is wrong, as the annotator reads it: Boundary includes adjacent structures)",
      "15:11 review.reasons[0].id must be an identifier of lower-case letters, digits and '_' such as boundary_loose (found 'Boundary Loose')",
    ]);
  });

  test("the README's review block is a valid guideline fragment", () => {
    const readme = readFileSync('README.md', 'utf8');
    const block = /## Review\n[\s\S]*?```yaml\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toMatch(/^review:\n/);
    expect(errorsOf(base + block!)).toEqual([]);
  });

  test('the new rule codes are accepted in the severity map', () => {
    const g = loadGuideline(`${withReview}severity:\n  review.ineligible: error\n  review.pending: off\n`, 'g.yaml');
    expect(g.severity).toEqual({ 'review.ineligible': 'error', 'review.pending': 'off' });
  });

  test('the labeling config gains the hidden review field only when the guideline has review stages', () => {
    const texts = (xml: string) => [...xml.matchAll(/<TextArea name="([^"]+)"[^>]*\/>/g)].map((m) => m[1]);
    expect(texts(labelConfig(loadGuideline(base, 'g.yaml')))).toEqual(['segqc_attestation']);
    const xml = labelConfig(loadGuideline(withReview, 'g.yaml'));
    expect(texts(xml)).toEqual(['segqc_attestation', 'segqc_review']);
    expect(xml).toMatch(/<View style="display:none">\n {4}<TextArea name="segqc_attestation"[^\n]*\n {4}<TextArea name="segqc_review" toName="image" editable="false" rows="1"\/>\n {2}<\/View>/);
  });
});

const guideline = loadGuideline(withReview, 'g.yaml');
const SHA = (s: string) => createHash('sha256').update(s).digest('hex');
const A = SHA('mask a'), B = SHA('mask b');

const record = (o: Partial<ReviewRecord>): ReviewRecord => ({
  item: 'ct_001',
  annotation: 'labels/r1/ct_001.nii.gz',
  stage: 'peer',
  reviewer: 'rater2@h.org',
  reviewer_id: null,
  verdict: 'accept',
  reasons: [],
  comment: null,
  time: '2026-12-01T10:00:00.000Z',
  mask_sha256: A,
  fixed_sha256: null,
  source: { form: 'file', file: 'labels/r1/ct_001.review.json', index: 0 },
  ...o,
});

function judge(records: ReviewRecord[], opts: { sha?: string; audit?: boolean; rules?: RuleCode[]; g?: Guideline; annotator?: string; attestedBy?: string } = {}) {
  return reviewRules(opts.g ?? guideline, {
    item: 'ct_001',
    annotations: [{ id: 'labels/r1/ct_001.nii.gz', annotator: opts.annotator ?? 'r1', attestedBy: opts.attestedBy ?? null, file: 'labels/r1/ct_001.nii.gz', reviews: { records, sha256: opts.sha ?? A, problems: [] } }],
    findingRules: new Set(opts.rules ?? []),
    inAudit: opts.audit ?? false,
  });
}
const rules = (c: ReturnType<typeof judge>) => c.findings.map((f) => `${f.rule} ${f.severity}`);

describe('review rules', () => {
  test('no record: pending at every required stage that covers the item; the audit stage only on the audit sample', () => {
    expect(rules(judge([]))).toEqual(['review.pending error']);
    expect(rules(judge([], { audit: true }))).toEqual(['review.pending error', 'review.pending error']);
    expect(judge([], { audit: true }).findings[1].message).toBe(
      'Awaiting review at stage senior (Senior radiologist review): no verdict yet; the guideline requires one on the audit sample (reviewers: dr.chen@hospital.example, Dr Lee)',
    );
    // The optional stage covers items with gap findings: a status, no finding.
    const gaps = judge([], { rules: ['slices.gap'] });
    expect(rules(gaps)).toEqual(['review.pending error']);
    expect(gaps.statuses.map((s) => `${s.stage} ${s.status} ${s.covered}`)).toEqual(['peer pending true', 'gaps pending true']);
  });

  test('the latest record of a stage counts: reject, then accept', () => {
    const reject = record({ verdict: 'reject', reasons: ['boundary_loose', 'missed_lesion', 'gone'], comment: 'see slice 12', time: '2026-12-01T10:00:00.000Z' });
    const r = judge([reject]);
    expect(rules(r)).toEqual(['review.rejected error']);
    expect(r.findings[0].message).toBe(
      'Rejected at review stage peer by rater2@h.org on 2026-12-01: Boundary includes adjacent structures; A lesion is not segmented; gone — "see slice 12"',
    );
    expect(r.findings[0].location).toEqual({ file: 'labels/r1/ct_001.review.json' });
    // Written out of order: time decides, not the position in the file.
    const accept = record({ time: '2026-12-02T08:00:00.000Z', source: { form: 'file', file: 'x', index: 0 } });
    expect(rules(judge([accept, { ...reject, source: { ...reject.source, index: 1 } }]))).toEqual([]);
  });

  test('a changed mask makes any verdict stale; accept_with_fixes is about the fixed mask', () => {
    const stale = judge([record({ verdict: 'reject', reasons: ['boundary_loose'] })], { sha: B });
    expect(rules(stale)).toEqual(['review.stale error']);
    expect(stale.findings[0].value).toBe(B);
    expect(stale.findings[0].limit).toBe(A);
    expect(rules(judge([record({ verdict: 'accept_with_fixes', mask_sha256: A, fixed_sha256: B })], { sha: B }))).toEqual([]);
    expect(rules(judge([record({ verdict: 'accept_with_fixes', mask_sha256: A, fixed_sha256: B })], { sha: A }))).toEqual(['review.stale error']);
  });

  test('ineligible: the author (by e-mail local part), someone not listed, a stage the guideline lacks; superseded ones are not reported', () => {
    const own = judge([record({ reviewer: 'R1@hospital.example' })]);
    expect(rules(own)).toEqual(['review.ineligible warning', 'review.pending error']);
    expect(own.findings[0].message).toBe('The verdict of R1@hospital.example at review stage peer on 2026-12-01 does not count: it is their own annotation, and nobody may review their own work');
    const unlisted = judge([record({ stage: 'senior', reviewer: 'someone@h.org' })], { audit: true });
    expect(unlisted.findings.map((f) => f.message)).toContain(
      'The verdict of someone@h.org at review stage senior (Senior radiologist review) on 2026-12-01 does not count: they are not a reviewer of that stage (reviewers: dr.chen@hospital.example, Dr Lee)',
    );
    expect(rules(judge([record({ stage: 'senior', reviewer: 'dr lee' }), record({ time: '2026-12-01T11:00:00.000Z' })]))).toEqual([]);
    const unknown = judge([record({ stage: 'expert' }), record({ time: '2026-12-01T11:00:00.000Z' })]);
    expect(unknown.findings.map((f) => f.message)).toEqual([
      "The verdict of rater2@h.org at review stage expert on 2026-12-01 does not count: the guideline has no such stage (stages: peer, senior, gaps)",
    ]);
    // The author as the attestation names them (segqc attest --annotator), when the folder name is not their e-mail.
    expect(rules(judge([record({ reviewer: 'ana@lab.org' })], { attestedBy: 'Ana@lab.org' }))).toEqual(['review.ineligible warning', 'review.pending error']);
    expect(rules(judge([record({ reviewer: 'ana@lab.org' })]))).toEqual([]);
    // The author's self-review followed by a colleague's accept: resolved, nothing to report.
    expect(rules(judge([record({ reviewer: 'r1' }), record({ time: '2026-12-02T00:00:00.000Z' })]))).toEqual([]);
    // ... but a self-review after the accept is reported (and does not count).
    expect(rules(judge([record({}), record({ reviewer: 'r1', verdict: 'reject', time: '2026-12-02T00:00:00.000Z' })]))).toEqual(['review.ineligible warning']);
  });

  test("severities follow the guideline's severity map", () => {
    const g = loadGuideline(`${withReview}severity:\n  review.ineligible: error\n  review.pending: off\n`, 'g.yaml');
    expect(rules(judge([record({ reviewer: 'r1' })], { g }))).toEqual(['review.ineligible error']);
  });

  test('identities: case, e-mail local part against a plain name, never two different e-mails', () => {
    expect(sameIdentity('Ana@Lab.org', 'ana@lab.org')).toBe(true);
    expect(sameIdentity('rater1@hospital.example', 'rater1')).toBe(true);
    expect(sameIdentity('rater1', 'rater1@hospital.example')).toBe(true);
    expect(sameIdentity('rater1@a.org', 'rater1@b.org')).toBe(false);
    expect(sameIdentity('rater1', 'rater2')).toBe(false);
    expect(sameIdentity('', '')).toBe(false);
    expect(sameIdentity(null, 'x')).toBe(false);
  });
});

describe('review records: the reader on both forms', () => {
  const doc = { schema: 'segqc-review/1', reviews: [{ stage: 'peer', reviewer: 'b@h.org', verdict: 'reject', reasons: ['boundary_loose'], comment: 'c', time: '2026-12-01T10:00:00Z', mask_sha256: A }] };
  const enc = (v: unknown) => new TextEncoder().encode(typeof v === 'string' ? v : JSON.stringify(v));

  test('a sidecar: one record per entry, about the mask beside it', () => {
    expect(reviewSidecarOf('labels/r1/ct_001.nii.gz')).toBe('labels/r1/ct_001.review.json');
    expect(itemStem('labels/r1/ct_001.review.json')).toBe('ct_001');
    const [r] = readReviewSidecar(enc(doc), 'labels/r1/ct_001.review.json', { item: 'ct_001', annotation: 'labels/r1/ct_001.nii.gz' });
    expect(r).toEqual({
      item: 'ct_001',
      annotation: 'labels/r1/ct_001.nii.gz',
      stage: 'peer',
      reviewer: 'b@h.org',
      reviewer_id: null,
      verdict: 'reject',
      reasons: ['boundary_loose'],
      comment: 'c',
      time: '2026-12-01T10:00:00Z',
      mask_sha256: A,
      fixed_sha256: null,
      source: { form: 'file', file: 'labels/r1/ct_001.review.json', index: 0 },
    });
    const bytes = new Uint8Array([1, 2, 3, 250]);
    expect(maskFileSha256(bytes)).toBe(createHash('sha256').update(bytes).digest('hex'));
  });

  test('a sidecar that is not a review document is format.unreadable, naming the file and the problems', () => {
    const bad = { ...doc, reviews: [{ ...doc.reviews[0], verdict: 'maybe', time: 'yesterday' }, { stage: 'peer' }] };
    let e: unknown;
    try {
      readReviewSidecar(enc(bad), 'x.review.json', { item: 'x', annotation: 'x.nii.gz' });
    } catch (err) {
      e = err;
    }
    expect(e).toBeInstanceOf(SegqcError);
    expect((e as SegqcError).code).toBe('format.unreadable');
    expect((e as SegqcError).message).toMatch(/^x\.review\.json \[x\]: is not a review record file/);
    expect((e as SegqcError).detail).toMatch(/reviews\[0\]\.verdict must be accept, reject or accept_with_fixes/);
    expect((e as SegqcError).detail).toMatch(/reviews\[0\]\.time must be a UTC time/);
    expect((e as SegqcError).detail).toMatch(/reviews\[1\] needs 'reviewer'/);
    expect(parseReviewDocument('{').problems[0]).toMatch(/^not valid JSON/);
    // accept_with_fixes must say what the mask became.
    expect(parseReviewDocument(JSON.stringify({ ...doc, reviews: [{ ...doc.reviews[0], verdict: 'accept_with_fixes' }] })).problems).toEqual(["reviews[0] needs 'fixed_sha256'"]);
  });

  const brush = (id: string, rle: number[]) => ({ id, type: 'brushlabels', from_name: 'label', to_name: 'image', original_width: 4, original_height: 4, origin: 'manual', value: { format: 'rle', rle, brushlabels: ['Liver'] } });
  const text = (reviews: unknown[]) => ({ id: 'r', type: 'textarea', from_name: 'segqc_review', to_name: 'image', value: { text: [JSON.stringify({ schema: 'segqc-review/1', reviews })] } });

  test('Label Studio: records in the annotation are about it; records naming another annotation are about that one', () => {
    const result = [brush('a', [1, 2, 3]), text([doc.reviews[0], { ...doc.reviews[0], verdict: 'accept', annotation: '7' }])];
    const { records, problems } = readLabelStudioReviews(result, { file: 'exports/p.json', item: 'tile_001', annotation: '5' });
    expect(problems).toEqual([]);
    expect(records.map((r) => [r.annotation, r.verdict, r.source.form, r.source.file])).toEqual([
      ['5', 'reject', 'labelstudio', 'exports/p.json'],
      ['7', 'accept', 'labelstudio', 'exports/p.json'],
    ]);
    expect(isReviewCarrier(result, records, '5')).toBe(false);
    const only = [text([{ ...doc.reviews[0], annotation: '7' }])];
    expect(isReviewCarrier(only, readLabelStudioReviews(only, { file: 'f', item: 'i', annotation: '9' }).records, '9')).toBe(true);
    // An annotation with nothing but an in-place review is an (empty) annotation that was reviewed, not a carrier.
    const inPlace = [text([doc.reviews[0]])];
    expect(isReviewCarrier(inPlace, readLabelStudioReviews(inPlace, { file: 'f', item: 'i', annotation: '9' }).records, '9')).toBe(false);
    const broken = readLabelStudioReviews([{ from_name: 'segqc_review', type: 'textarea', value: { text: ['not json'] } }], { file: 'f', item: 'i', annotation: '9' });
    expect(broken.records).toEqual([]);
    expect(broken.problems[0]).toMatch(/^annotation 9: the segqc_review text is not a review record .*not valid JSON/);
  });

  test("Label Studio mask hash: the regions only — not their ids, order or origin, not segqc's fields; any change of a region changes it", () => {
    const a = [brush('a', [1, 2, 3]), brush('b', [4, 5])];
    const h = labelStudioMaskSha256(a);
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    const reordered = [{ ...brush('zz', [4, 5]), origin: 'prediction-changed' }, brush('y', [1, 2, 3])];
    const withFields = [...a, text([doc.reviews[0]]), { id: 'c', type: 'choices', from_name: 'segqc_checklist_x', to_name: 'image', value: { choices: ['yes'] } }];
    expect(labelStudioMaskSha256(reordered)).toBe(h);
    expect(labelStudioMaskSha256(withFields)).toBe(h);
    expect(labelStudioMaskSha256([brush('a', [1, 2, 4]), brush('b', [4, 5])])).not.toBe(h);
    expect(labelStudioMaskSha256([brush('a', [1, 2, 3])])).not.toBe(h);
    expect(labelStudioMaskSha256([{ ...brush('a', [1, 2, 3]), original_width: 8 }, brush('b', [4, 5])])).not.toBe(h);
  });

  test('appending keeps the history', () => {
    const first = appendReview(null, doc.reviews[0] as never);
    const second = appendReview(first, { ...doc.reviews[0], verdict: 'accept' } as never);
    expect(second.reviews.map((r) => r.verdict)).toEqual(['reject', 'accept']);
    expect(first.reviews).toHaveLength(1);
  });
});

describe('what a reviewer may choose', () => {
  test('unknown stage, verdict or reason; a reason the stage does not offer; a reject without and an accept with reasons', () => {
    expect(reviewChoiceProblems(guideline, { stage: 'peer', verdict: 'reject', reasons: ['boundary_loose'] })).toEqual([]);
    expect(reviewChoiceProblems(guideline, { stage: 'senior', verdict: 'reject', reasons: ['missed_lesion'] })).toEqual([
      "the reason 'missed_lesion' is not offered at stage 'senior' (reasons there: boundary_loose)",
    ]);
    expect(reviewChoiceProblems(guideline, { stage: 'peer', verdict: 'reject', reasons: [] })).toEqual([
      'a reject needs at least one reason, so the annotator knows what to fix (boundary_loose, missed_lesion)',
    ]);
    expect(reviewChoiceProblems(guideline, { stage: 'peer', verdict: 'accept', reasons: ['missed_lesion'] })).toEqual([
      'an accept carries no reasons: use accept_with_fixes for what you fixed, or a comment',
    ]);
    expect(reviewChoiceProblems(guideline, { stage: 'per', verdict: 'aprove', reasons: [] })).toEqual([
      "'per' is not a review stage of the guideline — did you mean peer?",
      "the verdict is accept, reject or accept_with_fixes, not 'aprove' (accept, reject, accept_with_fixes)",
    ]);
    expect(reviewChoiceProblems(loadGuideline(base, 'g.yaml'), { stage: 'peer', verdict: 'accept', reasons: [] })[0]).toMatch(/has no review stages/);
  });
});

describe('progress and changes', () => {
  const st = (o: Record<string, unknown>) => ({ annotation: 'a', annotator: 'r1', stage: 'peer', covered: true, status: 'accepted', verdict: 'accept', reviewer: 'x', reasons: [], comment: null, time: 't1', ...o }) as never;

  test('per stage: items covered, reviewed, accepted, rejected, stale, pending, and the reasons of current rejections', () => {
    const items = [
      { reviews: [st({}), st({ annotation: 'b' })] },
      { reviews: [st({ status: 'rejected', verdict: 'reject', reasons: ['boundary_loose', 'missed_lesion'] }), st({ annotation: 'b', status: 'pending', verdict: null })] },
      { reviews: [st({ status: 'rejected', verdict: 'reject', reasons: ['boundary_loose'] })] },
      { reviews: [st({ status: 'stale', verdict: 'reject', reasons: ['missed_lesion'] })] },
      { reviews: [st({ covered: false, status: 'accepted' })] },
      { reviews: [] },
    ];
    const p = reviewProgress(items, guideline.review)!;
    const peer = p.stages[0];
    expect([peer.items_covered, peer.items_reviewed, peer.items_accepted, peer.items_rejected, peer.items_stale, peer.items_pending]).toEqual([4, 3, 2, 2, 1, 2]);
    expect(peer.reasons).toEqual([
      { id: 'boundary_loose', title: 'Boundary includes adjacent structures', count: 2 },
      { id: 'missed_lesion', title: 'A lesion is not segmented', count: 1 },
    ]);
    expect(p.stages.map((s) => s.id)).toEqual(['peer', 'senior', 'gaps']);
    expect(reviewProgress(items, loadGuideline(base, 'g.yaml').review)).toBeNull();
  });

  test('a pull request that adds or changes verdicts: "2 rejected by senior review: boundary_loose ×2"', () => {
    const before = [st({ stage: 'senior', verdict: 'accept' })];
    const after = [st({ stage: 'senior', verdict: 'reject', reasons: ['boundary_loose'], time: 't2' }), st({ annotation: 'b', stage: 'senior', verdict: 'reject', reasons: ['boundary_loose'] }), st({ annotation: 'c', verdict: null, status: 'pending' })];
    const changes = reviewChanges(before, after);
    expect(changes.map((c) => [c.annotation, c.verdict, c.previous])).toEqual([
      ['a', 'reject', 'accept'],
      ['b', 'reject', null],
    ]);
    expect(reviewChanges(after, after)).toEqual([]);
    expect(reviewChangesText({ items: [{ reviews: changes }, { reviews: [{ ...changes[0], stage: 'peer', verdict: 'accept', reasons: [] }] }] as never })).toBe(
      '2 rejected by senior review: boundary\\_loose ×2 · 1 accepted by peer review',
    );
  });
});
