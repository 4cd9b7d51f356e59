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
  if (opts.annotators.length === 0) return { trends: null, shallow: null };
  return startHistoryTrends(dir, opts)(opts.annotators);
}

/**
 * `historyTrends` with the walk started before the annotators are known (it runs while this thread waits for the
 * items to be judged); the function gives the trends of the annotators then known.
 */
export function startHistoryTrends(dir: string, opts: Omit<TrendOptions, 'annotators'>): (annotators: string[]) => Promise<TrendResult> {
  const none: TrendResult = { trends: null, shallow: null };
  const walked = (async (): Promise<{ shallow: number } | { report: ReturnType<typeof buildHistory>; first: string; month: string } | null> => {
    if (git(dir, ['rev-parse', '--is-shallow-repository']) === 'true') return { shallow: Number(git(dir, ['rev-list', '--count', '--first-parent', opts.until])) };
    const month = git(dir, ['log', '-1', '--format=%aI', opts.until]).slice(0, 7);
    const first = monthsBetween('0000-01', month, TREND_PERIODS)[0];
    const since = `${first}-01`;
    const walk = await walkHistory(dir, { configPath: opts.configPath, since, until: opts.until, cache: openDiskCache(opts.cacheDir ?? join(dir, '.segqc/cache')), toolVersion: opts.toolVersion });
    if (walk.shallow) return null;
    const report = buildHistory(walk.steps, { by: 'month', toolVersion: opts.toolVersion, shallow: false });
    return report.periods.length === 0 ? null : { report, first, month };
  })().catch(() => null);
  return async (annotators) => {
    if (annotators.length === 0) return none;
    const w = await walked;
    if (!w) return none;
    if ('shallow' in w) return { trends: null, shallow: { commits: w.shallow } };
    try {
      const trends = annotatorTrends(w.report, annotators, monthsBetween(w.report.periods[0] < w.first ? w.first : w.report.periods[0], w.month, TREND_PERIODS));
      return { trends: trends.length > 0 ? trends : null, shallow: null };
    } catch {
      return none;
    }
  };
}
