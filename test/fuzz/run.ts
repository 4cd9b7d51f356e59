/**
 * The mutation fuzzer from the command line (`npm run fuzz`): each format runs in a worker thread that a watchdog
 * ends when one input takes longer than --hang-ms, so a hang is reported with its input like any other failure.
 *
 *   node scripts/run-ts.mjs test/fuzz/run.ts [--count N] [--seed S] [--format nifti,png:500] [--jobs J]
 *     [--slow-ms MS] [--hang-ms MS] [--save DIR] [--json] [--only INDEX]
 *
 * --count is per format (a format may carry its own: png:500); --jobs runs that many formats at once.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { describeFailure, fuzzTarget, generate, type FuzzFailure, type FuzzSummary } from './harness.js';
import { TARGETS, type Target } from './targets.js';

interface Options {
  count: number;
  seed: number;
  formats: string[];
  counts: Record<string, number>;
  jobs: number;
  slowMs: number;
  hangMs: number;
  save: string | null;
  json: boolean;
  only: number | null;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { count: 1000, seed: 1, formats: TARGETS.map((t) => t.name), counts: {}, jobs: 1, slowMs: 2000, hangMs: 30000, save: null, json: false, only: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    const int = (v: string) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0) throw new Error(`${a} takes a whole number, not ${v}`);
      return n;
    };
    if (a === '--count') o.count = int(next());
    else if (a === '--seed') o.seed = int(next());
    else if (a === '--format') {
      o.formats = [];
      for (const f of next().split(',')) {
        const [name, n] = f.split(':');
        o.formats.push(name);
        if (n !== undefined) o.counts[name] = int(n);
      }
    } else if (a === '--jobs') o.jobs = Math.max(1, int(next()));
    else if (a === '--slow-ms') o.slowMs = int(next());
    else if (a === '--hang-ms') o.hangMs = int(next());
    else if (a === '--save') o.save = next();
    else if (a === '--only') o.only = int(next());
    else if (a === '--json') o.json = true;
    else throw new Error(`unknown option ${a}`);
  }
  const names = TARGETS.map((t) => t.name);
  for (const f of o.formats) if (!names.includes(f)) throw new Error(`unknown format ${f} (${names.join(', ')})`);
  return o;
}

const targetOf = (name: string): Target => TARGETS.find((t) => t.name === name)!;

interface Job {
  target: string;
  seed: number;
  start: number;
  end: number;
  slowMs: number;
  progress: SharedArrayBuffer;
}

/** Runs one target in a worker; a stalled input ends the worker, is reported as a hang, and the run goes on after it. */
async function runTarget(target: Target, o: Options, log: (s: string) => void): Promise<FuzzSummary> {
  const count = o.counts[target.name] ?? o.count;
  const total: FuzzSummary = { target: target.name, seed: o.seed, inputs: 0, accepted: 0, refused: 0, ms: 0, slowest: { index: -1, ms: 0 }, failures: [] };
  const t0 = performance.now();
  let start = 0;
  while (start < count) {
    const progress = new SharedArrayBuffer(4);
    const current = new Int32Array(progress);
    current[0] = start;
    const job: Job = { target: target.name, seed: o.seed, start, end: count, slowMs: o.slowMs, progress };
    const worker = new Worker(new URL(import.meta.url), { workerData: job });
    const result = await new Promise<{ summary: FuzzSummary | null; stalledAt: number | null; error: string | null }>((resolve) => {
      let last = -1;
      let since = performance.now();
      let lastLog = performance.now();
      const timer = setInterval(() => {
        const at = Atomics.load(current, 0);
        const now = performance.now();
        if (at !== last) {
          last = at;
          since = now;
        } else if (now - since > o.hangMs) {
          clearInterval(timer);
          void worker.terminate();
          resolve({ summary: null, stalledAt: at, error: null });
        }
        if (now - lastLog > 15000) {
          lastLog = now;
          log(`${target.name}: ${at}/${count} (${((now - t0) / 1000).toFixed(0)} s)`);
        }
      }, 200);
      worker.once('message', (summary: FuzzSummary) => {
        clearInterval(timer);
        resolve({ summary, stalledAt: null, error: null });
      });
      worker.once('error', (e) => {
        clearInterval(timer);
        resolve({ summary: null, stalledAt: Atomics.load(current, 0), error: `${e.name}: ${e.message}` });
      });
    });
    if (result.summary) {
      total.inputs += result.summary.inputs;
      total.accepted += result.summary.accepted;
      total.refused += result.summary.refused;
      total.failures.push(...result.summary.failures);
      if (result.summary.slowest.ms > total.slowest.ms) total.slowest = result.summary.slowest;
      break;
    }
    const at = result.stalledAt!;
    let g: { from: { name: string }; steps: string[] };
    try {
      g = generate(target, o.seed, at);
    } catch (e) {
      g = { from: { name: '?' }, steps: [`the mutation failed: ${(e as Error).message}`] };
    }
    total.inputs += at - start + 1;
    total.failures.push({
      target: target.name,
      seed: o.seed,
      index: at,
      kind: 'hang',
      from: g.from.name,
      steps: g.steps,
      message: result.error ? `the worker died: ${result.error}` : `no answer after ${o.hangMs} ms`,
      ms: o.hangMs,
    });
    start = at + 1;
  }
  total.ms = performance.now() - t0;
  return total;
}

