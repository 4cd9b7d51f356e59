/** What every mode gets from the runner: inputs, the event, where to write, and a lazily made GitHub client. */
import type { Inputs } from '../inputs.js';
import type { EventPullRequest } from '../event.js';
import type { GitHubPlatform } from '../github/platform.js';
import type { Links } from '../publish.js';

export interface ActionContext {
  inputs: Inputs;
  env: NodeJS.ProcessEnv;
  event: Record<string, unknown>;
  /** `owner/name` (`GITHUB_REPOSITORY`). */
  repository: string | null;
  pullRequest: EventPullRequest | null;
  workspace: string;
  /** Directory of the report files (`RUNNER_TEMP/segqc`). */
  outDir: string;
  /** This run's page, whose job summary holds the full report. */
  runUrl: string | null;
  /** The GitHub web server (`GITHUB_SERVER_URL`), without a trailing slash. */
  serverUrl: string;
  /** The GitHub client, or null without a token or repository. */
  platform: () => GitHubPlatform | null;
  /** The bundle worker threads run (input `jobs`); without it, items are checked in this thread. */
  workerScript?: URL;
}

/**
 * What a check or merge run's comment links to: files on this server, and the review page when the workflow uploads
 * it (input `review-artifact`): after this step, so the link is to the run's artifacts.
 */
export function linksOf(ctx: ActionContext): Links {
  const name = ctx.inputs.reviewArtifact;
  return {
    links: ctx.repository ? { server: ctx.serverUrl, repository: ctx.repository } : null,
    reviewPage: name && ctx.runUrl ? { url: `${ctx.runUrl}#artifacts`, direct: false, name } : null,
  };
}
