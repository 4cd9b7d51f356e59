/** `segqc review <mask> --verdict …`: records a reviewer's verdict on a mask of a file dataset, beside the mask. */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { SegqcError, isSegqcError } from '../../shared/errors.js';
import { loadDatasetContext } from '../../shared/dataset/context.js';
import { discoverItems, reviewSidecarOf, type SourceSpec } from '../../shared/dataset/items.js';
import { globToRegExp } from '../../shared/dataset/glob.js';
import { appendReview, parseReviewDocument, type ReviewVerdict } from '../../shared/review/record.js';
import { reviewChoiceProblems, reviewEntry } from '../../shared/review/entry.js';
import { ineligibility } from '../../shared/rules/review.js';
import { stageName } from '../../shared/report/finding-text.js';
import { neutralize } from '../../shared/report/escape.js';
import { parseArgs } from '../args.js';
import { fsTree } from '../../node/fs-tree.js';
import { gitUserEmail, openGitRepository, type GitRepository } from '../../node/git.js';
import { writeFileAtomic } from '../../node/write-atomic.js';
import { VERSION } from '../../node/version.js';

export const reviewHelp = `Usage: segqc review <mask> --verdict accept|reject|accept_with_fixes [options]

Records a reviewer's verdict on one mask of a file dataset in the review sidecar beside it (ct_001.nii.gz ->
ct_001.review.json, guidelines/review.schema.json), with the sha256 of the mask, so that a later edit of the mask
makes the verdict stale. Records are appended; the latest of each stage counts. segqc check reports rejected,
pending, stale and ineligible reviews. Commit the sidecar with the dataset.

Options:
  --verdict V              accept, reject or accept_with_fixes (you fixed the mask: it is accepted as it is now)
  --reason ID              a reason from the guideline's review.reasons (repeat it, or separate ids with commas)
  --comment TEXT           what the annotator should know
  --stage ID               the review stage (default: the first stage of the guideline you may review)
  --reviewer NAME          who reviews (default: git config user.email)
  --base REF               accept_with_fixes: the commit holding the mask as you reviewed it, before your fix (default HEAD)
  --config FILE            the dataset's segqc.yaml (default: the nearest one above the mask)
Exit codes: 0 recorded, 2 usage error or bad input.
`;

/** What `segqc review` asks of its surroundings; tests hand in their own. */
export interface ReviewDeps {
  open: (dir: string) => GitRepository;
  whoami: (dir: string) => string | null;
  now: () => Date;
}

const defaults: ReviewDeps = { open: openGitRepository, whoami: gitUserEmail, now: () => new Date() };

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** `--reason a --reason b,c`: every occurrence, split at commas; the other arguments for `parseArgs`. */
function takeReasons(argv: string[]): { reasons: string[]; rest: string[] } {
  const reasons: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    if (a === '--reason' || a.startsWith('--reason=')) {
      const v = a === '--reason' ? argv[++i] : a.slice('--reason='.length);
      if (v === undefined) throw new SegqcError('usage', '--reason needs a value');
      reasons.push(...v.split(',').map((s) => s.trim()).filter(Boolean));
    } else rest.push(a);
  }
  return { reasons, rest };
}

/** The dataset config: `--config`, else the nearest `segqc.yaml` above `from`. */
function findConfig(from: string, flag: string | undefined): string {
  if (flag) {
    const file = resolve(flag);
    if (!existsSync(file) || !statSync(file).isFile()) throw new SegqcError('usage', 'is not a file', { file: flag });
    return file;
  }
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'segqc.yaml');
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
    if (dirname(dir) === dir) throw new SegqcError('usage', `no segqc.yaml in ${from} or above it: pass --config with the dataset's segqc.yaml`);
  }
}

