/**
 * The review loop in the editor, as pure functions: who the person in the editor is to the annotation (its annotator
 * or one of its reviewers), the feedback of open rejections an annotator answers, and the record a reviewer saves.
 */
import type { Guideline, ReviewStage } from '../../shared/guideline/types.js';
import { reviewChoiceProblems, reviewEntry, stageReasons } from '../../shared/review/entry.js';
import { readLabelStudioReviews, labelStudioReviewTexts } from '../../shared/review/reader.js';
import { appendReview, byTime, reviewRecords, type ReviewDocument, type ReviewRecord, type ReviewVerdict } from '../../shared/review/record.js';
import { ineligibility } from '../../shared/rules/review.js';
import { ATTESTATION_FROM_NAME, type AddressedFeedback } from '../../shared/rules/types.js';
import { isCspRefusal } from './guideline-input.js';

/** The person in the editor: the annotation's annotator, or a reviewer with the stages they may give a verdict at. */
export type Role = { kind: 'annotator' } | { kind: 'reviewer'; stages: ReviewStage[] };

/**
 * A reviewer when the annotation is someone else's (its author known and not `user`) and some stage lets `user`
 * review it; the annotator otherwise (their own annotation, a new one, or an author the editor does not say).
 */
export function roleOf(guideline: Guideline, who: { user: string | null; userId?: string | null; author: string | null; own: boolean }): Role {
  if (who.own || !who.user || !who.author) return { kind: 'annotator' };
  const stages = (guideline.review?.stages ?? []).filter((s) => ineligibility({ reviewer: who.user as string, reviewer_id: who.userId ?? null }, s, [who.author]) === null);
  return stages.length > 0 ? { kind: 'reviewer', stages } : { kind: 'annotator' };
}

/** A reason as the panel shows it: the taxonomy's title and help (the id when the guideline does not know it). */
export interface ReasonText {
  id: string;
  title: string;
  help: string | null;
}

/** An open rejection an annotator answers: the latest eligible verdict of its stage is reject. */
export interface Feedback {
  stage: string;
  stageTitle: string | null;
  reviewer: string;
  time: string;
  comment: string | null;
  reasons: ReasonText[];
}

/** A reason of the guideline's taxonomy, as text. */
export function reasonText(guideline: Guideline, id: string): ReasonText {
  const r = (guideline.review?.reasons ?? []).find((x) => x.id === id);
  return { id, title: r?.title ?? id, help: r?.help ?? null };
}

/** The rejections still standing on an annotation: per stage of the guideline, the latest eligible record, when it rejects. */
export function openFeedback(guideline: Guideline, records: readonly ReviewRecord[], author: string | null): Feedback[] {
  const out: Feedback[] = [];
  for (const stage of guideline.review?.stages ?? []) {
    const counted = records.filter((r) => r.stage === stage.id && ineligibility(r, stage, [author]) === null).sort(byTime);
    const latest = counted[counted.length - 1];
    if (!latest || latest.verdict !== 'reject') continue;
    out.push({
      stage: stage.id,
      stageTitle: stage.title ?? null,
      reviewer: latest.reviewer,
      time: latest.time,
      comment: latest.comment,
      reasons: latest.reasons.map((id) => reasonText(guideline, id)),
    });
  }
  return out;
}

/** The key of one feedback line (a reason of a rejection), as confirmations are kept. */
export const feedbackKey = (f: Pick<Feedback, 'stage'>, reason: string): string => `${f.stage}|${reason}`;

/** The gate's lines for feedback reasons not yet confirmed as addressed. */
export function feedbackMissing(feedback: readonly Feedback[], confirmed: Readonly<Record<string, boolean>>): string[] {
  const lines: string[] = [];
  for (const f of feedback) {
    for (const r of f.reasons) {
      if (!confirmed[feedbackKey(f, r.id)]) lines.push(`review feedback: "${r.title}" (${f.stageTitle ?? f.stage}, ${f.reviewer}) is not confirmed as addressed`);
    }
  }
  return lines;
}

/** What the attestation records of the feedback: each rejection with the reasons confirmed. */
export function addressedFeedback(feedback: readonly Feedback[], confirmed: Readonly<Record<string, boolean>>): AddressedFeedback[] {
  return feedback
    .map((f) => ({ stage: f.stage, reviewer: f.reviewer, time: f.time, reasons: f.reasons.map((r) => r.id).filter((id) => confirmed[feedbackKey(f, id)]) }))
    .filter((f) => f.reasons.length > 0);
}

