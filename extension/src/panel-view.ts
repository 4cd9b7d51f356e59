/** What the panel shows, as plain data computed from the state; panel.ts only turns it into elements. */
import { canOverride, overrideMatches } from '../../shared/rules/override.js';
import type { Finding, RuleCode, Severity } from '../../shared/rules/types.js';
import type { ReviewVerdict } from '../../shared/review/record.js';
import type { Setup } from './report.js';
import { draftReasons, draftStage, feedbackKey, reasonText } from './review.js';
import type { SegQCState } from './state.js';

/** One finding in the list. */
export interface FindingView {
  /** Its place in the check's findings. */
  index: number;
  /** `rule|label`: what an override of it is recorded for. */
  key: string;
  rule: RuleCode;
  /** `info` once overridden. */
  severity: Severity;
  overridden: boolean;
  text: string;
  /** No override allowed or needed, an Override… button, or the open reason form. */
  override: 'none' | 'button' | 'form';
  /** The accessible name of the reason field. */
  reasonLabel: string;
  /** Why an error finding cannot be overridden, when it cannot. */
  whyNot: string | null;
}

/** One checklist item whose condition holds. */
export interface ChecklistItemView {
  id: string;
  text: string;
  checked: boolean;
  help: string | null;
}

/** One open rejection, at the top of an annotator's panel: each reason a line to confirm. */
export interface FeedbackView {
  heading: string;
  comment: string | null;
  reasons: Array<{ key: string; title: string; help: string | null; confirmed: boolean }>;
}

/** The reviewer's panel, in place of the annotator's checklist. */
export interface ReviewPanelView {
  heading: string;
  stages: Array<{ id: string; title: string; selected: boolean }>;
  verdicts: Array<{ id: ReviewVerdict; text: string; selected: boolean }>;
  reasons: Array<{ id: string; title: string; help: string | null; selected: boolean }>;
  comment: string;
  /** Earlier verdicts on this annotation, oldest first. */
  history: string[];
}

/** The whole panel. */
export interface PanelModel {
  title: string;
  notes: string[];
  /** Open rejections of the annotation (annotator only). */
  feedback: FeedbackView[];
  /** The review form (reviewer only); the checklist is not shown then. */
  review: ReviewPanelView | null;
  status: { text: string; ok: boolean };
  findings: FindingView[];
  checklist: ChecklistItemView[];
  /** Overrides recorded, in the order withdrawing refers to them. */
  overrides: Array<{ rule: RuleCode; text: string }>;
  /** Where the live check runs (a Web Worker, or the page's thread and why). */
  debug: string;
}

/** `rule|label`, the key of a finding for overrides. */
export const findingKey = (f: Pick<Finding, 'rule' | 'label'>): string => `${f.rule}|${f.label ?? ''}`;

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

const VERDICT_TEXT: Record<ReviewVerdict, string> = { accept: 'Accept', reject: 'Reject', accept_with_fixes: 'Accept with fixes' };

/** The review part of the panel: the feedback an annotator answers, or the reviewer's form. */
export function reviewViews(setup: Setup, s: SegQCState): Pick<PanelModel, 'feedback' | 'review'> {
  const g = setup.guideline;
  const r = s.review;
  const feedback = r.feedback.map((f) => ({
    heading: `Rejected at ${f.stageTitle ?? f.stage} by ${f.reviewer} (${f.time})`,
    comment: f.comment,
    reasons: f.reasons.map((x) => ({ key: feedbackKey(f, x.id), title: x.title, help: x.help, confirmed: r.confirmed[feedbackKey(f, x.id)] === true })),
  }));
  if (r.role.kind !== 'reviewer') return { feedback, review: null };
  const role = r.role;
  const stage = draftStage(role, r.draft);
  return {
    feedback: [],
    review: {
      heading: `Reviewing the annotation of ${r.author ?? 'another annotator'}`,
      stages: role.stages.map((st) => ({ id: st.id, title: st.title ?? st.id, selected: st.id === stage })),
      verdicts: (Object.keys(VERDICT_TEXT) as ReviewVerdict[]).map((id) => ({ id, text: VERDICT_TEXT[id], selected: r.draft.verdict === id })),
      reasons: draftReasons(g, role, r.draft).map((x) => ({ ...x, selected: r.draft.reasons.includes(x.id) })),
      comment: r.draft.comment,
      history: r.records.map((x) => {
        const stage = (g.review?.stages ?? []).find((st) => st.id === x.stage)?.title ?? x.stage;
        const reasons = x.reasons.map((id) => reasonText(g, id).title).join('; ');
        return `${VERDICT_TEXT[x.verdict]} at ${stage} by ${x.reviewer} (${x.time})${reasons ? `: ${reasons}` : ''}`;
      }),
    },
  };
}

