/** A small, strict argument parser: unknown flags are usage errors, never silently ignored. */
import { SegqcError } from '../shared/errors.js';

export interface ParsedArgs {
  positional: string[];
  flags: Record<string, string | true>;
  /** Every value of each repeatable flag, in order. */
  lists: Record<string, string[]>;
}

/** Parses `argv` given the flags that take a value, the boolean flags and the repeatable valued flags of one command. */
export function parseArgs(argv: string[], valued: string[], booleans: string[], repeated: string[] = []): ParsedArgs {
  const positional: string[] = [];
  const flags: Record<string, string | true> = {};
  const lists: Record<string, string[]> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith('--') || a === '-') {
      positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = a.slice(2, eq > 0 ? eq : undefined);
    if (valued.includes(name) || repeated.includes(name)) {
      const v = eq > 0 ? a.slice(eq + 1) : argv[++i];
      if (v === undefined || v === '') throw new SegqcError('usage', `--${name} needs a value`);
      if (repeated.includes(name)) (lists[name] ??= []).push(v);
      else flags[name] = v;
    } else if (booleans.includes(name) && eq < 0) {
      flags[name] = true;
    } else {
      throw new SegqcError('usage', `unknown option --${name}`);
    }
  }
  return { positional, flags, lists };
}

/** A comma-separated list of finite numbers, e.g. `--tolerance 1,2`. */
export function numberList(value: string, flag: string): number[] {
  const parts = value.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  const nums = parts.map(Number);
  if (parts.length === 0 || nums.some((n) => !Number.isFinite(n) || n < 0)) {
    throw new SegqcError('usage', `--${flag} takes non-negative numbers separated by commas, got "${value}"`);
  }
  return nums;
}
