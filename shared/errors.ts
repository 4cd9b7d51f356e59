/** Typed errors of the core: every failure a user can cause names its code, the file and what is wrong. */

export type ErrorCode =
  | 'format.unreadable'
  | 'format.truncated'
  | 'format.too_large'
  | 'format.unsupported'
  | 'format.not_segmentation'
  | 'format.rle_length'
  | 'format.polygon'
  | 'geometry.mismatch'
  | 'guideline.invalid'
  | 'config.invalid'
  | 'report.invalid'
  | 'usage'
  /** A failure no check anticipated: a defect of segqc, never of the input (tests assert it is never reached). */
  | 'internal';

/**
 * Why, where a code covers several causes a caller acts on differently (a Git LFS pointer is `format.unreadable`);
 * `internal` marks an untyped failure made into a finding: a defect of segqc.
 */
export type ErrorReason = 'lfs_pointer' | 'internal';

export class SegqcError extends Error {
  readonly code: ErrorCode;
  readonly reason: ErrorReason | null;
  readonly file: string | null;
  readonly item: string | null;
  readonly detail: string;

  constructor(code: ErrorCode, detail: string, where: { file?: string | null; item?: string | null } = {}, reason: ErrorReason | null = null) {
    const file = where.file ?? null;
    const item = where.item ?? null;
    super(`${file ?? ''}${item ? ` [${item}]` : ''}${file || item ? ': ' : ''}${detail}`);
    this.name = 'SegqcError';
    this.code = code;
    this.reason = reason;
    this.file = file;
    this.item = item;
    this.detail = detail;
  }
}

export const isSegqcError = (e: unknown): e is SegqcError => e instanceof SegqcError;
