/** Where review stands: each annotation at each stage, and the progress of each stage over a set of items. */
import type { ReviewPolicy, ReviewStage } from '../guideline/types.js';
import { isRequiredStage } from '../guideline/types.js';
import type { RuleCode } from '../rule-codes.js';
import type { ReviewVerdict } from './record.js';

/** One annotation at one review stage: the latest verdict that counts, and what it means for the mask as it is now. */
export interface ReviewStatus {
  annotation: string | null;
  annotator: string | null;
  stage: string;
  /** Whether the stage covers the item (all items, the audit sample, or items with the named findings). */
  covered: boolean;
  /** `stale`: the mask changed after the verdict. `pending`: no verdict yet. */
  status: 'accepted' | 'rejected' | 'stale' | 'pending';
  verdict: ReviewVerdict | null;
  reviewer: string | null;
  reasons: string[];
  comment: string | null;
  time: string | null;
}

/** One stage over the items of a report. Items count where the stage covers them or a verdict was given. */
export interface StageProgress {
  id: string;
  title: string | null;
  required: boolean;
  reviewers: 'others' | string[];
  items: 'all' | 'audit' | { findings: RuleCode[] };
  /** Items the stage covers: the reviews needed. */
  items_covered: number;
  /** Items whose every annotation has a verdict about its current mask. */
  items_reviewed: number;
  items_accepted: number;
  /** Items with at least one annotation rejected (and not changed since). */
  items_rejected: number;
  /** Items with a verdict about an earlier version of a mask. */
  items_stale: number;
  /** Covered items still waiting for a verdict on some annotation (stale ones included). */
  items_pending: number;
  /** Reasons of the current rejections, most frequent first. */
  reasons: Array<{ id: string; title: string | null; count: number }>;
}

/** The review section of a report: each stage's progress and the reason taxonomy. */
export interface ReviewProgress {
  stages: StageProgress[];
  reasons: Array<{ id: string; title: string }>;
}

/** A rejection the annotator has not yet answered with a new version. */
export interface OpenRejection {
  item: string;
  annotation: string | null;
  stage: string;
  reviewer: string | null;
  reasons: string[];
  comment: string | null;
  time: string | null;
}

const stageProgress = (stage: ReviewStage): StageProgress => ({
  id: stage.id,
  title: stage.title ?? null,
  required: isRequiredStage(stage),
  reviewers: stage.reviewers,
  items: stage.items ?? 'all',
  items_covered: 0,
  items_reviewed: 0,
  items_accepted: 0,
  items_rejected: 0,
  items_stale: 0,
  items_pending: 0,
  reasons: [],
});

/** Each stage's progress over items (their `reviews`); null when the policy has no stages. */
export function reviewProgress(items: ReadonlyArray<{ reviews?: ReviewStatus[] }>, policy: ReviewPolicy | undefined): ReviewProgress | null {
  const stages = policy?.stages ?? [];
  if (stages.length === 0) return null;
  const titles = new Map((policy?.reasons ?? []).map((r) => [r.id, r.title]));
  const out = stages.map(stageProgress);
  for (const [k, stage] of stages.entries()) {
    const p = out[k];
    const counts = new Map<string, number>();
    for (const it of items) {
      const here = (it.reviews ?? []).filter((r) => r.stage === stage.id);
      if (here.length === 0) continue;
      const reviewed = here.every((r) => r.status === 'accepted' || r.status === 'rejected');
      if (here.some((r) => r.covered)) p.items_covered++;
      if (reviewed) p.items_reviewed++;
      if (here.every((r) => r.status === 'accepted')) p.items_accepted++;
      if (here.some((r) => r.status === 'rejected')) p.items_rejected++;
      if (here.some((r) => r.status === 'stale')) p.items_stale++;
      if (!reviewed && here.some((r) => r.covered)) p.items_pending++;
      for (const r of here) if (r.status === 'rejected') for (const id of r.reasons) counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    p.reasons = [...counts.entries()]
      .map(([id, count]) => ({ id, title: titles.get(id) ?? null, count }))
      .sort((a, b) => b.count - a.count || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }
  return { stages: out, reasons: (policy?.reasons ?? []).map((r) => ({ id: r.id, title: r.title })) };
}

/** The policy a report's review section was computed under (stages and reason titles), to sum shard reports again. */
export function policyOfProgress(p: ReviewProgress): ReviewPolicy {
  return {
    stages: p.stages.map((s) => ({ id: s.id, ...(s.title !== null ? { title: s.title } : {}), reviewers: s.reviewers, items: s.items, required: s.required })),
    reasons: p.reasons.map((r) => ({ ...r })),
  };
}

/** The open rejections of an item, per annotator. */
export function openRejections(itemId: string, statuses: readonly ReviewStatus[]): Array<{ annotator: string | null; rejection: OpenRejection }> {
  return statuses
    .filter((s) => s.status === 'rejected')
    .map((s) => ({
      annotator: s.annotator,
      rejection: { item: itemId, annotation: s.annotation, stage: s.stage, reviewer: s.reviewer, reasons: [...s.reasons], comment: s.comment, time: s.time },
    }));
}

/** A verdict a pull request adds or changes. */
export interface ReviewChange {
  annotation: string | null;
  annotator: string | null;
  stage: string;
  reviewer: string | null;
  verdict: ReviewVerdict;
  reasons: string[];
  /** The verdict on the base side, or null when the pull request gives the first one. */
  previous: ReviewVerdict | null;
}

/** The verdicts of `head` that `base` does not have (new, or a different latest verdict at the same stage). */
export function reviewChanges(base: readonly ReviewStatus[], head: readonly ReviewStatus[]): ReviewChange[] {
  const key = (s: ReviewStatus) => `${s.annotation ?? ''}\u0000${s.stage}`;
  const before = new Map(base.map((s) => [key(s), s]));
  const out: ReviewChange[] = [];
  for (const h of head) {
    if (h.verdict === null) continue;
    const b = before.get(key(h));
    if (b && b.verdict === h.verdict && b.time === h.time && b.reviewer === h.reviewer) continue;
    out.push({ annotation: h.annotation, annotator: h.annotator, stage: h.stage, reviewer: h.reviewer, verdict: h.verdict, reasons: [...h.reasons], previous: b?.verdict ?? null });
  }
  return out;
}
