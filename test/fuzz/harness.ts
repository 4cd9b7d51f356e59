/**
 * The fuzzer's oracle: input `index` of a run with `seed` is made from the target's seeds alone (so any input can be
 * regenerated), fed to the readers, and passes when each returns a sound value or throws a SegqcError, in time: within
 * `slowMs` plus 10 ms per KiB of input (a large input may take longer; a small one that takes long is the defect).
 * Time is the lesser of wall-clock and the process's CPU time, so that other processes on a busy machine (which
 * stretch the wall clock, not our CPU time) do not make a fast input look slow.
 */
import { inputSeed, prng } from './prng.js';
import { InvariantError, type Seed, type Tally, type Target } from './targets.js';

/** One input that failed the oracle, with what reproduces it. */
export interface FuzzFailure {
  target: string;
  seed: number;
  index: number;
  kind: 'untyped error' | 'wrong value' | 'slow' | 'hang' | 'fuzzer error';
  from: string;
  steps: string[];
  message: string;
  ms: number;
}

/** What a run of one target did. */
export interface FuzzSummary {
  target: string;
  seed: number;
  inputs: number;
  /** Reader calls that returned a value, and that refused their input with a SegqcError. */
  accepted: number;
  refused: number;
  ms: number;
  slowest: { index: number; ms: number };
  failures: FuzzFailure[];
}

const seedCache = new Map<string, Seed[]>();

export function seedsOf(target: Target): Seed[] {
  let s = seedCache.get(target.name);
  if (!s) seedCache.set(target.name, (s = target.seeds()));
  return s;
}

/** Input `index` of a run: which seed, the mutated bytes and the steps. */
export function generate(target: Target, seed: number, index: number): { from: Seed; bytes: Uint8Array; steps: string[] } {
  const seeds = seedsOf(target);
  const rng = prng(inputSeed(seed, target.name, index));
  const from = rng.pick(seeds);
  const m = target.mutate(from, rng, seeds);
  return { from, bytes: m.bytes, steps: m.steps };
}

/** How long an input of `bytes` may take. */
export const timeLimit = (slowMs: number, bytes: number): number => slowMs + (10 * bytes) / 1024;

/** Runs one input; returns its failure, if any, and how the reader calls answered. */
export function runInput(target: Target, seed: number, index: number, slowMs: number): { failure: FuzzFailure | null; tally: Tally; ms: number } {
  let input: ReturnType<typeof generate>;
  try {
    input = generate(target, seed, index);
  } catch (e) {
    const failure: FuzzFailure = { target: target.name, seed, index, kind: 'fuzzer error', from: '?', steps: [], message: `the mutation failed: ${(e as Error)?.stack ?? e}`, ms: 0 };
    return { failure, tally: { accepted: 0, refused: 0 }, ms: 0 };
  }
  const { from, bytes, steps } = input;
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  let failure: FuzzFailure | null = null;
  const tally: Tally = { accepted: 0, refused: 0 };
  const fail = (kind: FuzzFailure['kind'], message: string, ms: number): FuzzFailure => ({ target: target.name, seed, index, kind, from: from.name, steps, message, ms });
  try {
    target.run(bytes, from, tally);
  } catch (e) {
    // The targets let SegqcErrors through only as refusals (counted in the tally): whatever reaches here fails.
    const err = e as Error;
    const where = err?.stack?.split('\n').slice(1, 4).map((l) => l.trim()).join(' | ') ?? '';
    failure = fail(e instanceof InvariantError ? 'wrong value' : 'untyped error', `${err?.name ?? typeof e}: ${err?.message ?? String(e)}${where ? ` — ${where}` : ''}`, 0);
  }
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(c0);
  const ms = Math.min(wall, (cpu.user + cpu.system) / 1000);
  if (failure) failure.ms = ms;
  else if (ms > timeLimit(slowMs, bytes.length)) {
    failure = fail('slow', `took ${ms.toFixed(0)} ms (${wall.toFixed(0)} ms wall-clock) for ${bytes.length} bytes (limit ${timeLimit(slowMs, bytes.length).toFixed(0)} ms)`, ms);
  }
  return { failure, tally, ms };
}

/** Runs inputs `start` .. `start + count - 1` of a target; `onInput` is told the index before each input runs. */
export function fuzzTarget(target: Target, opts: { seed: number; count: number; start?: number; slowMs: number; onInput?: (index: number) => void }): FuzzSummary {
  const t0 = performance.now();
  const summary: FuzzSummary = { target: target.name, seed: opts.seed, inputs: 0, accepted: 0, refused: 0, ms: 0, slowest: { index: -1, ms: 0 }, failures: [] };
  const start = opts.start ?? 0;
  // Warm up (schemas compile and code is optimized on first use): every seed once, as is; a seed must pass too.
  for (const seed of seedsOf(target)) {
    try {
      target.run(seed.bytes, seed, { accepted: 0, refused: 0 });
    } catch (e) {
      summary.failures.push({ target: target.name, seed: opts.seed, index: -1, kind: 'untyped error', from: seed.name, steps: ['the seed itself'], message: String((e as Error)?.message ?? e), ms: 0 });
    }
  }
  for (let i = start; i < start + opts.count; i++) {
    opts.onInput?.(i);
    const r = runInput(target, opts.seed, i, opts.slowMs);
    summary.inputs++;
    summary.accepted += r.tally.accepted;
    summary.refused += r.tally.refused;
    if (r.failure) summary.failures.push(r.failure);
    if (r.ms > summary.slowest.ms) summary.slowest = { index: i, ms: r.ms };
  }
  summary.ms = performance.now() - t0;
  return summary;
}

/** A failure as lines a person can act on, with the command that reproduces it. */
export function describeFailure(f: FuzzFailure): string {
  return [
    `${f.target} input ${f.index} (seed ${f.seed}): ${f.kind}, ${f.ms.toFixed(0)} ms`,
    `  from ${f.from}: ${f.steps.join('; ')}`,
    `  ${f.message}`,
    `  reproduce: node scripts/run-ts.mjs test/fuzz/run.ts --format ${f.target} --seed ${f.seed} --only ${f.index}`,
  ].join('\n');
}
