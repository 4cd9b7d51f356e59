/** The GitHub host behind a small interface (danger-js's Platform): the action talks to this, tests to a fake server. */

/** An issue (pull request conversation) comment, as far as the sticky comment needs it. */
export interface IssueComment {
  id: number;
  body: string;
  /** Login of the author (`github-actions[bot]` for the workflow token); null for a deleted account. */
  author: string | null;
}

/** The parts of a pull request that `mode: comment` confirms before posting. */
export interface PullRequestRef {
  number: number;
  headSha: string;
  baseSha: string;
  state: string;
}

/** What segqc needs from GitHub: its own identity, a pull request, and the comments of its conversation. */
export interface GitHubPlatform {
  /** Login of the token's own identity, exactly as REST reports comment authors. */
  viewerLogin(): Promise<string>;
  /** Every comment of an issue or pull request, all pages, oldest first. */
  listIssueComments(issue: number): Promise<IssueComment[]>;
  createIssueComment(issue: number, body: string): Promise<IssueComment>;
  updateIssueComment(id: number, body: string): Promise<void>;
  deleteIssueComment(id: number): Promise<void>;
  pullRequest(number: number): Promise<PullRequestRef>;
  /** The artifacts of a workflow run named `name` (GET …/actions/runs/{id}/artifacts; needs `actions: read`). */
  runArtifacts(runId: number, name: string): Promise<RunArtifact[]>;
}

/** An artifact of a workflow run. */
export interface RunArtifact {
  id: number;
  name: string;
  expired: boolean;
}

/** A GitHub API call that failed for good (after retries): the status and GitHub's own message. */
export class GitHubApiError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = 'GitHubApiError';
    this.status = status;
  }
}

export const isGitHubApiError = (e: unknown): e is GitHubApiError => e instanceof GitHubApiError;
