/** `segqc check [dir]`: the whole dataset against its guideline; exit 0 pass, 1 fail, 2 bad config or usage. */
import { existsSync, lstatSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SegqcError } from '../../shared/errors.js';
import { checkDataset, isInternalFinding } from '../../shared/dataset/check.js';
import { renderCheckMarkdown, renderCheckTerminal } from '../../shared/report/render-check.js';
import { GATE_FLAGS, gateFromFlags, gateHelp } from '../gate.js';
import { parseArgs } from '../args.js';
import { errnoCause, fsTree } from '../../node/fs-tree.js';
import { loadDatasetContext } from '../../shared/dataset/context.js';
import { writeFileAtomic } from '../../node/write-atomic.js';
import { VERSION } from '../../node/version.js';
import { renderReviewPage } from '../../shared/report/html-page.js';
import { pageCollector, pagePictures } from '../../shared/pictures/page.js';
import { picturesConfig } from '../../shared/guideline/config.js';
import { checkJobsHelp, jobsFromFlags, type RunOptions } from '../jobs.js';
import { checkDatasetInWorkers } from '../../node/dataset-workers.js';
import { StartedWorkers } from '../../node/worker-pool.js';
import { useNodeInflate } from '../../node/inflate.js';

export const checkHelp = `Usage: segqc check [dir] [options]

Checks every item of the dataset in dir (default .) against the guideline named by its segqc.yaml.

Options:
  --config FILE            the dataset config, relative to dir (default segqc.yaml)
  --json FILE              write the JSON report (schema guidelines/report.schema.json)
  --markdown FILE          write the Markdown report
  --html FILE              write the review page: one self-contained HTML file with pictures of the items with
                           findings (pictures: in segqc.yaml sets how many, or turns them off)
${gateHelp}  --max-voxels N           refuse masks larger than N voxels
${checkJobsHelp}  --quiet                  print only the verdict line
Exit codes: 0 gate passed, 1 gate failed, 2 bad config or usage.
`;

/** Whether a path names any entry (a broken link too: reading it says why it fails). */
const entryExists = (path: string) => {
  try {
    return lstatSync(path, { throwIfNoEntry: false }) !== undefined;
  } catch (e) {
    throw new SegqcError('usage', errnoCause(e), { file: path });
  }
};

/** Where `segqc check` looked for its config, and how to start one. */
const noConfig = (path: string, named: boolean) =>
  `no ${named ? 'config' : 'segqc.yaml'} at ${path}. Run segqc check in the dataset directory (or name it: segqc check DIR${named ? '' : ', or --config FILE'}). ` +
  `To start one, write segqc.yaml there:\n  guideline: guideline.yaml        # your guideline (see guidelines/examples/)\n  sources:\n    - format: nifti                # labelstudio | nifti | dicom-seg | png\n      path: labels/*/*.nii.gz\n` +
  'and check it with segqc guideline validate guideline.yaml; README "Guidelines and datasets" has every field.';

export async function runCheck(argv: string[], out: (s: string) => void, err: (s: string) => void, run: RunOptions = {}): Promise<number> {
  useNodeInflate();
  const { positional, flags } = parseArgs(argv, ['json', 'markdown', 'html', 'config', 'max-voxels', 'jobs', ...GATE_FLAGS.valued], ['help', 'quiet', ...GATE_FLAGS.booleans]);
  if (flags.help) {
    out(checkHelp);
    return 0;
  }
  if (positional.length > 1) throw new SegqcError('usage', `check takes one directory, got ${positional.length}`);
  const dir = resolve(positional[0] ?? '.');
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new SegqcError('usage', 'is not a directory', { file: positional[0] ?? '.' });
  const maxVoxels = flags['max-voxels'] !== undefined ? Number(flags['max-voxels']) : undefined;
  if (maxVoxels !== undefined && !(Number.isInteger(maxVoxels) && maxVoxels > 0)) throw new SegqcError('usage', `--max-voxels takes a positive integer, got "${flags['max-voxels']}"`);
  const jobs = jobsFromFlags(flags);
  const configPath = String(flags.config ?? 'segqc.yaml');
  if (!entryExists(join(dir, configPath))) throw new SegqcError('usage', noConfig(join(dir, configPath), flags.config !== undefined));
  // The worker threads load while this thread reads the config; a config error ends the run all the same.
  const started = jobs > 1 && run.workerScript ? new StartedWorkers(run.workerScript, 'check', jobs) : undefined;
  const tree = fsTree(dir);
  const ctx = loadDatasetContext(tree, configPath);
  const failOn = gateFromFlags(flags, ctx.config.gate.fail_on, ctx.configPath, err);
  const tty = process.stderr.isTTY && !flags.quiet;
  const pictures = flags.html ? pageCollector(picturesConfig(ctx.config), ctx.guideline) : null;
  const onProgress = tty
    ? (done: number, total: number) => {
        const w = 30;
        const fill = Math.round((done / total) * w);
        err(`\r[${'#'.repeat(fill)}${'.'.repeat(w - fill)}] ${done}/${total}${done === total ? '\r\x1b[K' : ''}`);
      }
    : undefined;
  const opts = { guidelinePath: ctx.guidelinePath, configPath: ctx.configPath, failOn, maxVoxels, toolVersion: VERSION, onProgress };
  const report =
    jobs > 1 && run.workerScript
      ? await checkDatasetInWorkers(tree, ctx, { ...opts, jobs, script: run.workerScript, root: dir, pictures, started })
      : checkDataset(tree, ctx.config, ctx.guideline, { ...opts, onItem: pictures ? (it) => pictures.addCheckItem({ ...it, tree }) : undefined });
  if (flags.json) writeFileAtomic(String(flags.json), JSON.stringify(report, null, 2) + '\n');
  if (flags.markdown) writeFileAtomic(String(flags.markdown), renderCheckMarkdown(report));
  if (flags.html) writeFileAtomic(String(flags.html), renderReviewPage({ report, pictures: pagePictures(pictures) }));
  const text = renderCheckTerminal(report, { color: Boolean(process.stdout.isTTY) });
  out(flags.quiet ? text.trimEnd().split('\n').pop() + '\n' : text);
  const defects = report.items.filter((i) => i.findings.some(isInternalFinding)).map((i) => i.id);
  if (defects.length > 0) err(`segqc check: internal error while checking ${defects.join(', ')}: a segqc defect, not a problem of the data; please report it\n`);
  return report.verdict === 'pass' ? 0 : 1;
}
