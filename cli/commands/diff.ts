/** `segqc diff --base REF [--head REF] [dir]`: the pull-request comment, locally. */
import { resolve } from 'node:path';
import { SegqcError } from '../../shared/errors.js';
import { analyzePullRequest, requireBaseConfig, type PullRequestInput } from '../../shared/dataset/pull-request.js';
import { analyzePullRequestInWorkers } from '../../node/diff-workers.js';
import { StartedWorkers } from '../../node/worker-pool.js';
import { jobsFromFlags, jobsHelp, type RunOptions } from '../jobs.js';
import { historyTrends, startHistoryTrends } from '../../node/history-trends.js';
import { changedBy } from '../../shared/history/trends.js';
import { renderDiffMarkdown, type DiffView } from '../../shared/report/render-diff.js';
import { renderDiffTerminal } from '../../shared/report/render-diff-terminal.js';
import { withCommitters } from '../../shared/report/diff.js';
import { progressReporter } from '../progress.js';
import { neutralize } from '../../shared/report/escape.js';
import { reviewViewOf } from '../../shared/report/render-review.js';
import { parseArgs } from '../args.js';
import { fsTree } from '../../node/fs-tree.js';
import { loadDatasetContext } from '../../shared/dataset/context.js';
import { openGitRepository, type GitRepository } from '../../node/git.js';
import { GATE_FLAGS, GUIDELINE_CHANGE_FLAG, gateFromFlags, gateHelp, guidelineChangeFromFlags, guidelineChangeHelp } from '../gate.js';
import { writeFileAtomic } from '../../node/write-atomic.js';
import { VERSION } from '../../node/version.js';
import { renderReviewPage } from '../../shared/report/html-page.js';
import { pageCollector, pagePictures } from '../../shared/pictures/page.js';
import { picturesConfig } from '../../shared/guideline/config.js';
import { useNodeInflate } from '../../node/inflate.js';

export const diffHelp = `Usage: segqc diff --base REF [--head REF] [dir] [options]

Prints the Markdown that the GitHub Action posts on a pull request: the items that changed between base and head
(head defaults to the working tree), checked with the base commit's guideline, with the metric diff. When the head
changes the guideline, every item is also judged under the new one and the headline says how many would fail.
On a terminal it prints the same decision-first view as text (blocking findings first, then the changed labels by
who changed them), with a progress bar on stderr for long runs; piped, the Markdown, and nothing on stderr.

Options:
  --config FILE            the dataset config, relative to dir (default segqc.yaml)
${gateHelp}${guidelineChangeHelp}  --full                   check every item, not only the changed ones
  --json FILE              also write the analysis as JSON
  --html FILE              write the review page: one self-contained HTML file with pictures of the changed items
                           (pictures: in segqc.yaml sets how many, or turns them off)
${jobsHelp}  --quiet                  print only the verdict line
`;

/** Whether stdout and stderr are terminals, and the clock of the progress bar; tests hand in their own. */
export interface DiffTerminal {
  stdoutTTY: boolean;
  stderrTTY: boolean;
  now: () => number;
}

