import { beforeAll, describe, expect, test } from 'vitest';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import Ajv2020 from 'ajv/dist/2020.js';
import attestationSchema from '../guidelines/attestation.schema.json';
import { runAttest, type AttestEnv } from '../cli/commands/attest.js';
import { askChecklist } from '../cli/prompt.js';
import { SegqcError } from '../shared/errors.js';
import { expectNoInternalError } from './no-internal.js';

const root = join(__dirname, '..');
const bin = join(root, 'bin/segqc.js');
const VERSION = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
const validateAttestation = new Ajv2020({ allErrors: true, strict: false }).compile(attestationSchema);

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'segqc-attest-'));
});

/** A fresh copy of examples/liver-ct. */
function dataset(): string {
  const d = mkdtempSync(join(tmp, 'liver-'));
  cpSync(join(root, 'examples/liver-ct'), d, { recursive: true });
  return d;
}

function segqc(args: string[], cwd: string, opts: { env?: NodeJS.ProcessEnv; input?: string } = {}) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', timeout: 120_000, input: opts.input ?? '', env: { ...process.env, ...opts.env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function check(dir: string) {
  const json = join(dir, `report-${Math.random().toString(36).slice(2)}.json`);
  const r = segqc(['check', '.', '--json', json], dir);
  const report = JSON.parse(readFileSync(json, 'utf8'));
  expectNoInternalError(report, r.stderr);
  return report;
}

const rulesOf = (report: any, item: string) =>
  report.items
    .find((i: any) => i.id === item)
    .findings.map((f: any) => `${f.rule} ${f.annotator}`)
    .sort();

const readJson = (p: string) => JSON.parse(readFileSync(p, 'utf8'));

const PROMPTS = {
  veins_excluded: 'Portal and hepatic veins excluded from liver',
  margins_reviewed: 'Tumour margins reviewed on adjacent slices',
  no_tumour_confirmed: 'No tumour visible — confirmed on portal venous phase',
};

