/** When a GitHub API call is worth repeating, and how long to wait: 5xx, network failures and rate limits. */

/** The parts of a failed response the policy looks at. Header names are lower case. */
export interface FailedResponse {
  status: number;
  headers: Record<string, string | undefined>;
  message: string;
}

/** Attempts after the first one. */
export const MAX_RETRIES = 4;
/** Longest single wait; a longer Retry-After or rate-limit reset is not waited for. */
export const MAX_WAIT_MS = 60_000;

const isRateLimit = (r: FailedResponse) =>
  r.status === 429 ||
  (r.status === 403 && (r.headers['retry-after'] !== undefined || r.headers['x-ratelimit-remaining'] === '0' || /rate limit/i.test(r.message)));

/**
 * Milliseconds to wait before retry `attempt` (0-based), or null when the failure is final. Server errors and network
 * failures (status 0 or ≥ 500) back off exponentially from one second; rate limits wait as long as GitHub asks.
 */
export function retryDelay(r: FailedResponse, attempt: number, nowMs: number, random = Math.random): number | null {
  if (attempt >= MAX_RETRIES) return null;
  const backoff = 1000 * 2 ** attempt * (0.75 + 0.5 * random());
  if (r.status === 0 || r.status >= 500) return Math.min(backoff, MAX_WAIT_MS);
  if (!isRateLimit(r)) return null;
  const after = Number(r.headers['retry-after']);
  if (Number.isFinite(after) && after >= 0) return after * 1000 <= MAX_WAIT_MS ? after * 1000 : null;
  const reset = Number(r.headers['x-ratelimit-reset']);
  if (r.headers['x-ratelimit-remaining'] === '0' && Number.isFinite(reset)) {
    const wait = reset * 1000 - nowMs + 1000;
    return wait <= MAX_WAIT_MS ? Math.max(wait, 0) : null;
  }
  // A secondary rate limit without a hint: GitHub asks for at least a minute; try a shorter backoff first.
  return Math.min(backoff * 5, MAX_WAIT_MS);
}
