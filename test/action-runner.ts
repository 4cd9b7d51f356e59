/** Runs the bundled action (`node action/dist/index.js`) as the runner does: INPUT_* names, event file, output files. */
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse } from 'yaml';

export const ROOT = join(__dirname, '..');
export const ACTION = join(ROOT, 'action/dist/index.js');

/** `INPUT_<NAME>` as the runner forms it: spaces to underscores, upper case, hyphens kept. */
export const inputEnvName = (name: string): string => `INPUT_${name.replace(/ /g, '_').toUpperCase()}`;

const actionDefaults = (): Record<string, string> => {
  const yml = parse(readFileSync(join(ROOT, 'action/action.yml'), 'utf8')) as { inputs: Record<string, { default?: string }> };
  return Object.fromEntries(Object.entries(yml.inputs).map(([k, v]) => [k, String(v.default ?? '')]));
};

export interface ActionRun {
  code: number | null;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
  /** Workflow commands the action printed (`::error file=…::message`). */
  commands: Array<{ command: string; props: string; message: string }>;
}

export interface RunOptions {
  workspace: string;
  event: unknown;
  eventName?: string;
  apiUrl: string;
  inputs?: Record<string, string>;
  runId?: number;
  runnerTemp?: string;
  /** Directory for the runner's files (event, outputs, temp); the system temp directory when absent. */
  scratch?: string;
  /** The action bundle to run; this checkout's `action/dist/index.js` when absent. */
  action?: string;
  /** Environment variables beyond the runner's (test hooks). */
  env?: Record<string, string>;
}

/** Parses `name<<delimiter` blocks of a GITHUB_OUTPUT file. */
export function parseOutputFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^([^<=]+)<<(.+)$/.exec(lines[i]);
    if (!m) continue;
    const value: string[] = [];
    for (i++; i < lines.length && lines[i] !== m[2]; i++) value.push(lines[i]);
    out[m[1]] = value.join('\n');
  }
  return out;
}

/** Runs the action once in a fresh runner directory and collects what it left. */
export async function runAction(o: RunOptions): Promise<ActionRun> {
  const runner = mkdtempSync(join(o.scratch ?? tmpdir(), 'segqc-runner-'));
  const eventPath = join(runner, 'event.json');
  writeFileSync(eventPath, JSON.stringify(o.event));
  const outputPath = join(runner, 'output'), summaryPath = join(runner, 'summary.md');
  writeFileSync(outputPath, '');
  writeFileSync(summaryPath, '');
  const temp = o.runnerTemp ?? join(runner, 'temp');
  mkdirSync(temp, { recursive: true });
  const inputs = { ...actionDefaults(), 'github-token': 'ghs_faketoken123', ...o.inputs };
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? runner,
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_EVENT_NAME: o.eventName ?? 'pull_request',
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_REPOSITORY: 'acme/ct-data',
    GITHUB_API_URL: o.apiUrl,
    GITHUB_GRAPHQL_URL: `${o.apiUrl}/graphql`,
    GITHUB_SERVER_URL: 'https://github.example',
    GITHUB_RUN_ID: String(o.runId ?? 4242),
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_OUTPUT: outputPath,
    GITHUB_STEP_SUMMARY: summaryPath,
    GITHUB_WORKSPACE: o.workspace,
    RUNNER_TEMP: temp,
    NO_PROXY: '127.0.0.1',
    // A scratch directory inside some other checkout must not look like a repository.
    GIT_CEILING_DIRECTORIES: o.scratch ?? tmpdir(),
  };
  for (const [k, v] of Object.entries(inputs)) env[inputEnvName(k)] = v;
  Object.assign(env, o.env);
  const child = spawn(process.execPath, [o.action ?? ACTION], { cwd: o.workspace, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '', stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  const commands = [...stdout.matchAll(/^::(\w+)( [^:]*)?::(.*)$/gm)].map((m) => ({ command: m[1], props: (m[2] ?? '').trim(), message: m[3] }));
  const result = { code, stdout, stderr, outputs: parseOutputFile(readFileSync(outputPath, 'utf8')), summary: readFileSync(summaryPath, 'utf8'), commands };
  return result;
}

/** A git repository for tests: commit file sets (null deletes), branch, read SHAs. */
export class TestRepo {
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
    this.git('init', '-q', '-b', 'main');
    this.git('config', 'user.email', 'test@example.com');
    this.git('config', 'user.name', 'Test');
    this.git('config', 'commit.gpgsign', 'false');
  }

  git(...args: string[]): string {
    return execFileSync('git', args, { cwd: this.dir, stdio: ['ignore', 'pipe', 'pipe'] }).toString().trim();
  }

  /** Writes (or deletes, for null) files and commits them; returns the commit SHA. */
  commit(files: Record<string, Uint8Array | string | null>, message: string): string {
    for (const [p, content] of Object.entries(files)) {
      const abs = join(this.dir, p);
      if (content === null) {
        if (existsSync(abs)) this.git('rm', '-q', '--', p);
        continue;
      }
      mkdirSync(dirname(abs), { recursive: true });
      writeFileSync(abs, content);
      this.git('add', '--', p);
    }
    this.git('commit', '-q', '-m', message);
    return this.git('rev-parse', 'HEAD');
  }
}

/** A `pull_request` event payload as GitHub sends it (the parts segqc reads). */
export function pullRequestEvent(number: number, baseSha: string, headSha: string, headRepo = 'acme/ct-data') {
  return {
    action: 'synchronize',
    number,
    pull_request: { number, base: { sha: baseSha, repo: { full_name: 'acme/ct-data' } }, head: { sha: headSha, repo: { full_name: headRepo } } },
    repository: { full_name: 'acme/ct-data' },
  };
}
