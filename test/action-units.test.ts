/** The action's pure parts: comment and summary limits, the retry policy, shard merging, workflow-command safety. */
import { describe, expect, it } from 'vitest';
import { commentBody, inert, summaryText } from '../action/src/publish.js';
import { digestOf } from '../action/src/comment-body.js';
import { retryDelay, MAX_RETRIES } from '../action/src/github/retry.js';
import { mergeShardReports } from '../shared/dataset/merge-shards.js';
import { buildReport } from '../shared/dataset/check.js';
import type { PullRequestReport } from '../shared/dataset/pull-request.js';
import type { Finding } from '../shared/rules/types.js';
import type { ItemReport } from '../shared/report/types.js';
import { COMMENT_MARKER, datasetOf } from '../shared/report/render-diff.js';
import { parsePullRequestReport } from '../action/src/pr-report-file.js';
import { upsertStickyComment } from '../action/src/sticky-comment.js';
import type { GitHubPlatform, IssueComment } from '../action/src/github/platform.js';

const BASE = 'a'.repeat(40), HEAD = 'b'.repeat(40);
const meta = {
  tool: { name: 'segqc' as const, version: '0.1.0' },
  guideline: { id: 'g', version: '1', sha256: 'c'.repeat(64), path: 'guideline.yaml' },
  config: { path: 'segqc.yaml', fail_on: 'error' as const },
};

const finding = (item: string, i: number): Finding => ({
  item,
  annotation: `labels/${item}.nii.gz`,
  annotator: null,
  label: 'Liver',
  rule: 'volume.below_min',
  severity: i % 3 === 0 ? 'warning' : 'error',
  message: `Liver volume ${i} mm³ is below the guideline's minimum | <b>${'x'.repeat(40)}</b>`,
  value: i,
  limit: 1000,
  location: { file: `labels/${item}.nii.gz` },
});

/** A report of `n` changed items, each with one label change and one new finding. */
function bigReport(n: number, shard: { index: number; count: number } | null = null, ids?: string[]): PullRequestReport {
  const names = ids ?? Array.from({ length: n }, (_, i) => `case_${String(i).padStart(5, '0')}`);
  const items: ItemReport[] = names.map((id, i) => ({
    id,
    files: [`labels/${id}.nii.gz`],
    annotations: [{ id: `labels/${id}.nii.gz`, annotator: null, source: `labels/${id}.nii.gz`, labels: [{ label: 'Liver', value: 1, volume: 900 + i, units: 'mm3', voxels: 900 + i, components: 1 }] }],
    findings: [finding(id, i)],
    agreement: [],
  }));
  const report = buildReport(items, meta, 0.1);
  const baseReport = buildReport([], meta, 0.1);
  return {
    kind: 'segqc-pull-request-report',
    schema_version: 1,
    repository: 'acme/ct-data',
    pull_request: 7,
    base_sha: BASE,
    head_sha: HEAD,
    shard,
    audit_rate: 0.1,
    report,
    diff: {
      base_sha: BASE,
      head_sha: HEAD,
      tolerance_mm: 2,
      items: items.map((it, i) => ({
        id: it.id,
        status: 'modified',
        labels: [{ annotation: it.files[0], label: 'Liver', volume_base: 1000, volume_head: 900 + i, volume_change_pct: (900 + i - 1000) / 10, components_base: 1, components_head: 1, dice: 0.9, nsd: 0.95, hd95: 2.5 }],
        findings_added: it.findings,
        findings_resolved: [],
        agreement: [],
      })),
      totals: { base: baseReport.totals, head: report.totals },
    },
    guideline_change: null,
  };
}

