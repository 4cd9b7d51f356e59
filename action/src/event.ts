/** The workflow's event payload (`GITHUB_EVENT_PATH`): the pull request of a `pull_request` run, the run of a `workflow_run`. */
import { readFileSync } from 'node:fs';
import { SegqcError } from '../../shared/errors.js';

/** A pull request as the event names it. */
export interface EventPullRequest {
  number: number;
  baseSha: string;
  headSha: string;
  /** The head lives in another repository: its token is read-only and it cannot comment. */
  fromFork: boolean;
}

/** The check run a `workflow_run` event reports on. */
export interface EventWorkflowRun {
  id: number;
  headSha: string;
  htmlUrl: string | null;
  /** Pull requests GitHub associates with the run (empty for pull requests from forks). */
  pullRequests: number[];
}

/** The parsed payload, or an empty object when the runner gave none. */
export function readEvent(path: string | undefined): Record<string, unknown> {
  if (!path) return {};
  try {
    const data = JSON.parse(readFileSync(path, 'utf8'));
    return data && typeof data === 'object' ? (data as Record<string, unknown>) : {};
  } catch (e) {
    throw new SegqcError('usage', `the event payload cannot be read: ${(e as Error).message}`, { file: path });
  }
}

const obj = (v: unknown): Record<string, unknown> | null => (v && typeof v === 'object' ? (v as Record<string, unknown>) : null);
const str = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 ? v : null);

/** The pull request of a `pull_request` or `pull_request_target` event. */
export function eventPullRequest(event: Record<string, unknown>, repository: string | null): EventPullRequest | null {
  const pr = obj(event.pull_request);
  if (!pr || typeof pr.number !== 'number') return null;
  const base = obj(pr.base), head = obj(pr.head);
  const headRepo = str(obj(head?.repo)?.full_name);
  return {
    number: pr.number,
    baseSha: str(base?.sha) ?? '',
    headSha: str(head?.sha) ?? '',
    fromFork: headRepo !== null && repository !== null && headRepo.toLowerCase() !== repository.toLowerCase(),
  };
}

/** The run of a `workflow_run` event. */
export function eventWorkflowRun(event: Record<string, unknown>): EventWorkflowRun | null {
  const run = obj(event.workflow_run);
  if (!run || typeof run.id !== 'number' || !str(run.head_sha)) return null;
  const prs = Array.isArray(run.pull_requests) ? run.pull_requests : [];
  return {
    id: run.id,
    headSha: str(run.head_sha)!,
    htmlUrl: str(run.html_url),
    pullRequests: prs.map((p) => obj(p)?.number).filter((n): n is number => typeof n === 'number'),
  };
}
