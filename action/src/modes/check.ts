/** `mode: check`: git decides what the pull request changed; the base commit's guideline judges both sides. */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, isAbsolute, join, posix, relative, resolve, sep } from 'node:path';
import * as core from '@actions/core';
import { SegqcError } from '../../../shared/errors.js';
import { analyzePullRequest, pullRequestReport, requireBaseConfig, type PullRequestInput } from '../../../shared/dataset/pull-request.js';
import { analyzePullRequestInWorkers } from '../../../node/diff-workers.js';
import { withCommitters } from '../../../shared/report/diff.js';
import { openGitRepository, type GitRepository } from '../../../node/git.js';
import { loadDatasetContext } from '../../../shared/dataset/context.js';
import { writeFileAtomic } from '../../../node/write-atomic.js';
import { VERSION } from '../../../node/version.js';
import { actionGate, actionGuidelineChangeGate } from '../inputs.js';
import { gateFailure, publish } from '../publish.js';
import { linksOf, type ActionContext } from './context.js';
import { picturesConfig } from '../../../shared/guideline/config.js';
import { pageCollector, pagePictures } from '../../../shared/pictures/page.js';
import { renderReviewPage } from '../../../shared/report/html-page.js';
import { historyTrends, startHistoryTrends } from '../../../node/history-trends.js';
import { changedBy } from '../../../shared/history/trends.js';
import { trendsShallowNote } from '../../../shared/report/render-diff.js';
import { useNodeInflate } from '../../../node/inflate.js';
import { StartedWorkers } from '../../../node/worker-pool.js';

/** The repository holding `dir`, with a clear message when the workspace is not a checkout. */
function openRepository(dir: string): GitRepository {
  try {
    return openGitRepository(dir);
  } catch (e) {
    throw new SegqcError('usage', `${dir} is not in a git checkout (${(e as Error).message}); run actions/checkout with fetch-depth: 0 before segqc`);
  }
}

/** `config` (relative to the workspace) as a path inside the repository, refusing one outside it. */
function configInRepo(top: string, workspace: string, config: string): string {
  const abs = resolve(workspace, config);
  const rel = relative(top, abs);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) throw new SegqcError('usage', `input config "${config}" is not a file inside the repository ${top}`);
  return rel.split(sep).join('/');
}

