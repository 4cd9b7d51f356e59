/** The gate policy (shared/rules/gate.ts) and how the CLI and the Action combine a flag or input with the config's gate. */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decideGate, gateFails, parseFailOn, type FailOn } from '../shared/rules/gate.js';
import { SegqcError } from '../shared/errors.js';
import { parseConfig } from '../shared/guideline/config.js';
import { runCheck } from '../cli/commands/check.js';
import { actionGate, readInputs } from '../action/src/inputs.js';

describe('gate policy', () => {
  it('counts fail the gate by severity', () => {
    expect(gateFails({ errors: 0, warnings: 2 }, 'error')).toBe(false);
    expect(gateFails({ errors: 0, warnings: 2 }, 'warning')).toBe(true);
    expect(gateFails({ errors: 3, warnings: 0 }, 'never')).toBe(false);
    expect(gateFails({ errors: 1, warnings: 0 }, 'error')).toBe(true);
    expect(gateFails({ errors: 0, warnings: 0 }, 'warning')).toBe(false);
  });

  it('parses the three names and refuses others with a usage error naming the source', () => {
    expect(['error', 'warning', 'never'].map((v) => parseFailOn(v, '--fail-on'))).toEqual(['error', 'warning', 'never']);
    expect(parseFailOn(' warning ', 'input fail-on')).toBe('warning');
    for (const bad of ['', 'info', 'Error', 'errors']) {
      const usage = new SegqcError('usage', `--fail-on is one of error, warning, never, got "${bad}"`);
      expect(() => parseFailOn(bad, '--fail-on')).toThrow(expect.objectContaining({ code: usage.code, message: usage.message }));
    }
  });

  it('a config without gate.fail-on gates on errors', () => {
    expect(parseConfig('guideline: g.yaml\nsources:\n  - format: nifti\n    path: "*.nii.gz"\n', 'segqc.yaml').gate.fail_on).toBe('error');
  });

  // [config, requested, override] -> [applied, refused], written out by hand (strictness: never < error < warning).
  const table: Array<[FailOn, FailOn | null, boolean, FailOn, FailOn | null]> = [
    ['error', null, false, 'error', null],
    ['never', null, false, 'never', null],
    ['error', 'warning', false, 'warning', null],
    ['never', 'error', false, 'error', null],
    ['error', 'error', false, 'error', null],
    ['error', 'never', false, 'error', 'never'],
    ['warning', 'error', false, 'warning', 'error'],
    ['warning', 'never', false, 'warning', 'never'],
    ['error', 'never', true, 'never', null],
    ['warning', 'error', true, 'error', null],
    ['never', 'warning', true, 'warning', null],
  ];
  it.each(table)('config %s, requested %s, override %s: %s applies (refused %s)', (config, requested, override, applied, refused) => {
    expect(decideGate(config, requested, override)).toEqual({ failOn: applied, refused });
  });
});

describe('the CLI: --fail-on tightens, --override-config lets it loosen', () => {
  let tmp: string;
  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), 'segqc-gate-'));
  });
  // examples/pathology has 6 errors and no warnings.
  const dataset = (gate: FailOn) => {
    const dir = mkdtempSync(join(tmp, `${gate}-`));
    cpSync(join(__dirname, '..', 'examples', 'pathology'), dir, { recursive: true });
    const config = readFileSync(join(dir, 'segqc.yaml'), 'utf8');
    expect(config).toContain('fail-on: error');
    writeFileSync(join(dir, 'segqc.yaml'), config.replace('fail-on: error', `fail-on: ${gate}`));
    return dir;
  };
  const check = async (dir: string, ...flags: string[]) => {
    let out = '', err = '';
    const code = await runCheck([dir, '--quiet', ...flags], (s) => (out += s), (s) => (err += s));
    return { code, out, err };
  };

  it('a looser --fail-on without --override-config is refused with a note; the config gate decides the exit code', async () => {
    const dir = dataset('error');
    const r = await check(dir, '--fail-on', 'never');
    expect(r.code).toBe(1);
    expect(r.out).toBe('6 errors, 0 warnings — gate (fail on error): FAIL\n');
    expect(r.err).toBe("segqc: --fail-on never is looser than segqc.yaml's gate (fail on error), which applies; add --override-config to loosen it\n");
  });

  it('--override-config applies the looser --fail-on', async () => {
    const r = await check(dataset('error'), '--fail-on', 'never', '--override-config');
    expect(r).toEqual({ code: 0, out: '6 errors, 0 warnings — gate (fail on never): PASS\n', err: '' });
  });

  it('a stricter --fail-on applies without --override-config, and no flag keeps the config gate', async () => {
    const dir = dataset('never');
    expect(await check(dir)).toEqual({ code: 0, out: '6 errors, 0 warnings — gate (fail on never): PASS\n', err: '' });
    expect(await check(dir, '--fail-on', 'error')).toEqual({ code: 1, out: '6 errors, 0 warnings — gate (fail on error): FAIL\n', err: '' });
    const strict = dataset('warning');
    const refused = await check(strict, '--fail-on', 'error');
    expect(refused.out).toBe('6 errors, 0 warnings — gate (fail on warning): FAIL\n');
    expect(refused.err).toContain('--fail-on error is looser than');
    expect((await check(strict, '--fail-on', 'error', '--override-config')).out).toBe('6 errors, 0 warnings — gate (fail on error): FAIL\n');
  });

  it('--override-config alone, and an unknown gate, are usage errors', async () => {
    const dir = dataset('error');
    await expect(check(dir, '--override-config')).rejects.toThrow(/--override-config goes with --fail-on/);
    await expect(check(dir, '--fail-on', 'sometimes')).rejects.toThrow('--fail-on is one of error, warning, never, got "sometimes"');
  });
});

describe('the Action: the input fail-on can only tighten the base config gate', () => {
  const env = 'INPUT_FAIL-ON';
  afterEach(() => {
    delete process.env[env];
  });
  const gate = (input: string | undefined, config: FailOn) => {
    if (input === undefined) delete process.env[env];
    else process.env[env] = input;
    return actionGate(readInputs(), config);
  };

  it('tightens, never loosens, and defaults to error like action.yml', () => {
    expect(gate('warning', 'error')).toEqual({ failOn: 'warning', refused: null });
    expect(gate('never', 'error')).toEqual({ failOn: 'error', refused: 'never' });
    expect(gate('error', 'warning')).toEqual({ failOn: 'warning', refused: 'error' });
    expect(gate('never', 'never')).toEqual({ failOn: 'never', refused: null });
    expect(gate(undefined, 'never')).toEqual({ failOn: 'error', refused: null });
    expect(gate('', 'error')).toEqual({ failOn: 'error', refused: null });
  });

  it('an unknown gate is a usage error naming the input', () => {
    expect(() => gate('sometimes', 'error')).toThrow('input fail-on is one of error, warning, never, got "sometimes"');
  });
});
