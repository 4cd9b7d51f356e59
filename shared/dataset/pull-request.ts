/** A dataset pull request judged with the base commit's guideline: items it touches, checked on both sides and diffed. */
import type { Segmentation } from '../model.js';
import { SegqcError } from '../errors.js';
import type { DatasetTree } from './tree.js';
import type { Guideline } from '../guideline/types.js';
import type { DatasetConfig } from '../guideline/config.js';
import { validateGuideline } from '../guideline/load.js';
import { guidelineSha256 } from '../guideline/hash.js';
import type { DatasetReport, ItemReport } from '../report/types.js';
import type { Severity } from '../rules/types.js';
import { discoverItems, type PendingItem, type SourceSpec } from './items.js';
import { buildReport, checkPendingItem, type LoadedAnnotations } from './check.js';
import { inShard, type Shard } from './shard.js';
import { itemDiff, labelDiffs, type DatasetDiff, type ItemDiff, type SideMasks } from '../report/diff.js';
import type { GuidelineChange } from '../report/render-diff.js';

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
  failOn: Severity | 'never';
  full: boolean;
  shard: Shard | null;
  toolVersion: string;
  toleranceMm?: number;
}

/** The analysis: the head report (base guideline), the base totals of the same items, the diff, the guideline change. */
export interface PullRequestAnalysis {
  report: DatasetReport;
  baseReport: DatasetReport;
  diff: DatasetDiff;
  guidelineChange: GuidelineChange | null;
}

const labelValuesOf = (g: Guideline) => Object.fromEntries(g.labels.map((l) => [l.name, l.value]));

function discover(tree: DatasetTree, ctx: BaseContext, guideline: Guideline) {
  const { items, orphans } = discoverItems(tree, ctx.config.sources as SourceSpec[], {
    labelValues: labelValuesOf(guideline),
    reference: (ctx.config.reference as SourceSpec | undefined) ?? null,
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

const failing = (r: ItemReport) => r.findings.some((f) => f.severity === 'error');

/** Checks the items a PR touches on base and head with the base guideline, and diffs them. */
export function analyzePullRequest(input: PullRequestInput): PullRequestAnalysis {
  const { context: ctx } = input;
  const tol = input.toleranceMm ?? ctx.guideline.agreement?.[0]?.tolerance_mm ?? 2;
  const base = discover(input.base, ctx, ctx.guideline);
  const head = discover(input.head, ctx, ctx.guideline);
  const touched = new Set<string>();
  for (const c of input.changed) {
    touched.add(c.path);
    if (c.oldPath) touched.add(c.oldPath);
  }
  const affects = (p: PendingItem) => p.files.some((f) => touched.has(f)) || (p.image ?? []).some((f) => touched.has(f));
  const ids = new Set<string>();
  for (const side of [base, head]) for (const [id, p] of side.items) if (input.full || affects(p)) ids.add(id);
  const selected = [...ids].filter((id) => !input.shard || inShard(id, input.shard)).sort();

  const headReports: ItemReport[] = [];
  const baseReports: ItemReport[] = [];
  const diffs: ItemDiff[] = [];
  for (const id of selected) {
    const bp = base.items.get(id) ?? null;
    const hp = head.items.get(id) ?? null;
    let bm: SideMasks = new Map(), hm: SideMasks = new Map();
    const br = bp ? checkPendingItem(ctx.guideline, input.base, bp, base.orphans.has(id), (l) => (bm = masksOf(l))) : null;
    const hr = hp ? checkPendingItem(ctx.guideline, input.head, hp, head.orphans.has(id), (l) => (hm = masksOf(l))) : null;
    if (br) baseReports.push(br);
    if (hr) headReports.push(hr);
    diffs.push(itemDiff(id, br, hr, labelDiffs(bm, hm, tol)));
  }
  const meta = {
    tool: { name: 'segqc' as const, version: input.toolVersion },
    guideline: { id: ctx.guideline.id, version: ctx.guideline.version, sha256: guidelineSha256(ctx.guideline), path: ctx.guidelinePath },
    config: { path: ctx.configPath, fail_on: input.failOn },
  };
  const auditRate = ctx.guideline.review?.audit_rate ?? 0;
  const report = buildReport(headReports, meta, auditRate);
  const baseReport = buildReport(baseReports, meta, auditRate);
  const diff: DatasetDiff = {
    base_sha: input.baseSha,
    head_sha: input.headSha,
    tolerance_mm: tol,
    items: diffs,
    totals: { base: baseReport.totals, head: report.totals },
  };
  return { report, baseReport, diff, guidelineChange: guidelineChangeOf(input, selected, headReports) };
}

function guidelineChangeOf(input: PullRequestInput, selected: string[], headReports: ItemReport[]): GuidelineChange | null {
  const ctx = input.context;
  const headFiles = new Set(input.head.list());
  if (!headFiles.has(ctx.guidelinePath)) return null;
  const text = new TextDecoder().decode(input.head.read(ctx.guidelinePath));
  if (text === ctx.guidelineText) return null;
  const baseId = { id: ctx.guideline.id, version: ctx.guideline.version, sha256: guidelineSha256(ctx.guideline) };
  const { guideline, errors } = validateGuideline(text, ctx.guidelinePath);
  const failingBase = headReports.filter(failing).length;
  if (!guideline || errors.length) {
    return {
      base: baseId,
      head: { id: '?', version: '?', sha256: '' },
      changes: [],
      items_failing_base: failingBase,
      items_failing_head: 0,
      items_checked: headReports.length,
      error: errors.map((e) => `${e.line}:${e.column} ${e.message}`).join('; '),
    };
  }
  const head = discover(input.head, ctx, guideline);
  let failingHead = 0;
  for (const id of selected) {
    const p = head.items.get(id);
    if (!p) continue;
    if (failing(checkPendingItem(guideline, input.head, p, head.orphans.has(id)))) failingHead++;
  }
  return {
    base: baseId,
    head: { id: guideline.id, version: guideline.version, sha256: guidelineSha256(guideline) },
    changes: guidelineChanges(ctx.guideline, guideline),
    items_failing_base: failingBase,
    items_failing_head: failingHead,
    items_checked: headReports.length,
  };
}

/** Refuses a PR whose base has no segqc config: the gate must come from the base, never from the PR itself. */
export function requireBaseConfig(files: string[], configPath: string, baseSha: string): void {
  if (!files.includes(configPath)) {
    throw new SegqcError('config.invalid', `the base commit ${baseSha.slice(0, 7)} has no ${configPath}; segqc takes its guideline and gate from the base commit, so add ${configPath} in its own PR first`, { file: configPath });
  }
}

