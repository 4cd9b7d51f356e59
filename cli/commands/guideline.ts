/** `segqc guideline validate <file>` and `segqc guideline labelconfig <file>`. */
import { readFileSync, statSync } from 'node:fs';
import { SegqcError } from '../../shared/errors.js';
import { validateGuideline } from '../../shared/guideline/load.js';
import { labelConfig } from '../../shared/guideline/labelconfig.js';
import { guidelineSha256 } from '../../shared/guideline/hash.js';
import { parseArgs } from '../args.js';
import { neutralize } from '../../shared/report/escape.js';
import { plural } from '../../shared/report/render-check.js';

export const guidelineHelp = `Usage:
  segqc guideline validate <file>      check a guideline (YAML or JSON) against guidelines/guideline.schema.json
  segqc guideline labelconfig <file> [--tool brush|polygon|both] [--image-field image]
                                       print a Label Studio labeling config that enforces the checklist natively
`;

const readText = (file: string) => {
  try {
    // A FIFO or device would block the read forever.
    if (!statSync(file).isFile()) throw new SegqcError('usage', 'is not a file', { file });
    return readFileSync(file, 'utf8');
  } catch (e) {
    if (e instanceof SegqcError) throw e;
    throw new SegqcError('usage', `cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})`, { file });
  }
};

export function runGuideline(argv: string[], out: (s: string) => void, err: (s: string) => void): number {
  const [sub, ...rest] = argv;
  const { positional, flags } = parseArgs(rest, ['tool', 'image-field'], ['help']);
  if (!sub || sub === '--help' || flags.help) {
    out(guidelineHelp);
    return 0;
  }
  if (positional.length !== 1) throw new SegqcError('usage', `guideline ${sub} takes one file\n\n${guidelineHelp}`);
  const file = positional[0];
  const text = readText(file);
  const { guideline, errors } = validateGuideline(text, file);
  if (!guideline || errors.length > 0) {
    for (const e of errors) err(neutralize(`${e.file}:${e.line}:${e.column}: ${e.message}${e.path ? ` (at ${e.path})` : ''}`) + '\n');
    err(`${neutralize(file)}: ${errors.length} problem${errors.length === 1 ? '' : 's'}; the guideline is not valid\n`);
    return 2;
  }
  if (sub === 'validate') {
    out(`${neutralize(`${file}: valid — ${guideline.id} ${guideline.version}`)}, ${plural(guideline.labels.length, 'label')}, ${plural((guideline.checklist ?? []).length, 'checklist item')}, sha256 ${guidelineSha256(guideline)}\n`);
    return 0;
  }
  if (sub === 'labelconfig') {
    const tool = flags.tool ? String(flags.tool) : undefined;
    if (tool && !['brush', 'polygon', 'both'].includes(tool)) throw new SegqcError('usage', `--tool is brush, polygon or both, got "${tool}"`);
    out(labelConfig(guideline, { tool: tool as 'brush' | 'polygon' | 'both' | undefined, imageField: flags['image-field'] ? String(flags['image-field']) : undefined }) + '\n');
    return 0;
  }
  throw new SegqcError('usage', `unknown guideline command "${sub}"\n\n${guidelineHelp}`);
}
