/** Turns the sources of `segqc.yaml` into items (one image's annotations), loaded one at a time. */
import type { ReadLimits, Segmentation } from '../model.js';
import type { SourceConfig } from '../guideline/config.js';
import { DEFAULT_LIMITS } from '../model.js';
import { SegqcError, isSegqcError, type ErrorReason } from '../errors.js';
import type { AnnotationInput } from '../rules/types.js';
import { ATTESTATION_FROM_NAME, CHECKLIST_FROM_NAME_PREFIX, CHECKLIST_YES } from '../rules/types.js';
import { readEntry, type DatasetTree, type TreeDirectory } from './tree.js';
import { globReachesInto, globToRegExp } from './glob.js';
import { readSegmentation } from '../formats/read.js';
import { annotationAuthor, readLabelStudioResult, scalarText, type LabelStudioAnnotation, type MaskAllocator } from '../formats/labelstudio.js';
import type { ReviewRecord } from '../review/record.js';
import { isReviewCarrier, labelStudioMaskSha256, maskFileSha256, readLabelStudioReviews, readReviewSidecar } from '../review/reader.js';

/** One source of `segqc.yaml`: `annotator` names the annotator of every file, or `{dir}` for the parent directory. */
export type SourceSpec = SourceConfig;

/** An annotation not yet read: reading happens when its item is checked, so a dataset is streamed. */
export interface PendingAnnotation {
  file: string;
  /**
   * Reads the segmentation; a failure becomes a `format.unreadable` finding of the item. `allocate` gives the zeroed
   * arrays of Label Studio brush masks (a check reuses those of items done); new ones when absent.
   */
  load(allocate?: MaskAllocator): AnnotationInput;
}

/** One image and its annotations, before reading. */
export interface PendingItem {
  id: string;
  files: string[];
  annotations: PendingAnnotation[];
  reference: PendingAnnotation | null;
  image: string[] | null;
  /** Label Studio tasks of the item: a task is meant to be annotated, so one with no annotation is missing it. */
  tasks: number;
  /** Why an item could not even be listed (an unreadable Label Studio export, a directory that cannot be listed). */
  unreadable: Array<{ file: string; detail: string; reason?: ErrorReason | null }>;
}

/** Largest Label Studio export read as one JSON document (V8 strings stop near 512 MiB). */
export const MAX_EXPORT_BYTES = 256 * 1024 * 1024;

const MASK_SUFFIXES = ['.segqc.json', '.review.json', '.nii.gz', '.nii', '.seg.dcm', '.dcm', '.png', '.json'];

/** `labels/rater1/ct_001.nii.gz` → `ct_001`. */
export function itemStem(path: string): string {
  const base = path.slice(path.lastIndexOf('/') + 1);
  const lower = base.toLowerCase();
  for (const s of MASK_SUFFIXES) if (lower.endsWith(s)) return base.slice(0, base.length - s.length);
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(0, dot) : base;
}

const parentDir = (path: string) => {
  const parts = path.split('/');
  return parts.length >= 2 ? parts[parts.length - 2] : null;
};

/** The attestation sidecar beside a mask: `labels/ct_001.nii.gz` → `labels/ct_001.segqc.json`. */
export const sidecarOf = (path: string): string => {
  const dir = path.lastIndexOf('/') >= 0 ? path.slice(0, path.lastIndexOf('/') + 1) : '';
  return `${dir}${itemStem(path)}.segqc.json`;
};

/** The review sidecar beside a mask: `labels/ct_001.nii.gz` → `labels/ct_001.review.json` (`guidelines/review.schema.json`). */
export const reviewSidecarOf = (path: string): string => {
  const dir = path.lastIndexOf('/') >= 0 ? path.slice(0, path.lastIndexOf('/') + 1) : '';
  return `${dir}${itemStem(path)}.review.json`;
};

/** Sidecars are read with their mask, never as masks of their own. */
const isSidecar = (path: string): boolean => path.endsWith('.segqc.json') || path.endsWith('.review.json');

