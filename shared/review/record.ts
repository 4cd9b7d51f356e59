/**
 * Review records: a reviewer's verdict on one annotation. One wire form (`guidelines/review.schema.json`), stored in
 * a `.review.json` sidecar beside a mask or in the hidden `segqc_review` text of a Label Studio annotation, read into
 * one model.
 */
import type { ValidateFunction } from 'ajv/dist/2020.js';
import schema from '../../guidelines/review.schema.json';
import { compileSchema, formatPath } from '../guideline/document.js';

/** What a reviewer decided. */
export type ReviewVerdict = 'accept' | 'reject' | 'accept_with_fixes';

export const REVIEW_VERDICTS: readonly ReviewVerdict[] = ['accept', 'reject', 'accept_with_fixes'];

/** The `schema` of a review document. */
export const REVIEW_SCHEMA = 'segqc-review/1';

/** One review as stored: an entry of a review document's `reviews`. */
export interface ReviewEntry {
  stage: string;
  reviewer: string;
  reviewer_id?: string;
  verdict: ReviewVerdict;
  reasons: string[];
  comment?: string;
  /** ISO 8601, UTC. */
  time: string;
  /** Content hash of the mask as reviewed. */
  mask_sha256: string;
  /** `accept_with_fixes`: the content hash after the reviewer's fix. */
  fixed_sha256?: string;
  /** Label Studio: the annotation reviewed, when the record sits in another (review-only) annotation. */
  annotation?: string;
  tool?: { name: string; version: string };
}

/** A sidecar's content, and the text of a Label Studio `segqc_review` result. */
export interface ReviewDocument {
  schema: typeof REVIEW_SCHEMA;
  reviews: ReviewEntry[];
}

/** One review, read: the item and annotation it is about, what the reviewer said, and where it was read. */
export interface ReviewRecord {
  item: string;
  /** The annotation reviewed: a mask's path, or a Label Studio annotation id. */
  annotation: string | null;
  stage: string;
  reviewer: string;
  reviewer_id: string | null;
  verdict: ReviewVerdict;
  reasons: string[];
  comment: string | null;
  time: string;
  mask_sha256: string;
  fixed_sha256: string | null;
  /** The sidecar or the Label Studio export, and the record's index in its document. */
  source: { form: 'file' | 'labelstudio'; file: string; index: number };
}

let validator: ValidateFunction | undefined;
const reviewValidator = (): ValidateFunction => (validator ??= compileSchema(schema));

/** Checks a parsed review document against the schema; `problems` words each violation. */
export function validateReviewDocument(value: unknown): { document?: ReviewDocument; problems: string[] } {
  const validate = reviewValidator();
  if (validate(value)) return { document: value as unknown as ReviewDocument, problems: [] };
  const problems = (validate.errors ?? [])
    .filter((e) => e.keyword !== 'if')
    .map((e) => {
      const where = formatPath(e.instancePath.split('/').slice(1).map((p) => (/^\d+$/.test(p) ? Number(p) : p))) || 'the document';
      const params = e.params as Record<string, unknown>;
      if (e.keyword === 'required') return `${where} needs '${String(params.missingProperty)}'`;
      if (e.keyword === 'additionalProperties') return `${where} has an unknown field '${String(params.additionalProperty)}'`;
      const exp = (e.parentSchema as Record<string, unknown> | undefined)?.['x-expected'];
      return `${where} ${typeof exp === 'string' ? `must be ${exp}` : (e.message ?? 'is invalid')}`;
    });
  return { problems: [...new Set(problems)] };
}

/** Parses review JSON text; `problems` says why it is not a review document. */
export function parseReviewDocument(text: string): { document?: ReviewDocument; problems: string[] } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { problems: [`not valid JSON: ${(e as Error).message}`] };
  }
  return validateReviewDocument(value);
}

/** A document with one more review, appended: the history is never rewritten. */
export const appendReview = (doc: ReviewDocument | null, entry: ReviewEntry): ReviewDocument => ({
  schema: REVIEW_SCHEMA,
  reviews: [...(doc?.reviews ?? []), entry],
});

/** The content hash a verdict applies to: the fixed mask's for `accept_with_fixes`, else the one reviewed. */
export const verdictSha256 = (r: Pick<ReviewRecord, 'mask_sha256' | 'fixed_sha256'>): string => r.fixed_sha256 ?? r.mask_sha256;

/** Records of a document, read into the model for one item and annotation. */
export function reviewRecords(doc: ReviewDocument, where: { item: string; annotation: string | null; form: 'file' | 'labelstudio'; file: string }): ReviewRecord[] {
  return doc.reviews.map((e, index) => ({
    item: where.item,
    annotation: e.annotation ?? where.annotation,
    stage: e.stage,
    reviewer: e.reviewer,
    reviewer_id: e.reviewer_id ?? null,
    verdict: e.verdict,
    reasons: [...e.reasons],
    comment: e.comment ?? null,
    time: e.time,
    mask_sha256: e.mask_sha256,
    fixed_sha256: e.fixed_sha256 ?? null,
    source: { form: where.form, file: where.file, index },
  }));
}

const normal = (s: string) => s.trim().toLowerCase();

/**
 * Whether two identities name the same person: equal ignoring case, or an e-mail address whose local part is the
 * other, plain name (`rater1@hospital.example` and the annotator folder `rater1`). Generous on purpose: it decides
 * who may not review their own work.
 */
export function sameIdentity(a: string | null | undefined, b: string | null | undefined): boolean {
  if (!a || !b) return false;
  const x = normal(a);
  const y = normal(b);
  if (x === '' || y === '') return false;
  if (x === y) return true;
  const local = (s: string) => (s.includes('@') ? s.slice(0, s.indexOf('@')) : null);
  return (local(x) !== null && !y.includes('@') && local(x) === y) || (local(y) !== null && !x.includes('@') && local(y) === x);
}

/** The order records count in: by time, then as written. Latest last. */
export function byTime(a: ReviewRecord, b: ReviewRecord): number {
  const ta = Date.parse(a.time);
  const tb = Date.parse(b.time);
  if (ta !== tb) return ta - tb;
  return a.source.index - b.source.index;
}
