/** What every mode leaves behind: the job summary, annotations, outputs and the one pull request comment. */
import { appendFileSync } from 'node:fs';
import * as core from '@actions/core';
import type { PullRequestReport } from '../../shared/dataset/pull-request.js';
import { renderDiffMarkdown, type DiffView } from '../../shared/report/render-diff.js';
import { reviewViewOf } from '../../shared/report/render-review.js';
import { renderCheckMarkdown, sortFindings } from '../../shared/report/render-check.js';
import type { Finding } from '../../shared/rules/types.js';
import type { ItemReport } from '../../shared/report/types.js';
import { neutralize } from '../../shared/report/escape.js';
import { gateFails, guidelineChangeFails } from '../../shared/rules/gate.js';
import { COMMENT_LIMIT, SUMMARY_LIMIT_BYTES, fitMarkdown, utf8Bytes, withDigest } from './comment-body.js';
import { isGitHubApiError, type GitHubPlatform } from './github/platform.js';
import { upsertStickyComment, type StickyResult } from './sticky-comment.js';

/** At most this many findings become file annotations; one notice counts the rest. */
export const MAX_ANNOTATIONS = 10;

export interface PublishOptions {
  report: PullRequestReport;
  /** Link to the run whose job summary holds the full report. */
  runUrl: string | null;
  /** Pull request to comment on; null: no comment. */
  issue: number | null;
  platform: GitHubPlatform | null;
  /** File annotations: `prefix` (the dataset's repository-relative directory) goes before finding files; null prefix: no files. */
  annotations: { prefix: string | null } | null;
  /** Path of the report file, for the `report` output. */
  reportPath: string;
  note?: string;
  /** Where the step summary goes (`GITHUB_STEP_SUMMARY`); null when not on a runner. */
  summaryPath: string | null;
  /** Links of the comment and summary: files on the web server, the review page. */
  links?: Links;
}

/** What the comment links to besides the run. */
export type Links = Pick<DiffView, 'links' | 'reviewPage'>;

/** Log text from a dataset can never start a workflow command (`::set-output`, `::add-mask`, ...). */
export const inert = (s: string): string => neutralize(s.replace(/[\r\n]+/g, ' ')).replace(/::/g, ':\u200b:');

export function viewOf(r: PullRequestReport, runUrl: string | null, note?: string, links: Links = {}): DiffView {
  return {
    ...links,
    findings: r.report.items.flatMap((i) => i.findings),
    diff: r.diff,
    verdict: r.report.verdict,
    failOn: r.report.config.fail_on,
    guideline: { id: r.report.guideline.id, version: r.report.guideline.version, path: r.report.guideline.path },
    auditSample: r.report.audit_sample,
    runUrl,
    guidelineChange: r.guideline_change,
    dataset: r.config_path ?? null,
    ...(note ? { note } : {}),
    ...(r.report.review ? { review: reviewViewOf(r.report) } : {}),
    ...(r.annotator_trends ? { trends: r.annotator_trends } : {}),
  };
}

const truncationTail = (runUrl: string | null, limit: string) =>
  `> ✂️ **Truncated** to fit ${limit}. The full report is in the job summary of ${runUrl ? `[the workflow run](${runUrl})` : 'the workflow run'} and in the report artifact.`;

/** The comment body: marker, digest, the diff; truncated to GitHub's limit with a pointer to the job summary. */
export function commentBody(r: PullRequestReport, runUrl: string | null, note?: string, links: Links = {}): string {
  const full = renderDiffMarkdown(viewOf(r, runUrl, note, links));
  // The review page's link names this run too: a re-run with the same result keeps the comment as it is.
  const stable = renderDiffMarkdown(viewOf(r, null, note, { ...links, reviewPage: links.reviewPage ? { ...links.reviewPage, url: '' } : null }));
  // The digest line is added after fitting: keep room for it.
  return withDigest(fitMarkdown(full, COMMENT_LIMIT - 200, truncationTail(runUrl, "GitHub's 65,536-character comment limit")), stable);
}

/** The job summary: the diff with every section open, then the full check report of the changed items; under 1 MiB. */
export function summaryText(r: PullRequestReport, runUrl: string | null, note?: string, links: Links = {}): string {
  const text = `${renderDiffMarkdown(viewOf(r, runUrl, note, links), { summary: true })}\n---\n\n${renderCheckMarkdown(r.report)}\n`;
  return fitMarkdown(text, SUMMARY_LIMIT_BYTES, '> ✂️ **Truncated** to fit the 1 MiB job summary limit. The full report is in the report artifact (output `report`).', utf8Bytes);
}