/** Runs `segqc diff`; `open` gives the repository holding a directory (tests hand in an in-memory one). */
export async function runDiff(
  argv: string[],
  out: (s: string) => void,
  err: (s: string) => void,
  open: (dir: string) => GitRepository = openGitRepository,
  terminal: Partial<DiffTerminal> = {},
  run: RunOptions = {},
): Promise<number> {
  useNodeInflate();
  const tty: DiffTerminal = { stdoutTTY: Boolean(process.stdout.isTTY), stderrTTY: Boolean(process.stderr.isTTY), now: Date.now, ...terminal };
  const { positional, flags } = parseArgs(argv, ['base', 'head', 'config', 'json', 'html', 'jobs', GUIDELINE_CHANGE_FLAG, ...GATE_FLAGS.valued], ['help', 'full', 'quiet', ...GATE_FLAGS.booleans]);
  if (flags.help) {
    out(diffHelp);
    return 0;
  }
  if (!flags.base) throw new SegqcError('usage', `diff needs --base REF\n\n${diffHelp}`);
  const jobs = jobsFromFlags(flags);
  // Workers open the repository themselves, so only a real one (not a test's in-memory repository) is spread over them.
  const parallel = jobs > 1 && run.workerScript !== undefined && open === openGitRepository;
  // The worker threads load the bundle while this thread reads git and the config.
  const started = parallel && run.workerScript ? new StartedWorkers(run.workerScript, 'diff', jobs) : undefined;
  const dir = resolve(positional[0] ?? '.');
  const repo = open(dir);
  const prefix = repo.prefix;
  const baseSha = repo.resolveCommit(String(flags.base));
  const headSha = flags.head ? repo.resolveCommit(String(flags.head)) : null;
  const configPath = String(flags.config ?? 'segqc.yaml');
  const base = repo.commitTree(baseSha, prefix);
  requireBaseConfig(base.list(), configPath, baseSha);
  const context = loadDatasetContext(base, configPath);
  const headCommit = headSha ? repo.commitTree(headSha, prefix) : null;
  const head = headCommit ?? fsTree(dir);
  const failOn = gateFromFlags(flags, context.config.gate.fail_on, configPath, err);
  const guidelineChangeGate = guidelineChangeFromFlags(flags, context.config.gate.guideline_change, configPath, err);
  // What the head changed since it branched off the base, as the action and GitHub's "Files changed" see it.
  const since = repo.mergeBase(baseSha, headSha ?? repo.resolveCommit('HEAD')) ?? baseSha;
  const changed = repo.changedFiles(since, headSha, prefix);
  // Each worker fetches the files of its own items; this thread reads only what it plans with.
  if (!parallel) {
    base.prefetch(changed.map((c) => c.oldPath ?? c.path));
    headCommit?.prefetch(changed.map((c) => c.path));
  }
  const pictures = flags.html ? pageCollector(picturesConfig(context.config), context.guideline) : null;
  const progress = progressReporter({ write: err, isTTY: tty.stderrTTY && !flags.quiet, now: tty.now });
  const input: PullRequestInput = {
    base,
    head,
    baseSha,
    headSha: headSha ?? 'working tree',
    changed,
    context,
    failOn,
    guidelineChangeGate,
    full: Boolean(flags.full),
    shard: null,
    toolVersion: VERSION,
    onItem: pictures ? (d, b, h) => pictures.addDiffItem(d, b && { ...b, tree: base }, h && { ...h, tree: head }) : undefined,
    onProgress: progress.tick,
  };
  // With worker threads, this thread walks the history behind the trend lines while they judge the items.
  const trendsOf = parallel && run.workerScript ? startHistoryTrends(dir, { configPath, until: baseSha, toolVersion: VERSION }) : null;
  const analysis =
    parallel && run.workerScript
      ? await analyzePullRequestInWorkers(input, {
          jobs,
          script: run.workerScript,
          pictures,
          started,
          sources: {
            base: { kind: 'commit', dir, sha: baseSha, prefix },
            head: headSha ? { kind: 'commit', dir, sha: headSha, prefix } : { kind: 'directory', root: dir },
          },
        })
      : analyzePullRequest(input);
  progress.end();
  // Who committed each changed file since the base (for a working tree: the commits up to HEAD).
  analysis.diff = withCommitters(analysis.diff, repo.committers(since, headSha ?? repo.resolveCommit('HEAD'), prefix));
  const annotators = changedBy(analysis.diff);
  const trends = await (trendsOf ? trendsOf(annotators) : historyTrends(dir, { configPath, until: baseSha, annotators, toolVersion: VERSION }));
  if (flags.json) {
    const json = { diff: analysis.diff, report: analysis.report, guideline_change: analysis.guidelineChange, ...(trends.trends ? { annotator_trends: trends.trends } : {}) };
    writeFileAtomic(String(flags.json), JSON.stringify(json, null, 2) + '\n');
  }
  if (flags.html) {
    const page = renderReviewPage({ report: analysis.report, diff: analysis.diff, guidelineChange: analysis.guidelineChange, pictures: pagePictures(pictures) });
    writeFileAtomic(String(flags.html), page);
  }
  const view: DiffView = {
    diff: analysis.diff,
    verdict: analysis.report.verdict,
    failOn,
    guideline: { id: context.guideline.id, version: context.guideline.version, path: context.guidelinePath },
    auditSample: analysis.report.audit_sample,
    runUrl: null,
    guidelineChange: analysis.guidelineChange,
    review: reviewViewOf(analysis.report),
    findings: analysis.report.items.flatMap((i) => i.findings),
    dataset: `${prefix}${configPath}`,
    trends: trends.trends,
    trendsShallow: trends.shallow,
  };
  const g = analysis.guidelineChange;
  const lead = g ? (g.error !== undefined ? 'the new guideline is unusable, ' : `guideline ${neutralize(g.base.version)} → ${neutralize(g.head.version)}: ${g.items_failing_head} of ${g.items_checked} items would fail after merge, `) : '';
  const changedItems = analysis.diff.items.filter((i) => !i.unchanged).length;
  if (flags.quiet) out(`${analysis.report.verdict}: ${lead}${changedItems} items changed, ${analysis.report.totals.errors} errors, ${analysis.report.totals.warnings} warnings\n`);
  else out(tty.stdoutTTY ? renderDiffTerminal(view, { color: true }) : renderDiffMarkdown(view));
  return analysis.report.verdict === 'pass' ? 0 : 1;
}
