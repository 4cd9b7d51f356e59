/**
 * The history behind a pull request's trend lines: the last months of the dataset's first-parent history up to the
 * base commit, walked with the result cache. Anything short of a full history (a shallow clone, an error) gives no
 * trends: they are never needed, least of all by the gate.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { walkHistory } from './history-walk.js';
import { openDiskCache } from './cache.js';
import { buildHistory } from '../shared/history/scorecard.js';
import { annotatorTrends, monthsBetween, type AnnotatorTrend } from '../shared/history/trends.js';

/** Months of history a trend line covers. */
export const TREND_PERIODS = 6;

/** Options of `historyTrends`. */
export interface TrendOptions {
  /** The dataset config, relative to `dir`. */
  configPath: string;
  /** The commit the history ends at (the pull request's base). */
  until: string;
  annotators: string[];
  toolVersion: string;
  /** The result cache (default `dir/.segqc/cache`, as `segqc history` keeps it). */
  cacheDir?: string;
}

/** The trends, or null with why not when the reader should know (a shallow clone: how many commits it holds up to the base). */
export interface TrendResult {
  trends: AnnotatorTrend[] | null;
  shallow: { commits: number } | null;
}

const git = (dir: string, args: string[]) => execFileSync('git', args, { cwd: dir, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();

/** The trend of each annotator the history knows, by calendar month; none when the clone is shallow or the history cannot be read. */
export async function historyTrends(dir: string, opts: TrendOptions): Promise<TrendResult> {
  const none: TrendResult = { trends: null, shallow: null };
  if (opts.annotators.length === 0) return none;
  try {
    if (git(dir, ['rev-parse', '--is-shallow-repository']) === 'true') return { trends: null, shallow: { commits: Number(git(dir, ['rev-list', '--count', '--first-parent', opts.until])) } };
    const month = git(dir, ['log', '-1', '--format=%aI', opts.until]).slice(0, 7);
    const first = monthsBetween('0000-01', month, TREND_PERIODS)[0];
    const since = `${first}-01`;
    const walk = await walkHistory(dir, { configPath: opts.configPath, since, until: opts.until, cache: openDiskCache(opts.cacheDir ?? join(dir, '.segqc/cache')), toolVersion: opts.toolVersion });
    if (walk.shallow) return none;
    const report = buildHistory(walk.steps, { by: 'month', toolVersion: opts.toolVersion, shallow: false });
    if (report.periods.length === 0) return none;
    const trends = annotatorTrends(report, opts.annotators, monthsBetween(report.periods[0] < first ? first : report.periods[0], month, TREND_PERIODS));
    return { trends: trends.length > 0 ? trends : null, shallow: null };
  } catch {
    return none;
  }
}