/** Options of item discovery. */
export interface DiscoverOptions {
  labelValues: Record<string, number>;
  limits?: ReadLimits;
  reference?: SourceSpec | null;
  /**
   * The items of the export `file` of source `source` (its index), when another thread or an earlier pass has read
   * them; undefined: read them here.
   */
  exportItems?: (file: string, source: number) => PendingItem[] | undefined;
}

/** The sidecar's JSON text (parsed by the attestation rules, which locate syntax errors), or null when there is none. */
function readSidecar(tree: DatasetTree, files: Set<string>, path: string): string | null {
  const side = sidecarOf(path);
  return files.has(side) ? new TextDecoder().decode(readEntry(tree, side)) : null;
}

function checklistFrom(ann: LabelStudioAnnotation): AnnotationInput['checklist'] {
  const answers: Record<string, boolean> = {};
  let any = false;
  for (const [name, values] of Object.entries(ann.choices) as Array<[string, string[]]>) {
    if (!name.startsWith(CHECKLIST_FROM_NAME_PREFIX)) continue;
    any = true;
    answers[name.slice(CHECKLIST_FROM_NAME_PREFIX.length)] = values.includes(CHECKLIST_YES);
  }
  return any ? answers : null;
}

/** The JSON text of the attestation TextArea, parsed by the attestation rules; null when there is none. */
const attestationFrom = (ann: LabelStudioAnnotation): string | null => ann.texts[ATTESTATION_FROM_NAME]?.[0] ?? null;

/** A Label Studio annotation as the rule engine sees it. */
export function labelStudioAnnotationInput(ann: LabelStudioAnnotation): AnnotationInput {
  return { id: ann.id, annotator: ann.author, segmentation: ann.segmentation, checklist: checklistFrom(ann), attestation: attestationFrom(ann) };
}

interface RawTask {
  id?: unknown;
  data?: Record<string, unknown>;
  annotations?: Array<Record<string, unknown>>;
}

/** What a JSON value is, for a message (never the value itself, which may be long). */
const kindOf = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'string' ? 'a string' : typeof v === 'object' ? 'an object' : String(v));

/** The item a Label Studio task belongs to: its image's file stem, else `task-<id>` (`task-<index>` without an id). */
export function taskItemId(task: unknown, index: number): string {
  const t = (task && typeof task === 'object' ? task : {}) as RawTask;
  const image = t.data && typeof t.data.image === 'string' ? t.data.image : null;
  return image ? itemStem(image.split('?')[0]) : `task-${scalarText(t.id, String(index))}`;
}

/** A Label Studio export as read: its parsed JSON, or why it cannot be read or parsed. */
export type ExportRead = { json: unknown; bytes: number } | { failed: { detail: string; reason: ErrorReason | null } };

/** `rle` arrays of integers 0 to 255 in the region values of a parsed export's annotations and predictions. */
function* brushRles(json: unknown): Generator<Record<string, unknown>> {
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  for (const task of Array.isArray(json) ? json : [json]) {
    if (!isObj(task)) continue;
    for (const list of [task.annotations, task.predictions]) {
      if (!Array.isArray(list)) continue;
      for (const ann of list) {
        if (!isObj(ann) || !Array.isArray(ann.result)) continue;
        for (const r of ann.result) if (isObj(r) && isObj(r.value) && Array.isArray(r.value.rle)) yield r.value;
      }
    }
  }
}

const isByte = (v: unknown): boolean => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 255;

/**
 * Stores each brush RLE of a parsed export as a Uint8Array (same values): an export's RLE numbers are most of its
 * parsed objects, and as bytes they are not traced by every major garbage collection while the export is held.
 */
export function packBrushRle(json: unknown): unknown {
  for (const value of brushRles(json)) {
    const rle = value.rle as unknown[];
    if (rle.every(isByte)) value.rle = Uint8Array.from(rle as number[]);
  }
  return json;
}

