/** `segqc history`: the steps of a dataset's first-parent history and the scorecards derived from them (schema `guidelines/history.schema.json`). */
import type { RuleCode, Severity } from '../rules/types.js';
import type { FailOn } from '../rules/gate.js';
import type { ItemReport } from '../report/types.js';

export const HISTORY_SCHEMA_VERSION = 1;

/** How the timeline is cut into periods. */
export type PeriodBy = 'week' | 'month' | 'commit';

/** One first-parent commit of the dataset's branch. */
export interface HistoryCommit {
  sha: string;
  /** The first parent, or null for a root commit (or the first commit a shallow clone holds). */
  parent: string | null;
  author: string;
  email: string;
  /** The author date, ISO 8601 with the author's offset. */
  date: string;
  subject: string;
  merge: boolean;
}

/** The guideline in force at a step. */
export interface GuidelineRef {
  id: string;
  version: string;
  sha256: string;
  path: string;
}

/** One item a step changed, judged under the step's guideline; `changed` lists its annotations (id, else source) that the step added or changed. */
export interface StepItem {
  report: ItemReport;
  changed: string[];
  /** The git author of annotations (by id, else source) when it is not the step's commit's: a merge brings other people's commits. */
  authors?: Record<string, string>;
}

/** One step of the walk: a commit, the guideline in force, and the items it changed (empty for a gap). */
export interface HistoryStep {
  commit: HistoryCommit;
  guideline: GuidelineRef | null;
  failOn: FailOn;
  /** Why the step could not be judged (its segqc.yaml or guideline does not parse; the start of a shallow clone), else null. */
  gap: string | null;
  items: StepItem[];
  /** The titles of the guideline's review reasons, by id (absent without reasons). */
  reasons?: Record<string, string>;
}

/** Review verdicts on an annotator's annotations, each counted in the period of the commit that brought it. */
export interface ReviewOutcomes {
  verdicts: number;
  accepted: number;
  accepted_with_fixes: number;
  rejected: number;
  /** Reasons of the rejections, most frequent first; `title` from the guideline's review reasons. */
  reject_reasons: Array<{ id: string; title: string | null; count: number }>;
}

/** Counts and rates of one annotator (or everyone) over one period or the whole range. */
export interface ScoreStats {
  /** Annotations added or changed. */
  annotations: number;
  findings: number;
  findings_per_annotation: number | null;
  by_severity: Record<Severity, number>;
  by_rule: Partial<Record<RuleCode, number>>;
  /** Annotations seen for the first time, and how many of them passed the gate then. */
  first_submissions: number;
  first_pass: number;
  first_pass_rate: number | null;
  /** Changes to an annotation whose previous version failed the gate or was rejected by a reviewer. */
  rework: number;
  /** Means over the agreement rows of the changed annotations (NSD at the guideline's report tolerance). */
  dice_vs_others: number | null;
  nsd_vs_others: number | null;
  dice_vs_reference: number | null;
  nsd_vs_reference: number | null;
  /** Present only when the history holds review records. */
  reviews?: ReviewOutcomes;
}

/** One annotator's scorecard. */
export interface AnnotatorScorecard {
  annotator: string;
  totals: ScoreStats;
  periods: Array<{ period: string } & ScoreStats>;
}

/** How often one rule fired, over time. */
export interface RuleTrend {
  rule: RuleCode;
  total: number;
  periods: Array<{ period: string; count: number; per_annotation: number | null }>;
}

/** What `segqc history --json` writes. */
export interface HistoryReport {
  kind: 'segqc-history';
  schema_version: typeof HISTORY_SCHEMA_VERSION;
  tool: { name: 'segqc'; version: string };
  range: { first: string | null; last: string | null; commits: number; shallow: boolean };
  by: PeriodBy;
  periods: string[];
  /** Each guideline version where it came into force. */
  guidelines: Array<GuidelineRef & { commit: string; date: string; period: string }>;
  /** Steps that could not be judged, with why. */
  gaps: Array<{ commit: string; date: string; period: string; error: string }>;
  steps: Array<{
    commit: string;
    parent: string | null;
    author: string;
    date: string;
    subject: string;
    merge: boolean;
    period: string;
    guideline_version: string | null;
    gap: string | null;
    items: number;
    annotations: number;
    findings: number;
  }>;
  annotators: AnnotatorScorecard[];
  rules: RuleTrend[];
  /** Everyone together; `item_findings` are findings about an item as a whole (agreement between two annotations), in `rules` only. */
  totals: ScoreStats & { item_findings: number; items_judged: number; lfs_pointers: number };
  /** What the reader should know: a shallow clone, Git LFS pointers. */
  notes: string[];
}
