/** `segqc attest <mask>`: checks one mask, asks its checklist questions (or takes them as flags), writes its `.segqc.json` sidecar. */
import { spawnSync } from 'node:child_process';
import { lstatSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { SegqcError } from '../../shared/errors.js';
import { checkPendingItem } from '../../shared/dataset/check.js';
import { loadDatasetContext } from '../../shared/dataset/context.js';
import { globToRegExp } from '../../shared/dataset/glob.js';
import { discoverItems, sidecarOf, type SourceSpec } from '../../shared/dataset/items.js';
import { closest } from '../../shared/guideline/document.js';
import { guidelineSha256 } from '../../shared/guideline/hash.js';
import type { ChecklistItem, Guideline } from '../../shared/guideline/types.js';
import { isRequiredItem } from '../../shared/guideline/types.js';
import { validateAttestation } from '../../shared/rules/attestation.js';
import { buildAttestation } from '../../shared/rules/build-attestation.js';
import { checklistState } from '../../shared/rules/checklist.js';
import { drawnLabelNames } from '../../shared/rules/engine.js';
import type { AnnotationInput, ChecklistAnswers, Finding } from '../../shared/rules/types.js';
import { sortFindings } from '../../shared/report/render-check.js';
import { neutralize } from '../../shared/report/escape.js';
import { errnoCause, fsTree } from '../../node/fs-tree.js';
import { writeFileAtomic } from '../../node/write-atomic.js';
import { VERSION } from '../../node/version.js';
import { parseArgs } from '../args.js';
import { askChecklist } from '../prompt.js';

export const attestHelp = `Usage: segqc attest <mask> [options]

Checks one mask against the guideline of its dataset, shows the mask's findings, asks each checklist question that
applies to the mask (its "when" conditions evaluated on the labels drawn) and writes the attestation sidecar beside
it (labels/ct_001.nii.gz -> labels/ct_001.segqc.json, guidelines/attestation.schema.json), as the segqc Label Studio
extension attests a saved annotation. For masks drawn in 3D Slicer, ITK-SNAP, MONAI Label or any other tool.

On a terminal the questions are asked (an --answer given is not asked again); without one every required question
that applies must come as --answer, else nothing is written (exit 2, naming the missing ids).

Options:
  --answer ID=yes|no     a checklist answer (repeatable, or comma-separated: --answer a=yes,b=yes)
  --annotator NAME       who attests (default: git config user.email)
  --dir DATASET          the dataset directory (default: the nearest directory holding segqc.yaml, from the mask's
                         directory upward)
  --config FILE          the dataset config, relative to the dataset directory (default segqc.yaml)
  --force                replace an existing sidecar
Exit codes: 0 sidecar written, 1 not written (a required question answered no), 2 usage error, unreadable input or
a required answer missing.
`;

/** What `segqc attest` takes from its surroundings; tests give their own. */
export interface AttestEnv {
  /** Whether questions may be asked (stdin and stdout are terminals). */
  interactive: boolean;
  input: Readable;
  now: () => Date;
  /** The default annotator for a dataset directory (`git config user.email`), or null. */
  defaultAnnotator: (dir: string) => string | null;
}

const gitEmail = (dir: string): string | null => {
  const r = spawnSync('git', ['config', 'user.email'], { cwd: dir, encoding: 'utf8', timeout: 10_000 });
  const email = r.status === 0 ? r.stdout.trim() : '';
  return email.length > 0 ? email : null;
};

const processEnv = (): AttestEnv => ({
  interactive: Boolean(process.stdin.isTTY && process.stdout.isTTY),
  input: process.stdin,
  now: () => new Date(),
  defaultAnnotator: gitEmail,
});

const exists = (path: string): boolean => {
  try {
    return lstatSync(path, { throwIfNoEntry: false }) !== undefined;
  } catch (e) {
    throw new SegqcError('usage', errnoCause(e), { file: path });
  }
};

/** The mask's absolute path with its directory's links resolved (the mask itself may be a link, as git-annex makes it). */
function maskPath(arg: string): string {
  const abs = resolve(arg);
  let st;
  try {
    st = statSync(abs);
  } catch (e) {
    throw new SegqcError('usage', errnoCause(e), { file: arg });
  }
  if (!st.isFile()) throw new SegqcError('usage', 'is not a file', { file: arg });
  if (abs.toLowerCase().endsWith('.segqc.json')) throw new SegqcError('usage', 'is an attestation sidecar: name the mask it belongs to', { file: arg });
  return join(realpathSync(dirname(abs)), basename(abs));
}

/** The dataset directory: --dir, else the nearest directory holding the config, from the mask's directory upward. */
function datasetDir(mask: string, dirFlag: string | undefined, config: string): string {
  if (dirFlag !== undefined) {
    const d = resolve(dirFlag);
    if (!exists(join(d, config))) throw new SegqcError('usage', `no ${config} in ${dirFlag}: --dir names the dataset directory that holds it`);
    return realpathSync(d);
  }
  for (let d = dirname(mask); ; d = dirname(d)) {
    if (exists(join(d, config))) return d;
    if (dirname(d) === d) break;
  }
  throw new SegqcError('usage', `no ${config} in ${dirname(mask)} or any directory above it: name the dataset with --dir DATASET`);
}

const YES = new Set(['yes', 'y', 'true']);
const NO = new Set(['no', 'n', 'false']);

/** The --answer flags as answers; an id the checklist does not have is a usage error with the closest id. */
function flagAnswers(values: string[], guideline: Guideline): ChecklistAnswers {
  const ids = (guideline.checklist ?? []).map((i) => i.id);
  const out: ChecklistAnswers = {};
  for (const part of values.flatMap((v) => v.split(','))) {
    const m = /^\s*([^=\s]+)\s*=\s*(\S*)\s*$/.exec(part);
    if (!m) throw new SegqcError('usage', `--answer takes ID=yes or ID=no, got "${part}"`);
    const [, id, v] = m;
    if (!ids.includes(id)) {
      const guess = closest(id, ids);
      const known = ids.length > 0 ? `the checklist of ${guideline.id} ${guideline.version} has ${ids.join(', ')}` : `${guideline.id} ${guideline.version} has no checklist`;
      throw new SegqcError('usage', `--answer: unknown checklist id '${id}'${guess ? `; did you mean '${guess}'?` : ''} (${known})`);
    }
    const value = YES.has(v.toLowerCase()) ? true : NO.has(v.toLowerCase()) ? false : null;
    if (value === null) throw new SegqcError('usage', `--answer ${id} takes yes or no, got "${v}"`);
    if (id in out && out[id] !== value) throw new SegqcError('usage', `--answer ${id} is given both yes and no`);
    out[id] = value;
  }
  return out;
}

const whenText = (item: ChecklistItem): string =>
  !item.when ? '' : 'label_present' in item.when ? `${item.when.label_present} is drawn` : `${item.when.label_absent} is not drawn`;

const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;

export async function runAttest(argv: string[], out: (s: string) => void, err: (s: string) => void, env: AttestEnv = processEnv()): Promise<number> {
  const { positional, flags, lists } = parseArgs(argv, ['annotator', 'dir', 'config'], ['help', 'force'], ['answer']);
  if (flags.help) {
    out(attestHelp);
    return 0;
  }
  if (positional.length !== 1) throw new SegqcError('usage', `attest takes one mask, got ${positional.length}\n\n${attestHelp}`);
  const mask = maskPath(positional[0]);
  const configPath = String(flags.config ?? 'segqc.yaml');
  const dir = datasetDir(mask, flags.dir === undefined ? undefined : String(flags.dir), configPath);
  const rel = relative(dir, mask).split(sep).join('/');
  if (rel.startsWith('../') || isAbsolute(rel)) throw new SegqcError('usage', `is outside the dataset ${dir}`, { file: positional[0] });

  const tree = fsTree(dir);
  const ctx = loadDatasetContext(tree, configPath);
  const guideline = ctx.guideline;
  const sources = ctx.config.sources as SourceSpec[];
  const source = sources.find((s) => globToRegExp(s.path).test(rel));
  if (!source) {
    throw new SegqcError('usage', `is not a mask of any source of ${configPath} (${sources.map((s) => `path: ${s.path}`).join('; ')})`, { file: rel });
  }
  if (source.format === 'labelstudio') {
    throw new SegqcError('usage', 'is a Label Studio export: its annotations carry their attestation in the export, written by the segqc Label Studio extension', { file: rel });
  }
  const side = sidecarOf(rel);
  const sideAbs = join(dir, ...side.split('/'));
  if (!flags.force && exists(sideAbs)) throw new SegqcError('usage', 'exists already: --force replaces it', { file: side });

  const given = flagAnswers(lists.answer ?? [], guideline);
  const annotator = flags.annotator !== undefined ? String(flags.annotator).trim() : env.defaultAnnotator(dir);
  if (!annotator) throw new SegqcError('usage', 'who attests? pass --annotator NAME (git config user.email is not set)');

  const labelValues = Object.fromEntries(guideline.labels.map((l) => [l.name, l.value]));
  const { items, orphans } = discoverItems(tree, sources, { labelValues, reference: (ctx.config.reference as SourceSpec | undefined) ?? null });
  const pending = items.find((it) => it.annotations.some((a) => a.file === rel));
  if (!pending) throw new SegqcError('usage', `is not a mask of any source of ${configPath}`, { file: rel });

  // The mask is checked as if it had no attestation: the one being written replaces any there is.
  let loaded: AnnotationInput | null = null;
  const report = checkPendingItem(
    guideline,
    tree,
    {
      ...pending,
      annotations: pending.annotations.map((a) =>
        a.file !== rel
          ? a
          : {
              file: a.file,
              load: () => {
                loaded = a.load();
                return { ...loaded, attestation: null };
              },
            },
      ),
    },
    orphans.includes(pending.id),
  );
  const about = (f: Finding) => f.annotation === rel && !f.rule.startsWith('checklist.') && !f.rule.startsWith('attestation.');
  const annotation = loaded as AnnotationInput | null;
  if (annotation === null) {
    const why = report.findings.find((f) => f.rule === 'format.unreadable');
    throw new SegqcError('format.unreadable', why ? why.message : 'cannot be read', why ? {} : { file: rel });
  }
  const findings = sortFindings(report.findings.filter(about));
  const others = sortFindings(report.findings.filter((f) => f.annotation === null));

  out(`${neutralize(rel)} (item ${neutralize(pending.id)}) — guideline ${neutralize(guideline.id)} ${neutralize(guideline.version)}\n`);
  if (findings.length === 0) out('  no findings\n');
  for (const f of findings) out(`  ${f.severity.padEnd(7)} ${f.rule.padEnd(27)} ${neutralize(f.message)}\n`);
  if (others.length > 0) {
    out(`item ${neutralize(pending.id)}:\n`);
    for (const f of others) out(`  ${f.severity.padEnd(7)} ${f.rule.padEnd(27)} ${neutralize(f.message)}\n`);
  }

  const present = drawnLabelNames(guideline, annotation.segmentation);
  const applies = checklistState(guideline, present, null).filter((s) => s.visible).map((s) => s.item);
  const appliesIds = new Set(applies.map((i) => i.id));
  for (const id of Object.keys(given)) {
    if (appliesIds.has(id)) continue;
    const item = (guideline.checklist ?? []).find((i) => i.id === id) as ChecklistItem;
    err(`segqc attest: note: ${id} does not apply to this mask (it is asked when ${neutralize(whenText(item))}); its answer is not recorded\n`);
  }
  const answers: ChecklistAnswers = {};
  for (const item of applies) if (item.id in given) answers[item.id] = given[item.id];
  const toAsk = applies.filter((i) => !(i.id in given));
  if (toAsk.length > 0 && env.interactive) {
    out(`Checklist: ${plural(applies.length, 'question')} ${applies.length === 1 ? 'applies' : 'apply'} to this mask${toAsk.length < applies.length ? `, ${toAsk.length} to answer` : ''}\n`);
    Object.assign(answers, await askChecklist(toAsk, env.input, out));
  } else {
    const missing = toAsk.filter(isRequiredItem);
    if (missing.length > 0) {
      err(
        `segqc attest: no terminal to ask on, and no answer to ${plural(missing.length, 'required checklist item')} that ${missing.length === 1 ? 'applies' : 'apply'} to this mask: ` +
          `${missing.map((i) => `${i.id} ("${neutralize(i.prompt)}"${i.when ? `, asked as ${neutralize(whenText(i))}` : ''})`).join(', ')}. ` +
          `Pass ${missing.map((i) => `--answer ${i.id}=yes`).join(' ')} once confirmed; nothing was written\n`,
      );
      return 2;
    }
  }
  const refused = applies.filter((i) => isRequiredItem(i) && answers[i.id] === false);
  if (refused.length > 0) {
    err(
      `segqc attest: not written: the guideline requires ${refused.map((i) => `"${neutralize(i.prompt)}" (${i.id})`).join(', ')}, answered no. ` +
        'Fix the mask, then run segqc attest again\n',
    );
    return 1;
  }

  const attestation = buildAttestation({
    guideline,
    sha256: guidelineSha256(guideline),
    findings,
    answers,
    overrides: [],
    tool: { name: 'segqc', version: VERSION },
    now: env.now(),
    annotator,
  });
  const { problems } = validateAttestation(attestation);
  if (problems.length > 0) throw new SegqcError('internal', `the attestation built does not follow guidelines/attestation.schema.json: ${problems.join('; ')}`);
  if (!flags.force && exists(sideAbs)) throw new SegqcError('usage', 'appeared while the questions were asked: --force replaces it', { file: side });
  writeFileAtomic(sideAbs, JSON.stringify(attestation, null, 2) + '\n');
  const yes = Object.values(answers).filter(Boolean).length;
  out(`wrote ${neutralize(side)}: ${guideline.id} ${guideline.version}, ${yes} of ${plural(applies.length, 'checklist item')} confirmed, attested by ${neutralize(annotator)}\n`);
  const errors = findings.filter((f) => f.severity === 'error').length;
  if (errors > 0) out(`note: ${plural(errors, 'error finding')} of this mask remain${errors === 1 ? 's' : ''}; segqc check fails on ${errors === 1 ? 'it' : 'them'} until the mask is fixed\n`);
  return 0;
}