/** Reads and parses a Label Studio export (within `MAX_EXPORT_BYTES`); a failure is returned, never thrown. */
export function readLabelStudioExport(tree: DatasetTree, file: string): ExportRead {
  let bytes: Uint8Array;
  try {
    bytes = readEntry(tree, file);
  } catch (e) {
    if (!isSegqcError(e)) throw e;
    return { failed: { detail: `${e.detail} (${e.code})`, reason: e.reason } };
  }
  if (bytes.length > MAX_EXPORT_BYTES) {
    return { failed: { detail: `is ${bytes.length} bytes, over the ${MAX_EXPORT_BYTES}-byte limit for one Label Studio export: export the project in parts`, reason: null } };
  }
  try {
    return { json: packBrushRle(JSON.parse(new TextDecoder().decode(bytes))), bytes: bytes.length };
  } catch (e) {
    return { failed: { detail: `not valid JSON: ${(e as Error).message}`, reason: null } };
  }
}

/** The items of one Label Studio export (as read by `readLabelStudioExport`), before they are merged with a dataset's. */
export function labelStudioExportItems(file: string, read: ExportRead, src: SourceSpec, opts: DiscoverOptions): PendingItem[] {
  const unreadable = (detail: string, reason: ErrorReason | null = null): PendingItem[] => [
    { id: itemStem(file), files: [file], annotations: [], reference: null, image: null, tasks: 0, unreadable: [{ file, detail, reason }] },
  ];
  if ('failed' in read) return unreadable(read.failed.detail, read.failed.reason);
  const parsed = read.json;
  if (!Array.isArray(parsed) && (typeof parsed !== 'object' || parsed === null)) return unreadable(`holds ${kindOf(parsed)}, not a Label Studio export (an array of tasks, or one task)`);
  const tasks: unknown[] = Array.isArray(parsed) ? parsed : [parsed];
  return tasks.map((entry, index) => {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      const detail = `task ${index} is ${kindOf(entry)}, not an object`;
      return { id: taskItemId(entry, index), files: [file], annotations: [], reference: null, image: null, tasks: 0, unreadable: [{ file, detail }] };
    }
    const task = entry as RawTask;
    const id = taskItemId(task, index);
    const item: PendingItem = { id, files: [file], annotations: [], reference: null, image: null, tasks: 1, unreadable: [] };
    if (!Array.isArray(task.annotations)) {
      item.tasks = 0;
      item.unreadable.push({ file, detail: `task ${index} has no "annotations" array` });
      return item;
    }
    // Review records by the annotation they are about: in the annotation itself, or in a reviewer's review-only one.
    const reviews = new Map<string, ReviewRecord[]>();
    const annotationIds = new Set<string>();
    for (const [k, raw] of task.annotations.entries()) {
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
        item.unreadable.push({ file, detail: `task ${index}: annotation ${k} is ${kindOf(raw)}, not an object` });
        continue;
      }
      if (raw.was_cancelled === true) continue;
      const annId = scalarText(raw.id, `${index}`);
      if (Array.isArray(raw.result)) {
        const found = readLabelStudioReviews(raw.result, { file, item: id, annotation: annId });
        for (const detail of found.problems) item.unreadable.push({ file, detail: `task ${index}: ${detail}` });
        for (const r of found.records) reviews.set(r.annotation ?? annId, [...(reviews.get(r.annotation ?? annId) ?? []), r]);
        if (isReviewCarrier(raw.result, found.records, annId)) continue;
      }
      annotationIds.add(annId);
      const pending: PendingAnnotation = {
        file,
        load: (allocate) => {
          if (!Array.isArray(raw.result)) {
            throw new SegqcError('format.unreadable', `annotation ${annId} has no "result" array`, { file, item: id });
          }
          const ann = readLabelStudioResult(raw.result as unknown[], {
            file,
            task: task.data ?? {},
            id: annId,
            author: annotationAuthor(raw),
            labelValues: opts.labelValues,
            spacingField: src.spacing ?? null,
            limits: opts.limits ?? DEFAULT_LIMITS,
            allocateBrush: allocate,
          });
          const input = labelStudioAnnotationInput(ann);
          const records = reviews.get(annId);
          return records ? { ...input, reviews: { records, sha256: labelStudioMaskSha256(raw.result), problems: [] } } : input;
        },
      };
      if (raw.ground_truth === true && item.reference === null) item.reference = pending;
      else item.annotations.push(pending);
    }
    for (const [target, records] of reviews) {
      if (!annotationIds.has(target)) {
        item.unreadable.push({ file, detail: `task ${index}: ${records.length === 1 ? 'a review record names' : `${records.length} review records name`} annotation ${target}, which the task does not have` });
      }
    }
    // A ground truth with nothing to score against is the task's annotation, checked like any other.
    if (item.annotations.length === 0 && item.reference) {
      item.annotations.push(item.reference);
      item.reference = null;
    }
    return item;
  });
}