export async function runCheckMode(ctx: ActionContext): Promise<number> {
  useNodeInflate();
  const { inputs, env } = ctx;
  const pr = ctx.pullRequest;
  const baseRef = inputs.base ?? (pr?.baseSha || null);
  const headRef = inputs.head ?? (pr?.headSha || null);
  if (!baseRef || !headRef) {
    throw new SegqcError('usage', 'no base and head commits: run on a pull_request event, or set the inputs base and head');
  }
  const workerScript = inputs.jobs > 1 ? ctx.workerScript : undefined;
  // The worker threads load the bundle while this thread reads git and the config.
  const started = workerScript ? new StartedWorkers(workerScript, 'diff', inputs.jobs) : undefined;
  // The repository is the one holding the config (actions/checkout `path:` may put it below the workspace).
  let probe = dirname(resolve(ctx.workspace, inputs.config));
  while (!existsSync(probe) && dirname(probe) !== probe) probe = dirname(probe);
  const repo = openRepository(probe);
  const top = repo.top;
  const baseSha = repo.resolveCommit(baseRef);
  const headSha = repo.resolveCommit(headRef);
  const configRel = configInRepo(top, ctx.workspace, inputs.config);
  const dir = posix.dirname(configRel);
  const prefix = dir === '.' ? '' : `${dir}/`;
  const configName = posix.basename(configRel);

  const base = repo.commitTree(baseSha, prefix);
  const head = repo.commitTree(headSha, prefix);
  requireBaseConfig(base.list(), configName, baseSha);
  const context = loadDatasetContext(base, configName);
  const { failOn, refused } = actionGate(inputs, context.config.gate.fail_on);
  if (refused) core.info(`segqc: the base commit's ${configRel} gate (fail on ${failOn}) is stricter than the input fail-on (${refused}) and applies: the input can only tighten it`);
  const guidelineGate = actionGuidelineChangeGate(inputs, context.config.gate.guideline_change);
  if (guidelineGate.refused) core.info(`segqc: the base commit's ${configRel} gate.guideline-change (${guidelineGate.gate}) is stricter than the input guideline-change (${guidelineGate.refused}) and applies: the input can only tighten it`);
  const since = repo.mergeBase(baseSha, headSha);
  if (!since) core.warning(`${baseSha.slice(0, 7)} and ${headSha.slice(0, 7)} share no history; comparing the two commits directly`);
  const changed = repo.changedFiles(since ?? baseSha, headSha, prefix);
  // Each worker fetches the files of its own items; this thread reads only what it plans with.
  if (!workerScript) {
    base.prefetch(changed.map((c) => c.oldPath ?? c.path));
    head.prefetch(changed.map((c) => c.path));
  }
  core.info(`segqc ${VERSION}: ${changed.length} changed file${changed.length === 1 ? '' : 's'} under ${prefix || 'the repository root'} between ${baseSha.slice(0, 7)} and ${headSha.slice(0, 7)}; guideline ${context.guidelinePath} from the base commit`);

  const pictures = pageCollector(picturesConfig(context.config), context.guideline);
  const input: PullRequestInput = {
    base,
    head,
    baseSha,
    headSha,
    changed,
    context,
    failOn,
    guidelineChangeGate: guidelineGate.gate,
    full: inputs.full,
    shard: inputs.shard,
    toolVersion: VERSION,
    onItem: pictures ? (d, b, h) => pictures.addDiffItem(d, b && { ...b, tree: base }, h && { ...h, tree: head }) : undefined,
  };
  // With worker threads, this thread walks the history behind the trend lines while they judge the items.
  const trendsOf = workerScript ? startHistoryTrends(join(top, prefix), { configPath: configName, until: baseSha, toolVersion: VERSION }) : null;
  const analyzed = workerScript
    ? await analyzePullRequestInWorkers(input, {
        jobs: inputs.jobs,
        script: workerScript,
        pictures,
        started,
        sources: { base: { kind: 'commit', dir: top, sha: baseSha, prefix }, head: { kind: 'commit', dir: top, sha: headSha, prefix } },
      })
    : analyzePullRequest(input);
  // Who committed each changed file: the comment groups the changes by annotator and git author.
  const analysis = { ...analyzed, diff: withCommitters(analyzed.diff, repo.committers(since ?? baseSha, headSha, prefix)) };
  // Each annotator's trend over the history before the PR; a shard has those of its own items' annotators, and the merge joins them.
  const annotators = changedBy(analysis.diff);
  const { trends, shallow } = await (trendsOf ? trendsOf(annotators) : historyTrends(join(top, prefix), { configPath: configName, until: baseSha, annotators, toolVersion: VERSION }));
  if (shallow) core.info(`segqc: ${trendsShallowNote(shallow.commits, (s) => s)}`);
  const report = {
    ...pullRequestReport(analysis, {
      repository: ctx.repository,
      pullRequest: pr?.number ?? null,
      shard: inputs.shard,
      auditRate: context.guideline.review?.audit_rate ?? 0,
      configPath: configRel,
    }),
    ...(trends ? { annotator_trends: trends } : {}),
  };
  const name = inputs.shard ? `segqc-report-shard-${inputs.shard.index + 1}-of-${inputs.shard.count}.json` : 'segqc-report.json';
  const reportPath = join(ctx.outDir, name);
  mkdirSync(dirname(reportPath), { recursive: true });
  writeFileAtomic(reportPath, JSON.stringify(report) + '\n');
  // The review page beside the report: pictures of the changed items (tables only with `pictures: false`).
  const htmlPath = reportPath.replace(/\.json$/, '.html');
  writeFileAtomic(htmlPath, renderReviewPage({ report: analysis.report, diff: analysis.diff, guidelineChange: analysis.guidelineChange, pictures: pagePictures(pictures) }));
  core.setOutput('html', htmlPath);

  if (analysis.report.items.some((i) => i.findings.some((f) => f.rule === 'format.unreadable' && f.reason === 'lfs_pointer'))) {
    core.warning('Some masks are Git LFS pointers, not the masks: check out with actions/checkout `lfs: true` (or run git lfs pull).', { title: 'segqc: Git LFS' });
  }
  const sharded = inputs.shard !== null;
  const notes = [
    inputs.full ? 'full: every item of the dataset is checked, changed or not.' : '',
    sharded ? `Shard ${inputs.shard!.index + 1} of ${inputs.shard!.count}: a partial report; mode: merge combines the shards.` : '',
  ].filter(Boolean);
  const note = notes.length ? notes.join(' ') : undefined;
  await publish({
    report,
    runUrl: ctx.runUrl,
    // A shard never comments: the merge job posts the one comment.
    issue: inputs.comment && !sharded ? (pr?.number ?? null) : null,
    platform: ctx.platform(),
    annotations: { prefix },
    reportPath,
    note,
    summaryPath: env.GITHUB_STEP_SUMMARY || null,
    links: linksOf(ctx),
  });
  // A shard's verdict is partial: the merge job gates.
  if (sharded) return 0;
  if (report.report.verdict === 'fail') {
    core.setFailed(gateFailure(report));
    return 1;
  }
  return 0;
}
