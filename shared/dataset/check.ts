/** `segqc check`: every item of a dataset through the rule engine, streamed, into one DatasetReport. */
import type { Geometry, Segmentation } from '../model.js';
import { presentValues, labelLayer } from '../model.js';
import { SegqcError, isSegqcError } from '../errors.js';
import type { AnnotationInput, Finding, ItemInput, RuleCode } from '../rules/types.js';
import type { AnnotationSummary, AnnotatorReport, DatasetReport, ItemReport, LabelSummary } from '../report/types.js';
import { REPORT_SCHEMA_VERSION } from '../report/types.js';
import type { Guideline, ReviewPolicy } from '../guideline/types.js';
import type { DatasetConfig } from '../guideline/config.js';
import { guidelineSha256, sha256Hex } from '../guideline/hash.js';
import { checkItem, memoShape, ruleMemo, type RuleMemo } from '../rules/engine.js';
import { EMPTY_MASK, annotationPairs, pairMetrics, reportToleranceMm } from '../rules/agreement.js';
import { missingAnnotation, orphanAnnotation, tooFewAnnotations, unreadable, type FindingContext } from '../rules/findings.js';
import { reviewRules } from '../rules/review.js';
import { openRejections, reviewProgress, type OpenRejection } from '../review/status.js';
import { sizeOf, sizeUnits } from '../metrics/size.js';
import { BRUSH_ALPHA_THRESHOLD } from '../formats/brush-rle.js';
import { readEntry, type DatasetTree } from './tree.js';
import { discoverItems, type DiscoverOptions, type PendingAnnotation, type PendingItem, type SourceSpec } from './items.js';
import type { MaskAllocator } from '../formats/labelstudio.js';
import { MaskRecycler } from '../formats/mask-recycler.js';
import { itemBatches, scopedTree } from './scope.js';
import { itemInputs } from './unchanged.js';
import { readImageGeometry } from '../formats/image-geometry.js';
import { embedOnImageSlices, geometryDifferences } from '../geometry.js';
import { gateFails, type FailOn } from '../rules/gate.js';

/** Options of a dataset check. */
export interface CheckOptions {
  guidelinePath: string;
  configPath: string;
  /** The gate; the config's when absent. */
  failOn?: FailOn;
  toolVersion: string;
  /** Only these item ids (a PR's changed items); all when absent. */
  onlyItems?: Set<string> | null;
  /** Called after each item, for progress bars. */
  onProgress?: (done: number, total: number, itemId: string) => void;
  /** Called after each item with its masks as read, while they are still in memory (the pictures of the HTML page). */
  onItem?: (item: CheckedItem) => void;
  maxVoxels?: number;
}

function labelSummaries(seg: Segmentation, guideline: Guideline, memo: RuleMemo): LabelSummary[] {
  const g = seg.geometry;
  const units: LabelSummary['units'] = sizeUnits(g);
  return presentValues(seg).map((value) => {
    const st = memoShape(memo, labelLayer(seg, value)!, g);
    const name = seg.labels.find((l) => l.value === value)?.name ?? guideline.labels.find((l) => l.value === value)?.name ?? String(value);
    return { label: name, value, volume: sizeOf(st.voxels, g), units, voxels: st.voxels, components: st.components.length };
  });
}

function agreementOf(guideline: Guideline, annotations: AnnotationInput[], reference: AnnotationInput | null, memo: RuleMemo): ItemReport['agreement'] {
  const rules = guideline.agreement ?? [];
  if (rules.length === 0) return [];
  const pairs = annotationPairs(annotations, reference);
  const out: ItemReport['agreement'] = [];
  for (const rule of rules) {
    const value = guideline.labels.find((l) => l.name === rule.label)?.value;
    if (value === undefined) continue;
    const tol = reportToleranceMm(rule);
    for (const [x, y] of pairs) {
      if (x.segmentation.geometry.shape.some((v, i) => v !== y.segmentation.geometry.shape[i])) continue;
      const m = pairMetrics(rule, labelLayer(x.segmentation, value) ?? EMPTY_MASK, labelLayer(y.segmentation, value) ?? EMPTY_MASK, x.segmentation, memo.pairs);
      out.push({
        label: rule.label,
        a: x === reference ? 'reference' : (x.annotator ?? x.id ?? '?'),
        b: y.annotator ?? y.id ?? '?',
        dice: m.dice,
        nsd: m.nsd[String(tol)] ?? null,
        hd95: m.hd95,
      });
    }
  }
  return out;
}

