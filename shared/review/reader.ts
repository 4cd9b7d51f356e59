/**
 * Reads review records from where they live (a `.review.json` sidecar, a Label Studio annotation's `segqc_review`
 * text) into one model, and computes the content hash a record is checked against.
 */
import { SegqcError } from '../errors.js';
import { REVIEW_FROM_NAME } from '../formats/labelstudio.js';
import { canonicalJson, sha256Hex, sha256Text } from '../guideline/hash.js';
import { parseReviewDocument, reviewRecords, type ReviewRecord } from './record.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Content hash of a mask file: sha256 of its bytes. */
export const maskFileSha256 = (bytes: Uint8Array): string => sha256Hex(bytes);

/** Region result types of Label Studio (`brushlabels`, `polygonlabels`, …, and the unlabelled `brush`, `polygon`, …). */
const REGION_TYPE = /labels$|^(brush|polygon|rectangle|ellipse|keypoint)$/i;

/** Whether a Label Studio result entry draws part of the mask (a region), as opposed to a choice, a text or a relation. */
export function isRegionResult(entry: unknown): boolean {
  if (!isObj(entry) || !isObj(entry.value)) return false;
  const from = typeof entry.from_name === 'string' ? entry.from_name : '';
  if (from.startsWith('segqc_')) return false;
  return typeof entry.type === 'string' && REGION_TYPE.test(entry.type);
}

/**
 * Content hash of a Label Studio annotation's mask: sha256 of the canonical JSON of its regions, each reduced to
 * `{type, value, original_width, original_height}` (region ids, origins and scores left out), sorted. Choices, texts
 * and segqc's own fields are not part of it, so recording a review does not change the hash it records.
 */
export function labelStudioMaskSha256(result: readonly unknown[]): string {
  const regions = result
    .filter(isRegionResult)
    .map((e) => {
      const r = e as Obj;
      return canonicalJson({ type: String(r.type).toLowerCase(), value: r.value, original_width: r.original_width ?? null, original_height: r.original_height ?? null });
    })
    .sort();
  return sha256Text(`[${regions.join(',')}]`);
}

/** Review records of a `.review.json` sidecar; a file that is not a review document is `format.unreadable`, named. */
export function readReviewSidecar(bytes: Uint8Array, file: string, where: { item: string; annotation: string }): ReviewRecord[] {
  const { document, problems } = parseReviewDocument(new TextDecoder().decode(bytes));
  if (!document) {
    throw new SegqcError('format.unreadable', `is not a review record file (guidelines/review.schema.json): ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? `; and ${problems.length - 5} more` : ''}`, { file, item: where.item });
  }
  return reviewRecords(document, { item: where.item, annotation: where.annotation, form: 'file', file });
}

/** The `segqc_review` texts of one annotation's result. */
export function labelStudioReviewTexts(result: readonly unknown[]): string[] {
  const texts: string[] = [];
  for (const e of result) {
    if (!isObj(e) || e.from_name !== REVIEW_FROM_NAME || !isObj(e.value) || !Array.isArray(e.value.text)) continue;
    for (const t of e.value.text) if (typeof t === 'string') texts.push(t);
  }
  return texts;
}

/**
 * Review records in one Label Studio annotation's result. A record without `annotation` is about this annotation;
 * one naming another annotation is about that one. `problems` words each text that is not a review document.
 */
export function readLabelStudioReviews(result: readonly unknown[], where: { file: string; item: string; annotation: string }): { records: ReviewRecord[]; problems: string[] } {
  const records: ReviewRecord[] = [];
  const problems: string[] = [];
  for (const text of labelStudioReviewTexts(result)) {
    const { document, problems: p } = parseReviewDocument(text);
    if (!document) {
      problems.push(`annotation ${where.annotation}: the ${REVIEW_FROM_NAME} text is not a review record (guidelines/review.schema.json): ${p.slice(0, 5).join('; ')}`);
      continue;
    }
    records.push(...reviewRecords(document, { item: where.item, annotation: where.annotation, form: 'labelstudio', file: where.file }));
  }
  return { records, problems };
}

/**
 * Whether a Label Studio annotation only carries reviews of other annotations (a reviewer's own annotation in
 * Community, which has no review step): no regions, nothing but `segqc_review` results, every record naming another
 * annotation. Such an annotation is never counted or checked as an annotation.
 */
export function isReviewCarrier(result: readonly unknown[], records: readonly ReviewRecord[], ownId: string): boolean {
  if (records.length === 0) return false;
  if (!result.every((e) => isObj(e) && e.from_name === REVIEW_FROM_NAME)) return false;
  return records.every((r) => r.annotation !== null && r.annotation !== ownId);
}
