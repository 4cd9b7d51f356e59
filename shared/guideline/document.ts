/** YAML/JSON documents validated against a JSON Schema, with errors located by line and column and worded for people. */
import Ajv2020 from 'ajv/dist/2020.js';
import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import { LineCounter, isAlias, isCollection, isMap, isNode, isPair, isScalar, isSeq, parseDocument } from 'yaml';
import type { Node as YamlNode } from 'yaml';
import type { GuidelineError } from './types.js';
import { neutralize } from '../report/escape.js';

export type PathSegment = string | number;

/** A parsed document: its data and what is needed to point at a place in its text. */
export interface SourceDocument {
  file: string;
  data: unknown;
  root: unknown;
  lineCounter: LineCounter;
}

/** Annotation keyword of our schemas: how an expected value is described to a person ("a colour like #ff0000"). */
const EXPECTED = 'x-expected';

/**
 * A validator for one schema: ajv 2020-12, all errors, strict, no `$data`. Our schemas are checked against the
 * meta-schema by the tests, not at each start, and compiled unoptimized: half the CPU (~90 ms of a command's start).
 */
export function compileSchema(schema: object): ValidateFunction {
  const ajv = new Ajv2020({ allErrors: true, strict: true, verbose: true, $data: false, validateSchema: false, code: { optimize: false } });
  ajv.addVocabulary([EXPECTED]);
  return ajv.compile(schema);
}

/** Deepest flow nesting read: the YAML parser spends seconds on (and overflows its stack in) thousands of levels. */
const MAX_FLOW_DEPTH = 64;

/**
 * Where flow collections ([ ], { }) first nest deeper than MAX_FLOW_DEPTH, or null: a scan of the text that skips
 * quoted scalars and comments, before the parser sees it.
 */
function tooDeep(text: string): number | null {
  let depth = 0;
  let quote = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) {
        if (quote === "'" && text[i + 1] === "'") i++;
        else quote = '';
      }
      continue;
    }
    const prev = i === 0 ? ' ' : text[i - 1];
    if (c === '#' && /\s/.test(prev)) {
      const eol = text.indexOf('\n', i);
      if (eol < 0) break;
      i = eol;
    } else if ((c === '"' || c === "'") && /[\s[{,:]/.test(prev)) quote = c;
    else if (c === '[' || c === '{') {
      if (++depth > MAX_FLOW_DEPTH) return i;
    } else if ((c === ']' || c === '}') && depth > 0) depth--;
  }
  return null;
}

/** Parses YAML or JSON (JSON is YAML 1.2); syntax errors come back located. */
export function parseSource(text: string, file: string): { doc?: SourceDocument; errors: GuidelineError[] } {
  const lineCounter = new LineCounter();
  const deep = tooDeep(text);
  if (deep !== null) {
    const before = text.slice(0, deep);
    const line = before.split('\n').length;
    const column = deep - before.lastIndexOf('\n');
    return { errors: [{ file, line, column, path: '', schemaPath: 'syntax', message: `cannot read the file: [ ] and { } nested more than ${MAX_FLOW_DEPTH} levels deep` }] };
  }
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const errors: GuidelineError[] = doc.errors.map((e) => {
    const pos = e.linePos?.[0] ?? lineCounter.linePos(e.pos[0]);
    const first = e.message.split('\n')[0];
    return { file, line: pos.line, column: pos.col, path: '', schemaPath: 'syntax', message: `cannot read the file: ${first}` };
  });
  if (errors.length > 0) return { errors };
  const aliasError = aliasProblem(doc.contents);
  if (aliasError) {
    const pos = lineCounter.linePos(aliasError.node.range?.[0] ?? 0);
    return { errors: [{ file, line: pos.line, column: pos.col, path: '', schemaPath: 'syntax', message: `cannot read the file: ${aliasError.message}` }] };
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    return { errors: [{ file, line: 1, column: 1, path: '', schemaPath: 'syntax', message: `cannot read the file: ${(e as Error).message}` }] };
  }
  return { doc: { file, data, root: doc.contents, lineCounter }, errors };
}

