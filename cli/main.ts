/** The `segqc` command line: compare, check, guideline, diff, history, attest, review. Errors print one clear line, never a stack trace. */
import { isSegqcError } from '../shared/errors.js';
import { VERSION } from '../node/version.js';
import { neutralize } from '../shared/report/escape.js';
import { testWorkerLog, workerRole } from '../node/worker-pool.js';

const help = `segqc ${VERSION} — guidelines-as-code quality control for medical image segmentation

Usage:
  segqc compare <reference> <candidate> [--labels 1,2] [--tolerance 1,2] [--surface voxel|surfel] [--json]
  segqc check [dir] [--json FILE] [--markdown FILE] [--html FILE] [--fail-on error|warning|never [--override-config]]
  segqc guideline validate <file>
  segqc guideline labelconfig <file>
  segqc diff --base REF [--head REF] [dir] [--html FILE]
  segqc history [dir] [--since DATE|REV] [--until REV] [--by week|month|commit] [--json FILE] [--markdown FILE] [--html FILE]
  segqc attest <mask> [--annotator NAME] [--answer ID=yes ...] [--dir DATASET] [--force]
  segqc review <mask> --verdict accept|reject|accept_with_fixes [--reason ID] [--comment TEXT] [--stage ID] [--reviewer NAME]

Run "segqc <command> --help" for a command's options.
Exit codes: 0 done (gate passed), 1 gate failed, 2 usage error or unreadable input.
`;

/** This bundle: worker threads run it again, and it serves them (see the end of this file). */
const self = new URL(import.meta.url);

type Command = (argv: string[], out: (s: string) => void, err: (s: string) => void) => number | Promise<number>;

const commands: Record<string, () => Promise<Command>> = {
  compare: async () => (await import('./commands/compare.js')).runCompare,
  check: async () => {
    const { runCheck } = await import('./commands/check.js');
    return (argv, o, e) => runCheck(argv, o, e, { workerScript: self });
  },
  guideline: async () => (await import('./commands/guideline.js')).runGuideline,
  diff: async () => {
    const { runDiff } = await import('./commands/diff.js');
    return (argv, o, e) => runDiff(argv, o, e, undefined, undefined, { workerScript: self });
  },
  history: async () => {
    const { runHistory } = await import('./commands/history.js');
    return (argv, o, e) => runHistory(argv, o, e, { workerScript: self });
  },
  attest: async () => (await import('./commands/attest.js')).runAttest,
  review: async () => (await import('./commands/review.js')).runReview,
};

/** What a stream failed with; a reader that went away (EPIPE: `segqc check | head -1`) is not a failure. */
interface StreamState {
  open: boolean;
  failed: string | null;
}

/** Writes to `stream` until it fails, then drops the rest: never an unhandled 'error' event and its stack trace. */
function guardedWriter(stream: NodeJS.WriteStream, onFail: (code: string) => void): [(s: string) => void, StreamState] {
  const state: StreamState = { open: true, failed: null };
  stream.on('error', (e: NodeJS.ErrnoException) => {
    state.open = false;
    if (e.code !== 'EPIPE' && state.failed === null) {
      state.failed = e.code ?? 'error';
      onFail(state.failed);
    }
  });
  return [(s) => void (state.open && !stream.destroyed && stream.write(s)), state];
}

const [err, stderrState] = guardedWriter(process.stderr, () => (process.exitCode = 2));
const [out, stdoutState] = guardedWriter(process.stdout, (code) => {
  err(`segqc: the output could not be written (${code})\n`);
  process.exitCode = 2;
});

/** `-h` is `--help` for every command (not after `--`, where it is a file name). */
function helpAlias(args: string[]): string[] {
  const end = args.indexOf('--');
  return args.map((a, i) => (a === '-h' && (end < 0 || i < end) ? '--help' : a));
}

async function main(argv: string[]): Promise<number> {
  const [first, ...after] = argv;
  const [cmd, ...rest] = first === 'help' && after.length > 0 ? [after[0], '--help'] : argv;
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    out(help);
    return 0;
  }
  if (cmd === '--version') {
    out(`${VERSION}\n`);
    return 0;
  }
  const load = commands[cmd];
  if (!load) {
    err(`segqc: unknown command "${neutralize(cmd)}"\n\n${help}`);
    return 2;
  }
  try {
    return await (await load())(helpAlias(rest), out, err);
  } catch (e) {
    if (isSegqcError(e)) {
      err(`segqc ${cmd}: error [${e.code}] ${neutralize(e.message, { keepNewlines: true })}\n`);
      return 2;
    }
    err(`segqc ${cmd}: internal error: ${neutralize((e as Error)?.message ?? String(e), { keepNewlines: true })}\n`);
    return 2;
  }
}

const role = workerRole();
if (role) testWorkerLog(role);
if (role?.segqcWorker === 'history') (await import('../node/history-workers.js')).serveHistoryWorker();
else if (role) (await import('../node/dataset-workers.js')).serveDatasetWorker(role);
else {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = (stdoutState.failed ?? stderrState.failed) !== null ? 2 : code;
    },
    (e) => {
      err(`segqc: ${(e as Error)?.message ?? e}\n`);
      process.exitCode = 2;
    },
  );
}