/** The feedback an annotation's attestation records addressed (none when it has no readable attestation). */
export function attestedFeedback(result: readonly unknown[]): AddressedFeedback[] {
  const entry = result.find((e) => (e as { from_name?: unknown })?.from_name === ATTESTATION_FROM_NAME) as { value?: { text?: unknown } } | undefined;
  const text = Array.isArray(entry?.value?.text) ? entry.value.text[0] : undefined;
  if (typeof text !== 'string') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return [];
  }
  const list = (parsed as { feedback?: unknown })?.feedback;
  if (!Array.isArray(list)) return [];
  const str = (v: unknown): v is string => typeof v === 'string';
  return list
    .filter((f): f is AddressedFeedback => !!f && str(f.stage) && str(f.reviewer) && str(f.time) && Array.isArray(f.reasons) && f.reasons.every(str))
    .map((f) => ({ stage: f.stage, reviewer: f.reviewer, time: f.time, reasons: [...f.reasons] }));
}

/** The feedback lines an earlier submission already confirmed: same rejection (stage, reviewer, time), same reason. */
export function confirmedBefore(feedback: readonly Feedback[], addressed: readonly AddressedFeedback[]): Record<string, boolean> {
  const out: Record<string, boolean> = {};
  for (const f of feedback) {
    const a = addressed.find((x) => x.stage === f.stage && x.reviewer === f.reviewer && x.time === f.time);
    for (const r of f.reasons) if (a?.reasons.includes(r.id)) out[feedbackKey(f, r.id)] = true;
  }
  return out;
}

/** Every review record of an annotation's result, and the texts that are not review documents. Under a Content-Security-Policy that keeps the schema validator from running, the text is only parsed. */
function recordsOfResult(result: readonly unknown[], texts: readonly string[], where: { file: string; item: string; annotation: string }): { records: ReviewRecord[]; problems: string[] } {
  try {
    return readLabelStudioReviews(result, where);
  } catch (e) {
    if (!isCspRefusal(e)) throw e;
    const records: ReviewRecord[] = [];
    const problems: string[] = [];
    for (const t of texts) {
      try {
        const doc = JSON.parse(t) as ReviewDocument;
        if (Array.isArray(doc?.reviews)) records.push(...reviewRecords(doc, { ...where, form: 'labelstudio' }));
      } catch (err) {
        problems.push(`the review text is not JSON: ${(err as Error).message}`);
      }
    }
    return { records, problems };
  }
}

/** The review document of an annotation's result and the records about it (records naming another annotation are left out). */
export function reviewsOfResult(result: readonly unknown[], where: { file: string; item: string; annotation: string }): { document: ReviewDocument | null; records: ReviewRecord[]; problems: string[] } {
  const texts = labelStudioReviewTexts(result);
  if (texts.length === 0) return { document: null, records: [], problems: [] };
  const { records, problems } = recordsOfResult(result, texts, where);
  const mine = records.filter((r) => r.annotation === where.annotation);
  // Saving appends to the document as written (one text, readable); anything else is not overwritten.
  let document: ReviewDocument | null = null;
  if (texts.length === 1 && problems.length === 0) document = JSON.parse(texts[0]) as ReviewDocument;
  else if (problems.length === 0) problems.push(`the annotation has ${texts.length} review texts where segqc writes one`);
  return { document, records: mine, problems };
}

/** Another annotation of the task, as saved: its id and result. */
export interface OtherAnnotation {
  annotation: string;
  result: readonly unknown[];
}

/**
 * The records about an annotation kept in the task's other annotations: a reviewer's review-only annotation (Label
 * Studio Community has no review step, so a reviewer answers with an annotation of their own), read as `segqc check`
 * reads the export. Texts there that are not review documents are left to `segqc check` to report.
 */
export function reviewsInOthers(others: readonly OtherAnnotation[], where: { file: string; item: string; annotation: string }): ReviewRecord[] {
  const out: ReviewRecord[] = [];
  for (const o of others) {
    if (o.annotation === where.annotation) continue;
    const texts = labelStudioReviewTexts(o.result);
    if (texts.length === 0) continue;
    out.push(...recordsOfResult(o.result, texts, { ...where, annotation: o.annotation }).records.filter((r) => r.annotation === where.annotation));
  }
  return out;
}