function loadImageGeometry(tree: DatasetTree, paths: string[]): { path: string; geometry: Geometry } {
  return { path: paths[0], geometry: readImageGeometry(paths.map((p) => ({ bytes: readEntry(tree, p), file: p }))) };
}

/** A thrown value as a typed error: anything untyped is a defect of segqc, coded `internal`. */
export function asSegqcError(e: unknown): SegqcError {
  return isSegqcError(e) ? e : new SegqcError('internal', `unexpected error: ${(e as Error)?.message ?? String(e)}`, {}, 'internal');
}

/** Whether a finding records an `internal` error: segqc failed, not the data (tests assert none is ever made). */
export const isInternalFinding = (f: Finding): boolean => f.rule === 'format.unreadable' && f.reason === 'internal';

/** Annotations as read, for callers that compare them further (the PR diff). */
export type LoadedAnnotations = { annotations: AnnotationInput[]; reference: AnnotationInput | null };

/** One checked item with what it was read from: its files, its masks (placed on the image grid) and its report. */
export interface CheckedItem {
  pending: PendingItem;
  loaded: LoadedAnnotations;
  report: ItemReport;
}

/** Checks one pending item: reading failures become findings, and so does any defect, never the end of the run. */
export function checkPendingItem(
  guideline: Guideline,
  tree: DatasetTree,
  pending: PendingItem,
  orphan: boolean,
  onLoaded?: (loaded: LoadedAnnotations) => void,
  opts: ItemCheckOptions = {},
): ItemReport {
  try {
    return checkLoadedItem(guideline, tree, pending, orphan, onLoaded, opts);
  } catch (e) {
    const err = asSegqcError(e);
    const ctx = { guideline, item: pending.id, annotation: null, annotator: null };
    const file = err.file ?? pending.files[0] ?? pending.image?.[0] ?? pending.id;
    return { id: pending.id, files: [...pending.files, ...(pending.image ?? [])], annotations: [], findings: unreadable(ctx, file, `${err.detail} (${err.code})`, { reason: err.reason }), agreement: [] };
  }
}

/** What an item's check needs to know about the rest of the dataset. */
export interface ItemCheckOptions {
  /** The dataset's audit sample (review stages with `items: audit` cover these items); none when absent. */
  audit?: ReadonlySet<string>;
  /** Zeroed arrays for the item's Label Studio brush masks; new ones when absent. */
  allocate?: MaskAllocator;
}

/** The `annotator` an attestation names, if it is an object that names one. */
const attestedBy = (raw: unknown): string | null => {
  const a = raw !== null && typeof raw === 'object' ? (raw as { annotator?: unknown }).annotator : undefined;
  return typeof a === 'string' ? a : null;
};

/** The review findings and statuses of an item; null when the guideline has no review stages and nobody reviewed. */
function itemReview(guideline: Guideline, id: string, annotations: AnnotationInput[], findings: Finding[], ctx: FindingContext, opts: ItemCheckOptions) {
  if (!(guideline.review?.stages ?? []).length && !annotations.some((a) => a.reviews)) return null;
  const problems = annotations.flatMap((a) => a.reviews?.problems ?? []).flatMap((p) => unreadable(ctx, p.file, p.detail));
  const check = reviewRules(guideline, {
    item: id,
    annotations: annotations.map((a) => ({ id: a.id, annotator: a.annotator, attestedBy: attestedBy(a.attestation), file: a.segmentation.path, reviews: a.reviews })),
    findingRules: new Set(findings.map((f) => f.rule)),
    inAudit: opts.audit?.has(id) ?? false,
  });
  return { findings: [...problems, ...check.findings], statuses: check.statuses };
}

