/** GitHubPlatform over Octokit (`@actions/github`: honours GITHUB_API_URL and the runner's proxy settings), with retries. */
import { getOctokit } from '@actions/github';
import { GitHubApiError, type GitHubPlatform, type IssueComment, type PullRequestRef, type RunArtifact } from './platform.js';
import { retryDelay, type FailedResponse } from './retry.js';

/** Where and as whom to call. */
export interface OctokitPlatformOptions {
  token: string;
  /** `owner/name`. */
  repository: string;
  /** REST root, e.g. https://api.github.com or https://ghe.example.com/api/v3. */
  apiUrl: string;
  /** Progress lines (retries, fallbacks). */
  log: (line: string) => void;
  sleep?: (ms: number) => Promise<void>;
}

interface RawComment {
  id: number;
  body?: string | null;
  user?: { login?: string } | null;
}

const failed = (e: unknown): FailedResponse => {
  const err = e as { status?: number; message?: string; response?: { headers?: Record<string, string | undefined>; data?: { message?: string } } };
  return {
    status: typeof err.status === 'number' ? err.status : 0,
    headers: err.response?.headers ?? {},
    message: err.response?.data?.message ?? err.message ?? String(e),
  };
};

const toComment = (c: RawComment): IssueComment => ({ id: c.id, body: c.body ?? '', author: c.user?.login ?? null });

/** The REST and GraphQL client of the action. Every call retries 5xx, network failures and rate limits. */
export function octokitPlatform(opts: OctokitPlatformOptions): GitHubPlatform {
  const [owner, repo] = opts.repository.split('/');
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const octokit = getOctokit(opts.token, { baseUrl: opts.apiUrl.replace(/\/+$/, '') });
  octokit.hook.wrap('request', async (request, options) => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await request(options);
      } catch (e) {
        const r = failed(e);
        const wait = retryDelay(r, attempt, Date.now());
        if (wait === null) throw e;
        opts.log(`GitHub ${options.method} ${String(options.url)} answered ${r.status || 'no response'} (${r.message}); retrying in ${(wait / 1000).toFixed(1)} s`);
        await sleep(wait);
      }
    }
  });
  const call = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (e) {
      const r = failed(e);
      throw new GitHubApiError(r.status, `${what}: ${r.status || 'no response'} ${r.message}`);
    }
  };
  return {
    async viewerLogin() {
      // GraphQL `viewer` answers for every kind of token, the workflow's GITHUB_TOKEN and app tokens included
      // (REST GET /user refuses installation tokens). REST logins carry the `[bot]` suffix; GraphQL's viewer does too.
      try {
        const data = await octokit.graphql<{ viewer: { login: string } }>('query { viewer { login } }');
        if (data?.viewer?.login) return data.viewer.login;
      } catch (e) {
        opts.log(`GraphQL viewer query failed (${failed(e).message}); asking REST GET /user`);
      }
      try {
        const { data } = await octokit.request('GET /user');
        if (data?.login) return data.login;
      } catch (e) {
        opts.log(`GET /user failed (${failed(e).message}); assuming the workflow token, github-actions[bot]`);
      }
      return 'github-actions[bot]';
    },
    listIssueComments: (issue) =>
      call(`listing the comments of #${issue}`, async () => {
        const all = (await octokit.paginate('GET /repos/{owner}/{repo}/issues/{issue_number}/comments', {
          owner,
          repo,
          issue_number: issue,
          per_page: 100,
        })) as RawComment[];
        return all.map(toComment);
      }),
    createIssueComment: (issue, body) =>
      call(`commenting on #${issue}`, async () => {
        const { data } = await octokit.request('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', { owner, repo, issue_number: issue, body });
        return toComment(data as RawComment);
      }),
    updateIssueComment: (id, body) =>
      call(`updating comment ${id}`, async () => {
        await octokit.request('PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}', { owner, repo, comment_id: id, body });
      }),
    deleteIssueComment: (id) =>
      call(`deleting comment ${id}`, async () => {
        await octokit.request('DELETE /repos/{owner}/{repo}/issues/comments/{comment_id}', { owner, repo, comment_id: id });
      }),
    pullRequest: (number) =>
      call(`reading pull request #${number}`, async (): Promise<PullRequestRef> => {
        const { data } = await octokit.request('GET /repos/{owner}/{repo}/pulls/{pull_number}', { owner, repo, pull_number: number });
        return { number: data.number, headSha: data.head.sha, baseSha: data.base.sha, state: data.state };
      }),
    runArtifacts: (runId, name) =>
      call(`listing the artifacts of run ${runId}`, async (): Promise<RunArtifact[]> => {
        const { data } = await octokit.request('GET /repos/{owner}/{repo}/actions/runs/{run_id}/artifacts', { owner, repo, run_id: runId, name, per_page: 100 });
        return data.artifacts.map((a) => ({ id: a.id, name: a.name, expired: a.expired }));
      }),
  };
}