/** More aliases than this are refused: the yaml library resolves each alias by a scan of the document's anchors and aliases. */
const MAX_ALIASES = 1000;

/**
 * An alias inside the node it refers to (a recursive structure, whose resolution costs time growing with the cube of
 * its aliases), or one alias too many; found on the parsed document, in the library's resolution order, before any
 * alias is resolved.
 */
function aliasProblem(root: unknown): { node: YamlNode; message: string } | null {
  const anchors = new Map<string, unknown>();
  const open = new Set<unknown>();
  let aliases = 0;
  const stack: Array<{ node: unknown; exit: boolean }> = [{ node: root, exit: false }];
  while (stack.length > 0) {
    const { node, exit } = stack.pop() as { node: unknown; exit: boolean };
    if (exit) {
      open.delete(node);
    } else if (isAlias(node)) {
      if (++aliases > MAX_ALIASES) return { node, message: `more than ${MAX_ALIASES} aliases (*name); write the values out` };
      const target = anchors.get(node.source);
      if (target !== undefined && open.has(target)) {
        return { node, message: `the alias *${node.source} refers to the node anchored &${node.source} that contains it (a recursive structure)` };
      }
    } else if (isPair(node)) {
      stack.push({ node: node.value, exit: false }, { node: node.key, exit: false });
    } else if (isNode(node)) {
      if (node.anchor) anchors.set(node.anchor, node);
      if (isCollection(node)) {
        open.add(node);
        stack.push({ node, exit: true });
        for (let i = node.items.length - 1; i >= 0; i--) stack.push({ node: node.items[i], exit: false });
      }
    }
  }
  return null;
}

/** `labels[1].color` for ['labels', 1, 'color']. */
export function formatPath(path: PathSegment[]): string {
  let s = '';
  for (const p of path) {
    if (typeof p === 'number') s += `[${p}]`;
    else if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(p)) s += `['${p}']`;
    else s += s === '' ? p : `.${p}`;
  }
  return s;
}

/** Line and column (1-based) of the value at `path`, or of its key when `key` is set; the nearest existing ancestor otherwise. */
export function locate(doc: SourceDocument, path: PathSegment[], key = false): { line: number; column: number } {
  let node: unknown = doc.root;
  let at: unknown = node;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i];
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) break;
      if (key && i === path.length - 1) {
        at = pair.key;
        break;
      }
      node = pair.value;
      at = node ?? pair.key;
    } else if (isSeq(node) && typeof seg === 'number' && seg < node.items.length) {
      node = node.items[seg];
      at = node;
    } else break;
  }
  const range = (at as YamlNode | null)?.range;
  const pos = doc.lineCounter.linePos(range ? range[0] : 0);
  return { line: pos.line, column: pos.col };
}

/** The value at `path` in plain data. */
export function valueAt(data: unknown, path: PathSegment[]): unknown {
  let v = data;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[p];
  }
  return v;
}

/** One-line rendering of a found value for messages. */
export function show(v: unknown): string {
  if (typeof v === 'string') return `'${v.length > 40 ? `${v.slice(0, 40)}…` : v}'`;
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return String(v);
}

/** The closest of `candidates` to `word` (a prefix either way, or a small edit distance), for "did you mean". */
export function closest(word: string, candidates: readonly string[]): string | null {
  const w = word.toLowerCase();
  let best: string | null = null;
  let bestScore = Infinity;
  for (const c of candidates) {
    const l = c.toLowerCase();
    if (l === w) return c;
    const score = l.startsWith(w) || w.startsWith(l) ? 0.5 : editDistance(w, l);
    if (score < bestScore) {
      bestScore = score;
      best = c;
    }
  }
  return bestScore <= Math.max(2, Math.floor(word.length / 3)) ? best : null;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}

/** Describes the object at `path` for messages ("label 'Liver'", "checklist item 'veins'"). */
export type Describe = (path: PathSegment[], data: unknown) => string;

