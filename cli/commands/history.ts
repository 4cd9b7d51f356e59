/** `segqc history [dir]`: annotator scorecards and quality trends from the dataset's git history. */
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SegqcError } from '../../shared/errors.js';
import { parseArgs } from '../args.js';
import { walkHistory } from '../../node/history-walk.js';
import { memoryCache, openDiskCache } from '../../node/cache.js';
import { buildHistory } from '../../shared/history/scorecard.js';
import { renderHistoryMarkdown } from '../../shared/history/render-markdown.js';
import { renderHistoryHtml } from '../../shared/history/render-html.js';
import type { PeriodBy } from '../../shared/history/types.js';
import { writeFileAtomic } from '../../node/write-atomic.js';
import { VERSION } from '../../node/version.js';
import { jobsFromFlags, type RunOptions } from '../jobs.js';

export const historyHelp = `Usage: segqc history [dir] [options]

Walks the first-parent history of the branch holding the dataset in dir (default .), judges at each commit the items
it changed under the guideline in force there, and prints per-annotator scorecards and per-rule trends.

Options:
  --config FILE            the dataset config, relative to dir (default segqc.yaml)
  --since DATE|REV         only commits after REV, or since DATE (YYYY-MM-DD)
  --until REV              the last commit (default HEAD)
  --by week|month|commit   the periods of the trends (default month)
  --json FILE              write the history as JSON (schema guidelines/history.schema.json)
  --markdown FILE          write the Markdown tables
  --html FILE              write a self-contained HTML page with charts
  --cache DIR              the result cache (default DIR/.segqc/cache, ignored by git)
  --no-cache               compute everything, keep nothing
  --jobs N                 judge items on N worker threads while this one walks the history (default: the number of cores; 1: no worker thread, this one judges them)
Exit codes: 0 done, 2 usage error.
`;

const BY: PeriodBy[] = ['week', 'month', 'commit'];

/** Runs `segqc history`. */
export async function runHistory(argv: string[], out: (s: string) => void, err: (s: string) => void, run: RunOptions = {}): Promise<number> {
  const { positional, flags } = parseArgs(argv, ['config', 'since', 'until', 'by', 'json', 'markdown', 'html', 'cache', 'jobs'], ['help', 'no-cache', 'quiet']);
  if (flags.help) {
    out(historyHelp);
    return 0;
  }
  if (positional.length > 1) throw new SegqcError('usage', `history takes one directory, got ${positional.length}`);
  const dir = resolve(positional[0] ?? '.');
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new SegqcError('usage', 'is not a directory', { file: positional[0] ?? '.' });
  const by = String(flags.by ?? 'month') as PeriodBy;
  if (!BY.includes(by)) throw new SegqcError('usage', `--by is one of ${BY.join(', ')}, got "${flags.by}"`);
  const jobs = jobsFromFlags(flags);
  const cache = flags['no-cache'] ? memoryCache() : openDiskCache(resolve(String(flags.cache ?? join(dir, '.segqc/cache'))));
  const tty = process.stderr.isTTY && !flags.quiet;
  const walk = await walkHistory(dir, {
    jobs,
    script: run.workerScript ?? null,
    configPath: String(flags.config ?? 'segqc.yaml'),
    since: flags.since ? String(flags.since) : null,
    until: flags.until ? String(flags.until) : null,
    cache,
    toolVersion: VERSION,
    onStep: tty ? (done, total) => err(`\r${done}/${total} commits${done === total ? '\r\x1b[K' : ''}`) : undefined,
  });
  const report = buildHistory(walk.steps, { by, toolVersion: VERSION, shallow: walk.shallow, notes: walk.notes });
  if (flags.json) writeFileAtomic(String(flags.json), JSON.stringify(report, null, 2) + '\n');
  const md = renderHistoryMarkdown(report);
  if (flags.markdown) writeFileAtomic(String(flags.markdown), md);
  if (flags.html) writeFileAtomic(String(flags.html), renderHistoryHtml(report));
  const s = walk.stats;
  err(`segqc history: ${s.steps} commits (${s.stepsFromCache} from the cache), ${s.itemsJudged + s.itemsFromCache} item versions (${s.itemsFromCache} from the cache)\n`);
  out(flags.quiet ? `${report.range.commits} commits, ${report.annotators.length} annotators, ${report.totals.annotations} annotations, ${report.totals.findings} findings\n` : md);
  return 0;
}
