/** JSON text parsed with the place it stops being JSON: line, column, what was expected and what was found. */

/** What the JSON grammar allowed where a text went wrong. */
export type JsonExpectation =
  | 'value'
  | 'property_name'
  | 'colon'
  | 'comma_or_object_end'
  | 'comma_or_array_end'
  | 'digit'
  | 'escape'
  | 'hex_digit'
  | 'string_end'
  | 'end_of_text';

/** Where a text stops being JSON (1-based line and column in characters) and why. */
export interface JsonSyntaxError {
  /** Index of the offending character in the text (UTF-16 code units, after a byte order mark). */
  offset: number;
  line: number;
  column: number;
  expected: JsonExpectation;
  /** The character found there, or null at the end of the text. */
  found: string | null;
}

/** A JSON value, or where its text stops being JSON. A leading byte order mark is allowed. */
export type JsonParse = { ok: true; value: unknown } | { ok: false; error: JsonSyntaxError };

const withoutBom = (text: string) => (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);

/** Parses JSON text; on failure, locates the first error (JSON.parse's own messages differ across Node versions). */
export function parseJsonText(text: string): JsonParse {
  const body = withoutBom(text);
  try {
    return { ok: true, value: JSON.parse(body) };
  } catch {
    return { ok: false, error: locate(body, firstError(body) ?? { index: 0, expected: 'value' }) };
  }
}

/** Where a text stops being JSON, by segqc's own scanner alone; null when it is JSON. */
export function jsonSyntaxError(text: string): JsonSyntaxError | null {
  const body = withoutBom(text);
  const at = firstError(body);
  return at ? locate(body, at) : null;
}

const locate = (body: string, at: { index: number; expected: JsonExpectation }): JsonSyntaxError => ({
  offset: at.index,
  ...lineColumn(body, at.index),
  expected: at.expected,
  found: charAt(body, at.index),
});

const charAt = (s: string, i: number): string | null => (i >= s.length ? null : String.fromCodePoint(s.codePointAt(i) as number));

function lineColumn(s: string, index: number): { line: number; column: number } {
  let line = 1;
  let column = 1;
  for (let i = 0; i < index && i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x0a || (c === 0x0d && s.charCodeAt(i + 1) !== 0x0a)) {
      line++;
      column = 1;
    } else if (c === 0x0d) {
      continue;
    } else if (!(c >= 0xdc00 && c <= 0xdfff && i > 0 && s.charCodeAt(i - 1) >= 0xd800 && s.charCodeAt(i - 1) <= 0xdbff)) {
      column++;
    }
  }
  return { line, column };
}

const isWs = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
const isHex = (c: number) => isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);

/** The index of the first syntax error of `s` and what was expected there; null when `s` is JSON. Iterative: no depth limit. */
function firstError(s: string): { index: number; expected: JsonExpectation } | null {
  let i = 0;
  const n = s.length;
  const stack: Array<'object' | 'array'> = [];
  const skipWs = () => {
    while (i < n && isWs(s.charCodeAt(i))) i++;
  };
  const fail = (expected: JsonExpectation) => ({ index: i, expected });
  const string = (): { index: number; expected: JsonExpectation } | null => {
    i++;
    for (;;) {
      if (i >= n) return fail('string_end');
      const c = s.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return null;
      }
      if (c < 0x20) return fail('string_end');
      if (c === 0x5c) {
        i++;
        const e = s[i];
        if (e === 'u') {
          i++;
          for (let k = 0; k < 4; k++, i++) if (i >= n || !isHex(s.charCodeAt(i))) return fail('hex_digit');
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i++;
        else return fail('escape');
      } else i++;
    }
  };
  const number = (): { index: number; expected: JsonExpectation } | null => {
    if (s[i] === '-') i++;
    if (s[i] === '0') i++;
    else if (i < n && isDigit(s.charCodeAt(i))) while (i < n && isDigit(s.charCodeAt(i))) i++;
    else return fail('digit');
    if (s[i] === '.') {
      i++;
      if (!(i < n && isDigit(s.charCodeAt(i)))) return fail('digit');
      while (i < n && isDigit(s.charCodeAt(i))) i++;
    }
    if (s[i] === 'e' || s[i] === 'E') {
      i++;
      if (s[i] === '+' || s[i] === '-') i++;
      if (!(i < n && isDigit(s.charCodeAt(i)))) return fail('digit');
      while (i < n && isDigit(s.charCodeAt(i))) i++;
    }
    return null;
  };
  // A value, then what may follow it in its container, until the top-level value ends.
  for (;;) {
    skipWs();
    const c = s[i];
    let err: { index: number; expected: JsonExpectation } | null = null;
    if (c === '{') {
      i++;
      skipWs();
      if (s[i] === '}') i++;
      else {
        stack.push('object');
        if (s[i] !== '"') return fail('property_name');
        if ((err = string())) return err;
        skipWs();
        if (s[i] !== ':') return fail('colon');
        i++;
        continue;
      }
    } else if (c === '[') {
      i++;
      skipWs();
      if (s[i] === ']') i++;
      else {
        stack.push('array');
        continue;
      }
    } else if (c === '"') err = string();
    else if (c === '-' || (c !== undefined && isDigit(s.charCodeAt(i)))) err = number();
    else if (c !== undefined && (s.startsWith('true', i) || s.startsWith('false', i) || s.startsWith('null', i))) i += s.startsWith('false', i) ? 5 : 4;
    else return fail('value');
    if (err) return err;
    // After a complete value: close containers or move on to the next element.
    for (;;) {
      skipWs();
      const top = stack[stack.length - 1];
      if (top === undefined) return i < n ? fail('end_of_text') : null;
      const d = s[i];
      if (d === ',') {
        i++;
        if (top === 'object') {
          skipWs();
          if (s[i] !== '"') return fail('property_name');
          if ((err = string())) return err;
          skipWs();
          if (s[i] !== ':') return fail('colon');
          i++;
        }
        break;
      }
      if ((top === 'object' && d === '}') || (top === 'array' && d === ']')) {
        i++;
        stack.pop();
        continue;
      }
      return fail(top === 'object' ? 'comma_or_object_end' : 'comma_or_array_end');
    }
  }
}
