/** `mode: merge`: the partial reports of a `shard: i/n` matrix become one report, one comment and one verdict. */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as core from '@actions/core';
import { SegqcError } from '../../../shared/errors.js';
import { mergeShardReports } from '../../../shared/dataset/merge-shards.js';
import { readPullRequestReport, reportFiles } from '../pr-report-file.js';
import { writeFileAtomic } from '../../../node/write-atomic.js';
import { gateFailure, publish } from '../publish.js';
import { linksOf, type ActionContext } from './context.js';

export async function runMergeMode(ctx: ActionContext): Promise<number> {
  const files = reportFiles(resolve(ctx.workspace, ctx.inputs.reports));
  const merged = mergeShardReports(files.map((f) => readPullRequestReport(f)));
  const pr = ctx.pullRequest;
  if (pr && merged.pull_request !== null && merged.pull_request !== pr.number) {
    throw new SegqcError('report.invalid', `the shard reports are of pull request #${merged.pull_request}, this run is of #${pr.number}`);
  }
  if (pr?.headSha && !ctx.inputs.head && merged.head_sha !== pr.headSha) {
    throw new SegqcError('report.invalid', `the shard reports are of ${merged.head_sha.slice(0, 7)}, the pull request's head is ${pr.headSha.slice(0, 7)}`);
  }
  mkdirSync(ctx.outDir, { recursive: true });
  const reportPath = join(ctx.outDir, 'segqc-report.json');
  writeFileAtomic(reportPath, JSON.stringify(merged) + '\n');
  core.info(`segqc: merged ${files.length} shard reports`);
  await publish({
    report: merged,
    runUrl: ctx.runUrl,
    issue: ctx.inputs.comment ? merged.pull_request : null,
    platform: ctx.platform(),
    annotations: { prefix: null },
    reportPath,
    summaryPath: ctx.env.GITHUB_STEP_SUMMARY || null,
    links: linksOf(ctx),
  });
  if (merged.report.verdict === 'fail') {
    core.setFailed(gateFailure(merged));
    return 1;
  }
  return 0;
}
