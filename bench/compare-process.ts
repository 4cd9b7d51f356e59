/**
 * `segqc compare --json` as a whole process against the numpy/scipy/nibabel peer (../shared/bench/peer_compare.py) on
 * the same files, runs alternating: a two-label 512x512x96 CT pair at 0.7x0.7x2.5 mm and a 256³ 1 mm brain-like pair.
 * The peer runs on Debian's /usr/bin/python3 with python3-nibabel and python3-scipy (installed with apt-get when
 * missing and possible, else the peer is skipped with a message). Both outputs are compared value by value.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { brainGeometry, brainLabelMap, ctGeometry, ctLabelMap } from './synthetic.js';
import { encodeNifti } from '../shared/formats/nifti-write.js';
import { stats, type BenchResults } from './results.js';

const root = process.env.SEGQC_ROOT ?? resolve(import.meta.dirname ?? '.', '..');
/** The CLI measured (SEGQC_BENCH_CLI: another build of it, e.g. an older commit's, for a before/after in one run). */
const cli = process.env.SEGQC_BENCH_CLI ?? join(root, 'bin/segqc.js');
const PYTHON = '/usr/bin/python3';

/** One timed process: wall seconds, CPU seconds (user + system; null without /usr/bin/time), its stdout. */
interface Timed {
  wall: number;
  cpu: number | null;
  stdout: string;
}

const hasTime = existsSync('/usr/bin/time');

function timed(cmd: string, args: string[], cwd: string): Timed {
  const t0 = performance.now();
  const r = hasTime
    ? spawnSync('/usr/bin/time', ['-f', '%U %S', cmd, ...args], { cwd, encoding: 'utf8', maxBuffer: 1 << 26 })
    : spawnSync(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 1 << 26 });
  const wall = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  let cpu: number | null = null;
  if (hasTime) {
    const [u, s] = r.stderr.trim().split('\n').pop()!.split(' ').map(Number);
    cpu = u + s;
  }
  return { wall, cpu, stdout: r.stdout };
}

