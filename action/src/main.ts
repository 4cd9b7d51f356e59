/** The GitHub Action's entry (bundled into action/dist/index.js): reads the runner's environment and runs one mode. */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as core from '@actions/core';
import { isSegqcError } from '../../shared/errors.js';
import { readInputs } from './inputs.js';
import { eventPullRequest, readEvent } from './event.js';
import { octokitPlatform } from './github/octokit-platform.js';
import type { GitHubPlatform } from './github/platform.js';
import type { ActionContext } from './modes/context.js';
import { runCheckMode } from './modes/check.js';
import { runCommentMode } from './modes/comment.js';
import { runMergeMode } from './modes/merge.js';
import { inert } from './publish.js';
import { testWorkerLog, workerRole } from '../../node/worker-pool.js';

/** This bundle: worker threads run it again, and it serves them (see the end of this file). */
const self = new URL(import.meta.url);

function context(env: NodeJS.ProcessEnv): ActionContext {
  const inputs = readInputs();
  if (inputs.token) core.setSecret(inputs.token);
  const repository = env.GITHUB_REPOSITORY || null;
  const event = readEvent(env.GITHUB_EVENT_PATH);
  const server = (env.GITHUB_SERVER_URL || 'https://github.com').replace(/\/+$/, '');
  let platform: GitHubPlatform | null | undefined;
  return {
    inputs,
    env,
    event,
    repository,
    pullRequest: eventPullRequest(event, repository),
    workspace: env.GITHUB_WORKSPACE || process.cwd(),
    outDir: join(env.RUNNER_TEMP || tmpdir(), 'segqc'),
    runUrl: repository && env.GITHUB_RUN_ID ? `${server}/${repository}/actions/runs/${env.GITHUB_RUN_ID}` : null,
    serverUrl: server,
    workerScript: self,
    platform: () => {
      if (platform === undefined) {
        platform =
          inputs.token && repository
            ? octokitPlatform({ token: inputs.token, repository, apiUrl: env.GITHUB_API_URL || 'https://api.github.com', log: (l) => core.info(inert(l)) })
            : null;
      }
      return platform;
    },
  };
}

async function main(): Promise<number> {
  try {
    const ctx = context(process.env);
    if (ctx.inputs.mode === 'comment') return await runCommentMode(ctx);
    if (ctx.inputs.mode === 'merge') return await runMergeMode(ctx);
    return await runCheckMode(ctx);
  } catch (e) {
    if (isSegqcError(e)) {
      core.setFailed(`segqc: [${e.code}] ${inert(e.message)}`);
      return 2;
    }
    core.debug(String((e as Error)?.stack ?? e));
    core.setFailed(`segqc: internal error: ${inert((e as Error)?.message ?? String(e))}`);
    return 2;
  }
}

const role = workerRole();
if (role) testWorkerLog(role);
if (role) (await import('../../node/dataset-workers.js')).serveDatasetWorker(role);
else {
  main().then((code) => {
    process.exitCode = code;
  });
}
