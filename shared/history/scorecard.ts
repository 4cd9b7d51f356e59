/** Scorecards from a walk: per annotator and period, per rule and period, from the steps of a dataset's history. */
import type { Finding, RuleCode } from '../rules/types.js';
import type { AnnotationSummary, ItemReport } from '../report/types.js';
import { gateFails } from '../rules/gate.js';
import type { HistoryReport, HistoryStep, PeriodBy, ReviewOutcomes, ScoreStats } from './types.js';
import { HISTORY_SCHEMA_VERSION } from './types.js';

/** The ISO week (`2024-W07`) of a `YYYY-MM-DD` date. */
export function isoWeek(day: string): string {
  const d = new Date(`${day.slice(0, 10)}T00:00:00Z`);
  const dow = (d.getUTCDay() + 6) % 7;
  d.setUTCDate(d.getUTCDate() - dow + 3);
  const year = d.getUTCFullYear();
  const jan4 = new Date(Date.UTC(year, 0, 4));
  const week = 1 + Math.round(((d.getTime() - jan4.getTime()) / 86400000 - 3 + ((jan4.getUTCDay() + 6) % 7)) / 7);
  return `${year}-W${String(week).padStart(2, '0')}`;
}

/** The period a commit falls in: its author's local date's month or ISO week, or the commit itself. */
export function periodOf(step: HistoryStep, by: PeriodBy): string {
  if (by === 'commit') return step.commit.sha.slice(0, 7);
  return by === 'month' ? step.commit.date.slice(0, 7) : isoWeek(step.commit.date);
}

interface Acc {
  annotations: number;
  findings: Finding[];
  firstSubmissions: number;
  firstPass: number;
  rework: number;
  diceOthers: number[];
  nsdOthers: number[];
  diceRef: number[];
  nsdRef: number[];
  accepted: number;
  acceptedWithFixes: number;
  rejected: number;
  rejectReasons: Map<string, number>;
}

const acc = (): Acc => ({ annotations: 0, findings: [], firstSubmissions: 0, firstPass: 0, rework: 0, diceOthers: [], nsdOthers: [], diceRef: [], nsdRef: [], accepted: 0, acceptedWithFixes: 0, rejected: 0, rejectReasons: new Map() });
const mean = (xs: number[]) => (xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : null);
const ratio = (a: number, b: number) => (b > 0 ? a / b : null);

function reviewOutcomes(a: Acc, titles: Map<string, string>): ReviewOutcomes {
  return {
    verdicts: a.accepted + a.acceptedWithFixes + a.rejected,
    accepted: a.accepted,
    accepted_with_fixes: a.acceptedWithFixes,
    rejected: a.rejected,
    reject_reasons: [...a.rejectReasons]
      .map(([id, count]) => ({ id, title: titles.get(id) ?? null, count }))
      .sort((x, y) => y.count - x.count || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0)),
  };
}

/** The stats of an accumulator; review outcomes only with `titles` (the history holds review records). */
function stats(a: Acc, titles: Map<string, string> | null): ScoreStats {
  const by_severity = { error: 0, warning: 0, info: 0 };
  const by_rule: Partial<Record<RuleCode, number>> = {};
  for (const f of a.findings) {
    by_severity[f.severity]++;
    by_rule[f.rule] = (by_rule[f.rule] ?? 0) + 1;
  }
  return {
    annotations: a.annotations,
    findings: a.findings.length,
    findings_per_annotation: ratio(a.findings.length, a.annotations),
    by_severity,
    by_rule: Object.fromEntries(Object.entries(by_rule).sort(([x], [y]) => (x < y ? -1 : 1))),
    first_submissions: a.firstSubmissions,
    first_pass: a.firstPass,
    first_pass_rate: ratio(a.firstPass, a.firstSubmissions),
    rework: a.rework,
    dice_vs_others: mean(a.diceOthers),
    nsd_vs_others: mean(a.nsdOthers),
    dice_vs_reference: mean(a.diceRef),
    nsd_vs_reference: mean(a.nsdRef),
    ...(titles ? { reviews: reviewOutcomes(a, titles) } : {}),
  };
}

const keyOf = (a: AnnotationSummary) => a.id ?? a.source;

