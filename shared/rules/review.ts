/**
 * The review loop: `review.rejected`, `review.pending`, `review.stale` and `review.ineligible`, and where each
 * annotation stands at each stage of the guideline's `review.stages`.
 */
import type { Guideline, ReviewStage } from '../guideline/types.js';
import { isRequiredStage } from '../guideline/types.js';
import { byTime, sameIdentity, verdictSha256, type ReviewRecord } from '../review/record.js';
import type { ReviewStatus } from '../review/status.js';
import { emit } from './findings.js';
import type { FindingDraft } from './findings.js';
import type { AnnotationReviews, Finding, IneligibleWhy, RuleCode, StageRef } from './types.js';

/** One item as the review rules see it. */
export interface ReviewItemInput {
  item: string;
  annotations: ReadonlyArray<{
    id: string | null;
    annotator: string | null;
    /** Who the annotation's attestation says made it (`annotator` of a sidecar written by `segqc attest`), if it says. */
    attestedBy?: string | null;
    file: string;
    reviews?: AnnotationReviews;
  }>;
  /** Rules of the item's other findings: a stage may cover the items that have some. */
  findingRules: ReadonlySet<RuleCode>;
  /** Whether the item is in the dataset's audit sample. */
  inAudit: boolean;
}

/** The review findings of an item and where each annotation stands at each stage. */
export interface ItemReviewCheck {
  findings: Finding[];
  statuses: ReviewStatus[];
}

const stageRef = (s: ReviewStage): StageRef => ({ id: s.id, title: s.title ?? null });

/** Whether a stage covers an item. */
export function stageCovers(stage: ReviewStage, input: Pick<ReviewItemInput, 'findingRules' | 'inAudit'>): boolean {
  const items = stage.items ?? 'all';
  if (items === 'all') return true;
  if (items === 'audit') return input.inAudit;
  return items.findings.some((r) => input.findingRules.has(r));
}

/** Why a record does not count at its stage, or null when the reviewer may review there; `authors` name who made the annotation. */
export function ineligibility(record: Pick<ReviewRecord, 'reviewer' | 'reviewer_id'>, stage: ReviewStage, authors: ReadonlyArray<string | null | undefined>): IneligibleWhy | null {
  const who = [record.reviewer, record.reviewer_id];
  if (who.some((w) => authors.some((a) => sameIdentity(w, a)))) return 'author';
  if (stage.reviewers !== 'others' && !stage.reviewers.some((r) => who.some((w) => sameIdentity(w, r)))) return 'not_listed';
  return null;
}

/** Checks the review records of an item's annotations against the guideline's stages. */
export function reviewRules(guideline: Guideline, input: ReviewItemInput): ItemReviewCheck {
  const stages = guideline.review?.stages ?? [];
  const titles = new Map((guideline.review?.reasons ?? []).map((r) => [r.id, r.title]));
  const findings: Finding[] = [];
  const statuses: ReviewStatus[] = [];
  for (const a of input.annotations) {
    const drafts: FindingDraft[] = [];
    const records = [...(a.reviews?.records ?? [])].sort(byTime);
    const current = a.reviews?.sha256 ?? null;
    const at = (r: ReviewRecord) => ({ location: { file: r.source.file } });
    const ineligible = (r: ReviewRecord, stage: StageRef, why: IneligibleWhy, reviewers: ReviewStage['reviewers'] | null): FindingDraft => ({
      rule: 'review.ineligible',
      label: null,
      facts: { stage, reviewer: r.reviewer, time: r.time, why, reviewers, stages: stages.map((s) => s.id) },
      value: r.reviewer,
      ...at(r),
    });
    for (const r of records) {
      if (!stages.some((s) => s.id === r.stage)) drafts.push(ineligible(r, { id: r.stage, title: null }, 'unknown_stage', null));
    }
    for (const stage of stages) {
      const ref = stageRef(stage);
      const mine = records.filter((r) => r.stage === stage.id);
      const why = new Map(mine.map((r) => [r, ineligibility(r, stage, [a.annotator, a.attestedBy])]));
      const counted = mine.filter((r) => why.get(r) === null);
      const latest = counted.length ? counted[counted.length - 1] : null;
      // A record that does not count is reported until an eligible verdict follows it.
      for (const r of mine) {
        const w = why.get(r);
        if (w && (!latest || byTime(r, latest) > 0)) drafts.push(ineligible(r, ref, w, stage.reviewers));
      }
      const covered = stageCovers(stage, input);
      if (!latest && !covered) continue;
      let status: ReviewStatus['status'];
      if (!latest) {
        status = 'pending';
        if (isRequiredStage(stage)) {
          drafts.push({ rule: 'review.pending', label: null, facts: { stage: ref, reviewers: stage.reviewers, items: stage.items ?? 'all' }, value: stage.id, location: { file: a.file } });
        }
      } else if (current !== null && verdictSha256(latest) !== current) {
        status = 'stale';
        drafts.push({
          rule: 'review.stale',
          label: null,
          facts: { stage: ref, reviewer: latest.reviewer, verdict: latest.verdict, time: latest.time, reviewed_sha256: verdictSha256(latest), current_sha256: current },
          value: current,
          limit: verdictSha256(latest),
          ...at(latest),
        });
      } else if (latest.verdict === 'reject') {
        status = 'rejected';
        drafts.push({
          rule: 'review.rejected',
          label: null,
          facts: { stage: ref, reviewer: latest.reviewer, reasons: latest.reasons.map((id) => ({ id, title: titles.get(id) ?? null })), comment: latest.comment, time: latest.time },
          value: latest.reasons.join(', ') || null,
          ...at(latest),
        });
      } else status = 'accepted';
      statuses.push({
        annotation: a.id,
        annotator: a.annotator,
        stage: stage.id,
        covered,
        status,
        verdict: latest?.verdict ?? null,
        reviewer: latest?.reviewer ?? null,
        reasons: latest ? [...latest.reasons] : [],
        comment: latest?.comment ?? null,
        time: latest?.time ?? null,
      });
    }
    findings.push(...emit({ guideline, item: input.item, annotation: a.id, annotator: a.annotator }, drafts));
  }
  return { findings, statuses };
}
