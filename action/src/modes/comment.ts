/**
 * `mode: comment`, the fork-safe half: runs on `workflow_run` with a write token, checks nothing out and executes
 * nothing from the pull request. It reads the report the check run uploaded (untrusted: size and schema are checked),
 * confirms the pull request's head is the commit that was checked, and posts the comment rendered from the data.
 */
import { resolve } from 'node:path';
import * as core from '@actions/core';
import { SegqcError } from '../../../shared/errors.js';
import { eventWorkflowRun } from '../event.js';
import { readPullRequestReport, reportFiles } from '../pr-report-file.js';
import { inert, publish, type Links } from '../publish.js';
import type { GitHubPlatform } from '../github/platform.js';
import type { EventWorkflowRun } from '../event.js';
import type { ActionContext } from './context.js';

/**
 * The review page the check run uploaded (input `review-artifact`, its name), linked directly so that an item's
 * section is one click away. None when the run has no such artifact; the run's artifact list when GitHub will not say.
 */
async function reviewPageOf(ctx: ActionContext, platform: GitHubPlatform, run: EventWorkflowRun): Promise<Links['reviewPage']> {
  const name = ctx.inputs.reviewArtifact;
  if (!name || !ctx.repository) return null;
  try {
    const found = (await platform.runArtifacts(run.id, name)).find((a) => a.name === name && !a.expired);
    return found ? { url: `${ctx.serverUrl}/${ctx.repository}/actions/runs/${run.id}/artifacts/${found.id}`, direct: true, name } : null;
  } catch (e) {
    core.info(`segqc: the artifacts of run ${run.id} cannot be listed (${inert((e as Error).message)}; the workflow needs actions: read); linking to the run's artifacts`);
    return run.htmlUrl ? { url: `${run.htmlUrl}#artifacts`, direct: false, name } : null;
  }
}

export async function runCommentMode(ctx: ActionContext): Promise<number> {
  const run = eventWorkflowRun(ctx.event);
  if (!run) throw new SegqcError('usage', 'mode: comment runs in a workflow_run workflow (on: workflow_run) that downloads the report of the check run');
  const files = reportFiles(resolve(ctx.workspace, ctx.inputs.reports));
  if (files.length !== 1) throw new SegqcError('usage', `mode: comment takes one report, found ${files.length} under ${ctx.inputs.reports} (sharded runs: use mode: merge)`);
  const report = readPullRequestReport(files[0]);
  if (report.shard) throw new SegqcError('report.invalid', `is the partial report of shard ${report.shard.index}/${report.shard.count}; merge the shards first (mode: merge)`, { file: files[0] });
  if (report.repository && ctx.repository && report.repository.toLowerCase() !== ctx.repository.toLowerCase()) {
    throw new SegqcError('report.invalid', `is a report of ${report.repository}, not of ${ctx.repository}`, { file: files[0] });
  }
  if (report.head_sha !== run.headSha) {
    throw new SegqcError('report.invalid', `is a report of ${report.head_sha.slice(0, 7)}, but the workflow run checked ${run.headSha.slice(0, 7)}`, { file: files[0] });
  }
  const number = report.pull_request;
  if (number === null) throw new SegqcError('report.invalid', 'names no pull request: it was not made by a pull_request run', { file: files[0] });
  if (run.pullRequests.length > 0 && !run.pullRequests.includes(number)) {
    throw new SegqcError('report.invalid', `names pull request #${number}, but the workflow run belongs to #${run.pullRequests.join(', #')}`, { file: files[0] });
  }
  const platform = ctx.platform();
  if (!platform) throw new SegqcError('usage', 'mode: comment needs github-token and GITHUB_REPOSITORY');
  const pr = await platform.pullRequest(number);
  const current = pr.headSha === run.headSha;
  if (!current) {
    core.notice(`Pull request #${number} has moved on to ${pr.headSha.slice(0, 7)}; this report is of ${run.headSha.slice(0, 7)}, so no comment is posted (the newer run will post).`, { title: 'segqc' });
  }
  const links: Links = {
    links: ctx.repository ? { server: ctx.serverUrl, repository: ctx.repository } : null,
    reviewPage: await reviewPageOf(ctx, platform, run),
  };
  await publish({
    links,
    report,
    runUrl: run.htmlUrl,
    issue: current && ctx.inputs.comment ? number : null,
    platform,
    annotations: null,
    reportPath: files[0],
    summaryPath: ctx.env.GITHUB_STEP_SUMMARY || null,
  });
  // The check run is the gate; this run only reports.
  return 0;
}
