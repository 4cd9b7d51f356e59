/** A dataset pull request judged with the base commit's guideline: items it touches, checked on both sides and diffed. */
import type { MaskAllocator } from '../formats/labelstudio.js';
import { MaskRecycler } from '../formats/mask-recycler.js';
import type { Segmentation } from '../model.js';
import type { AnnotatorTrend } from '../history/trends.js';
import { SegqcError, isSegqcError } from '../errors.js';
import { readEntry, type DatasetTree } from './tree.js';
import type { Guideline } from '../guideline/types.js';
import type { DatasetConfig } from '../guideline/config.js';
import { validateGuideline } from '../guideline/load.js';
import { canonicalJson, guidelineSha256 } from '../guideline/hash.js';
import { globToRegExp } from './glob.js';
import type { DatasetReport, GuidelineChange, ItemReport } from '../report/types.js';
import { DEFAULT_GUIDELINE_CHANGE_GATE, guidelineChangeFails, itemFails, type FailOn, type GuidelineChangeGate } from '../rules/gate.js';
import { discoverItems, reviewSidecarOf, sidecarOf, taskItemId, type DiscoverOptions, type PendingItem, type SourceSpec } from './items.js';
import { buildReport, checkPendingItem, datasetAudit, type CheckedItem, type LoadedAnnotations } from './check.js';
import { reportToleranceMm } from '../rules/agreement.js';
import { inShard, type Shard } from './shard.js';
import { itemDiff, labelDiffs, type DatasetDiff, type ItemDiff, type SideMasks } from '../report/diff.js';
import { itemInputs, namesTree, sameItemInputs, type ItemSide } from './unchanged.js';

/** A file the PR adds, modifies, deletes or renames (from git, not the API). */
export interface ChangedFile {
  status: 'A' | 'M' | 'D' | 'R' | 'C' | 'T';
  path: string;
  /** The path before a rename or copy. */
  oldPath?: string;
}

/** The base commit's configuration: the only one a PR is judged by. */
export interface BaseContext {
  config: DatasetConfig;
  configPath: string;
  guideline: Guideline;
  guidelinePath: string;
  guidelineText: string;
}

/** What to analyse. */
export interface PullRequestInput {
  base: DatasetTree;
  head: DatasetTree;
  baseSha: string;
  headSha: string;
  changed: ChangedFile[];
  context: BaseContext;
  failOn: FailOn;
  /** The guideline-change gate (default `warn`); a change whose new guideline fails items fails the gate under `fail`. */
  guidelineChangeGate?: GuidelineChangeGate;
  full: boolean;
  shard: Shard | null;
  toolVersion: string;
  toleranceMm?: number;
  /** Called after each item is diffed, with both sides' masks while they are in memory (the pictures of the HTML page). */
  onItem?: (diff: ItemDiff, base: CheckedItem | null, head: CheckedItem | null) => void;
  /** Called after each item is checked on both sides and diffed (a progress bar). */
  onProgress?: (done: number, total: number) => void;
}

/**
 * The analysis: the head report (base guideline), the base totals of the same items, the diff, the guideline change.
 * The report's verdict is the whole gate: its findings, and a guideline change that fails it.
 */
export interface PullRequestAnalysis {
  report: DatasetReport;
  baseReport: DatasetReport;
  diff: DatasetDiff;
  guidelineChange: GuidelineChange | null;
}

const labelValuesOf = (g: Guideline) => Object.fromEntries(g.labels.map((l) => [l.name, l.value]));

/** One side of a pull request, discovered: its items by id and the ids of those whose image is missing. */
export interface Discovered {
  items: Map<string, PendingItem>;
  orphans: Set<string>;
}

/** Discovers a side of a pull request with a guideline's labels and the config's sources (exports read elsewhere from `exportItems`). */
export function discover(tree: DatasetTree, ctx: BaseContext, guideline: Guideline, exportItems?: DiscoverOptions['exportItems']): Discovered {
  const { items, orphans } = discoverItems(tree, ctx.config.sources as SourceSpec[], {
    labelValues: labelValuesOf(guideline),
    reference: (ctx.config.reference as SourceSpec | undefined) ?? null,
    ...(exportItems ? { exportItems } : {}),
  });
  return { items: new Map(items.map((i) => [i.id, i])), orphans: new Set(orphans) };
}

const masksOf = (loaded: LoadedAnnotations): SideMasks => {
  const m: SideMasks = new Map();
  for (const a of loaded.annotations) m.set(a.id ?? a.segmentation.path, a.segmentation);
  return m;
};

