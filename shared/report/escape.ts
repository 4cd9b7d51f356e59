/** Escaping of anything that comes from a dataset (label names, file names, messages) before Markdown or HTML. */

const HTML: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text safe inside HTML elements and attributes. */
export const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => HTML[c]);

/**
 * Text safe in GitHub-flavoured Markdown, tables included: HTML is escaped, Markdown punctuation is backslashed,
 * `@mentions` and `#123` references are defused, newlines become spaces.
 */
export function escapeMarkdown(s: string): string {
  // Backslashes first, entities second: backslashing after would break the entities' own `#` (`&\#39;`).
  return escapeHtml(
    String(s)
      .replace(/[\r\n]+/g, ' ')
      .replace(/#(?=\d)/g, '#\u200b')
      .replace(/([\\`*_{}[\]()#+\-!|~])/g, '\\$1'),
  ).replace(/@(?=\w)/g, '@\u200b');
}

/** Inline code that cannot be broken out of: backticks and pipes are replaced. */
export const markdownCode = (s: string): string => `<code>${escapeHtml(String(s)).replace(/\|/g, '&#124;').replace(/[\r\n]+/g, ' ')}</code>`;
