/** `segqc check [dir]`: the whole dataset against its guideline; exit 0 pass, 1 fail, 2 bad config or usage. */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { SegqcError } from '../../shared/errors.js';
import { checkDataset } from '../../shared/dataset/check.js';
import { renderCheckMarkdown, renderCheckTerminal } from '../../shared/report/render-check.js';
import { GATE_FLAGS, gateFromFlags, gateHelp } from '../gate.js';
import { parseArgs } from '../args.js';
import { fsTree } from '../../node/fs-tree.js';
import { loadDatasetContext } from '../../shared/dataset/context.js';
import { writeFileAtomic } from '../../node/write-atomic.js';
import { VERSION } from '../../node/version.js';

export const checkHelp = `Usage: segqc check [dir] [options]

Checks every item of the dataset in dir (default .) against the guideline named by its segqc.yaml.

Options:
  --config FILE            the dataset config, relative to dir (default segqc.yaml)
  --json FILE              write the JSON report (schema guidelines/report.schema.json)
  --markdown FILE          write the Markdown report
${gateHelp}  --max-voxels N           refuse masks larger than N voxels
  --quiet                  print only the verdict line
Exit codes: 0 gate passed, 1 gate failed, 2 bad config or usage.
`;

export function runCheck(argv: string[], out: (s: string) => void, err: (s: string) => void): number {
  const { positional, flags } = parseArgs(argv, ['json', 'markdown', 'config', 'max-voxels', ...GATE_FLAGS.valued], ['help', 'quiet', ...GATE_FLAGS.booleans]);
  if (flags.help) {
    out(checkHelp);
    return 0;
  }
  if (positional.length > 1) throw new SegqcError('usage', `check takes one directory, got ${positional.length}`);
  const dir = resolve(positional[0] ?? '.');
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new SegqcError('usage', 'is not a directory', { file: positional[0] ?? '.' });
  const maxVoxels = flags['max-voxels'] ? Number(flags['max-voxels']) : undefined;
  const tree = fsTree(dir);
  const ctx = loadDatasetContext(tree, String(flags.config ?? 'segqc.yaml'));
  const failOn = gateFromFlags(flags, ctx.config.gate.fail_on, ctx.configPath, err);
  const tty = process.stderr.isTTY && !flags.quiet;
  const report = checkDataset(tree, ctx.config, ctx.guideline, {
    guidelinePath: ctx.guidelinePath,
    configPath: ctx.configPath,
    failOn,
    maxVoxels,
    toolVersion: VERSION,
    onProgress: tty
      ? (done, total) => {
          const w = 30;
          const fill = Math.round((done / total) * w);
          err(`\r[${'#'.repeat(fill)}${'.'.repeat(w - fill)}] ${done}/${total}${done === total ? '\r\x1b[K' : ''}`);
        }
      : undefined,
  });
  if (flags.json) writeFileAtomic(String(flags.json), JSON.stringify(report, null, 2) + '\n');
  if (flags.markdown) writeFileAtomic(String(flags.markdown), renderCheckMarkdown(report));
  const text = renderCheckTerminal(report, { color: Boolean(process.stdout.isTTY) });
  out(flags.quiet ? text.trimEnd().split('\n').pop() + '\n' : text);
  return report.verdict === 'pass' ? 0 : 1;
}