/** Field-level differences of two guidelines, in words ("labels[Liver].min_volume_mm3: 800000 → 700000"). */
export function guidelineChanges(a: Guideline, b: Guideline): string[] {
  const out: string[] = [];
  const show = (v: unknown) => (v === undefined ? '(unset)' : JSON.stringify(v));
  const walk = (x: unknown, y: unknown, path: string) => {
    if (JSON.stringify(x) === JSON.stringify(y)) return;
    if (Array.isArray(x) && Array.isArray(y) && path.endsWith('labels')) {
      const names = new Set([...x, ...y].map((l) => (l as { name: string }).name));
      for (const n of names) walk(x.find((l) => l.name === n), y.find((l) => l.name === n), `${path}[${n}]`);
      return;
    }
    if (x && y && typeof x === 'object' && typeof y === 'object' && !Array.isArray(x) && !Array.isArray(y)) {
      const keys = new Set([...Object.keys(x), ...Object.keys(y)]);
      for (const k of [...keys].sort()) walk((x as Record<string, unknown>)[k], (y as Record<string, unknown>)[k], path ? `${path}.${k}` : k);
      return;
    }
    out.push(`${path}: ${show(x)} → ${show(y)}`);
  };
  walk(a, b, '');
  return out;
}

const matchGlobs = (globs: string[]) => {
  const res = globs.map(globToRegExp);
  return (path: string) => res.some((re) => re.test(path));
};

/** Canonical JSON of each item's tasks in an export, or null when the file is not a readable export. */
export function tasksByItem(tree: DatasetTree, path: string): Map<string, string> | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(tree.read(path)));
  } catch {
    return null;
  }
  return taskTexts(parsed);
}

/** Canonical JSON of each item's tasks in a parsed export. */
export function taskTexts(parsed: unknown): Map<string, string> {
  const tasks = Array.isArray(parsed) ? parsed : [parsed];
  const out = new Map<string, string>();
  tasks.forEach((task, i) => {
    const id = taskItemId(task, i);
    out.set(id, (out.get(id) ?? '') + canonicalJson(task));
  });
  return out;
}

/** Items whose tasks differ between the two sides of an edited export; null: judge the file as a whole. */
function changedTasks(base: DatasetTree, head: DatasetTree, path: string, known?: PlanKnown): string[] | null {
  // Both sides from the other threads (digests compare only with digests), or both read here.
  const kb = known?.base.tasks(path), kh = known?.head.tasks(path);
  const both = kb !== undefined && kh !== undefined;
  const b = both ? kb : tasksByItem(base, path);
  const h = both ? kh : tasksByItem(head, path);
  if (!b || !h) return null;
  return [...new Set([...b.keys(), ...h.keys()])].filter((id) => b.get(id) !== h.get(id));
}

const countsOf = (r: ItemReport) => ({
  errors: r.findings.filter((f) => f.severity === 'error').length,
  warnings: r.findings.filter((f) => f.severity === 'warning').length,
});

/** One side of an item to diff: its tree and the tree's listing, its pending item, what only the whole side knows. */
export type DiffSide = ItemSide;

/** An item checked on both sides and diffed: its diff entry and each side as checked, masks included. */
export interface DiffedItem {
  entry: ItemDiff;
  base: CheckedItem | null;
  head: CheckedItem | null;
}

/**
 * Checks an item on both sides with the base guideline and diffs them; `changed`: the PR touches it. `allocate` gives
 * the zeroed arrays of its Label Studio brush masks; new ones when absent.
 */
export function diffItem(guideline: Guideline, toleranceMm: number, id: string, base: DiffSide | null, head: DiffSide | null, changed: boolean, allocate?: MaskAllocator): DiffedItem {
  const names = new Map(guideline.labels.map((l) => [l.value, l.name]));
  const side = (s: DiffSide | null): CheckedItem | null => {
    if (!s) return null;
    let loaded: LoadedAnnotations = { annotations: [], reference: null };
    const report = checkPendingItem(guideline, s.tree, s.pending, s.orphan, (l) => (loaded = l), { audit: s.audit ? new Set([s.pending.id]) : new Set(), allocate });
    return { pending: s.pending, loaded, report };
  };
  const b = side(base);
  // An item whose files the PR leaves alone is checked once: the head's check is the base's, masks included.
  const same = base && head && b && !namesTree(b.report, base.tree) && sameItemInputs(base, head);
  const h = head && same ? { pending: head.pending, loaded: b.loaded, report: structuredClone(b.report) } : side(head);
  const none: LoadedAnnotations = { annotations: [], reference: null };
  const d = itemDiff(id, b?.report ?? null, h?.report ?? null, labelDiffs(masksOf(b?.loaded ?? none), masksOf(h?.loaded ?? none), toleranceMm, names));
  // With `full`, items the PR leaves alone are checked too; they are not "changed".
  return { entry: changed ? d : { ...d, unchanged: true }, base: b, head: h };
}