/** JSON pointers of every sub-schema, so errors inside a `$ref` can name their full schema path. */
function schemaPointers(schema: unknown, at = '#', out = new Map<unknown, string>()): Map<unknown, string> {
  if (schema === null || typeof schema !== 'object') return out;
  if (!out.has(schema)) out.set(schema, at);
  for (const [k, v] of Object.entries(schema)) {
    if (v && typeof v === 'object') schemaPointers(v, `${at}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`, out);
  }
  return out;
}

/** Turns ajv errors into located, worded errors; `describe` names the object an error is in. */
export function schemaErrors(validate: ValidateFunction, doc: SourceDocument, describe: Describe): GuidelineError[] {
  if (validate(doc.data)) return [];
  const pointers = schemaPointers(validate.schema);
  const raw = collapseOneOf(validate.errors ?? []);
  const out: GuidelineError[] = [];
  const seen = new Set<string>();
  for (const e of raw) {
    const err = wordError(e, doc, describe);
    if (!err) continue;
    const parent = pointers.get(e.parentSchema);
    if (parent !== undefined) err.schemaPath = `${parent}/${e.keyword}`;
    const k = `${err.path}|${err.message}`;
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(err);
  }
  return out;
}

const pointerToPath = (pointer: string, data: unknown): PathSegment[] => {
  if (pointer === '') return [];
  const parts = pointer.slice(1).split('/').map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  const out: PathSegment[] = [];
  let v = data;
  for (const p of parts) {
    const seg: PathSegment = Array.isArray(v) && /^\d+$/.test(p) ? Number(p) : p;
    out.push(seg);
    v = v !== null && typeof v === 'object' ? (v as Record<string | number, unknown>)[seg] : undefined;
  }
  return out;
};

/** A failed `oneOf` becomes the errors of its best-fitting branch, or one error saying what was expected. */
function collapseOneOf(errors: ErrorObject[]): ErrorObject[] {
  const drop = new Set<number>();
  const replace = new Map<number, ErrorObject[]>();
  for (let i = 0; i < errors.length; i++) {
    const o = errors[i];
    if (o.keyword !== 'oneOf' || drop.has(i)) continue;
    const prefix = `${o.schemaPath}/`;
    const branches = new Map<string, number[]>();
    for (let j = i - 1; j >= 0 && errors[j].schemaPath.startsWith(prefix); j--) {
      const b = errors[j].schemaPath.slice(prefix.length).split('/')[0];
      if (!branches.has(b)) branches.set(b, []);
      branches.get(b)!.push(j);
      drop.add(j);
    }
    const fitting = [...branches.values()].filter(
      (js) => !js.some((j) => errors[j].keyword === 'type' && errors[j].instancePath === o.instancePath),
    );
    fitting.sort((a, b) => a.length - b.length);
    if (fitting.length === 1 || (fitting.length > 1 && fitting[0].length < fitting[1].length)) {
      drop.add(i);
      replace.set(i, fitting[0].sort((a, b) => a - b).map((j) => errors[j]));
    }
  }
  const out: ErrorObject[] = [];
  for (let i = 0; i < errors.length; i++) {
    if (replace.has(i)) out.push(...replace.get(i)!);
    else if (!drop.has(i)) out.push(errors[i]);
  }
  return out;
}

const typeWords: Record<string, string> = {
  string: 'text',
  number: 'a number',
  integer: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping of fields',
  null: 'empty',
};

function expected(schema: unknown): string | null {
  if (schema && typeof schema === 'object' && typeof (schema as Record<string, unknown>)[EXPECTED] === 'string') {
    return (schema as Record<string, string>)[EXPECTED];
  }
  return null;
}

