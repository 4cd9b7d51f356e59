/**
 * The history behind a pull request's trend lines: the last months of the dataset's first-parent history up to the
 * base commit, walked with the result cache. Anything short of a full history (a shallow clone, an error) gives null:
 * the trends are never needed, least of all by the gate.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { walkHistory } from './history-walk.js';
import { openDiskCache } from './cache.js';
import { buildHistory } from '../shared/history/scorecard.js';
import { annotatorTrends, type AnnotatorTrend } from '../shared/history/trends.js';

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

/** The trend of each annotator the history knows, by month; null when the clone is shallow or the history cannot be read. */
export function historyTrends(dir: string, opts: TrendOptions): AnnotatorTrend[] | null {
  if (opts.annotators.length === 0) return null;
  try {
    if (execFileSync('git', ['rev-parse', '--is-shallow-repository'], { cwd: dir, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim() === 'true') return null;
    const date = execFileSync('git', ['log', '-1', '--format=%aI', opts.until], { cwd: dir, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    const d = new Date(Date.UTC(Number(date.slice(0, 4)), Number(date.slice(5, 7)) - 1 - (TREND_PERIODS - 1), 1));
    const since = d.toISOString().slice(0, 10);
    const walk = walkHistory(dir, { configPath: opts.configPath, since, until: opts.until, cache: openDiskCache(opts.cacheDir ?? join(dir, '.segqc/cache')), toolVersion: opts.toolVersion });
    if (walk.shallow) return null;
    const report = buildHistory(walk.steps, { by: 'month', toolVersion: opts.toolVersion, shallow: false });
    const trends = annotatorTrends(report, opts.annotators, TREND_PERIODS);
    return trends.length > 0 ? trends : null;
  } catch {
    return null;
  }
}