/** What a pull request's analysis covers: both sides discovered, the items selected (sorted), which of them changed. */
export interface PullRequestPlan {
  base: Discovered;
  head: Discovered;
  selected: string[];
  changedIds: ReadonlySet<string>;
  baseAudit: ReadonlySet<string>;
  headAudit: ReadonlySet<string>;
  toleranceMm: number;
}

/**
 * What other threads have read of each side's exports: their items, and the tasks of each item of an edited export
 * (as `tasksByItem` gives them, or digests of those texts); undefined where they have not.
 */
export interface SideKnown {
  exportItems: NonNullable<DiscoverOptions['exportItems']>;
  tasks(path: string): Map<string, string> | null | undefined;
}

/** Both sides' `SideKnown`. */
export type PlanKnown = Record<'base' | 'head', SideKnown>;

/**
 * Discovers both sides and selects the items the PR touches (every item with `full`), this shard's share of them;
 * `known` gives what other threads read of the exports.
 */
export function planPullRequest(input: PullRequestInput, known?: PlanKnown): PullRequestPlan {
  const { context: ctx } = input;
  const base = discover(input.base, ctx, ctx.guideline, known?.base.exportItems);
  const head = discover(input.head, ctx, ctx.guideline, known?.head.exportItems);
  const touched = new Set<string>();
  const exports = matchGlobs(ctx.config.sources.filter((src) => src.format === 'labelstudio').map((src) => src.path));
  const touchedTasks = new Set<string>();
  for (const c of input.changed) {
    // A Label Studio export edited in place touches only the tasks whose JSON changed, not every task of the file.
    const perTask = c.status === 'M' && exports(c.path) ? changedTasks(input.base, input.head, c.path, known) : null;
    // Only when every id names a discovered item: if the reader's rule ever differs, the whole file counts.
    if (perTask && perTask.every((id) => base.items.has(id) || head.items.has(id))) for (const id of perTask) touchedTasks.add(id);
    else touched.add(c.path);
    if (c.oldPath) touched.add(c.oldPath);
  }
  // An item is touched through its masks, its image, the attestation and review sidecars next to a mask, or its tasks.
  const affects = (p: PendingItem) =>
    touchedTasks.has(p.id) || [...p.files, ...p.files.map(sidecarOf), ...p.files.map(reviewSidecarOf), ...(p.image ?? [])].some((f) => touched.has(f));
  const ids = new Set<string>();
  const changedIds = new Set<string>();
  for (const side of [base, head]) {
    for (const [id, p] of side.items) {
      const touchedItem = affects(p);
      if (touchedItem) changedIds.add(id);
      if (input.full || touchedItem) ids.add(id);
    }
  }
  return {
    base,
    head,
    selected: [...ids].filter((id) => !input.shard || inShard(id, input.shard)).sort(),
    changedIds,
    baseAudit: datasetAudit(ctx.guideline, [...base.items.values()]),
    headAudit: datasetAudit(ctx.guideline, [...head.items.values()]),
    toleranceMm: pullRequestTolerance(input),
  };
}

/** The tolerance (mm) of a pull request's label diffs: the input's, else the guideline's first agreement rule's. */
export const pullRequestTolerance = (input: Pick<PullRequestInput, 'toleranceMm' | 'context'>): number =>
  input.toleranceMm ?? reportToleranceMm(input.context.guideline.agreement?.[0]);

/** The sides of a planned item, on the trees the plan was discovered from. */
export function planSides(plan: PullRequestPlan, trees: Record<'base' | 'head', { tree: DatasetTree; listed: ReadonlySet<string> }>, id: string): { base: DiffSide | null; head: DiffSide | null } {
  const side = (d: Discovered, t: { tree: DatasetTree; listed: ReadonlySet<string> }, audit: ReadonlySet<string>): DiffSide | null => {
    const pending = d.items.get(id);
    return pending ? { ...t, pending, orphan: d.orphans.has(id), audit: audit.has(id) } : null;
  };
  return { base: side(plan.base, trees.base, plan.baseAudit), head: side(plan.head, trees.head, plan.headAudit) };
}

