/**
 * The annotator trend lines in a shard matrix: each `shard: i/n` run carries the trends of its own items' annotators,
 * and `mode: merge` gives the report and comment one unsharded run gives. The bundled action runs as a child process
 * against the GitHub fake, on the repository of test/trends-repo.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readPullRequestReport } from '../action/src/pr-report-file.js';
import { inShard } from '../shared/dataset/shard.js';
import { mergeAnnotatorTrends, type AnnotatorTrend } from '../shared/history/trends.js';
import { FakeGitHub } from './action-fake-github.js';
import { pullRequestEvent, runAction as runActionIn, type RunOptions } from './action-runner.js';
import { ANA, MONTHS, SAM, buildTrendsRepo, expectedTrend } from './trends-repo.js';

let scratch: string;
let dir: string;
let sha: { base: string; head: string };
let fake: FakeGitHub;
const runAction = (o: Omit<RunOptions, 'workspace' | 'event' | 'apiUrl'>) =>
  runActionIn({ scratch, workspace: dir, event: pullRequestEvent(12, sha.base, sha.head), apiUrl: fake.url, ...o });

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'segqc-trend-shards-'));
  dir = join(scratch, 'repo');
  sha = buildTrendsRepo(dir);
  fake = new FakeGitHub();
  await fake.start();
  fake.pulls.set(12, { headSha: sha.head, baseSha: sha.base });
});
afterAll(async () => {
  await fake.stop();
  rmSync(scratch, { recursive: true, force: true });
});

describe('annotator trends in a shard matrix', () => {
  it('each shard has its own annotators; merged, the report and the comment are those of one run', async () => {
    // The split this test is about: Sam's case04 in shard 1 of 2, Ana's case01 (and Noor's case05) in shard 2.
    expect([inShard('case04', { index: 0, count: 2 }), inShard('case01', { index: 1, count: 2 }), inShard('case05', { index: 1, count: 2 })]).toEqual([true, true, true]);
    const trend = (annotator: string): AnnotatorTrend => ({ annotator, periods: MONTHS, findings_per_annotation: expectedTrend(annotator) });

    const whole = await runAction({ inputs: { config: 'segqc.yaml', comment: 'false' } });
    expect(whole.code, whole.stdout + whole.stderr).toBe(1);
    const one = readPullRequestReport(whole.outputs.report);
    expect(one.annotator_trends).toEqual([trend(ANA), trend(SAM)]);

    const downloads = mkdtempSync(join(scratch, 'shards-'));
    const shards = [];
    for (const s of ['1/2', '2/2']) {
      const r = await runAction({ inputs: { config: 'segqc.yaml', shard: s } });
      expect(r.code, r.stdout + r.stderr).toBe(0);
      shards.push(readPullRequestReport(r.outputs.report));
      const to = join(downloads, `segqc-report-${s.replace('/', '-of-')}`);
      mkdirSync(to);
      copyFileSync(r.outputs.report, join(to, 'report.json'));
    }
    expect(shards.map((p) => p.annotator_trends)).toEqual([[trend(SAM)], [trend(ANA)]]);
    expect(fake.writes()).toHaveLength(0);

    const merged = await runAction({ inputs: { mode: 'merge', reports: downloads } });
    expect(merged.code, merged.stdout + merged.stderr).toBe(1);
    const m = readPullRequestReport(merged.outputs.report);
    expect(m.annotator_trends).toEqual(one.annotator_trends);
    const body = fake.list(12).find((c) => c.user.login === 'github-actions[bot]')!.body;
    expect(body).toContain('**Annotator trends** — findings per annotation by month, <code>2024-02</code> to <code>2024-07</code>, up to the base commit:\n\n- Ana Ortiz: <code>▃█▂  ▁</code> (latest 0.00)\n- Sam\\_\\*x\\* \\[y\\]\\(z\\) \\|@\u200bteam: <code> █▁ █ </code> (latest 1.00)\n');
    expect(merged.summary).toContain('- Ana Ortiz: <code>▃█▂  ▁</code> (latest 0.00)');
  });

  it('merging: a union by name in order; shards that disagree give none rather than a wrong line', () => {
    const t = (annotator: string, values: Array<number | null>, periods = ['2024-01', '2024-02']): AnnotatorTrend => ({ annotator, periods, findings_per_annotation: values });
    expect(mergeAnnotatorTrends([[t('Zoe', [1, 0])], undefined, [t('Al', [null, 2]), t('Zoe', [1, 0])]])).toEqual([t('Al', [null, 2]), t('Zoe', [1, 0])]);
    expect(mergeAnnotatorTrends([undefined, []])).toBeUndefined();
    expect(mergeAnnotatorTrends([[t('Zoe', [1, 0])], [t('Zoe', [1, 1])]])).toBeUndefined();
    expect(mergeAnnotatorTrends([[t('Zoe', [1, 0])], [t('Al', [1, 0], ['2024-02', '2024-03'])]])).toBeUndefined();
  });
});
