/** What every mode gets from the runner: inputs, the event, where to write, and a lazily made GitHub client. */
import type { Inputs } from '../inputs.js';
import type { EventPullRequest } from '../event.js';
import type { GitHubPlatform } from '../github/platform.js';

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
  /** The GitHub client, or null without a token or repository. */
  platform: () => GitHubPlatform | null;
}