function checkLoadedItem(
  guideline: Guideline,
  tree: DatasetTree,
  pending: PendingItem,
  orphan: boolean,
  onLoaded: ((loaded: LoadedAnnotations) => void) | undefined,
  opts: ItemCheckOptions,
): ItemReport {
  const findings: Finding[] = [];
  // Shapes and pair metrics the rules compute are reused by the summaries and agreement rows of the report.
  const memo = ruleMemo();
  const ctx = { guideline, item: pending.id, annotation: null, annotator: null };
  for (const u of pending.unreadable) {
    findings.push(...unreadable(ctx, u.file, u.detail, { reason: u.reason ?? null }));
  }
  const load = (p: PendingAnnotation): AnnotationInput | null => {
    try {
      return p.load(opts.allocate);
    } catch (e) {
      const err = asSegqcError(e);
      findings.push(...unreadable(ctx, err.file ?? p.file, `${err.detail} (${err.code})`, { reason: err.reason }));
      return null;
    }
  };
  const annotations = pending.annotations.map(load).filter((a): a is AnnotationInput => a !== null);
  let reference = pending.reference ? load(pending.reference) : null;
  let image: ItemInput['image'] = null;
  if (pending.image) {
    try {
      image = loadImageGeometry(tree, pending.image);
    } catch (e) {
      const err = asSegqcError(e);
      findings.push(...unreadable(ctx, err.file ?? pending.image[0], err.code === 'internal' ? `${err.detail} (internal)` : err.detail, { image: true, reason: err.reason }));
    }
  }
  if (image) {
    const img = image;
    const place = (a: AnnotationInput | null): AnnotationInput | null => {
      if (!a || a.segmentation.format !== 'dicom-seg' || geometryDifferences(a.segmentation.geometry, img.geometry).length === 0) return a;
      const placed = embedOnImageSlices(a.segmentation, img.geometry);
      return placed ? { ...a, segmentation: placed } : a;
    };
    annotations.splice(0, annotations.length, ...annotations.map((a) => place(a) as AnnotationInput));
    reference = place(reference);
  }
  if (pending.annotations.length === 0 && pending.image) findings.push(...missingAnnotation(ctx, pending.image[0]));
  // A task with no annotation, or only skipped ones (`was_cancelled`), was never annotated.
  else if (pending.annotations.length === 0 && pending.tasks > 0) findings.push(...missingAnnotation(ctx));
  else if (pending.annotations.length > 0) findings.push(...tooFewAnnotations(ctx, pending.annotations.length));
  if (orphan) findings.push(...orphanAnnotation(ctx, pending.files[0]));
  if (annotations.length > 0 || reference) {
    findings.push(...checkItem(guideline, { id: pending.id, annotations, reference, image }, { memo }));
  }
  const review = itemReview(guideline, pending.id, annotations, findings, ctx, opts);
  if (review) findings.push(...review.findings);
  onLoaded?.({ annotations, reference });
  const summaries: AnnotationSummary[] = annotations.map((a) => ({
    id: a.id,
    annotator: a.annotator,
    source: a.segmentation.path,
    labels: labelSummaries(a.segmentation, guideline, memo),
  }));
  return {
    id: pending.id,
    files: [...pending.files, ...(pending.image ?? [])],
    annotations: summaries,
    findings,
    agreement: agreementOf(guideline, annotations, reference, memo),
    ...(review ? { reviews: review.statuses } : {}),
  };
}

/** Deterministic audit sample: items ranked by sha256(guideline id + item id), the first ⌈rate·n⌉ taken. */
export function auditSample(guidelineId: string, itemIds: string[], rate: number): string[] {
  if (!(rate > 0) || itemIds.length === 0) return [];
  const n = Math.min(itemIds.length, Math.ceil(rate * itemIds.length));
  const enc = new TextEncoder();
  return itemIds
    .map((id) => ({ id, h: sha256Hex(enc.encode(`${guidelineId}\u0000${id}`)) }))
    .sort((a, b) => (a.h < b.h ? -1 : a.h > b.h ? 1 : 0))
    .slice(0, n)
    .map((x) => x.id)
    .sort();
}

/** The audit sample of the whole dataset (every item discovered), which review stages with `items: audit` cover. */
export const datasetAudit = (guideline: Guideline, items: ReadonlyArray<{ id: string }>): ReadonlySet<string> =>
  new Set(auditSample(guideline.id, items.map((i) => i.id), guideline.review?.audit_rate ?? 0));

