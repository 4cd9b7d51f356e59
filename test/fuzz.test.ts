/**
 * The mutation fuzzer (test/fuzz/) as part of the suite: a fixed seed, a few thousand inputs per format through the
 * real readers and loaders. Every input must come back as a sound value or a SegqcError within 2 s (plus 10 ms per
 * KiB of input; see harness.ts); a failure prints the input's index, its mutation and the command that reproduces it.
 * `npm run fuzz` runs the same, longer.
 */
import { beforeAll, describe, it, expect } from 'vitest';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { describeFailure, type FuzzSummary } from './fuzz/harness.js';

const root = join(__dirname, '..');
const SEED = 20261207;

/** Inputs per format: the DICOM and YAML readers cost the most per input (dcmjs, the YAML parser and ajv). */
const COUNTS: Record<string, number> = { nifti: 3000, 'nifti-gz': 3000, labelstudio: 3000, png: 3000, dicom: 1500, yaml: 1500 };

/** Runs every format in one fuzzer process, two at a time. */
function fuzzAll(): Promise<FuzzSummary[]> {
  const formats = Object.entries(COUNTS).map(([f, n]) => `${f}:${n}`).join(',');
  const args = [join(root, 'scripts/run-ts.mjs'), 'test/fuzz/run.ts', '--format', formats, '--jobs', '2', '--seed', String(SEED), '--slow-ms', '10000', '--hang-ms', '20000', '--json'];
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { cwd: root, maxBuffer: 64 * 1024 * 1024, timeout: 590_000 }, (error, stdout, stderr) => {
      const line = stdout.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(line) as FuzzSummary[]);
      } catch {
        reject(new Error(`the fuzzer did not report (${error?.message ?? 'no error'}):\n${stderr.slice(-4000)}`));
      }
    });
  });
}

describe('mutation fuzzing of the readers (fixed seed)', () => {
  let summaries: FuzzSummary[] = [];
  beforeAll(async () => {
    summaries = await fuzzAll();
  }, 600_000);

  for (const [format, count] of Object.entries(COUNTS)) {
    it(`${format}: ${count} mutated inputs, each a value or a SegqcError in time`, () => {
      const s = summaries.find((x) => x.target === format)!;
      expect(s.inputs).toBe(count);
      expect(s.failures.map(describeFailure).join('\n\n')).toBe('');
      // The mutations must reach past the first checks: some inputs are read, some refused.
      expect(s.accepted).toBeGreaterThan(count / 20);
      expect(s.refused).toBeGreaterThan(count / 20);
    });
  }
});