function annotate(items: ItemReport[], prefix: string | null): void {
  // A finding without a file of its own is shown on its item's first file (the mask, or the Label Studio export).
  const fileOf = new Map<Finding, string | undefined>();
  for (const it of items) for (const f of it.findings) fileOf.set(f, f.location?.file ?? it.files[0]);
  const top = sortFindings([...fileOf.keys()].filter((f) => f.severity !== 'info'));
  for (const f of top.slice(0, MAX_ANNOTATIONS)) {
    const file = fileOf.get(f);
    const props = { title: `segqc ${f.rule}`, ...(file && prefix !== null ? { file: `${prefix}${file}` } : {}) };
    const message = neutralize(`${f.item}${f.label ? ` · ${f.label}` : ''}: ${f.message}`);
    if (f.severity === 'error') core.error(message, props);
    else core.warning(message, props);
  }
  if (top.length > MAX_ANNOTATIONS) core.notice(`${top.length - MAX_ANNOTATIONS} more errors and warnings are in the job summary and the report.`, { title: 'segqc' });
}

/** Posts or updates the comment; a refusal never costs the summary, the outputs or the gate. */
async function comment(o: PublishOptions, body: string): Promise<StickyResult | null> {
  if (o.issue === null || !o.platform) return null;
  try {
    const result = await upsertStickyComment(o.platform, o.issue, body, o.report.config_path ?? null);
    const dup = result.deleted.length ? `; deleted ${result.deleted.length} duplicate${result.deleted.length === 1 ? '' : 's'}` : '';
    core.info(`segqc comment ${result.id} on #${o.issue}: ${result.action}${dup}`);
    return result;
  } catch (e) {
    if (isGitHubApiError(e) && (e.status === 403 || e.status === 404)) {
      core.warning(
        `segqc could not comment on pull request #${o.issue} (${inert(e.message)}). A pull request from a fork gets a read-only token: ` +
          'use the fork-safe setup (this workflow uploads the report; a workflow_run workflow runs the action with mode: comment; see the README). ' +
          'The job summary, the outputs and the report are complete.',
        { title: 'segqc: comment not posted' },
      );
    } else {
      core.warning(`segqc could not comment on pull request #${o.issue}: ${inert((e as Error)?.message ?? String(e))}. The job summary, the outputs and the report are complete.`, {
        title: 'segqc: comment not posted',
      });
    }
    return null;
  }
}

/** Why a report's gate failed: its findings, its guideline change, or both. */
export function gateFailure(r: PullRequestReport): string {
  const { totals, config } = r.report;
  const reasons: string[] = [];
  if (gateFails(totals, config.fail_on)) reasons.push(`${totals.errors} errors, ${totals.warnings} warnings in the changed items (fail on ${config.fail_on})`);
  const g = r.guideline_change;
  if (g && guidelineChangeFails(g)) {
    reasons.push(g.error !== undefined ? `the new guideline is unusable: ${inert(g.error)}` : `after merge ${g.items_failing_head} of ${g.items_checked} items would fail the new guideline ${inert(g.head.version)} (guideline-change: fail)`);
  }
  if (reasons.length === 0) reasons.push(`${totals.errors} errors, ${totals.warnings} warnings in the changed items (fail on ${config.fail_on})`);
  return `segqc: the gate failed: ${reasons.join('; ')}`;
}

/** Summary, annotations and outputs first (they never depend on the API), then the comment. */
export async function publish(o: PublishOptions): Promise<StickyResult | null> {
  const r = o.report;
  if (o.summaryPath) appendFileSync(o.summaryPath, summaryText(r, o.runUrl, o.note, o.links));
  if (o.annotations) annotate(r.report.items, o.annotations.prefix);
  core.setOutput('verdict', r.report.verdict);
  core.setOutput('errors', String(r.report.totals.errors));
  core.setOutput('warnings', String(r.report.totals.warnings));
  core.setOutput('report', o.reportPath);
  const changed = r.diff.items.filter((i) => !i.unchanged).length;
  const g = r.guideline_change;
  const lead = g ? (g.error !== undefined ? 'the new guideline is unusable; ' : `guideline ${inert(g.base.version)} → ${inert(g.head.version)}: ${g.items_failing_head} of ${g.items_checked} items would fail after merge; `) : '';
  core.info(
    `segqc: ${r.report.verdict} — ${lead}${changed} changed item${changed === 1 ? '' : 's'}, ${r.report.totals.errors} errors, ${r.report.totals.warnings} warnings (gate fails on ${r.report.config.fail_on})`,
  );
  return comment(o, commentBody(r, o.runUrl, o.note, o.links));
}