/** The peer script, or why it cannot run. */
function peer(): { script: string } | { skip: string } {
  const script = process.env.SEGQC_PEER ?? resolve(root, '../shared/bench/peer_compare.py');
  if (!existsSync(script)) return { skip: `${script} is not there (set SEGQC_PEER to peer_compare.py)` };
  if (!existsSync(PYTHON)) return { skip: `${PYTHON} is not there` };
  const ready = () => spawnSync(PYTHON, ['-c', 'import numpy, scipy, nibabel'], { stdio: 'ignore' }).status === 0;
  if (ready()) return { script };
  if (process.getuid?.() === 0 && existsSync('/usr/bin/apt-get')) {
    console.log('installing python3-nibabel and python3-scipy for the peer (apt-get) ...');
    spawnSync('apt-get', ['install', '-y', '-qq', 'python3-nibabel', 'python3-scipy'], { stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    if (ready()) return { script };
  }
  return { skip: `${PYTHON} lacks numpy, scipy or nibabel (apt-get install -y python3-nibabel python3-scipy)` };
}

interface Pair {
  name: string;
  what: string;
  ref: string;
  cand: string;
}

function pairs(dir: string): Pair[] {
  mkdirSync(dir, { recursive: true });
  const out: Pair[] = [];
  const make = (name: string, what: string, write: (variant: number) => Uint8Array) => {
    const files = [0, 1].map((v) => join(dir, `${name}${v}.nii.gz`));
    files.forEach((f, v) => existsSync(f) || writeFileSync(f, write(v)));
    out.push({ name, what, ref: files[0], cand: files[1] });
  };
  const ct = ctGeometry();
  make('ct', 'two-label CT pair 512x512x96 @ 0.7x0.7x2.5 mm', (v) => encodeNifti({ geometry: ct, data: ctLabelMap(v, ct) }, { gzip: true }));
  const brain = brainGeometry();
  make('brain', 'three-label brain-like pair 256x256x256 @ 1 mm', (v) => encodeNifti({ geometry: brain, data: brainLabelMap(v, brain) }, { gzip: true }));
  return out;
}

type Row = Record<string, unknown>;

/** Largest difference between the two programs' values (labels, metrics, NSD per tolerance); a missing value is Infinity. */
function largestDifference(a: { labels: Row[] }, b: { labels: Row[] }): number {
  let worst = 0;
  const cmp = (x: unknown, y: unknown) => {
    if (x === null && y === null) return;
    if (typeof x !== 'number' || typeof y !== 'number') {
      worst = Infinity;
      return;
    }
    worst = Math.max(worst, Math.abs(x - y) / Math.max(1, Math.abs(x)));
  };
  if (a.labels.length !== b.labels.length) return Infinity;
  a.labels.forEach((la, i) => {
    const lb = b.labels[i];
    for (const k of ['label', 'dice', 'iou', 'hd', 'hd95', 'assd', 'volume_reference_mm3', 'volume_candidate_mm3', 'components_reference', 'components_candidate']) cmp(la[k], lb[k]);
    const na = la.nsd as Record<string, number>, nb = lb.nsd as Record<string, number>;
    for (const t of Object.keys(na)) cmp(na[t], nb[t]);
  });
  return worst;
}

/** Runs the comparison; `runs` alternating runs of each program after one warm-up run each. */
export function benchCompareProcess(results: BenchResults, runs = Number(process.env.SEGQC_BENCH_RUNS ?? 7)): void {
  const dir = join(process.cwd(), '.tmp/bench-data/compare');
  const p = peer();
  console.log(`\nwhole-process compare (segqc compare --json vs numpy/scipy/nibabel peer_compare.py), ${runs} alternating runs each, medians`);
  if ('skip' in p) console.log(`  peer skipped: ${p.skip}`);
  for (const pair of pairs(dir)) {
    const seg = () => timed(process.execPath, [cli, 'compare', pair.ref, pair.cand, '--json'], dir);
    const py = 'script' in p ? () => timed(PYTHON, [p.script, pair.ref, pair.cand], dir) : null;
    seg();
    py?.();
    const a: Timed[] = [], b: Timed[] = [];
    for (let i = 0; i < runs; i++) {
      a.push(seg());
      if (py) b.push(py());
    }
    const sw = stats(a.map((t) => t.wall)), sc = a[0].cpu === null ? null : stats(a.map((t) => t.cpu!));
    const pw = b.length ? stats(b.map((t) => t.wall)) : null, pc = b.length && b[0].cpu !== null ? stats(b.map((t) => t.cpu!)) : null;
    const ratio = pw ? pw.median / sw.median : null;
    const diff = b.length ? largestDifference(JSON.parse(a[0].stdout), JSON.parse(b[0].stdout)) : null;
    const cpu = (c: typeof sc) => (c ? `, CPU ${c.median.toFixed(2)} s` : '');
    console.log(
      `  ${pair.what}: segqc ${sw.median.toFixed(2)} s (min ${sw.min.toFixed(2)}${cpu(sc)})` +
        (pw ? `, peer ${pw.median.toFixed(2)} s (min ${pw.min.toFixed(2)}${cpu(pc)}): segqc ${ratio!.toFixed(1)}x faster` : '') +
        (pc && sc ? ` (CPU ${(pc.median / sc.median).toFixed(1)}x)` : '') +
        '  [target ≥ 3x]',
    );
    if (diff !== null) console.log(`    values agree with the peer to ${diff === 0 ? '0' : diff.toExponential(1)} (relative)${diff > 1e-5 ? '  <-- DIFFERENT' : ''}`);
    results.add(`compare_process_${pair.name}`, {
      what: pair.what,
      runs,
      segqc_wall_s: sw.median,
      segqc_wall_min_s: sw.min,
      segqc_cpu_s: sc?.median ?? null,
      peer_wall_s: pw?.median ?? null,
      peer_wall_min_s: pw?.min ?? null,
      peer_cpu_s: pc?.median ?? null,
      ratio_wall: ratio,
      ratio_cpu: pc && sc ? pc.median / sc.median : null,
      largest_relative_difference: diff,
      target_ratio: 3,
    });
  }
}