/** What the reviewer has chosen in the panel so far. */
export interface ReviewDraft {
  stage: string | null;
  verdict: ReviewVerdict | null;
  reasons: string[];
  comment: string;
}

export const emptyDraft = (): ReviewDraft => ({ stage: null, verdict: null, reasons: [], comment: '' });

/** The stage a draft is for: the one chosen, else the only (or first) stage the reviewer may review. */
export const draftStage = (role: Extract<Role, { kind: 'reviewer' }>, draft: ReviewDraft): string => draft.stage ?? role.stages[0].id;

/** What keeps a draft from being saved, in words (empty when it can be). */
export function draftProblems(guideline: Guideline, role: Extract<Role, { kind: 'reviewer' }>, draft: ReviewDraft): string[] {
  if (!draft.verdict) return ['review: choose a verdict (accept, reject or accept with fixes)'];
  return reviewChoiceProblems(guideline, { stage: draftStage(role, draft), verdict: draft.verdict, reasons: draft.reasons }).map((p) => `review: ${p}`);
}

/** The reasons the reviewer picks from at the draft's stage. */
export function draftReasons(guideline: Guideline, role: Extract<Role, { kind: 'reviewer' }>, draft: ReviewDraft): ReasonText[] {
  const stage = role.stages.find((s) => s.id === draftStage(role, draft)) ?? role.stages[0];
  return stageReasons(guideline, stage).map((id) => reasonText(guideline, id));
}

/** What saving a review needs besides the draft: who, the mask's hashes, the document so far, the time. */
export interface ReviewSaveContext {
  reviewer: string;
  reviewerId: string | null;
  /** Content hash of the mask as the reviewer opened it (the annotator's version). */
  openedSha256: string | null;
  /** Whether the reviewer changed the regions since opening the annotation. */
  changed: boolean;
  /** Content hash of the regions as saving writes them. */
  savedSha256: string;
  existing: ReviewDocument | null;
  /** Why the annotation's review text could not be read: saving would overwrite it. */
  readProblems: string[];
  now: Date;
  tool: { name: string; version: string };
}

/** Saving goes ahead with this review document in the hidden field, or not, with the lines that say why. */
export type ReviewSaveDecision = { save: true; document: ReviewDocument } | { save: false; missing: string[] };

/**
 * The review record a reviewer saves, appended to the annotation's review document (the history is never rewritten).
 * A reviewer who changed the mask records `accept_with_fixes`: `mask_sha256` is the annotator's version,
 * `fixed_sha256` theirs; any other verdict must be about the annotator's mask as it was.
 */
export function reviewSave(guideline: Guideline, role: Extract<Role, { kind: 'reviewer' }>, draft: ReviewDraft, ctx: ReviewSaveContext): ReviewSaveDecision {
  const missing = draftProblems(guideline, role, draft);
  for (const p of ctx.readProblems) missing.push(`review: the annotation's review records cannot be read, so a new one cannot be added (${p})`);
  if (ctx.changed && draft.verdict !== 'accept_with_fixes') {
    missing.push('review: you changed the regions since opening the annotation: choose "accept with fixes", or undo your changes');
  }
  if (ctx.changed && !ctx.openedSha256) missing.push('review: the annotation was not read completely before it changed, so the annotator\'s version is unknown: reload it');
  if (missing.length > 0 || !draft.verdict) return { save: false, missing };
  const fixed = ctx.changed && draft.verdict === 'accept_with_fixes';
  const entry = reviewEntry({
    stage: draftStage(role, draft),
    reviewer: ctx.reviewer,
    reviewerId: ctx.reviewerId,
    verdict: draft.verdict,
    reasons: draft.reasons,
    comment: draft.comment.trim() || null,
    time: ctx.now.toISOString(),
    maskSha256: fixed ? (ctx.openedSha256 as string) : ctx.savedSha256,
    fixedSha256: fixed ? ctx.savedSha256 : null,
    tool: ctx.tool,
  });
  return { save: true, document: appendReview(ctx.existing, entry) };
}
