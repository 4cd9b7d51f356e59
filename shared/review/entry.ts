/** Making a review record: what a reviewer may say at a stage of the guideline, checked before it is written. */
import type { Guideline, ReviewStage } from '../guideline/types.js';
import { closest } from '../guideline/document.js';
import { REVIEW_VERDICTS, type ReviewEntry, type ReviewVerdict } from './record.js';

/** What a reviewer chose (before the hash and time are added). */
export interface ReviewChoice {
  stage: string;
  verdict: string;
  reasons: string[];
}

const guess = (word: string, options: readonly string[]) => {
  const g = closest(word, options);
  return g ? ` — did you mean ${g}?` : ` (${options.length ? options.join(', ') : 'none'})`;
};

/** The reasons a reviewer picks from at a stage: the stage's list, else the whole taxonomy. */
export const stageReasons = (guideline: Guideline, stage: ReviewStage): string[] => stage.reasons ?? (guideline.review?.reasons ?? []).map((r) => r.id);

/**
 * What is wrong with a choice under the guideline, in words: an unknown stage, verdict or reason, a reason the stage
 * does not offer, a reject without a reason (when the guideline has reasons), an accept with reasons.
 */
export function reviewChoiceProblems(guideline: Guideline, choice: ReviewChoice): string[] {
  const problems: string[] = [];
  const stages = guideline.review?.stages ?? [];
  if (stages.length === 0) return [`the guideline ${guideline.id} ${guideline.version} has no review stages (review.stages): add them before recording reviews`];
  const stage = stages.find((s) => s.id === choice.stage);
  if (!stage) problems.push(`'${choice.stage}' is not a review stage of the guideline${guess(choice.stage, stages.map((s) => s.id))}`);
  if (!(REVIEW_VERDICTS as readonly string[]).includes(choice.verdict)) problems.push(`the verdict is accept, reject or accept_with_fixes, not '${choice.verdict}'${guess(choice.verdict, REVIEW_VERDICTS)}`);
  const known = (guideline.review?.reasons ?? []).map((r) => r.id);
  const offered = stage ? stageReasons(guideline, stage) : known;
  const seen = new Set<string>();
  for (const r of choice.reasons) {
    if (seen.has(r)) problems.push(`the reason '${r}' is given twice`);
    seen.add(r);
    if (!known.includes(r)) problems.push(`'${r}' is not a review reason of the guideline${guess(r, known)}`);
    else if (!offered.includes(r)) problems.push(`the reason '${r}' is not offered at stage '${choice.stage}' (reasons there: ${offered.join(', ')})`);
  }
  if (choice.verdict === 'reject' && choice.reasons.length === 0 && known.length > 0) {
    problems.push(`a reject needs at least one reason, so the annotator knows what to fix (${offered.join(', ')})`);
  }
  if (choice.verdict === 'accept' && choice.reasons.length > 0) problems.push('an accept carries no reasons: use accept_with_fixes for what you fixed, or a comment');
  return problems;
}

/** A review entry as stored; `fixedSha256` only with `accept_with_fixes`. */
export function reviewEntry(e: {
  stage: string;
  reviewer: string;
  reviewerId?: string | null;
  verdict: ReviewVerdict;
  reasons: string[];
  comment?: string | null;
  time: string;
  maskSha256: string;
  fixedSha256?: string | null;
  annotation?: string | null;
  tool?: { name: string; version: string };
}): ReviewEntry {
  return {
    stage: e.stage,
    reviewer: e.reviewer,
    ...(e.reviewerId ? { reviewer_id: e.reviewerId } : {}),
    verdict: e.verdict,
    reasons: [...e.reasons],
    ...(e.comment ? { comment: e.comment } : {}),
    time: e.time,
    mask_sha256: e.maskSha256,
    ...(e.verdict === 'accept_with_fixes' && e.fixedSha256 ? { fixed_sha256: e.fixedSha256 } : {}),
    ...(e.annotation ? { annotation: e.annotation } : {}),
    ...(e.tool ? { tool: e.tool } : {}),
  };
}