describe('the comment and the job summary stay within GitHub limits', () => {
  it('a PR of 3000 changed items gives a comment of at most 65,536 characters, truncated cleanly', () => {
    const r = bigReport(3000);
    const body = commentBody(r, 'https://github.example/acme/ct-data/actions/runs/1');
    expect(body.length).toBeLessThanOrEqual(65_536);
    expect(body.length).toBeGreaterThan(60_000);
    expect(body.startsWith(`${COMMENT_MARKER}\n<!-- segqc:digest `)).toBe(true);
    expect(body).toContain("**Truncated** to fit GitHub's 65,536-character comment limit. The full report is in the job summary of [the workflow run](https://github.example/acme/ct-data/actions/runs/1)");
    expect((body.match(/<details/g) ?? []).length).toBe((body.match(/<\/details>/g) ?? []).length);
    // Worst first: 20 items in the open table, the rest folded.
    expect(body).toContain('<details><summary>2980 more changed items</summary>');
    const open = body.slice(body.indexOf('### Changed items'), body.indexOf('<details>'));
    expect(open.match(/^\| case\\_\d+ \|/gm)).toHaveLength(20);
    expect(parsePullRequestReport(JSON.parse(JSON.stringify(r)), 'r.json').report.totals.items).toBe(3000);
  });

  it('the digest ignores the run link, so a re-run with the same result is recognised', () => {
    const r = bigReport(3);
    const a = commentBody(r, 'https://x/runs/1');
    const b = commentBody(r, 'https://x/runs/2');
    expect(a).not.toBe(b);
    expect(digestOf(a)).toBe(digestOf(b));
    expect(digestOf(commentBody(bigReport(4), 'https://x/runs/1'))).not.toBe(digestOf(a));
  });

  it('a huge report gives a job summary under 1 MiB', () => {
    const text = summaryText(bigReport(20_000), null);
    const bytes = new TextEncoder().encode(text).length;
    expect(bytes).toBeLessThan(1024 * 1024);
    expect(text).toContain('**Truncated** to fit the 1 MiB job summary limit');
  });
});

describe('retry policy', () => {
  const now = 1_700_000_000_000;
  const fail = (status: number, headers: Record<string, string> = {}, message = '') => ({ status, headers, message });
  it('backs off exponentially on 5xx and network failures, then gives up', () => {
    expect(retryDelay(fail(502), 0, now, () => 0.5)).toBe(1000);
    expect(retryDelay(fail(500), 2, now, () => 0.5)).toBe(4000);
    expect(retryDelay(fail(0), 1, now, () => 0.5)).toBe(2000);
    expect(retryDelay(fail(503), MAX_RETRIES, now)).toBeNull();
  });
  it('waits as long as a rate limit asks, within a minute', () => {
    expect(retryDelay(fail(403, { 'retry-after': '3' }, 'You have exceeded a secondary rate limit'), 0, now)).toBe(3000);
    expect(retryDelay(fail(429, { 'retry-after': '120' }), 0, now)).toBeNull();
    expect(retryDelay(fail(403, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(now / 1000 + 10) }), 0, now)).toBe(11_000);
    expect(retryDelay(fail(403, {}, 'You have exceeded a secondary rate limit'), 0, now, () => 0.5)).toBe(5000);
  });
  it('never retries a plain 403, 404 or 422', () => {
    expect(retryDelay(fail(403, {}, 'Resource not accessible by integration'), 0, now)).toBeNull();
    expect(retryDelay(fail(404), 0, now)).toBeNull();
    expect(retryDelay(fail(422), 0, now)).toBeNull();
  });
});

describe('merging shard reports', () => {
  const ids = ['a', 'b', 'c', 'd', 'e'];
  const shardOf = (i: number, n: number, mine: string[]) => bigReport(mine.length, { index: i, count: n }, mine);
  it('sums counts and recomputes the verdict and audit sample from all items', () => {
    const m = mergeShardReports([shardOf(2, 2, ['b', 'd']), shardOf(1, 2, ['a', 'c', 'e'])]);
    const whole = bigReport(5, null, ids);
    expect(m.shard).toBeNull();
    expect(m.report.totals).toEqual(whole.report.totals);
    expect(m.report.audit_sample).toEqual(whole.report.audit_sample);
    expect(m.diff.items.map((i) => i.id)).toEqual(ids);
    expect(m.diff.totals.head).toEqual(whole.diff.totals.head);
  });
  it('refuses missing, repeated or mismatched shards', () => {
    expect(() => mergeShardReports([shardOf(1, 3, ['a'])])).toThrow('shards 2/3, 3/3 missing');
    expect(() => mergeShardReports([shardOf(1, 2, ['a']), shardOf(1, 2, ['b']), shardOf(2, 2, ['c'])])).toThrow('shard 1/2 given more than once');
    const other = { ...shardOf(2, 2, ['b']), head_sha: 'd'.repeat(40) };
    expect(() => mergeShardReports([shardOf(1, 2, ['a']), other])).toThrow('disagree on the head commit');
    expect(() => mergeShardReports([shardOf(1, 2, ['a']), shardOf(2, 2, ['a'])])).toThrow('item "a" appears in two shards');
  });
});

