/** Mutations of the fuzzer: byte-level (any format) and structure-aware (JSON, YAML). Each says what it did. */
import { parseDocument } from 'yaml';
import type { Rng } from './prng.js';

/** A mutated input and the steps that made it, for the report. */
export interface Mutated {
  bytes: Uint8Array;
  steps: string[];
}

export const INTERESTING_8 = [0, 1, 0x7f, 0x80, 0xff];
export const INTERESTING_INT = [0, 1, -1, 2, 3, 7, 8, 16, 255, 256, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, -0x80000000, 0xffffffff, 2 ** 40];
export const INTERESTING_FLOAT = [0, -0, 1, -1, 0.5, NaN, Infinity, -Infinity, 1e38, -1e38, 3.4e38, 1e-40, 2 ** 31, 2 ** 40, 1e308];

/** Where a byte-level mutation lands: within `hot` bytes (a header) half the time when given. */
function position(rng: Rng, length: number, hot: number): number {
  if (length === 0) return 0;
  return hot > 0 && rng.chance(0.5) ? rng.int(Math.min(hot, length)) : rng.int(length);
}

/** One byte-level mutation: bit flips, interesting bytes, words and floats, truncation, deletion, duplication, splices. */
export function mutateBytes(b: Uint8Array, rng: Rng, hot = 0, others: Uint8Array[] = []): { bytes: Uint8Array; step: string } {
  const n = b.length;
  const kind = rng.int(10);
  const at = position(rng, n, hot);
  if (n === 0) return { bytes: new Uint8Array([rng.int(256)]), step: 'insert a byte into nothing' };
  switch (kind) {
    case 0: {
      const out = b.slice();
      const bit = rng.int(8);
      out[at] ^= 1 << bit;
      return { bytes: out, step: `flip bit ${bit} of byte ${at}` };
    }
    case 1: {
      const out = b.slice();
      const v = rng.pick(INTERESTING_8);
      out[at] = v;
      return { bytes: out, step: `set byte ${at} to 0x${v.toString(16)}` };
    }
    case 2: {
      const size = rng.pick([2, 4, 8] as const);
      if (at + size > n) return mutateBytes(b, rng, hot, others);
      const out = b.slice();
      const v = new DataView(out.buffer);
      const le = rng.chance(0.5);
      const x = rng.pick(INTERESTING_INT);
      if (size === 2) v.setUint16(at, x & 0xffff, le);
      else if (size === 4) v.setUint32(at, x >>> 0, le);
      else v.setBigInt64(at, BigInt(x), le);
      return { bytes: out, step: `set ${size}-byte ${le ? 'LE' : 'BE'} word at ${at} to ${x}` };
    }
    case 3: {
      const size = rng.pick([4, 8] as const);
      if (at + size > n) return mutateBytes(b, rng, hot, others);
      const out = b.slice();
      const v = new DataView(out.buffer);
      const le = rng.chance(0.5);
      const x = rng.pick(INTERESTING_FLOAT);
      if (size === 4) v.setFloat32(at, x, le);
      else v.setFloat64(at, x, le);
      return { bytes: out, step: `set float${size * 8} ${le ? 'LE' : 'BE'} at ${at} to ${x}` };
    }
    case 4: {
      const len = rng.chance(0.5) ? at : rng.int(n);
      return { bytes: b.slice(0, len), step: `truncate to ${len} bytes` };
    }
    case 5: {
      const len = 1 + rng.int(Math.min(64, n - at));
      return { bytes: concat(b.subarray(0, at), b.subarray(at + len)), step: `delete ${len} bytes at ${at}` };
    }
    case 6: {
      const len = 1 + rng.int(Math.min(256, n - at));
      const to = rng.int(n + 1);
      const times = rng.chance(0.2) ? 2 + rng.int(16) : 1;
      const chunk = b.subarray(at, at + len);
      return { bytes: concat(b.subarray(0, to), ...Array.from({ length: times }, () => chunk), b.subarray(to)), step: `duplicate ${len} bytes from ${at} to ${to}${times > 1 ? ` ${times} times` : ''}` };
    }
    case 7: {
      const len = 1 + rng.int(Math.min(64, n - at));
      const from = rng.int(n);
      const out = b.slice();
      out.set(b.subarray(from, Math.min(n, from + len)).subarray(0, n - at), at);
      return { bytes: out, step: `copy ${len} bytes from ${from} over ${at}` };
    }
    case 8: {
      const other = others.length ? rng.pick(others) : b;
      const cut = rng.int(n + 1), from = rng.int(other.length + 1);
      return { bytes: concat(b.subarray(0, cut), other.subarray(from)), step: `splice: first ${cut} bytes, then another seed from ${from}` };
    }
    default: {
      const len = 1 + rng.int(16);
      const ins = new Uint8Array(len).map(() => (rng.chance(0.5) ? rng.pick(INTERESTING_8) : rng.int(256)));
      return { bytes: concat(b.subarray(0, at), ins, b.subarray(at)), step: `insert ${len} random bytes at ${at}` };
    }
  }
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Values a structure-aware mutation puts in place of a JSON or YAML value. */
const REPLACEMENTS: Array<[string, () => unknown]> = [
  ['0', () => 0],
  ['-1', () => -1],
  ['-0', () => -0],
  ['0.5', () => 0.5],
  ['2^31', () => 2 ** 31],
  ['2^32 - 1', () => 2 ** 32 - 1],
  ['2^53 + 2', () => 2 ** 53 + 2],
  ['65536', () => 65536],
  ['32768', () => 32768],
  ['1e308', () => 1e308],
  ['-1e308', () => -1e308],
  ['5e-324', () => 5e-324],
  ['"NaN"', () => 'NaN'],
  ['"Infinity"', () => 'Infinity'],
  ['"40"', () => '40'],
  ['""', () => ''],
  ['a long string', () => 'x'.repeat(100_000)],
  ['null', () => null],
  ['true', () => true],
  ['false', () => false],
  ['[]', () => []],
  ['{}', () => ({})],
  ['{"toString": 1}', () => ({ toString: 1, valueOf: 2 })],
];

/** A path into a JSON-like value and the value there; `field` names it without indices (`value.points[]`). */
type Slot = { parent: Record<string, unknown> | unknown[]; key: string | number; value: unknown; field: string };

/** Every slot of a value (breadth-first, at most `max`): where a mutation can land. */
function slots(root: unknown, max = 50000): Slot[] {
  const out: Slot[] = [];
  const queue: Array<{ v: unknown; field: string }> = [{ v: root, field: '' }];
  for (let q = 0; q < queue.length && out.length < max; q++) {
    const { v, field } = queue[q];
    if (Array.isArray(v)) {
      v.forEach((x, i) => {
        out.push({ parent: v, key: i, value: x, field: `${field}[]` });
        if (x && typeof x === 'object') queue.push({ v: x, field: `${field}[]` });
      });
    } else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        out.push({ parent: v as Record<string, unknown>, key: k, value: x, field: `${field}.${k}` });
        if (x && typeof x === 'object') queue.push({ v: x, field: `${field}.${k}` });
      }
    }
  }
  return out;
}