describe('segqc attest without a terminal', () => {
  test('writes a sidecar that follows the schema, records the mask findings, and makes segqc check accept the checklist', () => {
    const d = dataset();
    const before = check(d);
    expect(rulesOf(before, 'ct_003')).toEqual([
      'attestation.missing rater1',
      'checklist.missing rater1',
      'components.too_many rater1',
      'slices.gap rater1',
      'volume.below_min rater1',
    ]);
    const t0 = Date.now();
    const r = segqc(['attest', 'labels/rater1/ct_003.nii.gz', '--annotator', 'ana@example.org', '--answer', 'veins_excluded=yes', '--answer', 'no_tumour_confirmed=y'], d);
    const t1 = Date.now();
    expect(r.code, r.stderr).toBe(0);
    // The mask's findings come first, then the line saying what was written.
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('labels/rater1/ct_003.nii.gz (item ct_003) — guideline liver-ct 1.2.0');
    expect(r.stdout.indexOf('volume.below_min')).toBeGreaterThan(0);
    expect(r.stdout.indexOf('volume.below_min')).toBeLessThan(r.stdout.indexOf('wrote labels/rater1/ct_003.segqc.json'));
    expect(r.stdout).toContain('note: 1 error finding of this mask remains; segqc check fails on it until the mask is fixed');

    const side = readJson(join(d, 'labels/rater1/ct_003.segqc.json'));
    expect(validateAttestation(side), JSON.stringify(validateAttestation.errors)).toBe(true);
    // The fingerprint the dataset's current sidecars carry (examples/liver-ct, accepted by segqc check).
    const current = readJson(join(root, 'examples/liver-ct/labels/rater1/ct_001.segqc.json')).guideline;
    expect(side.guideline).toEqual(current);
    expect(side.answers).toEqual({ veins_excluded: true, margins_reviewed: false, no_tumour_confirmed: true });
    expect(side.annotator).toBe('ana@example.org');
    expect(side.tool).toEqual({ name: 'segqc', version: VERSION });
    expect(side.overrides).toEqual([]);
    const at = Date.parse(side.submitted_at);
    expect(at).toBeGreaterThanOrEqual(t0 - 1000);
    expect(at).toBeLessThanOrEqual(t1 + 1000);
    const maskFindings = before.items.find((i: any) => i.id === 'ct_003').findings.filter((f: any) => !/^(checklist|attestation)\./.test(f.rule));
    expect(side.findings.map((f: any) => `${f.severity} ${f.rule} ${f.label}`).sort()).toEqual(maskFindings.map((f: any) => `${f.severity} ${f.rule} ${f.label}`).sort());
    expect(side.findings.map((f: any) => f.message).sort()).toEqual(maskFindings.map((f: any) => f.message).sort());

    const after = check(d);
    expect(rulesOf(after, 'ct_003')).toEqual(['components.too_many rater1', 'slices.gap rater1', 'volume.below_min rater1']);
    expect(after.totals.by_rule['checklist.missing']).toBeUndefined();
    expect(after.totals.by_rule['attestation.missing']).toBeUndefined();
  });

  test('a required answer missing: exit 2 naming it, nothing written', () => {
    const d = dataset();
    rmSync(join(d, 'labels/rater1/ct_001.segqc.json'));
    const r = segqc(['attest', 'labels/rater1/ct_001.nii.gz', '--annotator', 'ana', '--answer', 'veins_excluded=yes'], d);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `no answer to 1 required checklist item that applies to this mask: margins_reviewed ("${PROMPTS.margins_reviewed}", asked as Liver tumour is drawn). Pass --answer margins_reviewed=yes once confirmed; nothing was written`,
    );
    expect(existsSync(join(d, 'labels/rater1/ct_001.segqc.json'))).toBe(false);
    // With it, the sidecar makes ct_001 clean again.
    const ok = segqc(['attest', 'labels/rater1/ct_001.nii.gz', '--annotator', 'ana', '--answer', 'veins_excluded=yes,margins_reviewed=yes'], d);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('  no findings');
    expect(rulesOf(check(d), 'ct_001')).toEqual([]);
  });

  test('a required question answered no: exit 1, nothing written', () => {
    const d = dataset();
    const r = segqc(['attest', 'labels/rater1/ct_003.nii.gz', '--annotator', 'ana', '--answer', 'veins_excluded=yes', '--answer', 'no_tumour_confirmed=no'], d);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`not written: the guideline requires "${PROMPTS.no_tumour_confirmed}" (no_tumour_confirmed), answered no`);
    expect(existsSync(join(d, 'labels/rater1/ct_003.segqc.json'))).toBe(false);
  });

  test('an --answer id not in the checklist is a usage error with the closest id; answers must be yes or no', () => {
    const d = dataset();
    const r = segqc(['attest', 'labels/rater1/ct_003.nii.gz', '--annotator', 'ana', '--answer', 'vein_excluded=yes'], d);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      "segqc attest: error [usage] --answer: unknown checklist id 'vein_excluded'; did you mean 'veins_excluded'? (the checklist of liver-ct 1.2.0 has veins_excluded, margins_reviewed, no_tumour_confirmed)\n",
    );
    const bad = segqc(['attest', 'labels/rater1/ct_003.nii.gz', '--annotator', 'ana', '--answer', 'veins_excluded=maybe'], d);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--answer veins_excluded takes yes or no, got "maybe"');
    expect(existsSync(join(d, 'labels/rater1/ct_003.segqc.json'))).toBe(false);
  });

  test('an answer to a question that does not apply to the mask is not recorded', () => {
    const d = dataset();
    const r = segqc(['attest', 'labels/rater1/ct_003.nii.gz', '--annotator', 'ana', '--answer', 'veins_excluded=yes,no_tumour_confirmed=yes,margins_reviewed=yes'], d);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('note: margins_reviewed does not apply to this mask (it is asked when Liver tumour is drawn); its answer is not recorded');
    expect(readJson(join(d, 'labels/rater1/ct_003.segqc.json')).answers.margins_reviewed).toBe(false);
  });

  test('an existing sidecar is kept unless --force', () => {
    const d = dataset();
    const path = join(d, 'labels/rater2/ct_001.segqc.json');
    const original = readFileSync(path);
    const args = ['attest', 'labels/rater2/ct_001.nii.gz', '--annotator', 'bo', '--answer', 'veins_excluded=yes,margins_reviewed=yes'];
    const r = segqc(args, d);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('segqc attest: error [usage] labels/rater2/ct_001.segqc.json: exists already: --force replaces it\n');
    expect(readFileSync(path).equals(original)).toBe(true);
    const forced = segqc([...args, '--force'], d);
    expect(forced.code, forced.stderr).toBe(0);
    const side = readJson(path);
    expect(side.annotator).toBe('bo');
    expect(validateAttestation(side)).toBe(true);
    expect(rulesOf(check(d), 'ct_001')).toEqual([]);
  });

  test('the annotator defaults to git config user.email; without one --annotator is required', () => {
    const d = dataset();
    const env = { GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1', HOME: d };
    const git = (...a: string[]) => expect(spawnSync('git', a, { cwd: d, env: { ...process.env, ...env } }).status).toBe(0);
    git('init', '-q');
    const args = ['attest', 'labels/rater1/ct_003.nii.gz', '--answer', 'veins_excluded=yes,no_tumour_confirmed=yes'];
    const none = segqc(args, d, { env });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('pass --annotator NAME (git config user.email is not set)');
    git('config', 'user.email', 'rater1@hospital.example');
    const r = segqc(args, d, { env });
    expect(r.code, r.stderr).toBe(0);
    expect(readJson(join(d, 'labels/rater1/ct_003.segqc.json')).annotator).toBe('rater1@hospital.example');
  });

  test('finds segqc.yaml above the mask or takes --dir; refuses what is not a mask of the dataset', () => {
    const d = dataset();
    rmSync(join(d, 'labels/rater1/ct_001.segqc.json'));
    const answers = ['--annotator', 'ana', '--answer', 'veins_excluded=yes,margins_reviewed=yes'];
    const fromBelow = segqc(['attest', 'ct_001.nii.gz', ...answers], join(d, 'labels/rater1'));
    expect(fromBelow.code, fromBelow.stderr).toBe(0);
    expect(fromBelow.stdout).toContain('wrote labels/rater1/ct_001.segqc.json');
    const elsewhere = segqc(['attest', join(d, 'labels/rater1/ct_001.nii.gz'), '--dir', d, '--force', ...answers], tmp);
    expect(elsewhere.code, elsewhere.stderr).toBe(0);
    const noDataset = segqc(['attest', join(d, 'labels/rater1/ct_001.nii.gz'), '--dir', tmp, ...answers], tmp);
    expect(noDataset.code).toBe(2);
    expect(noDataset.stderr).toContain(`no segqc.yaml in ${tmp}: --dir names the dataset directory that holds it`);
    const image = segqc(['attest', 'images/ct_001.nii.gz', ...answers], d);
    expect(image.code).toBe(2);
    expect(image.stderr).toContain('images/ct_001.nii.gz: is not a mask of any source of segqc.yaml (path: labels/*/*.nii.gz)');
    const sidecar = segqc(['attest', 'labels/rater2/ct_001.segqc.json', ...answers], d);
    expect(sidecar.code).toBe(2);
    expect(sidecar.stderr).toContain('is an attestation sidecar: name the mask it belongs to');
    const missing = segqc(['attest', 'labels/rater1/ct_009.nii.gz', ...answers], d);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('labels/rater1/ct_009.nii.gz: does not exist');
  });
});