/** Sums item reports into the dataset report (also used to merge shards: sums and counts only); `review` is the guideline's review policy. */
export function buildReport(items: ItemReport[], base: Pick<DatasetReport, 'tool' | 'guideline' | 'config'>, auditRate: number, review?: ReviewPolicy): DatasetReport {
  const byRule: Partial<Record<RuleCode, number>> = {};
  let errors = 0, warnings = 0, infos = 0, annotations = 0, withoutAnn = 0, withoutImage = 0;
  const annotators = new Map<string, { items: Set<string>; findings: Partial<Record<RuleCode, number>>; others: number[]; ref: number[] }>();
  const ann = (name: string) => {
    let a = annotators.get(name);
    if (!a) annotators.set(name, (a = { items: new Set(), findings: {}, others: [], ref: [] }));
    return a;
  };
  for (const it of items) {
    annotations += it.annotations.length;
    for (const a of it.annotations) if (a.annotator) ann(a.annotator).items.add(it.id);
    for (const f of it.findings) {
      byRule[f.rule] = (byRule[f.rule] ?? 0) + 1;
      if (f.severity === 'error') errors++;
      else if (f.severity === 'warning') warnings++;
      else infos++;
      if (f.rule === 'dataset.missing_annotation' && f.value === 0) withoutAnn++;
      if (f.rule === 'dataset.orphan_annotation') withoutImage++;
      if (f.annotator) {
        const a = ann(f.annotator);
        a.findings[f.rule] = (a.findings[f.rule] ?? 0) + 1;
      }
    }
    for (const g of it.agreement) {
      if (g.a === 'reference') ann(g.b).ref.push(g.dice);
      else {
        ann(g.a).others.push(g.dice);
        ann(g.b).others.push(g.dice);
      }
    }
  }
  const progress = reviewProgress(items, review);
  const rejections = new Map<string, OpenRejection[]>();
  if (progress) {
    for (const it of items) {
      for (const { annotator, rejection } of openRejections(it.id, it.reviews ?? [])) {
        if (annotator) rejections.set(annotator, [...(rejections.get(annotator) ?? []), rejection]);
      }
    }
  }
  const mean = (xs: number[]) => (xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : null);
  const annotatorReports: AnnotatorReport[] = [...annotators.entries()]
    .filter(([name]) => name !== 'reference')
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([annotator, a]) => ({
      annotator,
      items: a.items.size,
      findings: a.findings,
      mean_dice_vs_others: mean(a.others),
      mean_dice_vs_reference: mean(a.ref),
      ...(progress ? { open_rejections: rejections.get(annotator) ?? [] } : {}),
    }));
  const totals = { items: items.length, annotations, errors, warnings, infos, by_rule: byRule, items_without_annotations: withoutAnn, annotations_without_images: withoutImage };
  return {
    schema_version: REPORT_SCHEMA_VERSION,
    ...base,
    brush_alpha_threshold: BRUSH_ALPHA_THRESHOLD,
    items,
    annotators: annotatorReports,
    totals,
    audit_sample: auditSample(base.guideline.id, items.map((i) => i.id), auditRate),
    ...(progress ? { review: progress } : {}),
    verdict: gateFails(totals, base.config.fail_on) ? 'fail' : 'pass',
  };
}

/** How a check discovers a dataset's items: the guideline's label values, the read limits, the reference source. */
export function discoveryOptions(config: DatasetConfig, guideline: Guideline, maxVoxels?: number, exportItems?: DiscoverOptions['exportItems']): DiscoverOptions {
  return {
    labelValues: Object.fromEntries(guideline.labels.map((l) => [l.name, l.value])),
    limits: maxVoxels ? { maxVoxels } : undefined,
    reference: (config.reference as SourceSpec | undefined) ?? null,
    ...(exportItems ? { exportItems } : {}),
  };
}

/** The items a check covers, in report order, with what only the whole dataset knows of them. */
export interface CheckPlan {
  items: PendingItem[];
  orphans: ReadonlySet<string>;
  audit: ReadonlySet<string>;
}

/**
 * Discovers a dataset and picks the items to check; a pattern that names nothing, or no item at all, is a config error.
 * `exportItems` gives the items of exports read elsewhere (worker threads).
 */
export function planCheck(
  tree: DatasetTree,
  config: DatasetConfig,
  guideline: Guideline,
  opts: Pick<CheckOptions, 'configPath' | 'onlyItems' | 'maxVoxels'> & Pick<DiscoverOptions, 'exportItems'>,
): CheckPlan {
  const { items, orphans, unmatched } = discoverItems(tree, config.sources as SourceSpec[], discoveryOptions(config, guideline, opts.maxVoxels, opts.exportItems));
  // A pattern that names nothing checks nothing: a typo must not read as a clean dataset.
  if (unmatched.length > 0) {
    throw new SegqcError('config.invalid', unmatched.join('; '), { file: opts.configPath });
  }
  if (items.length === 0) throw new SegqcError('config.invalid', `the sources yield no item in the ${tree.name}: there is nothing to check`, { file: opts.configPath });
  const selected = opts.onlyItems ? items.filter((i) => opts.onlyItems!.has(i.id)) : items;
  return { items: selected, orphans: new Set(orphans), audit: datasetAudit(guideline, items) };
}