/** The analysis of a plan's items, diffed in the plan's order. */
export function finishPullRequest(input: PullRequestInput, plan: PullRequestPlan, diffs: Array<{ entry: ItemDiff; base: ItemReport | null; head: ItemReport | null }>): PullRequestAnalysis {
  const { context: ctx } = input;
  const headReports = diffs.flatMap((d) => (d.head ? [d.head] : []));
  const baseReports = diffs.flatMap((d) => (d.base ? [d.base] : []));
  const meta = {
    tool: { name: 'segqc' as const, version: input.toolVersion },
    guideline: { id: ctx.guideline.id, version: ctx.guideline.version, sha256: guidelineSha256(ctx.guideline), path: ctx.guidelinePath },
    config: { path: ctx.configPath, fail_on: input.failOn },
  };
  const auditRate = ctx.guideline.review?.audit_rate ?? 0;
  const report = buildReport(headReports, meta, auditRate, ctx.guideline.review);
  const baseReport = buildReport(baseReports, meta, auditRate, ctx.guideline.review);
  const diff: DatasetDiff = {
    base_sha: input.baseSha,
    head_sha: input.headSha,
    tolerance_mm: plan.toleranceMm,
    items: diffs.map((d) => d.entry),
    totals: { base: baseReport.totals, head: report.totals },
    dataset_items: { base: plan.base.items.size, head: plan.head.items.size },
  };
  const guidelineChange = guidelineChangeOf(input, plan.head, new Map(headReports.map((r) => [r.id, r])));
  if (guidelineChange && guidelineChangeFails(guidelineChange)) report.verdict = 'fail';
  return { report, baseReport, diff, guidelineChange };
}

/** Checks the items a PR touches on base and head with the base guideline, and diffs them. */
export function analyzePullRequest(input: PullRequestInput): PullRequestAnalysis {
  const plan = planPullRequest(input);
  const trees = { base: { tree: input.base, listed: new Set(input.base.list()) }, head: { tree: input.head, listed: new Set(input.head.list()) } };
  const diffs: Array<{ entry: ItemDiff; base: ItemReport | null; head: ItemReport | null }> = [];
  // The files the items will read, in order, so that a commit tree fetches them in batches; on the head, only those
  // of items the PR touches (the others are checked once, on the base).
  const planned = plan.selected.map((id) => planSides(plan, trees, id));
  input.base.prefetch?.(planned.flatMap((s) => (s.base ? itemInputs(s.base.pending) : [])));
  input.head.prefetch?.(planned.flatMap((s) => (s.head && !(s.base && sameItemInputs(s.base, s.head)) ? itemInputs(s.head.pending) : [])));
  // An item's masks die with it unless `onItem` sees them.
  const masks = input.onItem ? null : new MaskRecycler();
  for (const [n, id] of plan.selected.entries()) {
    const sides = planned[n];
    const d = diffItem(input.context.guideline, plan.toleranceMm, id, sides.base, sides.head, plan.changedIds.has(id), masks?.allocate);
    masks?.recycle();
    diffs.push({ entry: d.entry, base: d.base?.report ?? null, head: d.head?.report ?? null });
    input.onItem?.(d.entry, d.base, d.head);
    input.onProgress?.(diffs.length, plan.selected.length);
  }
  return finishPullRequest(input, plan, diffs);
}

/**
 * What the PR's guideline would do after merge: every item of the head (this shard's share of it), changed or not,
 * judged under the base and under the head guideline. `headItems` were discovered with the base guideline, and
 * `judged` holds the head reports (base guideline) the analysis already made.
 */