function save(dir: string, f: FuzzFailure): void {
  if (f.index < 0 || f.kind === 'fuzzer error') return;
  const g = generate(targetOf(f.target), f.seed, f.index);
  mkdirSync(dir, { recursive: true });
  const name = `${f.target}-seed${f.seed}-${f.index}-${g.from.name.replace(/[^\w.-]+/g, '_')}`;
  writeFileSync(join(dir, name), g.bytes);
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(process.argv.findIndex((a) => /run\.(ts|mjs)$/.test(a)) + 1));
  const log = (s: string) => process.stderr.write(`${s}\n`);
  if (o.only !== null) {
    for (const name of o.formats) {
      const t = targetOf(name);
      const g = generate(t, o.seed, o.only);
      log(`${name} input ${o.only} (seed ${o.seed}) from ${g.from.name}: ${g.steps.join('; ')}`);
      if (o.save) {
        mkdirSync(o.save, { recursive: true });
        writeFileSync(join(o.save, `${name}-seed${o.seed}-${o.only}`), g.bytes);
      }
      const t0 = performance.now();
      const tally = { accepted: 0, refused: 0 };
      t.run(g.bytes, g.from, tally);
      log(`reader calls: ${tally.accepted} returned, ${tally.refused} refused with a SegqcError`);
      log(`returned in ${(performance.now() - t0).toFixed(1)} ms`);
    }
    return;
  }
  const summaries = new Map<string, FuzzSummary>();
  const queue = [...o.formats];
  const worker = async () => {
    for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
      const s = await runTarget(targetOf(name), o, log);
      summaries.set(name, s);
      log(`${name}: ${s.inputs} inputs in ${(s.ms / 1000).toFixed(1)} s; reader calls: ${s.accepted} returned, ${s.refused} refused with a SegqcError; slowest ${s.slowest.ms.toFixed(0)} ms (input ${s.slowest.index}), ${s.failures.length} failure(s)`);
      for (const f of s.failures.slice(0, 20)) log(describeFailure(f));
      if (s.failures.length > 20) log(`  … ${s.failures.length - 20} more`);
      if (o.save) for (const f of s.failures) save(o.save, f);
    }
  };
  await Promise.all(Array.from({ length: Math.min(o.jobs, o.formats.length) }, worker));
  const ordered = o.formats.map((f) => summaries.get(f)!);
  if (o.json) process.stdout.write(`${JSON.stringify(ordered)}\n`);
  if (ordered.some((s) => s.failures.length > 0)) process.exitCode = 1;
}

if (isMainThread) {
  await main().catch((e: Error) => {
    process.stderr.write(`fuzz: ${e.message}\n`);
    process.exitCode = 2;
  });
} else {
  const job = workerData as Job;
  const current = new Int32Array(job.progress);
  const summary = fuzzTarget(targetOf(job.target), {
    seed: job.seed,
    start: job.start,
    count: job.end - job.start,
    slowMs: job.slowMs,
    onInput: (i) => Atomics.store(current, 0, i),
  });
  parentPort!.postMessage(summary);
}