/** The dataset report of a check's item reports (in plan order). */
export function checkReport(reports: ItemReport[], config: DatasetConfig, guideline: Guideline, opts: Pick<CheckOptions, 'toolVersion' | 'guidelinePath' | 'configPath' | 'failOn'>): DatasetReport {
  return buildReport(
    reports,
    {
      tool: { name: 'segqc', version: opts.toolVersion },
      guideline: { id: guideline.id, version: guideline.version, sha256: guidelineSha256(guideline), path: opts.guidelinePath },
      config: { path: opts.configPath, fail_on: opts.failOn ?? config.gate.fail_on },
    },
    guideline.review?.audit_rate ?? 0,
    guideline.review,
  );
}

/** Checks a whole dataset tree against its guideline and config. */
export function checkDataset(tree: DatasetTree, config: DatasetConfig, guideline: Guideline, opts: CheckOptions): DatasetReport {
  const plan = planCheck(tree, config, guideline, opts);
  const reports: ItemReport[] = [];
  // An item's masks die with it unless `onItem` sees them.
  const masks = opts.onItem ? null : new MaskRecycler();
  plan.items.forEach((p, idx) => {
    let loaded: LoadedAnnotations = { annotations: [], reference: null };
    const report = checkPendingItem(guideline, tree, p, plan.orphans.has(p.id), opts.onItem ? (l) => (loaded = l) : undefined, { audit: plan.audit, allocate: masks?.allocate });
    masks?.recycle();
    reports.push(report);
    opts.onItem?.({ pending: p, loaded, report });
    opts.onProgress?.(idx + 1, plan.items.length, p.id);
  });
  return checkReport(reports, config, guideline, opts);
}

/** An item of a batch checked apart from its dataset: its place in the run, its id, what only the whole dataset knows. */
export interface BatchItem {
  index: number;
  id: string;
  orphan: boolean;
  audit: boolean;
}

/** A plan's items in batches for worker threads, each with the paths its items are read from. */
export function checkBatches(plan: CheckPlan, sharedMax: number, soloMax: number): Array<{ items: BatchItem[]; scope: string[] }> {
  return itemBatches(plan.items.map((p) => p.files), sharedMax, soloMax).map((idx) => ({
    items: idx.map((i) => ({ index: i, id: plan.items[i].id, orphan: plan.orphans.has(plan.items[i].id), audit: plan.audit.has(plan.items[i].id) })),
    scope: [...new Set(idx.flatMap((i) => itemInputs(plan.items[i])))],
  }));
}

/**
 * Checks a batch of items on a tree that lists only their files (a worker thread's share of a check): the reports are
 * those of the whole dataset's check. `each` gets every item as checked, masks included, in batch order;
 * `exportItems` gives the items of exports this thread has read already. Given `masks`, an item's masks are taken
 * back for the next once `each` returns: `each` must then keep none.
 */
export function checkBatch(
  tree: DatasetTree,
  config: DatasetConfig,
  guideline: Guideline,
  batch: { items: BatchItem[]; scope: string[] },
  maxVoxels: number | undefined,
  each: (item: BatchItem, checked: CheckedItem) => void,
  exportItems?: DiscoverOptions['exportItems'],
  masks?: MaskRecycler,
): void {
  const scoped = scopedTree(tree, batch.scope);
  const found = new Map(discoverItems(scoped, config.sources as SourceSpec[], discoveryOptions(config, guideline, maxVoxels, exportItems)).items.map((p) => [p.id, p]));
  const audit = new Set(batch.items.filter((b) => b.audit).map((b) => b.id));
  for (const b of batch.items) {
    const pending = found.get(b.id);
    if (!pending) throw new SegqcError('internal', `item ${b.id} is not among the items of its files ${batch.scope.join(', ')}`, {}, 'internal');
    let loaded: LoadedAnnotations = { annotations: [], reference: null };
    const report = checkPendingItem(guideline, scoped, pending, b.orphan, (l) => (loaded = l), { audit, allocate: masks?.allocate });
    each(b, { pending, loaded, report });
    masks?.recycle();
  }
}