function guidelineChangeOf(
  input: PullRequestInput,
  headItems: Discovered,
  judged: ReadonlyMap<string, ItemReport>,
): GuidelineChange | null {
  const ctx = input.context;
  // The PR changes the guideline only when its own commits do: a guideline edited on the base branch since the PR
  // branched off is not this PR's change (the changed files come from the merge base).
  const edit = input.changed.find((c) => c.path === ctx.guidelinePath || c.oldPath === ctx.guidelinePath);
  if (!edit) return null;
  let text: string | null = null;
  let unreadableHead: string | null = null;
  if (new Set(input.head.list()).has(ctx.guidelinePath)) {
    try {
      text = new TextDecoder().decode(readEntry(input.head, ctx.guidelinePath));
    } catch (e) {
      if (!isSegqcError(e)) throw e;
      unreadableHead = `the guideline cannot be read: ${e.detail}`;
    }
  }
  if (text === ctx.guidelineText) return null;
  const gate = input.guidelineChangeGate ?? DEFAULT_GUIDELINE_CHANGE_GATE;
  const share = (ids: Iterable<string>) => [...ids].filter((id) => !input.shard || inShard(id, input.shard)).sort();
  const fails = (r: ItemReport) => itemFails(countsOf(r), input.failOn);
  const scope = share(headItems.items.keys());
  let failingBase = 0;
  for (const id of scope) {
    const r = judged.get(id) ?? checkPendingItem(ctx.guideline, input.head, headItems.items.get(id)!, headItems.orphans.has(id));
    if (fails(r)) failingBase++;
  }
  const baseId = { id: ctx.guideline.id, version: ctx.guideline.version, sha256: guidelineSha256(ctx.guideline) };
  const unusable = (error: string): GuidelineChange => ({
    base: baseId,
    head: { id: '?', version: '?', sha256: '' },
    changes: [],
    items_failing_base: failingBase,
    items_failing_head: 0,
    items_checked: scope.length,
    gate,
    error,
  });
  if (unreadableHead) return unusable(unreadableHead);
  if (text === null) {
    const moved = edit.oldPath === ctx.guidelinePath && edit.path !== ctx.guidelinePath ? ` (it moves it to ${edit.path}, but ${ctx.configPath} still names ${ctx.config.guideline})` : '';
    return unusable(`the pull request deletes the guideline ${ctx.guidelinePath}${moved}`);
  }
  const { guideline, errors } = validateGuideline(text, ctx.guidelinePath);
  if (!guideline || errors.length) return unusable(errors.map((e) => `${e.line}:${e.column} ${e.message}`).join('; ') || 'it does not validate');
  const head = discover(input.head, ctx, guideline);
  const headScope = share(head.items.keys());
  const headAudit = datasetAudit(guideline, [...head.items.values()]);
  let failingHead = 0;
  for (const id of headScope) if (fails(checkPendingItem(guideline, input.head, head.items.get(id)!, head.orphans.has(id), undefined, { audit: headAudit }))) failingHead++;
  return {
    base: baseId,
    head: { id: guideline.id, version: guideline.version, sha256: guidelineSha256(guideline) },
    changes: guidelineChanges(ctx.guideline, guideline),
    items_failing_base: failingBase,
    items_failing_head: failingHead,
    items_checked: headScope.length,
    gate,
  };
}

/** Refuses a PR whose base has no segqc config: the gate must come from the base, never from the PR itself. */
export function requireBaseConfig(files: string[], configPath: string, baseSha: string): void {
  if (!files.includes(configPath)) {
    throw new SegqcError('config.invalid', `the base commit ${baseSha.slice(0, 7)} has no ${configPath}; segqc takes its guideline and gate from the base commit, so add ${configPath} in its own PR first`, { file: configPath });
  }
}

/** What a `mode: check` run writes (and uploads) and what `mode: comment` and `mode: merge` read back. */
export interface PullRequestReport {
  kind: 'segqc-pull-request-report';
  schema_version: 1;
  /** `owner/name`, when run on GitHub. */
  repository: string | null;
  pull_request: number | null;
  base_sha: string;
  head_sha: string;
  /**
   * The dataset's config inside the repository (`segqc.yaml`, `ct/segqc.yaml`): datasets of one repository each keep
   * their own comment on a pull request.
   */
  config_path?: string;
  /** This run's share of the items (1-based `index`), or null for the whole PR. */
  shard: { index: number; count: number } | null;
  /** The guideline's audit rate, so merged shards draw the same audit sample as one run. */
  audit_rate: number;
  /** The head side of the changed items, judged by the base guideline. */
  report: DatasetReport;
  diff: DatasetDiff;
  guideline_change: GuidelineChange | null;
  /** Findings per annotation of the PR's annotators over the last months of the history (not of a shard run). */
  annotator_trends?: AnnotatorTrend[];
}

/** The report file of an analysis. */
export function pullRequestReport(
  analysis: PullRequestAnalysis,
  where: { repository: string | null; pullRequest: number | null; shard: Shard | null; auditRate: number; configPath?: string },
): PullRequestReport {
  return {
    kind: 'segqc-pull-request-report',
    schema_version: 1,
    repository: where.repository,
    pull_request: where.pullRequest,
    base_sha: analysis.diff.base_sha,
    head_sha: analysis.diff.head_sha,
    ...(where.configPath !== undefined ? { config_path: where.configPath } : {}),
    shard: where.shard ? { index: where.shard.index + 1, count: where.shard.count } : null,
    audit_rate: where.auditRate,
    report: analysis.report,
    diff: analysis.diff,
    guideline_change: analysis.guidelineChange,
  };
}