const DEEP = '\u0000deep\u0000';

/**
 * One structure-aware mutation of parsed JSON/YAML data, in place: a value replaced by an interesting one (numbers
 * huge, negative, fractional, NaN-ish strings, arrays, null, objects), wrapped in an array, deleted, duplicated
 * many times, or nested very deep (`DEEP`, expanded by the serializer). Returns the step.
 */
export function mutateTree(root: unknown, rng: Rng): string {
  const all = slots(root);
  if (all.length === 0) return 'nothing to mutate';
  // Pick a field first (`value.rle[]` holds thousands of slots, `original_width` one), then one of its slots;
  // numbers half the time: that is where readers size things.
  const numeric = all.filter((s) => typeof s.value === 'number');
  const pool = numeric.length && rng.chance(0.5) ? numeric : all;
  const fields = [...new Set(pool.map((s) => s.field))];
  const field = rng.pick(fields);
  const s = rng.pick(pool.filter((x) => x.field === field));
  const where = `${s.field}${typeof s.key === 'number' ? ` #${s.key}` : ''} (was ${describe(s.value)})`;
  const set = (v: unknown) => {
    (s.parent as Record<string | number, unknown>)[s.key] = v;
  };
  const kind = rng.int(10);
  if (kind < 6) {
    const [name, make] = rng.pick(REPLACEMENTS);
    set(make());
    return `set ${where} to ${name}`;
  }
  if (kind === 6) {
    set([s.value]);
    return `wrap ${where} in an array`;
  }
  if (kind === 7) {
    if (Array.isArray(s.parent)) s.parent.splice(s.key as number, 1);
    else delete (s.parent as Record<string, unknown>)[s.key as string];
    return `delete ${where}`;
  }
  if (kind === 8 && Array.isArray(s.parent)) {
    const times = rng.pick([2, 10, 1000]);
    s.parent.splice(s.key as number, 0, ...Array.from({ length: times }, () => structuredClone(s.value)));
    return `repeat ${where} ${times} times`;
  }
  set(DEEP);
  return `nest ${where} 20000 deep`;
}