/** The panel for the state's last check, or null while there is none (the panel keeps what it shows). */
export function panelView(setup: Setup, s: SegQCState, notes: string[], debug = ''): PanelModel | null {
  const { live, verdict } = s;
  if (!live || !verdict) return null;
  const g = setup.guideline;
  const { findings } = live;
  const isOverridden = (f: Finding) => f.severity === 'error' && s.overrides.some((o) => overrideMatches(o, f));
  const overridden = findings.filter(isOverridden).length;
  const errors = findings.filter((f) => f.severity === 'error').length - overridden;
  const warnings = findings.filter((f) => f.severity === 'warning').length;
  const status = s.imageLoading
    ? 'The image has not loaded yet.'
    : live.readError
    ? `Cannot read the annotation: ${live.readError}`
    : findings.length === 0
      ? 'No findings: the drawing follows the guideline.'
      : `${plural(errors, 'error')}, ${plural(warnings, 'warning')}${overridden ? `, ${overridden} overridden` : ''}`;
  const overridable = new Set(verdict.overridable.map(findingKey));
  return {
    title: `${g.title} — ${g.id} ${g.version}`,
    notes,
    ...reviewViews(setup, s),
    status: { text: status, ok: findings.length === 0 && !live.readError && !s.imageLoading },
    findings: findings.map((f, index) => {
      const key = findingKey(f);
      const done = isOverridden(f);
      const icon = done ? '✔ overridden:' : f.severity === 'error' ? '✖' : f.severity === 'warning' ? '▲' : 'ℹ';
      return {
        index,
        key,
        rule: f.rule,
        severity: done ? 'info' : f.severity,
        overridden: done,
        text: `${icon} ${f.message} `,
        override: !overridable.has(key) ? 'none' : s.openOverride === key ? 'form' : 'button',
        reasonLabel: `Reason for overriding ${f.rule}${f.label ? ` on ${f.label}` : ''}`,
        whyNot: f.severity === 'error' && !done && !canOverride(g, f.rule) ? whyNotOverridable(g, f.rule) : null,
      };
    }),
    checklist: live.checklist
      .filter((r) => r.visible)
      .map((r) => ({ id: r.item.id, text: ` ${r.item.prompt}${r.required ? '' : ' (optional)'}`, checked: r.answered, help: r.item.help ?? null })),
    overrides: s.overrides.map((o) => ({ rule: o.rule, text: `Overridden ${o.rule}${o.label ? ` (${o.label})` : ''}: “${o.reason}” ` })),
    debug,
  };
}

/** Why the guideline does not let this rule be overridden, and so what is left to do. */
export function whyNotOverridable(g: Setup['guideline'], rule: RuleCode): string {
  const p = g.overrides;
  if (!p?.allowed) return `Cannot be overridden: guideline ${g.id} allows no overrides. Fix the drawing.`;
  return `Cannot be overridden: guideline ${g.id} allows overriding only ${(p.rules ?? []).join(', ')}. Fix the drawing.`;
}

/**
 * The compact gate message beside Submit: that nothing was saved and what to do next, counted by kind (the panel
 * keeps the detail). Null when saving is not blocked.
 */
export function gateSummary(setup: Setup, s: SegQCState): string | null {
  const { live, verdict } = s;
  if (!verdict?.blocked) return null;
  if (!live) return 'Not saved: the editor has no annotation selected.';
  if (s.imageLoading) return 'Not saved: the image has not loaded yet. Submit again once it shows.';
  if (live.readError) return 'Not saved: segqc cannot read the annotation (see its panel).';
  const g = setup.guideline;
  const open = live.findings.filter((f) => f.severity === 'error' && !s.overrides.some((o) => overrideMatches(o, f)));
  const fix = open.filter((f) => !canOverride(g, f.rule)).length;
  const overridable = open.length - fix;
  const unticked = live.checklist.filter((r) => r.visible && r.required && !r.answered).length;
  const steps: string[] = [];
  if (fix > 0) steps.push(`fix ${plural(fix, 'finding')} (click ${fix === 1 ? 'it' : 'one'} in the segqc panel to see where)`);
  if (overridable > 0) steps.push(`fix or override ${plural(overridable, 'finding')} (Override… with a reason)`);
  if (unticked > 0) steps.push(`confirm ${plural(unticked, 'checklist item')}`);
  return `Not saved. Next: ${steps.join('; ')}.`;
}
