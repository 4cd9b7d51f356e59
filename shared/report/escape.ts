/** Escaping of anything that comes from a dataset (label names, file names, messages) before it is shown anywhere. */

/**
 * C0 controls, DEL, C1 controls, the line and paragraph separators, and the bidirectional formatting characters
 * (ALM U+061C, LRM/RLM U+200E/F, embeddings and overrides U+202A–U+202E, isolates U+2066–U+2069) that reorder text.
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const UNSAFE_BUT_NEWLINE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const visible = (c: string): string => {
  const n = c.charCodeAt(0);
  if (n < 0x20) return String.fromCharCode(0x2400 + n);
  if (n === 0x7f) return '\u2421';
  return `\\u{${n.toString(16).toUpperCase()}}`;
};

/**
 * Dataset text made inert for display: control characters shown as control pictures (a newline as `␊`, ESC as `␛`,
 * DEL as `␡`), C1 controls, line separators and bidirectional formatting characters as `\u{202E}`-style escapes.
 * `keepNewlines` leaves `\n` for text whose renderer lays out its own lines (an error message listing problems).
 */
export function neutralize(s: string, opts: { keepNewlines?: boolean } = {}): string {
  return String(s).replace(opts.keepNewlines ? UNSAFE_BUT_NEWLINE : UNSAFE, visible);
}

const HTML: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text safe inside HTML elements and attributes, neutralized. */
export const escapeHtml = (s: string): string => neutralize(s).replace(/[&<>"']/g, (c) => HTML[c]);

/**
 * Text safe in GitHub-flavoured Markdown, tables included: neutralized (so newlines show as `␊`), HTML is escaped,
 * Markdown punctuation is backslashed, `@mentions` and `#123` references are defused.
 */
export function escapeMarkdown(s: string): string {
  // Backslashes first, entities second: backslashing after would break the entities' own `#` (`&\#39;`).
  return escapeHtml(
    neutralize(s)
      .replace(/#(?=\d)/g, '#\u200b')
      .replace(/([\\`*_{}[\]()#+\-!|~])/g, '\\$1'),
  ).replace(/@(?=\w)/g, '@\u200b');
}

/** Inline code that cannot be broken out of: neutralized, and backticks and pipes are replaced. */
export const markdownCode = (s: string): string => `<code>${escapeHtml(String(s)).replace(/\|/g, '&#124;')}</code>`;
