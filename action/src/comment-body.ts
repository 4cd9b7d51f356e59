/** The comment and job-summary text: a content digest after the marker, and truncation to GitHub's limits. */
import { COMMENT_MARKER } from '../../shared/report/render-diff.js';
import { sha256Text } from '../../shared/guideline/hash.js';

/** GitHub refuses comment bodies longer than this many characters. */
export const COMMENT_LIMIT = 65_536;
/** The job summary of a step must stay under 1 MiB; this leaves room for what else the step writes. */
export const SUMMARY_LIMIT_BYTES = 1_000_000;

const DIGEST = /^<!-- segqc:digest ([0-9a-f]{64}) -->$/m;

/**
 * Puts `<!-- segqc:digest … -->` right after the marker. The digest is of `stable`, the same report rendered without
 * anything that changes from run to run (the run link), so an unchanged report is recognised and not rewritten.
 */
export function withDigest(markdown: string, stable: string): string {
  const line = `<!-- segqc:digest ${sha256Text(stable)} -->`;
  if (!markdown.startsWith(COMMENT_MARKER)) return `${COMMENT_MARKER}\n${line}\n${markdown}`;
  return `${COMMENT_MARKER}\n${line}${markdown.slice(COMMENT_MARKER.length)}`;
}

/** The digest a body carries, or null. */
export const digestOf = (body: string): string | null => DIGEST.exec(body)?.[1] ?? null;

/** UTF-16 length, never less than the code points GitHub counts. */
export const chars = (s: string): number => s.length;
export const utf8Bytes = (s: string): number => new TextEncoder().encode(s).length;

/**
 * Cuts Markdown at a line boundary so that it and `tail` fit in `limit` (as `measure` counts), closing any
 * `<details>` left open; whole text when it already fits.
 */
export function fitMarkdown(markdown: string, limit: number, tail: string, measure: (s: string) => number = chars): string {
  if (measure(markdown) <= limit) return markdown;
  const lines = markdown.split('\n');
  const kept: string[] = [];
  let used = 0;
  let open = 0;
  // A blank line first, so a cut table ends before the closing tags.
  const closing = (n: number) => (n > 0 ? `\n\n${'</details>\n'.repeat(n).trimEnd()}` : '');
  const reserve = (n: number) => measure(closing(n)) + measure(`\n\n${tail}\n`);
  for (const line of lines) {
    const opens = (line.match(/<details[\s>]/g) ?? []).length;
    const closes = (line.match(/<\/details>/g) ?? []).length;
    const cost = measure(line) + 1;
    if (used + cost + reserve(Math.max(0, open + opens - closes)) > limit) break;
    kept.push(line);
    used += cost;
    open = Math.max(0, open + opens - closes);
  }
  return `${kept.join('\n')}${closing(open)}\n\n${tail}\n`;
}