function describe(v: unknown): string {
  if (Array.isArray(v)) return `array of ${v.length}`;
  if (v && typeof v === 'object') return 'object';
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 24 ? `${s.slice(0, 24)}…` : s;
}

/** JSON text of mutated data: `DEEP` becomes 20,000 nested arrays; sometimes a number token becomes 1e999 (Infinity). */
export function jsonText(data: unknown, rng: Rng, steps: string[]): string {
  let text = JSON.stringify(data);
  text = text.replace(JSON.stringify(DEEP), `${'['.repeat(20000)}1${']'.repeat(20000)}`);
  if (rng.chance(0.15)) {
    const nums = [...text.matchAll(/(?<=[:,[])-?\d+(\.\d+)?(e[+-]?\d+)?(?=[,\]}])/g)];
    if (nums.length) {
      const m = rng.pick(nums);
      const to = rng.pick(['1e999', '-1e999', '1e-999', '-0', '0.0000000000000000001']);
      text = text.slice(0, m.index) + to + text.slice(m.index! + m[0].length);
      steps.push(`number token ${m[0]} at ${m.index} → ${to}`);
    }
  }
  return text;
}

/** Mutates JSON text: structure-aware when it parses (most of the time), byte-level otherwise. */
export function mutateJson(text: string, rng: Rng, others: Uint8Array[]): Mutated {
  const steps: string[] = [];
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    data = undefined;
  }
  if (data !== undefined && rng.chance(0.8)) {
    const rounds = rng.chance(0.7) ? 1 : 2 + rng.int(2);
    for (let i = 0; i < rounds; i++) steps.push(mutateTree(data, rng));
    return { bytes: new TextEncoder().encode(jsonText(data, rng, steps)), steps };
  }
  const r = mutateBytes(new TextEncoder().encode(text), rng, 0, others);
  return { bytes: r.bytes, steps: [r.step] };
}