function wordError(e: ErrorObject, doc: SourceDocument, describe: Describe): GuidelineError | null {
  const path = pointerToPath(e.instancePath, doc.data);
  const where = formatPath(path) || 'the file';
  const found = valueAt(doc.data, path);
  const exp = expected(e.parentSchema);
  let message: string;
  let target = path;
  let key = false;
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties': {
      const name = String(p.additionalProperty);
      const props = Object.keys(((e.parentSchema as Record<string, unknown>)?.properties as object) ?? {});
      const guess = closest(name, props);
      message = `unknown field '${name}' in ${describe(path, doc.data)}${guess ? ` — did you mean ${guess}?` : ''}${
        guess ? '' : ` (allowed: ${props.join(', ')})`
      }`;
      target = [...path, name];
      key = true;
      break;
    }
    case 'required': {
      const name = String(p.missingProperty);
      const props = ((e.parentSchema as Record<string, unknown>)?.properties ?? {}) as Record<string, { description?: string }>;
      const desc = props[name]?.description;
      message = `${describe(path, doc.data)} needs the field '${name}'${desc ? ` (${desc.replace(/\.$/, '')})` : ''}`;
      break;
    }
    case 'propertyNames':
      return null;
    case 'type': {
      const t = Array.isArray(p.type) ? (p.type as string[]) : [String(p.type)];
      const quote = t.includes('string') && (typeof found === 'number' || typeof found === 'boolean') ? '; put it in quotes' : '';
      message = `${where} must be ${exp ?? t.map((x) => typeWords[x] ?? x).join(' or ')} (found ${show(found)}${quote})`;
      break;
    }
    case 'enum': {
      const allowed = (p.allowedValues as unknown[]).map((v) => String(v));
      const guess = typeof found === 'string' ? closest(found, allowed) : null;
      message = `${where} must be ${exp ?? `one of ${allowed.join(', ')}`} (found ${show(found)})${guess ? ` — did you mean ${guess}?` : ''}`;
      break;
    }
    case 'const':
      message = `${where} must be ${JSON.stringify(p.allowedValue)} (found ${show(found)})`;
      break;
    case 'pattern':
    case 'format':
      message = `${where} must be ${exp ?? `text matching ${String(p.pattern ?? p.format)}`} (found ${show(found)})`;
      break;
    case 'minLength':
      message = `${where} must not be empty`;
      break;
    case 'minimum':
    case 'exclusiveMinimum':
    case 'maximum':
    case 'exclusiveMaximum': {
      const words: Record<string, string> = {
        minimum: 'at least',
        exclusiveMinimum: 'more than',
        maximum: 'at most',
        exclusiveMaximum: 'less than',
      };
      message = `${where} must be ${words[e.keyword]} ${String(p.limit)} (found ${show(found)})`;
      break;
    }
    case 'minItems':
      message = `${where} must list at least ${String(p.limit)} ${p.limit === 1 ? 'entry' : 'entries'}`;
      break;
    case 'uniqueItems': {
      const arr = Array.isArray(found) ? found : [];
      message = `${where} lists ${show(arr[Number(p.j)])} twice`;
      break;
    }
    case 'oneOf':
      message = `${where} must be ${exp ?? 'one of the allowed forms'} (found ${show(found)})`;
      break;
    default:
      message = `${where} ${e.message ?? 'is invalid'}`;
  }
  if (e.propertyName !== undefined) {
    target = [...path, e.propertyName];
    key = true;
    message = `'${e.propertyName}' in ${where} is not ${exp ?? 'an allowed name'}`;
    const allowed = (p.allowedValues as unknown[] | undefined)?.map(String);
    const guess = allowed ? closest(e.propertyName, allowed) : null;
    if (guess) message += ` — did you mean ${guess}?`;
  }
  const { line, column } = locate(doc, target, key);
  return { file: doc.file, line, column, path: formatPath(target), schemaPath: e.schemaPath, message };
}

/** A located error found after the schema passed (names that must exist, min ≤ max). */
export function crossFieldError(doc: SourceDocument, path: PathSegment[], message: string): GuidelineError {
  const { line, column } = locate(doc, path);
  return { file: doc.file, line, column, path: formatPath(path), schemaPath: 'cross-field', message };
}

/** Sorts errors by position in the file. */
export const byPosition = (a: GuidelineError, b: GuidelineError): number => a.line - b.line || a.column - b.column;

/** One message listing every error, for SegqcError details. */
export function listErrors(errors: GuidelineError[]): string {
  const n = errors.length;
  return `${n} problem${n === 1 ? '' : 's'}:\n${errors.map((e) => `  ${neutralize(`${e.file}:${e.line}:${e.column}: ${e.message}`)}`).join('\n')}`;
}
