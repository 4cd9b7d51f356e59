/** segqc's one comment per pull request: found by marker among the token's own comments, updated in place. */
import { COMMENT_MARKER, datasetOf, datasetOfConfig } from '../../shared/report/render-diff.js';
import type { GitHubPlatform, IssueComment } from './github/platform.js';
import { digestOf } from './comment-body.js';

/** What happened to the comment. */
export interface StickyResult {
  action: 'created' | 'updated' | 'unchanged';
  id: number;
  /** Duplicates of segqc's comment (concurrent runs) that were deleted. */
  deleted: number[];
}

/**
 * True for a comment segqc wrote about `dataset` (a config path; null for the default): the marker opens the body,
 * the token's own identity is the author, and the dataset line names the same dataset.
 */
export const isOwnReport = (c: IssueComment, login: string, dataset: string | null = null): boolean =>
  c.author === login && c.body.trimStart().startsWith(COMMENT_MARKER) && datasetOf(c.body.trimStart()) === dataset;

/**
 * Creates or updates segqc's comment on `issue`. Only comments by the token's own identity count: a person quoting
 * the marker is never touched. The oldest of ours is kept (its place in the conversation) and the others deleted;
 * the body is rewritten only when its digest changed, so a re-run with the same result notifies nobody. Each dataset
 * of a repository (named by its config path) keeps its own comment.
 */
export async function upsertStickyComment(platform: GitHubPlatform, issue: number, body: string, configPath: string | null): Promise<StickyResult> {
  const login = await platform.viewerLogin();
  const dataset = datasetOfConfig(configPath);
  const ours = (await platform.listIssueComments(issue)).filter((c) => isOwnReport(c, login, dataset)).sort((a, b) => a.id - b.id);
  if (ours.length === 0) {
    const created = await platform.createIssueComment(issue, body);
    return { action: 'created', id: created.id, deleted: [] };
  }
  const [keep, ...duplicates] = ours;
  const unchanged = digestOf(keep.body) !== null && digestOf(keep.body) === digestOf(body);
  if (!unchanged) await platform.updateIssueComment(keep.id, body);
  for (const d of duplicates) await platform.deleteIssueComment(d.id);
  return { action: unchanged ? 'unchanged' : 'updated', id: keep.id, deleted: duplicates.map((d) => d.id) };
}