/** The review records of a mask from its `.review.json` sidecar, with the mask's content hash; null without a sidecar. */
function maskReviews(tree: DatasetTree, files: Set<string>, path: string, bytes: Uint8Array): AnnotationInput['reviews'] | null {
  const side = reviewSidecarOf(path);
  if (!files.has(side)) return null;
  const sha256 = maskFileSha256(bytes);
  try {
    return { records: readReviewSidecar(readEntry(tree, side), side, { item: itemStem(path), annotation: path }), sha256, problems: [] };
  } catch (e) {
    if (!isSegqcError(e)) throw e;
    return { records: [], sha256, problems: [{ file: side, detail: e.detail }] };
  }
}

function maskAnnotation(tree: DatasetTree, files: Set<string>, path: string, src: SourceSpec, annotator: string | null, opts: DiscoverOptions): PendingAnnotation {
  return {
    file: path,
    load: () => {
      const bytes = readEntry(tree, path);
      const seg: Segmentation = readSegmentation(bytes, path, { format: src.format, limits: opts.limits ?? DEFAULT_LIMITS, labelValues: opts.labelValues });
      const reviews = maskReviews(tree, files, path, bytes);
      return { id: path, annotator, segmentation: seg, checklist: null, attestation: readSidecar(tree, files, path), sidecar: sidecarOf(path), ...(reviews ? { reviews } : {}) };
    },
  };
}

/** What a pattern of `segqc.yaml` names: the entries it matches and the unlisted directories it may reach into. */
interface PatternMatch {
  entries: string[];
  unlisted: TreeDirectory[];
}

/**
 * The entries `glob` matches, with the directories it names as if they were files (refused when read), unless the
 * pattern also reaches inside them (`labels/**`); and the directories whose unknown contents it may match.
 */
function matchPattern(all: string[], dirs: TreeDirectory[], glob: string): PatternMatch {
  const re = globToRegExp(glob);
  const reachesInto = globReachesInto(glob);
  const entries = all.filter((p) => re.test(p));
  const unlisted: TreeDirectory[] = [];
  const named: string[] = [];
  for (const d of dirs) {
    const reaches = reachesInto(d.path);
    if (d.unlisted !== null) {
      if (reaches || re.test(d.path)) unlisted.push(d);
    } else if (!reaches && re.test(d.path)) named.push(d.path);
  }
  return { entries: named.length > 0 ? [...entries, ...named].sort() : entries, unlisted };
}

/** Items of a dataset, the items whose images are missing, and the patterns of `segqc.yaml` that name nothing. */
export interface DiscoveredItems {
  items: PendingItem[];
  orphans: string[];
  /** One line per pattern that matches no file ("source 1 ('raters'): path "labels/*.nii.gz" matches no file"). */
  unmatched: string[];
}