/** Whether a finding is about this annotation: by annotation id, else annotator, else the item's only annotation. */
function attributed(f: Finding, a: AnnotationSummary, item: ItemReport): boolean {
  if (f.annotation !== null) return f.annotation === a.id;
  if (f.annotator !== null) return f.annotator === a.annotator;
  return item.annotations.length === 1;
}

const isLfsPointer = (f: Finding) => f.rule === 'format.unreadable' && f.reason === 'lfs_pointer';

/** Options of `buildHistory`. */
export interface HistoryOptions {
  by: PeriodBy;
  toolVersion: string;
  shallow: boolean;
  /** Extra notes of the walk (the shallow clone's reach). */
  notes?: string[];
}

/**
 * The history report of a sequence of steps, oldest first. An annotation is one item's annotation (by id, else its
 * source file); its annotator is the one the dataset names, else the author of the step's commit.
 */
export function buildHistory(steps: HistoryStep[], opts: HistoryOptions): HistoryReport {
  const periods: string[] = [];
  const byAnnotator = new Map<string, { total: Acc; periods: Map<string, Acc> }>();
  const byRule = new Map<RuleCode, Map<string, number>>();
  const periodAnnotations = new Map<string, number>();
  const total = acc();
  const lastFailed = new Map<string, boolean>();
  // Per annotation: whether its last version seen was rejected, who last changed it; the verdicts already counted.
  const lastRejected = new Map<string, boolean>();
  const lastAuthor = new Map<string, string>();
  const verdictsSeen = new Set<string>();
  const reasonTitles = new Map<string, string>();
  const guidelines: HistoryReport['guidelines'] = [];
  const gaps: HistoryReport['gaps'] = [];
  const stepRows: HistoryReport['steps'] = [];
  let itemsJudged = 0;
  let lfs = 0;
  let itemFindings = 0;
  const annotatorAcc = (name: string, period: string): Acc[] => {
    let a = byAnnotator.get(name);
    if (!a) byAnnotator.set(name, (a = { total: acc(), periods: new Map() }));
    let p = a.periods.get(period);
    if (!p) a.periods.set(period, (p = acc()));
    return [a.total, p, total];
  };
  for (const step of steps) {
    const period = periodOf(step, opts.by);
    if (periods[periods.length - 1] !== period && !periods.includes(period)) periods.push(period);
    const g = step.guideline;
    if (g && guidelines[guidelines.length - 1]?.sha256 !== g.sha256) guidelines.push({ ...g, commit: step.commit.sha, date: step.commit.date, period });
    if (step.gap !== null) gaps.push({ commit: step.commit.sha, date: step.commit.date, period, error: step.gap });
    let stepAnnotations = 0, stepFindings = 0;
    for (const [id, title] of Object.entries(step.reasons ?? {})) reasonTitles.set(id, title);
    for (const { report: item, changed, authors } of step.items) {
      itemsJudged++;
      const changedSet = new Set(changed);
      const counted = new Set<Finding>();
      const rule = (f: Finding) => {
        if (counted.has(f)) return;
        counted.add(f);
        stepFindings++;
        if (isLfsPointer(f)) lfs++;
        let m = byRule.get(f.rule);
        if (!m) byRule.set(f.rule, (m = new Map()));
        m.set(period, (m.get(period) ?? 0) + 1);
      };
      for (const a of item.annotations) {
        if (!changedSet.has(keyOf(a))) continue;
        const name = a.annotator ?? authors?.[keyOf(a)] ?? step.commit.author;
        const mine = item.findings.filter((f) => attributed(f, a, item));
        mine.forEach(rule);
        const fails = gateFails({ errors: mine.filter((f) => f.severity === 'error').length, warnings: mine.filter((f) => f.severity === 'warning').length }, step.failOn);
        const id = `${item.id}\u0000${keyOf(a)}`;
        const seen = lastFailed.get(id);
        const wasRejected = lastRejected.get(id) === true;
        lastFailed.set(id, fails);
        lastAuthor.set(id, name);
        const self = a.annotator ?? a.id ?? '?';
        const rows = item.agreement.filter((r) => r.a === self || r.b === self);
        stepAnnotations++;
        periodAnnotations.set(period, (periodAnnotations.get(period) ?? 0) + 1);
        for (const x of annotatorAcc(name, period)) {
          x.annotations++;
          x.findings.push(...mine);
          if (seen === undefined) {
            x.firstSubmissions++;
            if (!fails) x.firstPass++;
          } else if (seen || wasRejected) x.rework++;
          for (const r of rows) {
            const ref = r.a === 'reference' || r.b === 'reference';
            (ref ? x.diceRef : x.diceOthers).push(r.dice);
            if (r.nsd !== null) (ref ? x.nsdRef : x.nsdOthers).push(r.nsd);
          }
        }
      }
      // Verdicts count once, in the period of the commit that brought them, for the annotator of the annotation reviewed.
      for (const r of item.reviews ?? []) {
        if (r.verdict === null) continue;
        const key = JSON.stringify([item.id, r.annotation, r.stage, r.reviewer, r.time, r.verdict, r.reasons]);
        if (verdictsSeen.has(key)) continue;
        verdictsSeen.add(key);
        const id = `${item.id}\u0000${r.annotation}`;
        const a = item.annotations.find((x) => keyOf(x) === r.annotation);
        const name = r.annotator ?? a?.annotator ?? lastAuthor.get(id) ?? (a ? authors?.[keyOf(a)] : undefined) ?? step.commit.author;
        for (const x of annotatorAcc(name, period)) {
          if (r.verdict === 'reject') {
            x.rejected++;
            for (const reason of r.reasons) x.rejectReasons.set(reason, (x.rejectReasons.get(reason) ?? 0) + 1);
          } else if (r.verdict === 'accept') x.accepted++;
          else x.acceptedWithFixes++;
        }
      }
      for (const a of item.annotations) {
        const id = `${item.id}\u0000${keyOf(a)}`;
        lastRejected.set(id, (item.reviews ?? []).some((r) => r.annotation === keyOf(a) && r.status === 'rejected'));
      }
      // Findings about the item as a whole (agreement between two annotations, a missing image) count for the rule.
      for (const f of item.findings) {
        if (item.annotations.some((a) => attributed(f, a, item))) continue;
        rule(f);
        itemFindings++;
      }
    }
    stepRows.push({
      commit: step.commit.sha,
      parent: step.commit.parent,
      author: step.commit.author,
      date: step.commit.date,
      subject: step.commit.subject,
      merge: step.commit.merge,
      period,
      guideline_version: g?.version ?? null,
      gap: step.gap,
      items: step.items.length,
      annotations: stepAnnotations,
      findings: stepFindings,
    });
  }
  const titles = verdictsSeen.size > 0 ? reasonTitles : null;
  const annotators = [...byAnnotator.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([annotator, a]) => ({ annotator, totals: stats(a.total, titles), periods: periods.filter((p) => a.periods.has(p)).map((p) => ({ period: p, ...stats(a.periods.get(p)!, titles) })) }));
  const rules = [...byRule.entries()]
    .map(([rule, m]) => ({
      rule,
      total: [...m.values()].reduce((s, x) => s + x, 0),
      periods: periods.map((p) => ({ period: p, count: m.get(p) ?? 0, per_annotation: ratio(m.get(p) ?? 0, periodAnnotations.get(p) ?? 0) })),
    }))
    .sort((a, b) => b.total - a.total || (a.rule < b.rule ? -1 : 1));
  const notes = [...(opts.notes ?? [])];
  if (lfs > 0) notes.push(`${lfs} file${lfs === 1 ? ' is a Git LFS pointer' : 's are Git LFS pointers'} without content in the clone: they are format.unreadable findings; fetch the content (git lfs pull, or actions/checkout with lfs: true) to judge them`);
  return {
    kind: 'segqc-history',
    schema_version: HISTORY_SCHEMA_VERSION,
    tool: { name: 'segqc', version: opts.toolVersion },
    range: { first: steps[0]?.commit.sha ?? null, last: steps[steps.length - 1]?.commit.sha ?? null, commits: steps.length, shallow: opts.shallow },
    by: opts.by,
    periods,
    guidelines,
    gaps,
    steps: stepRows,
    annotators,
    rules,
    totals: { ...stats(total, titles), item_findings: itemFindings, items_judged: itemsJudged, lfs_pointers: lfs },
    notes,
  };
}