/** An environment with a terminal whose user types `typed`. */
const typing = (typed: string): AttestEnv => {
  const input = new PassThrough();
  input.end(typed);
  return { interactive: true, input, now: () => new Date('2026-12-07T09:30:00Z'), defaultAnnotator: () => 'tty@example.org' };
};

async function attestIn(args: string[], typed: string) {
  let out = '';
  let err = '';
  const code = await runAttest(args, (s) => (out += s), (s) => (err += s), typing(typed));
  return { code, out, err };
}

const asked = (out: string) => Object.entries(PROMPTS).filter(([, p]) => out.includes(p)).map(([id]) => id);

describe('segqc attest on a terminal', () => {
  test('asks the questions whose `when` holds on that mask: margins with a tumour drawn, "no tumour" without', async () => {
    const d = dataset();
    rmSync(join(d, 'labels/rater1/ct_001.segqc.json'));
    const withTumour = await attestIn([join(d, 'labels/rater1/ct_001.nii.gz')], 'y\ny\n');
    expect(withTumour.code, withTumour.err).toBe(0);
    expect(asked(withTumour.out)).toEqual(['veins_excluded', 'margins_reviewed']);
    expect(withTumour.out).toContain(`  [1/2] ${PROMPTS.veins_excluded}\n`);
    expect(withTumour.out).toContain(`  [2/2] ${PROMPTS.margins_reviewed}\n`);
    const a = readJson(join(d, 'labels/rater1/ct_001.segqc.json'));
    expect(a.answers).toEqual({ veins_excluded: true, margins_reviewed: true, no_tumour_confirmed: false });
    expect([a.annotator, a.submitted_at]).toEqual(['tty@example.org', '2026-12-07T09:30:00.000Z']);

    const noTumour = await attestIn([join(d, 'labels/rater1/ct_003.nii.gz')], 'yes\nY\n');
    expect(noTumour.code, noTumour.err).toBe(0);
    expect(asked(noTumour.out)).toEqual(['veins_excluded', 'no_tumour_confirmed']);
    // The mask's findings are shown before the first question.
    expect(noTumour.out.indexOf('volume.below_min')).toBeLessThan(noTumour.out.indexOf(PROMPTS.veins_excluded));
    expect(readJson(join(d, 'labels/rater1/ct_003.segqc.json')).answers).toEqual({ veins_excluded: true, margins_reviewed: false, no_tumour_confirmed: true });
    expect(rulesOf(check(d), 'ct_001')).toEqual([]);
  });

  test('an --answer is not asked again; a required no writes nothing', async () => {
    const d = dataset();
    const r = await attestIn([join(d, 'labels/rater1/ct_003.nii.gz'), '--answer', 'veins_excluded=yes'], 'n\n');
    expect(asked(r.out)).toEqual(['no_tumour_confirmed']);
    expect(r.code).toBe(1);
    expect(existsSync(join(d, 'labels/rater1/ct_003.segqc.json'))).toBe(false);
  });

  test('the prompt loop asks again on an unclear answer and stops when the input ends', async () => {
    const items = [
      { id: 'a', prompt: 'First' },
      { id: 'b', prompt: 'Second', required: false, help: 'Some help' },
    ];
    let out = '';
    const answers = await askChecklist(items, typing('maybe\nY\n  no \n').input, (s) => (out += s));
    expect(answers).toEqual({ a: true, b: false });
    expect(out).toBe(
      '  [1/2] First\n        Confirm? [y/n]         Answer y (yes) or n (no).\n        Confirm? [y/n]   [2/2] Second (optional)\n        Some help\n        Confirm? [y/n] ',
    );
    const ended = askChecklist(items, typing('y\n').input, () => {});
    await expect(ended).rejects.toBeInstanceOf(SegqcError);
    await expect(askChecklist(items, typing('y\n').input, () => {})).rejects.toThrow('the input ended before "Second" (b) was answered; nothing was written');
    await expect(askChecklist(items, typing('x\n'.repeat(10)).input, () => {})).rejects.toThrow('no yes or no to "First" (a)');
  });

  test('a real pseudo-terminal (script): questions asked, answers read, sidecar written', () => {
    const d = dataset();
    const cmd = [process.execPath, bin, 'attest', 'labels/rater1/ct_003.nii.gz', '--annotator', 'pty'].map((a) => `'${a}'`).join(' ');
    const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { cwd: d, input: 'y\ny\n', encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const text = r.stdout.replace(/\r/g, '');
    expect(text).toContain(`[1/2] ${PROMPTS.veins_excluded}`);
    expect(text).toContain(`[2/2] ${PROMPTS.no_tumour_confirmed}`);
    expect(text).not.toContain(PROMPTS.margins_reviewed);
    expect(text).toContain('wrote labels/rater1/ct_003.segqc.json');
    const a = readJson(join(d, 'labels/rater1/ct_003.segqc.json'));
    expect(a.answers).toEqual({ veins_excluded: true, margins_reviewed: false, no_tumour_confirmed: true });
    expect(validateAttestation(a)).toBe(true);
  });
});