/** Lists the items of a dataset: Label Studio tasks and mask files grouped by stem, with images and references. */
export function discoverItems(tree: DatasetTree, sources: SourceSpec[], opts: DiscoverOptions): DiscoveredItems {
  const all = tree.list();
  const dirs = tree.directories?.() ?? [];
  const files = new Set(all);
  const items = new Map<string, PendingItem>();
  const unmatched: string[] = [];
  const get = (id: string) => {
    let it = items.get(id);
    if (!it) {
      it = { id, files: [], annotations: [], reference: null, image: null, tasks: 0, unreadable: [] };
      items.set(id, it);
    }
    return it;
  };
  const unlistedSeen = new Set<string>();
  const match = (glob: string): PatternMatch => {
    const m = matchPattern(all, dirs, glob);
    for (const d of m.unlisted) {
      if (unlistedSeen.has(d.path)) continue;
      unlistedSeen.add(d.path);
      const it = get(d.path);
      it.files.push(d.path);
      it.unreadable.push({ file: d.path, detail: `${d.unlisted} (format.unreadable)` });
    }
    return m;
  };
  const noMatch = (what: string, field: string, glob: string, m: PatternMatch, count: number) => {
    if (count === 0 && m.unlisted.length === 0) unmatched.push(`${what}: ${field} "${glob}" matches no file in the ${tree.name}`);
  };
  const imageGlobs: Array<{ glob: string; what: string }> = [];
  sources.forEach((src, index) => {
    const what = `source ${index + 1}${src.name ? ` ('${src.name}')` : ''}`;
    const m = match(src.path);
    const matched = m.entries.filter((p) => !isSidecar(p));
    noMatch(what, 'path', src.path, m, matched.length);
    if (src.images) imageGlobs.push({ glob: src.images, what });
    if (src.format === 'labelstudio') {
      let yielded = 0;
      for (const f of matched) {
        for (const it of opts.exportItems?.(f, index) ?? labelStudioExportItems(f, readLabelStudioExport(tree, f), src, opts)) {
          yielded++;
          const target = get(it.id);
          target.files.push(...it.files.filter((x) => !target.files.includes(x)));
          target.annotations.push(...it.annotations);
          target.reference ??= it.reference;
          target.tasks += it.tasks;
          target.unreadable.push(...it.unreadable);
        }
      }
      if (matched.length > 0 && yielded === 0) {
        unmatched.push(`${what}: path "${src.path}" matches ${matched.length === 1 ? '1 file' : `${matched.length} files`}, but ${matched.length === 1 ? 'it holds' : 'they hold'} no Label Studio task`);
      }
      return;
    }
    const stems = new Map<string, string[]>();
    for (const f of matched) {
      const s = itemStem(f);
      stems.set(s, [...(stems.get(s) ?? []), f]);
    }
    for (const [stem, paths] of stems) {
      const it = get(stem);
      for (const p of paths) {
        const annotator = src.annotator === '{dir}' || (!src.annotator && paths.length > 1) ? parentDir(p) : (src.annotator ?? null);
        it.files.push(p);
        it.annotations.push(maskAnnotation(tree, files, p, src, annotator, opts));
      }
    }
  });
  if (opts.reference) {
    const m = match(opts.reference.path);
    noMatch('the reference source', 'path', opts.reference.path, m, m.entries.length);
    for (const p of m.entries) {
      const it = items.get(itemStem(p));
      if (it && !it.reference) {
        it.files.push(p);
        it.reference = maskAnnotation(tree, files, p, opts.reference, 'reference', opts);
      }
    }
  }
  const orphans: string[] = [];
  if (imageGlobs.length > 0) {
    const images = new Map<string, string[]>();
    for (const { glob, what } of imageGlobs) {
      const m = match(glob.replace(/\{id\}/g, '*'));
      noMatch(what, 'images', glob, m, m.entries.length);
      for (const p of m.entries) {
        const isSeriesFile = p.toLowerCase().endsWith('.dcm') && parentDir(p) !== null;
        const stem = isSeriesFile ? (parentDir(p) as string) : itemStem(p);
        images.set(stem, [...(images.get(stem) ?? []), p]);
      }
    }
    for (const [stem, paths] of images) {
      const it = get(stem);
      it.image = paths.sort();
    }
    for (const it of items.values()) if (it.image === null && it.annotations.length > 0) orphans.push(it.id);
  }
  const sorted = [...items.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { items: sorted, orphans, unmatched };
}