export function runReview(argv: string[], out: (s: string) => void, err: (s: string) => void, deps: ReviewDeps = defaults): number {
  const { reasons, rest } = takeReasons(argv);
  const { positional, flags } = parseArgs(rest, ['verdict', 'comment', 'stage', 'reviewer', 'base', 'config'], ['help']);
  if (flags.help) {
    out(reviewHelp);
    return 0;
  }
  if (positional.length !== 1) throw new SegqcError('usage', `review takes one mask, got ${positional.length}\n\n${reviewHelp}`);
  if (!flags.verdict) throw new SegqcError('usage', `review needs --verdict accept, reject or accept_with_fixes\n\n${reviewHelp}`);
  const maskArg = positional[0];
  const mask = resolve(maskArg);
  if (!existsSync(mask) || !statSync(mask).isFile()) throw new SegqcError('usage', 'is not a file', { file: maskArg });

  const configFile = findConfig(dirname(mask), flags.config ? String(flags.config) : undefined);
  const root = dirname(configFile);
  const rel = relative(root, mask).split(sep).join('/');
  if (rel.startsWith('../') || rel === '..') throw new SegqcError('usage', `is not inside the dataset of ${configFile}`, { file: maskArg });
  const tree = fsTree(root);
  const ctx = loadDatasetContext(tree, basename(configFile));
  const guideline = ctx.guideline;
  const sources = ctx.config.sources as SourceSpec[];
  if (sources.some((s) => s.format === 'labelstudio' && globToRegExp(s.path).test(rel))) {
    throw new SegqcError('usage', 'is a Label Studio export: a review of a Label Studio annotation is recorded in the annotation (the segqc_review field), in the editor', { file: rel });
  }
  const { items } = discoverItems(tree, sources, { labelValues: Object.fromEntries(guideline.labels.map((l) => [l.name, l.value])) });
  const item = items.find((it) => it.annotations.some((a) => a.file === rel));
  const pending = item?.annotations.find((a) => a.file === rel);
  if (!item || !pending) throw new SegqcError('usage', `is not an annotation of the dataset (${ctx.configPath} sources: ${sources.map((s) => s.path).join(', ')})`, { file: rel });
  let authors: Array<string | null>;
  try {
    const loaded = pending.load();
    const attested = (loaded.attestation as { annotator?: unknown } | null)?.annotator;
    authors = [loaded.annotator, typeof attested === 'string' ? attested : null];
  } catch (e) {
    if (!isSegqcError(e)) throw e;
    throw new SegqcError('usage', `cannot be read (${e.detail}): a mask must be readable to be reviewed`, { file: rel });
  }

  const reviewer = flags.reviewer ? String(flags.reviewer) : deps.whoami(root);
  if (!reviewer) throw new SegqcError('usage', 'who reviews? git has no user.email here: run git config user.email you@example.org, or pass --reviewer');
  const stages = guideline.review?.stages ?? [];
  const stageId = flags.stage ? String(flags.stage) : (stages.find((s) => ineligibility({ reviewer, reviewer_id: null }, s, authors) === null) ?? stages[0])?.id ?? '';
  const verdict = String(flags.verdict);
  const problems = reviewChoiceProblems(guideline, { stage: stageId, verdict, reasons });
  if (problems.length) throw new SegqcError('usage', problems.join('; '), { file: ctx.guidelinePath });
  const stage = stages.find((s) => s.id === stageId)!;

  const bytes = new Uint8Array(readFileSync(mask));
  const current = sha256(bytes);
  let maskSha256 = current;
  let fixedSha256: string | null = null;
  if (verdict === 'accept_with_fixes') {
    const ref = flags.base ? String(flags.base) : 'HEAD';
    const repo = deps.open(root);
    const before = repo.readBlobs(repo.resolveCommit(ref), [`${repo.prefix}${rel}`])[0];
    maskSha256 = sha256(before);
    fixedSha256 = current;
    if (maskSha256 === fixedSha256) {
      throw new SegqcError('usage', `is the same in ${ref} and in the working tree: accept_with_fixes records the mask before and after your fix; edit the mask first, or name the commit before your fix with --base`, { file: rel });
    }
  } else if (flags.base) throw new SegqcError('usage', '--base goes with --verdict accept_with_fixes');

  const side = reviewSidecarOf(rel);
  const sidePath = join(root, ...side.split('/'));
  let doc = null;
  if (existsSync(sidePath)) {
    const parsed = parseReviewDocument(readFileSync(sidePath, 'utf8'));
    if (!parsed.document) {
      throw new SegqcError('usage', `is not a review record file (guidelines/review.schema.json): ${parsed.problems.slice(0, 3).join('; ')}; fix or remove it: segqc review does not overwrite records it cannot read`, { file: side });
    }
    doc = parsed.document;
  }
  const entry = reviewEntry({
    stage: stageId,
    reviewer,
    verdict: verdict as ReviewVerdict,
    reasons,
    comment: flags.comment ? String(flags.comment) : null,
    time: deps.now().toISOString(),
    maskSha256,
    fixedSha256,
    tool: { name: 'segqc', version: VERSION },
  });
  writeFileAtomic(sidePath, JSON.stringify(appendReview(doc, entry), null, 2) + '\n');

  const why = ineligibility({ reviewer, reviewer_id: null }, stage, authors);
  if (why) {
    const words = why === 'author' ? `${authors.filter(Boolean).join(', ')} made this annotation` : `the reviewers of stage ${stage.id} are ${Array.isArray(stage.reviewers) ? stage.reviewers.join(', ') : 'others'}`;
    err(neutralize(`segqc review: note: ${reviewer} may not review at stage ${stage.id} (${words}); segqc check will report this record as review.ineligible`) + '\n');
  }
  const titles = new Map((guideline.review?.reasons ?? []).map((r) => [r.id, r.title]));
  const said = reasons.length ? ` (${reasons.map((r) => titles.get(r) ?? r).join('; ')})` : '';
  out(neutralize(`${verdict} of ${rel} at review stage ${stageName({ id: stage.id, title: stage.title ?? null })} by ${reviewer}${said} → ${side}`) + '\n');
  return 0;
}