/** YAML-only text mutations: anchors and aliases, merge keys, tags, deep flow nesting, duplicated or cut lines. */
function mutateYamlText(text: string, rng: Rng): { text: string; step: string } {
  const lines = text.split('\n');
  const at = rng.int(lines.length);
  const kind = rng.int(8);
  if (kind === 0) {
    lines.splice(at, 0, lines[rng.int(lines.length)]);
    return { text: lines.join('\n'), step: `duplicate a line at line ${at + 1}` };
  }
  if (kind === 1) {
    lines.splice(at, 1);
    return { text: lines.join('\n'), step: `delete line ${at + 1}` };
  }
  if (kind === 2) {
    const n = rng.pick([3, 10, 30]);
    const aliases = Array.from({ length: n }, () => '*a').join(', ');
    return { text: `${text}\nbomb: &a [${aliases}]\nbomb2: &b [${Array.from({ length: n }, () => '*a').join(', ')}]\n`, step: `append an alias fan-out of ${n}` };
  }
  if (kind === 3) {
    const n = rng.pick([3, 20, 300]);
    return { text: `${text}\nself: &s [${Array.from({ length: n }, () => '*s').join(', ')}]\n`, step: `append a self-alias with ${n} references` };
  }
  if (kind === 4) {
    const d = rng.pick([100, 5000, 20000]);
    return { text: `${text}\ndeep: ${'['.repeat(d)}1${']'.repeat(d)}\n`, step: `append a flow sequence nested ${d} deep` };
  }
  if (kind === 5) {
    const tag = rng.pick(['!!binary AAAA', '!!timestamp 2001-12-14', '!!float .nan', '!!float .inf', '!!int 0x7fffffff', '!!set {a, b}', '!!omap [a: 1]', '!foo bar', '!!js/function "x"']);
    const m = /^(\s*[\w-]+:)\s*\S.*$/.exec(lines[at]);
    if (m) lines[at] = `${m[1]} ${tag}`;
    return { text: lines.join('\n'), step: `tag line ${at + 1} value as ${tag}` };
  }
  if (kind === 6) {
    lines[at] = `<<: *${rng.pick(['a', 'missing'])}\n${lines[at]}`;
    return { text: `anchor: &a {x: 1}\n${lines.join('\n')}`, step: `merge key before line ${at + 1}` };
  }
  lines[at] = lines[at].replace(/^ +/, (s) => (rng.chance(0.5) ? s.slice(1) : `\t${s}`));
  return { text: lines.join('\n'), step: `break the indentation of line ${at + 1}` };
}

/** Mutates YAML text: data-level (parse, mutate, re-emit), YAML-text-level, or byte-level. */
export function mutateYaml(text: string, rng: Rng, others: Uint8Array[]): Mutated {
  const kind = rng.int(10);
  if (kind < 5) {
    let data: unknown;
    try {
      data = parseDocument(text).toJS({ maxAliasCount: 100 });
    } catch {
      data = undefined;
    }
    if (data !== undefined && data !== null) {
      const steps = [mutateTree(data, rng)];
      if (rng.chance(0.3)) steps.push(mutateTree(data, rng));
      // JSON is YAML: the deep nesting marker expands as in JSON.
      const out = rng.chance(0.5) ? jsonText(data, rng, steps) : yamlText(data, steps);
      return { bytes: new TextEncoder().encode(out), steps };
    }
  }
  if (kind < 8) {
    const r = mutateYamlText(text, rng);
    return { bytes: new TextEncoder().encode(r.text), steps: [r.step] };
  }
  const r = mutateBytes(new TextEncoder().encode(text), rng, 0, others);
  return { bytes: r.bytes, steps: [r.step] };
}

/** YAML text of data in block style (the deep nesting marker as flow nesting). */
function yamlText(data: unknown, steps: string[]): string {
  const scalar = (v: unknown): string => {
    if (v === DEEP) return `${'['.repeat(20000)}1${']'.repeat(20000)}`;
    if (typeof v === 'number' && !Number.isFinite(v)) return v > 0 ? '.inf' : v < 0 ? '-.inf' : '.nan';
    return JSON.stringify(v) ?? 'null';
  };
  const walk = (v: unknown, indent: string): string => {
    if (Array.isArray(v)) return v.length ? v.map((x) => `\n${indent}- ${walk(x, `${indent}  `)}`).join('') : '[]';
    if (v && typeof v === 'object') {
      const entries = Object.entries(v);
      return entries.length ? entries.map(([k, x]) => `\n${indent}${JSON.stringify(k)}: ${walk(x, `${indent}  `)}`).join('') : '{}';
    }
    return scalar(v);
  };
  steps.push('re-emitted as block YAML');
  return walk(data, '').replace(/^\n/, '');
}