describe('log lines', () => {
  it('text from a dataset cannot start a workflow command', () => {
    const s = inert('case\n::add-mask::secret\r\n::set-output name=verdict::pass');
    expect(s).not.toContain('\n');
    expect(s).not.toContain('::');
  });
});

describe('the sticky comment, against an in-memory GitHubPlatform', () => {
  class MemoryPlatform implements GitHubPlatform {
    comments: IssueComment[] = [];
    calls: string[] = [];
    private next = 1;
    constructor(private readonly login: string) {}
    async viewerLogin() {
      return this.login;
    }
    async listIssueComments() {
      this.calls.push('list');
      return this.comments.map((c) => ({ ...c }));
    }
    async createIssueComment(_issue: number, body: string) {
      this.calls.push('create');
      const c = { id: this.next++, body, author: this.login };
      this.comments.push(c);
      return c;
    }
    async updateIssueComment(id: number, body: string) {
      this.calls.push(`update ${id}`);
      this.comments.find((c) => c.id === id)!.body = body;
    }
    async deleteIssueComment(id: number) {
      this.calls.push(`delete ${id}`);
      this.comments = this.comments.filter((c) => c.id !== id);
    }
    async pullRequest(): Promise<never> {
      throw new Error('not used');
    }
    async runArtifacts(): Promise<never> {
      throw new Error('not used');
    }
    add(author: string, body: string) {
      this.comments.push({ id: this.next++, body, author });
    }
  }

  it("counts only the token's own comments that open with the marker", async () => {
    const gh = new MemoryPlatform('segqc-app[bot]');
    gh.add('github-actions[bot]', `${COMMENT_MARKER}\nposted by another workflow's token`);
    gh.add('segqc-app[bot]', `see the report below\n${COMMENT_MARKER}`);
    const body = commentBody(bigReport(2), null);
    expect(await upsertStickyComment(gh, 7, body, null)).toEqual({ action: 'created', id: 3, deleted: [] });
    expect(await upsertStickyComment(gh, 7, body, null)).toEqual({ action: 'unchanged', id: 3, deleted: [] });
    expect(gh.calls).toEqual(['list', 'create', 'list']);
    expect(gh.comments.map((c) => c.id)).toEqual([1, 2, 3]);
  });

  it('each dataset of a repository keeps its own comment; the default dataset keeps the bare marker', async () => {
    const gh = new MemoryPlatform('github-actions[bot]');
    const of = (configPath: string | undefined, n: number) => commentBody({ ...bigReport(n), ...(configPath ? { config_path: configPath } : {}) }, null);
    const root = of('segqc.yaml', 2);
    expect(datasetOf(root)).toBeNull();
    expect(root).toBe(of(undefined, 2));
    // A path that could close the HTML comment is carried encoded, and read back exactly.
    const odd = 'x --> <b>y</b>/seg qc.yaml';
    const ct = of('ct/segqc.yaml', 2);
    expect(datasetOf(ct)).toBe('ct/segqc.yaml');
    expect(ct).toContain('Dataset <code>ct/segqc.yaml</code>');
    expect(datasetOf(of(odd, 1))).toBe(odd);
    expect(of(odd, 1)).not.toContain('x -->');
    expect(digestOf(ct)).not.toBeNull();

    expect((await upsertStickyComment(gh, 7, root, 'segqc.yaml')).action).toBe('created');
    expect((await upsertStickyComment(gh, 7, ct, 'ct/segqc.yaml')).action).toBe('created');
    expect((await upsertStickyComment(gh, 7, of(odd, 1), odd)).action).toBe('created');
    expect(gh.comments).toHaveLength(3);
    // A new result for one dataset rewrites its comment only.
    const ct3 = of('ct/segqc.yaml', 3);
    expect(await upsertStickyComment(gh, 7, ct3, 'ct/segqc.yaml')).toEqual({ action: 'updated', id: 2, deleted: [] });
    expect(gh.comments.map((c) => c.body)).toEqual([root, ct3, of(odd, 1)]);
    expect((await upsertStickyComment(gh, 7, root, 'segqc.yaml')).action).toBe('unchanged');
  });

  it('rewrites a comment of ours that carries no digest (an older segqc, or edited by hand)', async () => {
    const gh = new MemoryPlatform('github-actions[bot]');
    gh.add('github-actions[bot]', `${COMMENT_MARKER}\nhand-edited`);
    expect((await upsertStickyComment(gh, 7, commentBody(bigReport(2), null), null)).action).toBe('updated');
  });
});
