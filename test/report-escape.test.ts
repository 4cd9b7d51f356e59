import { describe, expect, it } from 'vitest';
import { escapeHtml, escapeMarkdown, markdownCode } from '../shared/report/escape.js';

describe('escaping dataset text for Markdown and HTML', () => {
  it('neutralises HTML, tables, links, mentions and newlines', () => {
    const evil = '<img src=x onerror=alert(1)>|[click](http://x) @octocat #12\n# heading `code`';
    const md = escapeMarkdown(evil);
    expect(md).not.toMatch(/<img/);
    expect(md).toContain('&lt;img');
    expect(md).not.toMatch(/(^|[^\\])\|/);
    expect(md).toContain('\\[click\\]\\(http://x\\)');
    expect(md).not.toMatch(/@octocat/);
    expect(md).not.toContain('\n');
    expect(md).toContain('\\`code\\`');
  });
  it('inline code cannot be broken out of', () => {
    const c = markdownCode('a`|</code><script>');
    expect(c.startsWith('<code>') && c.endsWith('</code>')).toBe(true);
    expect(c.slice(6, -7)).not.toMatch(/[<>|]/);
  });
  it('escapes attribute quotes', () => {
    expect(escapeHtml(`"'&`)).toBe('&quot;&#39;&amp;');
  });
});
