/** The figures of one `npm run bench` run, kept as JSON (bench/results.json, or `--json PATH`) to compare commits. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { format } from 'node:util';
import { availableParallelism, cpus, loadavg } from 'node:os';

/** One figure: times in ms or s as their keys say, ratios, sizes, and what was measured. */
export type BenchFigure = Record<string, number | string | boolean | null | number[]>;

/** Figures by name, and every line the bench printed (so no printed figure is missing from the file). */
export class BenchResults {
  readonly figures: Record<string, BenchFigure> = {};
  readonly lines: string[] = [];

  add(name: string, figure: BenchFigure): void {
    this.figures[name] = figure;
  }

  /** Keeps every line printed through `console.log` from now on (each section prints its own figures). */
  capture(): void {
    const print = console.log.bind(console);
    console.log = (...args: unknown[]) => {
      this.lines.push(format(...args));
      print(...args);
    };
  }

  write(path: string): void {
    const out = {
      node: process.version,
      arch: process.arch,
      cores: typeof availableParallelism === 'function' ? availableParallelism() : cpus().length,
      load_average: loadavg().map((x) => +x.toFixed(2)),
      date: new Date().toISOString(),
      figures: this.figures,
      lines: this.lines,
    };
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, JSON.stringify(out, null, 2) + '\n');
  }
}

/** `npm run bench [section ...] [--json PATH]`: the sections to run (none: all) and where the JSON goes. */
export function benchArgs(argv: string[], root: string): { sections: string[]; json: string } {
  const sections: string[] = [];
  let json = resolve(root, 'bench/results.json');
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--json') {
      if (!argv[i + 1]) throw new Error('--json takes a file path');
      json = resolve(argv[++i]);
    } else sections.push(argv[i]);
  }
  return { sections, json };
}

/** Median, min and max of some timings. */
export function stats(xs: number[]): { median: number; min: number; max: number } {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return { median: s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2, min: s[0], max: s[s.length - 1] };
}
